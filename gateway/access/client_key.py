"""The private key of the client certificate the gateway shows a supplier or LAS (mutual TLS):
a PEM file, plain or encrypted under a passphrase that is a secret.

``tls.client_key_password: {env: NAME}`` names the passphrase the way ``credentials`` names a
credential: the environment, else the secrets file (``gateway.access.secrets``). The encrypted
form is PKCS#8 as ``openssl pkcs8 -topk8 -v2 aes-256-cbc`` writes it (the older
``Proc-Type: 4,ENCRYPTED`` PEM is read too). OpenSSL decrypts it in memory when the TLS context
is made, so the key never lies on disk in the clear, and a running gateway needs neither the
passphrase nor the secrets file again: ``secrets rotate`` does not touch it.

The key and certificate are read with ``cryptography`` before OpenSSL reads them, because
OpenSSL says ``PEM lib`` alike for a wrong passphrase, a missing one and a file that is no key,
and says nothing useful when key and certificate do not belong together. Every message names
the file or setting at fault and never holds the passphrase.

A plain key is still accepted, so that installations from before keep starting; ``present``
says whether it was encrypted and ``poortwachter check`` warns about a plain one
(``unencrypted``).
"""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)


class ClientKeyError(ValueError):
    """The client certificate or its key cannot be used. ``setting`` is the ``tls`` setting at
    fault (``client_cert``, ``client_key`` or ``client_key_password``)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.message = message


def present(
    context: ssl.SSLContext, cert: Path, key: Path, passphrase: tuple[str, str] | None
) -> bool:
    """Make ``context`` show ``cert`` with ``key``; ``passphrase`` is the secret's name and
    value when the key is encrypted. Returns whether it was: False for a plain key."""
    private_key = _private_key(key, passphrase)
    encrypted = passphrase is not None
    certificate = _certificate(cert)
    if _public(certificate.public_key()) != _public(private_key.public_key()):
        raise ClientKeyError(
            "client_key",
            f"{key} is not the private key of the certificate in {cert}: they do not match",
        )
    try:
        context.load_cert_chain(
            str(cert), str(key), password=passphrase[1].encode() if passphrase else None
        )
    except (OSError, ssl.SSLError) as error:  # read again by OpenSSL: changed in between?
        raise ClientKeyError(
            "client_key", f"OpenSSL cannot use {cert} with {key}: {_reason(error)}"
        ) from None
    return encrypted


def unencrypted(key: Path, written: str, name: str) -> str:
    """The warning for a plain key (``client_key: written``), saying how to encrypt it under a
    passphrase kept as the secret ``name``."""
    return (
        f"{key} lies on disk unencrypted; encrypt it under a passphrase kept as a secret: "
        f"openssl pkcs8 -topk8 -v2 aes-256-cbc -in {key} -out {key}.enc -passout file:PASSFILE, "
        f"poortwachter secrets set {name} < PASSFILE, then client_key: {written}.enc and "
        f"client_key_password: {{env: {name}}} (docs/operations.md)"
    )


def _private_key(key: Path, passphrase: tuple[str, str] | None) -> PrivateKeyTypes:
    try:
        pem = key.read_bytes()
    except OSError as error:
        raise ClientKeyError("client_key", f"{key} cannot be read: {_reason(error)}") from None
    try:
        plain = load_pem_private_key(pem, None)
    except TypeError:  # encrypted: cryptography wants a password
        if passphrase is None:
            raise ClientKeyError(
                "client_key",
                f"{key} is encrypted: name its passphrase with client_key_password: "
                "{env: NAME} and store it with poortwachter secrets set NAME",
            ) from None
    except ValueError:
        raise ClientKeyError("client_key", f"{key} is not a PEM private key") from None
    else:
        if passphrase is not None:
            raise ClientKeyError(
                "client_key_password",
                f"{key} is not encrypted, yet client_key_password names {passphrase[0]}: "
                "encrypt the key (openssl pkcs8 -topk8 -v2 aes-256-cbc) or drop the setting",
            )
        return plain
    name, value = passphrase
    try:
        return load_pem_private_key(pem, value.encode())
    except (TypeError, ValueError):
        raise ClientKeyError(
            "client_key_password",
            f"the passphrase in {name} does not decrypt {key} (a wrong passphrase, or {name} "
            "belongs to another key)",
        ) from None


def _certificate(cert: Path) -> x509.Certificate:
    try:
        pem = cert.read_bytes()
    except OSError as error:
        raise ClientKeyError("client_cert", f"{cert} cannot be read: {_reason(error)}") from None
    try:
        return x509.load_pem_x509_certificates(pem)[0]  # the first is the client's own
    except ValueError:
        raise ClientKeyError("client_cert", f"{cert} is not a PEM certificate") from None


def _public(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _reason(error: OSError | ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLError):
        return str(error.reason or error.strerror or "unusable")
    return error.strerror or type(error).__name__
