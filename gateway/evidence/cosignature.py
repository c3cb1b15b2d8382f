"""Cosignatures (https://c2sp.org/tlog-cosignature), the Ed25519 kind: a witness's statement
that, as of a time, the checkpoint is the largest consistent tree it has seen of the log.

A cosignature is a signed-note signature line. Its signature is a ``timestamped_signature``:
the time as 8 big-endian bytes (POSIX seconds), then the Ed25519 signature of::

    cosignature/v1
    time <the same time in decimal>
    <the checkpoint's note text, every line of it, without its signatures>

The key id is SHA-256(name || 0x0A || 0x04 || public key)[:4]: the type byte 0x04 keeps a
cosigner's key apart from a note signer's (0x01), so the witness's verifier key is the vkey
``<name>+<hex key id>+<base64(0x04 || public key)>`` (``GATEWAY_WITNESS_KEY``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.evidence.note import (
    InvalidSignature,
    MalformedKey,
    Note,
    Signature,
    key_id,
    split_verifier_key,
)

COSIGNATURE_V1 = 0x04  # the vkey type and key-id byte of Ed25519 cosignatures
MAX_TIMESTAMP = 2**63 - 1


@dataclass(frozen=True)
class Cosigner:
    """A witness's Ed25519 cosigning key under its name."""

    name: str
    public_key: bytes  # 32 bytes, RFC 8032

    def __post_init__(self) -> None:
        if len(self.public_key) != 32:
            raise MalformedKey("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.public_key, COSIGNATURE_V1)

    def signed(self, signature: Signature) -> bool:
        """Whether a signature line claims to be by this key (same name and key id); the spec
        has clients ignore every other line."""
        return signature.name == self.name and signature.key_id == self.key_id

    def verify(self, checkpoint_text: str, signature: Signature) -> int:
        """The time this key cosigned ``checkpoint_text`` at; InvalidSignature unless
        ``signature`` is its valid cosignature/v1 of that text."""
        if not self.signed(signature):
            raise InvalidSignature("the cosignature is by another key")
        if len(signature.signature) != 8 + 64:
            raise InvalidSignature("a cosignature is 8 bytes of time and 64 of signature")
        timestamp = int.from_bytes(signature.signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            raise InvalidSignature("a cosignature's time must be below 2**63")
        message = cosigned_message(checkpoint_text, timestamp)
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                signature.signature[8:], message
            )
        except _BadSignature:
            raise InvalidSignature("the cosignature does not verify") from None
        return timestamp

    def verify_note(self, note: Note) -> int:
        """The time this key cosigned an opened checkpoint note (its cosignatures are among the
        lines by keys the opener did not know); InvalidSignature unless the note holds one by
        this key and every one by it verifies."""
        mine = [s for s in note.unverified if self.signed(s)]
        if not mine:
            raise InvalidSignature("the note holds no cosignature by this key")
        return max(self.verify(note.text, signature) for signature in mine)

    def key_string(self) -> str:
        encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{encoded}"


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header line, the time line, the checkpoint text."""
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def parse_cosigner_key(text: str) -> Cosigner:
    """A Cosigner from its vkey ``<name>+<hex key id>+<base64(0x04 || public key)>``, the id
    checked. A note signer's key (type 0x01) is refused: it cannot check a cosignature."""
    name, claimed_id, public_key = split_verifier_key(text, COSIGNATURE_V1)
    cosigner = Cosigner(name, public_key)
    if claimed_id != cosigner.key_id:
        raise MalformedKey("the witness key's id does not match its name and key")
    return cosigner
