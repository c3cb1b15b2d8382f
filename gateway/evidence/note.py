"""Signed notes (https://c2sp.org/signed-note, v1.0.0) with Ed25519 keys, as the Go checksum
database and every C2SP transparency log write them.

A note is a text ending in a newline, a blank line, and one or more signature lines
``— <key name> <base64(4-byte key id || signature)>``. Keys travel as strings: a verifier key
``<name>+<hex key id>+<base64(0x01 || public key)>`` and a signer key
``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``, the forms of Go's
golang.org/x/mod/sumdb/note. Errors::

    NoteError (ValueError)
    ├── MalformedNote      the bytes are not a signed note as the spec defines one
    ├── MalformedKey       a key string is not one of the two forms, or its key id is wrong
    ├── InvalidSignature   a known key's signature does not verify: the note is rejected
    └── UnverifiedNote     no known key signed the note (``.note`` holds what was parsed)

No message repeats the note or the key string: both may be caller-chosen, and a signer key is
a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ED25519 = 0x01  # the signature type byte of Ed25519, signed-note "Signature types"
MAX_SIGNATURES = 100  # the spec asks for at least 16; Go's note package allows 100
_DASH = "\u2014 "  # em dash, space: the start of every signature line
_HEX_ID = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A note or key that cannot be used."""


class MalformedNote(NoteError):
    """Bytes that are not a signed note as c2sp.org/signed-note defines one."""


class MalformedKey(NoteError):
    """A key string that is not a verifier or signer key, or whose key id does not match."""


class InvalidSignature(NoteError):
    """A signature by a known key that does not verify."""


class UnverifiedNote(NoteError):
    """A well-formed note that no known key signed."""

    def __init__(self, note: Note) -> None:
        super().__init__("the note has no signature by a known key")
        self.note = note


@dataclass(frozen=True)
class Signature:
    """One signature line: the key's name and id, and the signature bytes after the id."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        """The signature line, newline included."""
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_DASH}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text and the signatures by known keys (all verified) and by
    unknown keys (ignored, as the spec requires, but kept, e.g. for cosignatures)."""

    text: str
    signatures: tuple[Signature, ...]
    unverified: tuple[Signature, ...] = ()


@dataclass(frozen=True)
class Verifier:
    """A known Ed25519 public key under a name."""

    name: str
    public_key: bytes  # 32 bytes, RFC 8032

    def __post_init__(self) -> None:
        _check_name(self.name, MalformedKey)
        if len(self.public_key) != 32:
            raise MalformedKey("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> int:
        """SHA-256(name || 0x0A || 0x01 || public key)[:4], signed-note "Ed25519 signatures"."""
        return key_id(self.name, self.public_key)

    def verifies(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature (RFC 8032) of ``text``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except _BadSignature:
            return False
        return True

    def key_string(self) -> str:
        """``<name>+<hex key id>+<base64(0x01 || public key)>``, for operators to hand out."""
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{encoded}"


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key under a name. The seed is a secret: it is kept out of repr()."""

    name: str
    seed: bytes = field(repr=False)  # 32 bytes, RFC 8032

    def __post_init__(self) -> None:
        _check_name(self.name, MalformedKey)
        if len(self.seed) != 32:
            raise MalformedKey("an Ed25519 private key (seed) is 32 bytes")

    def verifier(self) -> Verifier:
        """The matching public key."""
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return Verifier(self.name, public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, text: bytes) -> Signature:
        """This key's signature of ``text``."""
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(text)
        return Signature(self.name, self.verifier().key_id, signature)

    def key_string(self) -> str:
        """``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``: a secret."""
        encoded = base64.b64encode(bytes([ED25519]) + self.seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_id:08x}+{encoded}"


def generate_signer(name: str) -> Signer:
    """A new random Ed25519 key under ``name``."""
    seed = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return Signer(name, seed)


def key_id(name: str, public_key: bytes, key_type: int = ED25519) -> int:
    """SHA-256(key name || 0x0A || key type || public key)[:4] as a big-endian uint32,
    signed-note "Ed25519 signatures" (type 0x01; tlog-cosignature's keys are type 0x04)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def parse_verifier_key(text: str) -> Verifier:
    """A Verifier from ``<name>+<hex key id>+<base64(0x01 || public key)>``, its id checked."""
    name, claimed_id, public_key = split_verifier_key(text, ED25519)
    verifier = Verifier(name, public_key)
    if claimed_id != verifier.key_id:
        raise MalformedKey("the verifier key's id does not match its name and key")
    return verifier


def split_verifier_key(text: str, key_type: int) -> tuple[str, int, bytes]:
    """The name, claimed key id and key material of a vkey ``<name>+<hex key id>+<base64(type
    byte || key)>`` of ``key_type``; the caller checks the id, which depends on the type."""
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise MalformedKey("a verifier key is <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    _check_name(name, MalformedKey)
    return name, _parse_id(hex_id), _key_bytes(encoded, key_type)


def parse_signer_key(text: str) -> Signer:
    """A Signer from ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``, its id checked
    against the public key the seed derives."""
    parts = text.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise MalformedKey("a signer key is PRIVATE+KEY+<name>+<key id>+<key>")
    name, hex_id, encoded = parts[2:]
    signer = Signer(name, _key_bytes(encoded, ED25519))
    if _parse_id(hex_id) != signer.verifier().key_id:
        raise MalformedKey("the signer key's id does not match its name and key")
    return signer


def sign_note(text: str, signers: Iterable[Signer]) -> bytes:
    """The signed note of ``text`` (which ends in a newline) by each signer, in order."""
    _check_text(text)
    encoded = text.encode()
    lines = [signer.sign(encoded).line() for signer in signers]
    if not lines:
        raise ValueError("a signed note needs at least one signer")
    return (text + "\n" + "".join(lines)).encode()


def open_note(message: bytes, known: Iterable[Verifier]) -> Note:
    """Parse and verify a signed note, signed-note "Format" and "Signatures": every signature
    by a known key (same name and key id) must verify, signatures by unknown keys are ignored,
    and at least one known key must have signed. Repeated signature lines count once."""
    keys: dict[tuple[str, int], Verifier] = {}
    for key in known:
        if keys.setdefault((key.name, key.key_id), key) != key:
            raise NoteError("two known keys share a name and key id")
    try:
        decoded = message.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedNote("a note is UTF-8") from None
    if any(c < " " and c != "\n" for c in decoded):
        raise MalformedNote("a note holds no control characters but newline")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise MalformedNote("a note has a blank line before its signatures")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNote("a note ends with a signature line")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote("a note has too many signatures")
    verified: dict[tuple[str, int], Signature] = {}
    unverified: dict[Signature, None] = {}
    for line in lines:
        signature = _parse_signature_line(line)
        verifier = keys.get((signature.name, signature.key_id))
        if verifier is None:
            unverified[signature] = None
        elif not verifier.verifies(text.encode(), signature.signature):
            raise InvalidSignature("a signature by a known key does not verify")
        else:
            verified.setdefault((signature.name, signature.key_id), signature)
    note = Note(text, tuple(verified.values()), tuple(unverified))
    if not verified:
        raise UnverifiedNote(note)
    return note


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(_DASH):
        raise MalformedNote("a signature line starts with an em dash and a space")
    name, _, encoded = line[len(_DASH) :].partition(" ")
    _check_name(name, MalformedNote)
    blob = _strict_base64(encoded, MalformedNote)
    if len(blob) < 5:
        raise MalformedNote("a signature is a 4-byte key id and at least one byte")
    return Signature(name, int.from_bytes(blob[:4], "big"), blob[4:])


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedNote("a note's text ends with a newline")
    if any(c < " " and c != "\n" for c in text):
        raise MalformedNote("a note holds no control characters but newline")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise MalformedNote("a note is UTF-8") from None


def _check_name(name: str, error: type[NoteError]) -> None:
    """Key names are non-empty, with no Unicode spaces and no plus (signed-note "Format");
    control characters are refused too, as no note may hold them."""
    if not name or "+" in name or any(c.isspace() or c < " " for c in name):
        raise error("a key name is non-empty, without spaces, plus signs or control characters")
    try:
        name.encode()
    except UnicodeEncodeError:
        raise error("a key name is UTF-8") from None


def _key_bytes(encoded: str, key_type: int) -> bytes:
    blob = _strict_base64(encoded, MalformedKey)
    if not blob or blob[0] != key_type:
        raise MalformedKey(f"only keys of type 0x{key_type:02x} are known here")
    return blob[1:]


def _parse_id(hex_id: str) -> int:
    if not _HEX_ID.fullmatch(hex_id):
        raise MalformedKey("a key id is 8 lower-case hexadecimal digits")
    return int(hex_id, 16)


def decode_base64(encoded: str) -> bytes:
    """RFC 4648 section 4 base64, padded and canonical (the only encoding of its bytes), as
    the formats here write it; ValueError for anything else."""
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if base64.b64encode(blob).decode("ascii") != encoded:
        raise ValueError("not canonical base64")
    return blob


def _strict_base64(encoded: str, error: type[NoteError]) -> bytes:
    try:
        return decode_base64(encoded)
    except ValueError as e:
        raise error(str(e)) from None
