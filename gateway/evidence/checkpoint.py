"""Checkpoints (https://c2sp.org/tlog-checkpoint): a log's tree head as the text of a signed
note, so that witnesses and other C2SP tooling can check and cosign it.

The text is at least three non-empty lines, each ending in a newline: the origin (the log's
name), the tree size in decimal without leading zeros, the base64 RFC 6962 root hash, and then
optional extension lines. ``parse_checkpoint`` refuses everything else; ``open_checkpoint``
also checks the signatures (signed-note) and that the checkpoint is the expected log's.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.evidence.note import Signer, Verifier, decode_base64, open_note, sign_note
from gateway.evidence.tree import HASH_SIZE

MAX_SIZE = 2**64 - 1  # what the Go implementations (uint64) can read back
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)


class InvalidCheckpoint(ValueError):
    """A checkpoint text that tlog-checkpoint does not allow, or one for another log."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log, how many leaves, their RFC 6962 root, and extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise InvalidCheckpoint("the origin is one non-empty line")
        if not 0 <= self.size <= MAX_SIZE:
            raise InvalidCheckpoint("the tree size is between 0 and 2**64 - 1")
        if len(self.root_hash) != HASH_SIZE:
            raise InvalidCheckpoint("the root hash is 32 bytes (SHA-256)")
        if any(not line or "\n" in line for line in self.extensions):
            raise InvalidCheckpoint("an extension is one non-empty line")

    def text(self) -> str:
        """The note text, tlog-checkpoint "Note text"."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        return "".join(line + "\n" for line in (*lines, *self.extensions))


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint from its note text, strictly as tlog-checkpoint "Note text" defines it."""
    if not text.endswith("\n"):
        raise InvalidCheckpoint("a checkpoint's text ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise InvalidCheckpoint("a checkpoint is at least three non-empty lines")
    origin, size, root_hash, *extensions = lines
    # Length first: int() of thousands of digits is slow, and refused past 4300 of them.
    if len(size) > len(str(MAX_SIZE)) or not _DECIMAL.fullmatch(size):
        raise InvalidCheckpoint("the tree size is decimal digits without leading zeros")
    try:
        decoded = decode_base64(root_hash)
    except ValueError:
        raise InvalidCheckpoint("the root hash is base64") from None
    return Checkpoint(origin, int(size), decoded, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> bytes:
    """The checkpoint as a signed note, by a key named after the origin (tlog-checkpoint
    "Signatures": the key name SHOULD match the origin; ours must)."""
    if signer.name != checkpoint.origin:
        raise ValueError("the signing key's name is not the checkpoint's origin")
    return sign_note(checkpoint.text(), [signer])


def open_checkpoint(message: bytes, origin: str, known: Iterable[Verifier]) -> Checkpoint:
    """A checkpoint of the log ``origin`` from a signed note that a known key signed.

    Raises the note's errors (see gateway.evidence.note) for signatures, InvalidCheckpoint for
    the text or another log's origin.
    """
    checkpoint = parse_checkpoint(open_note(message, known).text)
    if checkpoint.origin != origin:
        raise InvalidCheckpoint("the checkpoint is for another log")
    return checkpoint
