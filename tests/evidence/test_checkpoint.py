"""Checkpoints (c2sp.org/tlog-checkpoint): the spec's example, Go's tree note vectors, a real
sum.golang.org checkpoint, and every text the spec refuses."""

from __future__ import annotations

import base64

import pytest

from gateway.evidence.checkpoint import (
    MAX_SIZE,
    Checkpoint,
    InvalidCheckpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from gateway.evidence.note import (
    InvalidSignature,
    UnverifiedNote,
    generate_signer,
    parse_verifier_key,
)
from gateway.evidence.tree import EMPTY_ROOT, leaf_hash, root

# From C2SP/C2SP, tlog-checkpoint.md (commit e5b2a171e4d0ad154cb9e0da6d9e869ae9f9184e): the
# spec's own example. Its public key is not published, so it pins the text and parsing only.
SPEC_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_SIGNATURE = (
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcy"
    "v2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)

# From golang/mod, sumdb/tlog/note_test.go (commit 774e77886cf18ba9e220baec8497d65b0c50373f):
# TestFormatTree and TestParseTree. Go's RecordHash is the RFC 6962 leaf hash.
GO_TREE = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"

# A checkpoint that sum.golang.org signed (tree size 15368405), as quoted in Sigsum's proposal
# to adopt the checkpoint format; its key is the one the go command trusts, from golang/go,
# src/cmd/go/internal/modfetch/key.go (commit c674ce87c2e47699bb51e02885fb80519ecbfb27).
SUMDB_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n15368405\n/g9am3I6YWNKaZX/jkne1fqd9zEyjss+JXyPXG0WfkY=\n\n"
    "— sum.golang.org Az3grqJGUaSGukG9p8nI2vKgiFn7qGHxn0W+mrwyI6Gz3F0t1J3LzmWk/p96Ybf295EjwdSwlzgi"
    "jq5WA9d1Ded7owM=\n"
)

HASH = base64.b64encode(EMPTY_ROOT).decode()
ORIGIN = "poortwachter.opron.nl/transfer-log"


def test_spec_example() -> None:
    """The spec's example checkpoint parses to its origin, size and root, and formats back."""
    checkpoint = parse_checkpoint(SPEC_TEXT)
    assert checkpoint == Checkpoint(
        "example.com/behind-the-sofa",
        20852163,
        base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
    )
    assert checkpoint.text() == SPEC_TEXT


def test_spec_example_signature_is_by_the_origin() -> None:
    """The spec's example is a signed note whose one signature is by a key named the origin."""
    with pytest.raises(UnverifiedNote) as caught:
        open_checkpoint(
            (SPEC_TEXT + "\n" + SPEC_SIGNATURE).encode(), "example.com/behind-the-sofa", []
        )
    [signature] = caught.value.note.unverified
    assert signature.name == "example.com/behind-the-sofa"
    assert caught.value.note.text == SPEC_TEXT


def test_go_tree_vector() -> None:
    """Go's tree note is the checkpoint of 123456789012 leaves whose root is Go's RecordHash of
    "hello world", our leaf hash."""
    checkpoint = Checkpoint("go.sum database tree", 123456789012, leaf_hash(b"hello world"))
    assert checkpoint.text() == GO_TREE
    assert parse_checkpoint(GO_TREE) == checkpoint


def test_go_tree_bad_vectors() -> None:
    """Go's bad trees fail: a hex size, a root hash that is not base64, and another origin."""
    for text in [
        "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
        "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
    ]:
        with pytest.raises(InvalidCheckpoint):
            parse_checkpoint(text)
    signer = generate_signer("not-go.sum")
    message = sign_checkpoint(Checkpoint("not-go.sum", 1, EMPTY_ROOT), signer)
    with pytest.raises(InvalidCheckpoint, match="another log"):
        open_checkpoint(message, "go.sum database tree", [signer.verifier()])


def test_go_tree_junk_is_an_extension_or_refused() -> None:
    """Go ignores junk after the tree; here a further line is an extension line, and junk
    without its newline is refused, as a note's text ends in a newline."""
    assert parse_checkpoint(GO_TREE + "JOE\n").extensions == ("JOE",)
    assert parse_checkpoint(GO_TREE + "JOE\n" * 1000).extensions == ("JOE",) * 1000
    with pytest.raises(InvalidCheckpoint):
        parse_checkpoint(GO_TREE + "JOE")


def test_a_real_sum_golang_org_checkpoint() -> None:
    """A checkpoint sum.golang.org signed opens with the key the go command trusts."""
    checkpoint = open_checkpoint(
        SUMDB_CHECKPOINT.encode(), "go.sum database tree", [parse_verifier_key(SUMDB_KEY)]
    )
    assert checkpoint.size == 15368405
    assert checkpoint.root_hash == base64.b64decode("/g9am3I6YWNKaZX/jkne1fqd9zEyjss+JXyPXG0WfkY=")
    tampered = SUMDB_CHECKPOINT.replace("15368405", "15368406")
    with pytest.raises(InvalidSignature):
        open_checkpoint(tampered.encode(), "go.sum database tree", [parse_verifier_key(SUMDB_KEY)])


@pytest.mark.parametrize(
    "text",
    [
        # The refusals of transparency-dev/formats, log/checkpoint_test.go (commit
        # 7a6ef700ee5660b2580c9da92063af300820fdee), each with a valid 32-byte root so that
        # only the one defect is tested:
        "Head\n9944\n",  # insufficient lines
        f"\n9944\n{HASH}\n",  # empty origin
        f"Log\n123\n{HASH}",  # missing newline on the root hash
        f"Log\nbananas\n{HASH}\n",  # size not a number
        f"Log\n-34\n{HASH}\n",  # negative size
        f"Log\n3438945738945739845734895735\n{HASH}\n",  # size too large
        "Log\n123\nThisIsn'tBase64\n",  # root hash not base64
        f"Log\n9944\n{HASH}\n\n\n\n",  # formats keeps these as trailing data; the spec says
        # extension lines MUST be non-empty
        # The spec's other rules:
        f"Log\n0123\n{HASH}\n",  # leading zero
        f"Log\n00\n{HASH}\n",
        f"Log\n+5\n{HASH}\n",
        f"Log\n 5\n{HASH}\n",
        f"Log\n5 \n{HASH}\n",
        f"Log\n1_000\n{HASH}\n",
        f"Log\n\uff15\n{HASH}\n",  # a full-width digit five: decimal to Python, not ASCII
        f"Log\n{MAX_SIZE + 1}\n{HASH}\n",
        f"Log\n{'9' * 5000}\n{HASH}\n",
        f"Log\n5\n{base64.b64encode(bytes(31)).decode()}\n",
        f"Log\n5\n{base64.b64encode(bytes(33)).decode()}\n",
        f"Log\n5\n{HASH.rstrip('=')}\n",  # unpadded
        f"Log\n5\n{HASH[:-2]}V=\n",  # non-canonical: unused bits set
        f"Log\n5\n{HASH}\next\n\n",
        "Moon Log\n4027504\naXQncyBhIHJvb3QgaGFzaA==\n6086d1a9\nWaxing gibbous\n",  # formats'
        # extension example: its 16-byte "it's a root hash" is no RFC 6962 root
        "",
        "\n",
    ],
)
def test_refused_texts(text: str) -> None:
    """Texts that break tlog-checkpoint's "Note text" rules are not checkpoints."""
    with pytest.raises(InvalidCheckpoint):
        parse_checkpoint(text)


def test_extension_lines_and_limits() -> None:
    """Extension lines come back in order; size 0 and 2**64 - 1 are the bounds."""
    text = f"Log\n0\n{HASH}\n6086d1a9\nWaxing gibbous\n"
    checkpoint = parse_checkpoint(text)
    assert checkpoint == Checkpoint("Log", 0, EMPTY_ROOT, ("6086d1a9", "Waxing gibbous"))
    assert checkpoint.text() == text
    assert parse_checkpoint(f"Log\n{MAX_SIZE}\n{HASH}\n").size == MAX_SIZE


@pytest.mark.parametrize(
    ("origin", "size", "root_hash", "extensions"),
    [
        ("", 1, EMPTY_ROOT, ()),
        ("a\nb", 1, EMPTY_ROOT, ()),
        ("Log", -1, EMPTY_ROOT, ()),
        ("Log", MAX_SIZE + 1, EMPTY_ROOT, ()),
        ("Log", 1, EMPTY_ROOT[:31], ()),
        ("Log", 1, EMPTY_ROOT, ("",)),
        ("Log", 1, EMPTY_ROOT, ("a\nb",)),
    ],
)
def test_refused_checkpoints(
    origin: str, size: int, root_hash: bytes, extensions: tuple[str, ...]
) -> None:
    """A checkpoint that could not be written as valid text cannot be made."""
    with pytest.raises(InvalidCheckpoint):
        Checkpoint(origin, size, root_hash, extensions)


def test_sign_and_open_our_own() -> None:
    """Our log signs its tree head; the verifier key opens it; a changed root does not."""
    signer = generate_signer(ORIGIN)
    leaves = [leaf_hash(str(i).encode()) for i in range(10)]
    checkpoint = Checkpoint(ORIGIN, 10, root(leaves))
    message = sign_checkpoint(checkpoint, signer)
    assert message.startswith(checkpoint.text().encode() + b"\n\xe2\x80\x94 " + ORIGIN.encode())
    verifier = parse_verifier_key(signer.verifier().key_string())
    assert open_checkpoint(message, ORIGIN, [verifier]) == checkpoint

    other_root = base64.b64encode(root(leaves[:9])).decode()
    tampered = message.decode().replace(base64.b64encode(checkpoint.root_hash).decode(), other_root)
    with pytest.raises(InvalidSignature):
        open_checkpoint(tampered.encode(), ORIGIN, [verifier])
    with pytest.raises(UnverifiedNote):
        open_checkpoint(message, ORIGIN, [generate_signer(ORIGIN).verifier()])


def test_the_key_is_named_after_the_origin() -> None:
    """A key of another name does not sign our checkpoints."""
    with pytest.raises(ValueError, match="origin"):
        sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), generate_signer("someone.else/log"))
