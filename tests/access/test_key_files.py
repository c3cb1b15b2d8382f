"""A new key file: written once, mode 0600 whatever the umask, never over an existing file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gateway.access.key_files import write_new


def test_a_new_key_file_is_for_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    old = os.umask(0)
    try:
        write_new(path, "abc\n")
    finally:
        os.umask(old)
    assert path.read_text() == "abc\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_text("the key everything was made under\n")
    with pytest.raises(FileExistsError):
        write_new(path, "another\n")
    assert path.read_text() == "the key everything was made under\n"
