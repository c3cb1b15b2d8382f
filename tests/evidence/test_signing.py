"""The signing key file: made once with mode 0600, never overwritten, and loaded only when its
mode, form and name are right, with errors that never show the key."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.evidence.note import open_note, parse_signer_key, parse_verifier_key, sign_note
from gateway.evidence.signing import (
    SigningKeyError,
    create_signing_key,
    load_signing_key,
    verifier_key,
)

ORIGIN = "poortwachter.opron.nl/transfer-log"
# From golang/mod, sumdb/note/note_test.go (commit 02c991387e35f9e4c0a9b7ce137717055f8d716d).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that would leave a new file readable by everyone."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_then_load(tmp_path: Path, loose_umask: None) -> None:
    """A new key file is mode 0600 even under umask 0, holds one key line, and loads back."""
    path = tmp_path / "log.key"
    signer = create_signing_key(path, ORIGIN)
    assert _mode(path) == 0o600
    assert path.read_text() == signer.key_string() + "\n"
    assert signer.key_string().startswith(f"PRIVATE+KEY+{ORIGIN}+")
    assert load_signing_key(path, ORIGIN) == signer


def test_verifier_key_checks_what_the_key_signs(tmp_path: Path) -> None:
    """The exported verifier key string is public, parses, and verifies the key's notes."""
    signer = create_signing_key(tmp_path / "log.key", ORIGIN)
    exported = verifier_key(signer)
    assert not exported.startswith("PRIVATE") and exported.startswith(f"{ORIGIN}+")
    assert signer.seed.hex() not in exported
    assert open_note(sign_note("hello\n", [signer]), [parse_verifier_key(exported)])


def test_each_key_is_new(tmp_path: Path) -> None:
    """Two key files for one origin hold different keys."""
    a = create_signing_key(tmp_path / "a.key", ORIGIN)
    b = create_signing_key(tmp_path / "b.key", ORIGIN)
    assert a.seed != b.seed and verifier_key(a) != verifier_key(b)


def test_create_never_overwrites(tmp_path: Path) -> None:
    """An existing file, even an empty one, is left as it was."""
    path = tmp_path / "log.key"
    first = create_signing_key(path, ORIGIN)
    with pytest.raises(SigningKeyError, match="refusing to overwrite"):
        create_signing_key(path, ORIGIN)
    assert load_signing_key(path, ORIGIN) == first
    empty = tmp_path / "empty.key"
    empty.write_bytes(b"")
    with pytest.raises(SigningKeyError, match="already exists"):
        create_signing_key(empty, ORIGIN)
    assert empty.read_bytes() == b""


def test_create_refuses_a_bad_origin(tmp_path: Path) -> None:
    """An origin that cannot be a key name makes no file."""
    for origin in ["", "has space", "a+b"]:
        with pytest.raises(SigningKeyError, match="origin"):
            create_signing_key(tmp_path / "log.key", origin)
    assert list(tmp_path.iterdir()) == []


def test_create_in_a_missing_directory(tmp_path: Path) -> None:
    """A key file cannot be made where its directory does not exist."""
    with pytest.raises(SigningKeyError, match="cannot create"):
        create_signing_key(tmp_path / "no" / "log.key", ORIGIN)


def test_load_a_missing_file(tmp_path: Path) -> None:
    """A missing key file is said to be missing."""
    with pytest.raises(SigningKeyError, match="does not exist"):
        load_signing_key(tmp_path / "log.key", ORIGIN)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o666])
def test_load_refuses_a_shared_file(tmp_path: Path, mode: int) -> None:
    """A key file that group or others can read, write or run is refused, with its mode."""
    path = tmp_path / "log.key"
    create_signing_key(path, ORIGIN)
    path.chmod(mode)
    with pytest.raises(SigningKeyError, match=f"mode {mode:04o}"):
        load_signing_key(path, ORIGIN)


def test_load_accepts_owner_only_modes(tmp_path: Path) -> None:
    """Read-only for the owner is as good as 0600."""
    path = tmp_path / "log.key"
    signer = create_signing_key(path, ORIGIN)
    path.chmod(0o400)
    assert load_signing_key(path, ORIGIN) == signer


def test_load_refuses_a_directory(tmp_path: Path) -> None:
    """A directory is not a key file."""
    directory = tmp_path / "log.key"
    directory.mkdir(mode=0o700)
    with pytest.raises(SigningKeyError, match="not a regular file"):
        load_signing_key(directory, ORIGIN)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n",
        b"not a key\n",
        PETER_SKEY.replace("c74f20a3", "c74f20a4").encode(),  # key id does not match
        b"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",  # public key
        (PETER_SKEY + "\n\n").encode(),
        (PETER_SKEY + "\r\n").encode(),
        (" " + PETER_SKEY).encode(),
        b"\xff" + PETER_SKEY.encode(),
        PETER_SKEY.encode() * 100,
    ],
)
def test_load_refuses_what_is_not_a_key(tmp_path: Path, content: bytes) -> None:
    """Anything but one signer key line is refused, and the message shows none of it."""
    path = tmp_path / "log.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(SigningKeyError, match="does not hold a signer key") as caught:
        load_signing_key(path, "PeterNeumann")
    assert "AYEKFALV" not in str(caught.value)


def test_load_go_key_file(tmp_path: Path) -> None:
    """A key file Go's note package would write (its test key) loads, with or without the
    final newline."""
    path = tmp_path / "log.key"
    for content in (PETER_SKEY, PETER_SKEY + "\n"):
        path.write_text(content)
        path.chmod(0o600)
        assert load_signing_key(path, "PeterNeumann") == parse_signer_key(PETER_SKEY)


def test_load_refuses_another_logs_key(tmp_path: Path) -> None:
    """A key named for another origin is not our log's key."""
    path = tmp_path / "log.key"
    create_signing_key(path, "other.example/log")
    with pytest.raises(SigningKeyError, match="not of"):
        load_signing_key(path, ORIGIN)
