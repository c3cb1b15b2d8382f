"""Signed notes (c2sp.org/signed-note): Go's golang.org/x/mod/sumdb/note vectors byte for byte,
the spec's own example, and every way a note or key string can be malformed."""

from __future__ import annotations

import base64

import pytest

from gateway.evidence.note import (
    InvalidSignature,
    MalformedKey,
    MalformedNote,
    Note,
    NoteError,
    Signature,
    Signer,
    UnverifiedNote,
    Verifier,
    generate_signer,
    key_id,
    open_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)

# From golang/mod, sumdb/note/note_test.go (commit 02c991387e35f9e4c0a9b7ce137717055f8d716d):
# TestNewVerifier, TestNewSigner, TestSign, TestVerifierList and TestOpen.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngot"
    "pRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox"
    "33WWd1RvMc+QQ=\n"
)
SIGNED = TEXT + "\n" + PETER_SIG

# From C2SP/C2SP, signed-note.md (commit 055287621bf3cd13ff4394418a3e8efc2d5e8ed7): the spec's
# own example. Its public key is not published, so it pins parsing only.
SPEC_TEXT = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
)
SPEC_NOTE = (
    SPEC_TEXT + "\n— quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def _b64(line: str) -> bytes:
    return base64.b64decode(line.rstrip("\n").split(" ")[2])


PETER = Signature("PeterNeumann", 0xC74F20A3, _b64(PETER_SIG)[4:])
ENOCH = Signature("EnochRoot", 0xAF0CFE78, _b64(ENOCH_SIG)[4:])


# --- keys ------------------------------------------------------------------------------------


def test_verifier_key_vector() -> None:
    """Go's PeterNeumann verifier key parses to its name, key id and key, and formats back."""
    verifier = parse_verifier_key(PETER_VKEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id == 0xC74F20A3
    assert (
        verifier.public_key == base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:]
    )
    assert verifier.key_string() == PETER_VKEY


def test_signer_key_vector() -> None:
    """Go's PeterNeumann signer key parses, formats back, and derives the verifier key."""
    signer = parse_signer_key(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_string() == PETER_SKEY
    assert signer.verifier().key_string() == PETER_VKEY


def test_key_id_is_the_spec_hash() -> None:
    """The key id is SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian."""
    public = parse_verifier_key(PETER_VKEY).public_key
    assert key_id("PeterNeumann", public) == 0xC74F20A3
    assert key_id("PeterNeumann2", public) != 0xC74F20A3


def _manglings(key: str) -> list[str]:
    """Every proper substring of the key, and the key with each character moved up by one:
    Go's TestNewVerifier and TestNewSigner."""
    substrings = [
        key[i:j]
        for i in range(len(key) + 1)
        for j in range(i + 1, len(key) + 1)
        if (i, j) != (0, len(key))
    ]
    bumped = [key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))]
    return substrings + bumped


def test_mangled_verifier_keys_are_refused() -> None:
    """No substring or one-character change of the verifier key parses, nor Go's two bad keys."""
    bad = _manglings(PETER_VKEY)
    bad.append("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    bad.append("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    for text in bad:
        with pytest.raises(MalformedKey):
            parse_verifier_key(text)


def test_mangled_signer_keys_are_refused() -> None:
    """No substring or one-character change of the signer key parses."""
    for text in _manglings(PETER_SKEY):
        with pytest.raises(MalformedKey):
            parse_signer_key(text)


def test_key_strings_are_not_confused() -> None:
    """A signer key is no verifier key and a verifier key is no signer key."""
    with pytest.raises(MalformedKey):
        parse_verifier_key(PETER_SKEY)
    with pytest.raises(MalformedKey):
        parse_signer_key(PETER_VKEY)


def test_key_id_in_upper_case_is_refused() -> None:
    """Key ids are written as Go writes them, eight lower-case hex digits, and read only so."""
    with pytest.raises(MalformedKey, match="lower-case"):
        parse_verifier_key(PETER_VKEY.replace("c74f20a3", "C74F20A3"))


@pytest.mark.parametrize(
    "name",
    ["", "a+b", "a b", "a\tb", "a\nb", "a\u00a0b", "a\u2003b", "a\u3000b", "a\x01b", "a\udc80"],
)
def test_bad_key_names_are_refused(name: str) -> None:
    """A key name is non-empty, with no Unicode space, plus sign or control character."""
    with pytest.raises(MalformedKey):
        Verifier(name, bytes(32))
    with pytest.raises(MalformedKey):
        Signer(name, bytes(32))


@pytest.mark.parametrize("name", ["PeterNeumann", "poortwachter.opron.nl/transfer-log", "ü/ĳ"])
def test_good_key_names(name: str) -> None:
    """Schema-less URLs and non-ASCII names are fine, and survive a key string round trip."""
    signer = generate_signer(name)
    assert parse_signer_key(signer.key_string()) == signer
    assert parse_verifier_key(signer.verifier().key_string()) == signer.verifier()


def test_key_lengths_are_checked() -> None:
    """Ed25519 keys are 32 bytes, public or private."""
    with pytest.raises(MalformedKey):
        Verifier("a", bytes(31))
    with pytest.raises(MalformedKey):
        Signer("a", bytes(33))


def test_signer_repr_hides_the_seed() -> None:
    """repr() of a signer names it and shows nothing of the secret."""
    signer = parse_signer_key(PETER_SKEY)
    assert "PeterNeumann" in repr(signer)
    assert signer.seed.hex() not in repr(signer) and str(signer.seed) not in repr(signer)


# --- signing ---------------------------------------------------------------------------------


def test_sign_vector() -> None:
    """Signing Go's text with Go's key gives Go's signed note byte for byte (Ed25519 is
    deterministic)."""
    assert sign_note(TEXT, [parse_signer_key(PETER_SKEY)]) == SIGNED.encode()


def test_sign_refuses_bad_text() -> None:
    """Text must end in a newline and hold no control characters; a note needs a signer."""
    signer = parse_signer_key(PETER_SKEY)
    for text in ["abc", "a\x01\n", "a\rb\n", "a\udc80\n"]:
        with pytest.raises(MalformedNote):
            sign_note(text, [signer])
    with pytest.raises(ValueError, match="signer"):
        sign_note(TEXT, [])


def test_generated_keys_sign_and_verify() -> None:
    """A new key signs a note its verifier opens; a changed signature or text fails."""
    signer = generate_signer("EnochRoot")
    verifier = parse_verifier_key(signer.verifier().key_string())
    message = sign_note("hi\n", [signer])
    assert open_note(message, [verifier]).text == "hi\n"
    signature = signer.sign(b"hi\n")
    assert verifier.verifies(b"hi\n", signature.signature)
    assert not verifier.verifies(b"hI\n", signature.signature)
    assert not verifier.verifies(
        b"hi\n", bytes([signature.signature[0] ^ 1]) + signature.signature[1:]
    )


def test_several_signers_in_order() -> None:
    """Each signer adds a line in the order given, and each verifies."""
    a, b = generate_signer("a.example/log"), generate_signer("b.example/witness")
    message = sign_note(TEXT, [a, b])
    lines = message.decode().split("\n")
    assert lines[3].startswith("— a.example/log ") and lines[4].startswith("— b.example/witness ")
    note = open_note(message, [b.verifier(), a.verifier()])
    assert [s.name for s in note.signatures] == ["a.example/log", "b.example/witness"]


# --- opening ---------------------------------------------------------------------------------


def test_open_vector() -> None:
    """Go's signed note opens with Go's verifier key to Go's text and signature."""
    note = open_note(SIGNED.encode(), [parse_verifier_key(PETER_VKEY)])
    assert note == Note(TEXT, (PETER,), ())


def test_unknown_keys_are_ignored() -> None:
    """With only Peter's key known, Enoch's signature is kept aside unverified."""
    message = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    note = open_note(message, [parse_verifier_key(PETER_VKEY)])
    assert note.signatures == (PETER,) and note.unverified == (ENOCH,)
    both = open_note(message, [parse_verifier_key(PETER_VKEY), parse_verifier_key(ENOCH_VKEY)])
    assert both.signatures == (PETER, ENOCH) and both.unverified == ()


def test_same_name_other_id_is_unknown() -> None:
    """A signature whose name matches a known key but whose key id does not is ignored, as
    the spec requires, and with no other signature the note is unverified."""
    other = generate_signer("PeterNeumann")
    message = sign_note(TEXT, [other])
    with pytest.raises(UnverifiedNote):
        open_note(message, [parse_verifier_key(PETER_VKEY)])


def test_no_known_signature_is_unverified() -> None:
    """With no known key the note is refused, and the error carries what was parsed."""
    message = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    with pytest.raises(UnverifiedNote) as caught:
        open_note(message, [])
    assert str(caught.value) == "the note has no signature by a known key"
    assert caught.value.note == Note(TEXT, (), (PETER, ENOCH))


def test_spec_example_parses() -> None:
    """The spec's own example parses: its text keeps its inner blank line, the last blank line
    separates the signature."""
    with pytest.raises(UnverifiedNote) as caught:
        open_note(SPEC_NOTE.encode(), [parse_verifier_key(PETER_VKEY)])
    note = caught.value.note
    assert note.text == SPEC_TEXT
    [signature] = note.unverified
    assert signature.name == "quasimodo.example/salvatore"
    assert len(signature.signature) == 64
    assert signature.line() == SPEC_NOTE[len(SPEC_TEXT) + 1 :]


def test_invalid_known_signature_rejects_the_note() -> None:
    """A known key's signature that does not verify rejects the whole note (Go's vector)."""
    message = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidSignature):
        open_note(message.encode(), [parse_verifier_key(PETER_VKEY)])


def test_a_bad_signature_after_a_good_one_still_rejects() -> None:
    """Every known signature is checked, not only the first line of a key."""
    message = TEXT + "\n" + PETER_SIG + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidSignature):
        open_note(message.encode(), [parse_verifier_key(PETER_VKEY)])


def test_repeated_signatures_count_once() -> None:
    """Repeated lines of one key, and repeated unknown lines, appear once (Go's vector)."""
    enoch_abcd = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    message = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd
    note = open_note(message.encode(), [parse_verifier_key(PETER_VKEY)])
    assert note.signatures == (PETER,)
    assert note.unverified == (ENOCH, Signature("EnochRoot", 0xAF0CFE78, _b64(enoch_abcd)[4:]))


def test_a_known_key_given_twice() -> None:
    """The same key twice is one key; two different keys under one name and id are refused."""
    peter = parse_verifier_key(PETER_VKEY)
    assert open_note(SIGNED.encode(), [peter, peter]).signatures == (PETER,)

    class Impostor(Verifier):
        @property
        def key_id(self) -> int:
            return 0xC74F20A3

    with pytest.raises(NoteError, match="share"):
        open_note(SIGNED.encode(), [peter, Impostor("PeterNeumann", bytes(32))])


def test_too_many_signatures() -> None:
    """More than 100 signature lines is malformed, known keys or not (Go's vector)."""
    message = (TEXT + "\n" + PETER_SIG * 101).encode()
    for known in ([parse_verifier_key(PETER_VKEY)], []):
        with pytest.raises(MalformedNote):
            open_note(message, known)
    assert open_note((TEXT + "\n" + PETER_SIG * 100).encode(), [parse_verifier_key(PETER_VKEY)])


@pytest.mark.parametrize(
    "message",
    [
        # Go's badMsgs:
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT
        + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngo"
        "tpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        # and more:
        TEXT + "\n" + PETER_SIG.replace("—", "-"),
        TEXT + "\n" + PETER_SIG.replace("— ", "—"),
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"),
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann ", "PeterNeumann  "),
        TEXT + "\n" + PETER_SIG.replace("AM=", "AM"),
        TEXT + "\n" + PETER_SIG.replace("AM=", "AN="),  # non-canonical: unused bits set
        TEXT + "\n" + PETER_SIG + "\n",
        TEXT + "\n— PeterNeumann \n",
        TEXT + "\n— PeterNeumann x08gow==\n",  # a key id and nothing else
        TEXT + "\n" + PETER_SIG.replace("\n", "\r\n"),
        TEXT.replace("\n", "\t", 1) + "\n" + PETER_SIG,
    ],
)
def test_malformed_notes(message: str) -> None:
    """Notes that break the format are malformed, whatever their signatures."""
    with pytest.raises(MalformedNote):
        open_note(message.encode(), [parse_verifier_key(PETER_VKEY)])


def test_invalid_utf8_is_malformed() -> None:
    """A note that is not UTF-8 is malformed (Go's "\\xff" vector)."""
    with pytest.raises(MalformedNote):
        open_note(b"\xff" + SIGNED.encode(), [parse_verifier_key(PETER_VKEY)])


def test_errors_do_not_repeat_the_input() -> None:
    """No error message carries the note's text or a key string."""
    secret_name = "leerling-1234567"
    signer = generate_signer(secret_name)
    messages: list[str] = []
    for call in (
        lambda: open_note(sign_note(f"{secret_name}\n", [signer]), []),
        lambda: open_note(f"{secret_name}\x01\n\n{PETER_SIG}".encode(), []),
        lambda: parse_signer_key(signer.key_string()[:-2]),
        lambda: parse_verifier_key(secret_name),
    ):
        with pytest.raises(NoteError) as caught:
            call()
        messages.append(str(caught.value))
    assert not any(secret_name in m for m in messages)
