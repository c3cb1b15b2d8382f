"""The transfer log's signing key: one file outside the database, so that whoever can write the
database still cannot sign a checkpoint for a rewritten log.

The file holds one line, the signer key string of c2sp.org/signed-note as Go writes it
(``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``), with the log's origin as the key
name. It is created once, never overwritten, readable by its owner only (mode 0600); loading
refuses a file that group or others can read or write. ``SigningKeyError`` messages are one
line for the command line and never contain the key.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from gateway.access import key_files
from gateway.evidence.note import MalformedKey, Signer, generate_signer, parse_signer_key

_MAX_FILE = 4096  # a key line is about 100 bytes; a larger file is not a key file


class SigningKeyError(Exception):
    """The signing key file cannot be created or used; the message says why, in one line."""


def create_signing_key(path: Path, origin: str) -> Signer:
    """Make a new Ed25519 key named ``origin`` and write it to ``path`` with mode 0600;
    refuses to replace any file already there."""
    try:
        signer = generate_signer(origin)
    except MalformedKey:
        raise SigningKeyError(
            "the log origin is not a valid key name (non-empty, no spaces, no '+')"
        ) from None
    try:
        key_files.write_new(path, signer.key_string() + "\n")
    except FileExistsError:
        raise SigningKeyError(f"{path} already exists; refusing to overwrite a key") from None
    except OSError as e:
        raise SigningKeyError(f"cannot create {path}: {e.strerror}") from None
    _sync_directory(path.parent)
    return signer


def load_signing_key(path: Path, origin: str) -> Signer:
    """The key in ``path``, checked: a regular file, mode without group or other bits, one
    signer key string, named ``origin``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise SigningKeyError(f"signing key file {path} does not exist; create it first") from None
    except OSError as e:
        raise SigningKeyError(f"cannot open signing key file {path}: {e.strerror}") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise SigningKeyError(f"signing key file {path} is not a regular file")
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            raise SigningKeyError(
                f"signing key file {path} has mode {mode:04o}: group or others may use it; "
                "make it 0600 (chmod 600)"
            )
        content = os.read(fd, _MAX_FILE + 1)
    finally:
        os.close(fd)
    signer = _parse(content, path)
    if signer.name != origin:
        raise SigningKeyError(
            f"signing key file {path} holds the key of {signer.name!r}, not of {origin!r}"
        )
    return signer


def verifier_key(signer: Signer) -> str:
    """The public verifier key string (``<name>+<hex key id>+<base64 key>``) to publish, so
    that anyone can check the log's checkpoints."""
    return signer.verifier().key_string()


def _parse(content: bytes, path: Path) -> Signer:
    wrong = f"signing key file {path} does not hold a signer key (PRIVATE+KEY+<name>+<id>+<key>)"
    if len(content) > _MAX_FILE:
        raise SigningKeyError(wrong)
    try:
        return parse_signer_key(content.decode("utf-8").removesuffix("\n"))
    except (UnicodeDecodeError, MalformedKey):
        raise SigningKeyError(wrong) from None


def _sync_directory(directory: Path) -> None:
    """Make the new file's directory entry durable; best effort where directories can't be
    opened."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
