"""A client certificate's key, plain or encrypted under a passphrase: loaded into a TLS context
when key, certificate and passphrase belong together, and otherwise one plain error naming the
file and the setting at fault, never the passphrase."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    load_pem_private_key,
)

from gateway.access.client_key import ClientKeyError, present, unencrypted
from tests.test_tls import PKI, make_pki

PASSPHRASE = "correct horse battery staple 91"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return make_pki(tmp_path_factory.mktemp("pki"))


def encrypted(key: Path, passphrase: str, to: Path) -> Path:
    """``key`` as PKCS#8 under PBES2 (PBKDF2-HMAC-SHA256, 2048 rounds, AES-256-CBC): what
    cryptography 51 writes for BestAvailableEncryption, and the very form
    ``openssl pkcs8 -topk8 -v2 aes-256-cbc`` writes."""
    private_key = load_pem_private_key(key.read_bytes(), None)
    encryption = BestAvailableEncryption(passphrase.encode())
    to.write_bytes(private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption))
    return to


def context() -> ssl.SSLContext:
    return ssl.create_default_context()


def test_an_encrypted_key_with_its_passphrase_is_presented(pki: PKI, tmp_path: Path) -> None:
    """The encrypted key loads with its passphrase, and says it was encrypted; the file holds
    no plain key."""
    key = encrypted(pki.client1.key, PASSPHRASE, tmp_path / "client1.key")
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert present(context(), pki.client1.cert, key, ("BP_KEY_PASS", PASSPHRASE)) is True


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_a_key_encrypted_by_the_openssl_command_in_the_docs_is_presented(
    pki: PKI, tmp_path: Path
) -> None:
    """The command docs/operations.md gives (openssl pkcs8 -topk8 -v2 aes-256-cbc with the
    passphrase from a file) makes a key the gateway reads with that passphrase."""
    passfile = tmp_path / "pass.txt"
    passfile.write_text(PASSPHRASE + "\n")
    key = tmp_path / "client1.key.enc"
    subprocess.run(
        ["openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", str(pki.client1.key),
         "-out", str(key), "-passout", f"file:{passfile}"],
        check=True, capture_output=True,
    )  # fmt: skip
    assert present(context(), pki.client1.cert, key, ("BP_KEY_PASS", PASSPHRASE)) is True


def test_a_plain_key_is_still_presented_and_said_to_be_plain(pki: PKI) -> None:
    """Installations from before keep working: a plain key loads without a passphrase, and
    present says it was not encrypted (check warns, with how to encrypt it)."""
    assert present(context(), pki.client1.cert, pki.client1.key, None) is False
    warning = unencrypted(pki.client1.key, "client1.key", "BASISPOORT_CLIENT_KEY_PASSWORD")
    assert "unencrypted" in warning
    assert "openssl pkcs8 -topk8 -v2 aes-256-cbc" in warning
    assert "poortwachter secrets set BASISPOORT_CLIENT_KEY_PASSWORD" in warning
    assert "client_key: client1.key.enc" in warning


def refused(cert: Path, key: Path, passphrase: tuple[str, str] | None) -> ClientKeyError:
    with pytest.raises(ClientKeyError) as raised:
        present(context(), cert, key, passphrase)
    return raised.value


def test_a_wrong_passphrase_names_the_secret_and_the_file_but_not_the_passphrase(
    pki: PKI, tmp_path: Path
) -> None:
    """A passphrase that does not decrypt the key is an error of client_key_password naming
    the secret and the key file; neither passphrase appears in it."""
    key = encrypted(pki.client1.key, PASSPHRASE, tmp_path / "client1.key")
    error = refused(pki.client1.cert, key, ("BP_KEY_PASS", "not-the-passphrase"))
    assert error.setting == "client_key_password"
    assert "BP_KEY_PASS" in error.message and str(key) in error.message
    assert "does not decrypt" in error.message
    assert "not-the-passphrase" not in str(error) and PASSPHRASE not in str(error)


def test_an_encrypted_key_without_a_passphrase_says_how_to_name_one(
    pki: PKI, tmp_path: Path
) -> None:
    """An encrypted key without client_key_password is refused saying it is encrypted."""
    key = encrypted(pki.client1.key, PASSPHRASE, tmp_path / "client1.key")
    error = refused(pki.client1.cert, key, None)
    assert error.setting == "client_key"
    assert f"{key} is encrypted" in error.message and "client_key_password" in error.message


def test_a_passphrase_for_a_plain_key_is_refused(pki: PKI) -> None:
    """client_key_password beside a key that is not encrypted is a mistake the operator should
    hear of: the key they believe encrypted is not."""
    error = refused(pki.client1.cert, pki.client1.key, ("BP_KEY_PASS", PASSPHRASE))
    assert error.setting == "client_key_password"
    assert "is not encrypted" in error.message and PASSPHRASE not in error.message


def test_a_key_of_another_certificate_is_refused_naming_both_files(
    pki: PKI, tmp_path: Path
) -> None:
    """client2's key (rightly decrypted) beside client1's certificate: they do not match."""
    key = encrypted(pki.client2.key, PASSPHRASE, tmp_path / "client2.key")
    error = refused(pki.client1.cert, key, ("BP_KEY_PASS", PASSPHRASE))
    assert error.setting == "client_key"
    assert "do not match" in error.message
    assert str(key) in error.message and str(pki.client1.cert) in error.message


def test_missing_and_unusable_files_are_named(pki: PKI, tmp_path: Path) -> None:
    """A missing key, a key file that is no key, and a certificate file that is no certificate
    each name the file and the setting."""
    missing = tmp_path / "missing.key"
    error = refused(pki.client1.cert, missing, None)
    assert (error.setting, error.message) == (
        "client_key",
        f"{missing} cannot be read: No such file or directory",
    )
    error = refused(pki.client1.cert, pki.client1.cert, None)
    assert (error.setting, error.message) == (
        "client_key",
        f"{pki.client1.cert} is not a PEM private key",
    )
    error = refused(pki.client1.key, pki.client1.key, None)
    assert (error.setting, error.message) == (
        "client_cert",
        f"{pki.client1.key} is not a PEM certificate",
    )
