"""Supplier credentials encrypted at rest: stored, listed without values, rotated under a new
key while a reader keeps decrypting, and used by a real gateway as the supplier's credential."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from gateway import samples
from gateway.access.secrets import SecretFiles, SecretsError, with_secrets
from tests.conftest import ROOT, Upstream
from tests.test_cli import assert_plain, cli

TOKEN = "bp-geheim-7f3a"


def files(tmp_path: Path) -> SecretFiles:
    return SecretFiles(tmp_path / "var" / "secrets.json", tmp_path / "var" / "secrets.key")


def test_a_secret_is_stored_encrypted_and_read_back(tmp_path: Path) -> None:
    """The value is in neither file in the clear; both files are 0600; it decrypts back."""
    store = files(tmp_path)
    store.set("BP_TOKEN", TOKEN)
    for path in (store.secrets_file, store.key_file):
        assert TOKEN not in path.read_text()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.values() == {"BP_TOKEN": TOKEN}
    [(name, _, key)] = store.listing()
    assert (name, key) == ("BP_TOKEN", 1)


def test_the_environment_wins_over_a_stored_secret(tmp_path: Path) -> None:
    """A variable set in the environment is used as it is; a stored one fills in."""
    store = files(tmp_path)
    store.set("BP_TOKEN", TOKEN)
    store.set("OTHER", "stored")
    merged = with_secrets(store, {"BP_TOKEN": "from-env"})
    assert merged["BP_TOKEN"] == "from-env" and merged["OTHER"] == "stored"
    assert with_secrets(files(tmp_path / "none"), {"A": "1"}) == {"A": "1"}  # no store: as is


def test_rotation_never_leaves_a_reader_without_a_key(tmp_path: Path) -> None:
    """While rotate runs again and again, a reader decrypting at any moment always succeeds
    (old keys stay until retired); after retire only the newest key is left and still reads
    every secret."""
    store = files(tmp_path)
    store.set("BP_TOKEN", TOKEN)
    store.set("OTHER", "x")
    failures: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                assert store.values()["BP_TOKEN"] == TOKEN
            except BaseException as error:  # collected for the assertion below
                failures.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        before = store.key_file.read_text()
        for _ in range(30):
            assert store.rotate() == 2
    finally:
        stop.set()
        reader.join()
    assert not failures, failures[:3]
    assert len(store.keys()) == 31 and before.strip() == store.keys()[-1].decode()
    assert store.retire() == 30
    assert len(store.keys()) == 1 and store.values() == {"BP_TOKEN": TOKEN, "OTHER": "x"}


def test_retire_refuses_while_a_secret_is_under_an_old_key(tmp_path: Path) -> None:
    """A key file with a new key but secrets not yet re-encrypted under it cannot be retired."""
    store = files(tmp_path)
    store.set("BP_TOKEN", TOKEN)
    old = store.key_file.read_text()
    store.key_file.write_text(Fernet.generate_key().decode() + "\n" + old)
    with pytest.raises(SecretsError, match="not under the newest key"):
        store.retire()
    assert store.values() == {"BP_TOKEN": TOKEN}


def test_a_wrong_key_is_one_plain_error_without_the_value(tmp_path: Path) -> None:
    """A key file that decrypts nothing names the secret, never its value."""
    store = files(tmp_path)
    store.set("BP_TOKEN", TOKEN)
    store.key_file.write_text(Fernet.generate_key().decode() + "\n")
    with pytest.raises(SecretsError, match="BP_TOKEN cannot be decrypted") as caught:
        store.values()
    assert TOKEN not in str(caught.value)


async def test_a_stored_credential_reaches_the_supplier(
    start_gateway: Any, upstream: Upstream, tmp_path: Path
) -> None:
    """suppliers.yaml names BP_TOKEN, the environment does not set it, the secret store does:
    the supplier receives it as its bearer token."""
    store = files(tmp_path / "secrets")
    store.set("BP_TOKEN", TOKEN)
    suppliers = (
        "suppliers:\n  basispoort:\n    upstream: https://basispoort.invalid/\n"
        "    credentials: {header: Authorization, scheme: Bearer, env: BP_TOKEN}\n"
    )
    gateway = await start_gateway(
        suppliers=suppliers, secrets_file=store.secrets_file, secrets_key_file=store.key_file
    )
    assert (await gateway.push(samples.sync(1))).status_code == 200
    assert upstream.received[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_the_secrets_commands(tmp_path: Path) -> None:
    """set reads the value from stdin and never prints it; list shows names; rotate and
    retire say what they did; a bad name is one plain line."""
    env = {
        "GATEWAY_SECRETS_FILE": str(tmp_path / "s.json"),
        "GATEWAY_SECRETS_KEY_FILE": str(tmp_path / "s.key"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "secrets", "set", "BP_TOKEN", cwd=ROOT,
        env={**os.environ, **env}, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(f"{TOKEN}\n".encode())
    assert process.returncode == 0, err
    assert TOKEN not in out.decode() + err.decode()
    listed = await cli("secrets", "list", database=None, **env)
    assert listed.out.startswith("BP_TOKEN") and TOKEN not in listed.out
    rotated = await cli("secrets", "rotate", database=None, **env)
    assert "re-encrypted 1 secret(s)" in rotated.out
    retired = await cli("secrets", "rotate", "--retire", database=None, **env)
    assert "dropped 1 old key(s)" in retired.out
    bad = await cli("secrets", "remove", "NOPE", database=None, **env)
    assert_plain(bad)
