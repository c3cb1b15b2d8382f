"""TLS client certificates that identify source systems: their fingerprints, and the
certificate a connection presented (from the ASGI TLS extension ``gateway.protocol`` adds)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any


def fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate in DER form, as lower-case hex."""
    return hashlib.sha256(der).hexdigest()


def pem_fingerprint(pem: bytes) -> str:
    """SHA-256 of the first certificate in a PEM file."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    certificate = x509.load_pem_x509_certificate(pem)
    return fingerprint(certificate.public_bytes(Encoding.DER))


def client_certificate(scope: Mapping[str, Any]) -> str | None:
    """The SHA-256 fingerprint of the client certificate of this connection, if any."""
    tls = scope.get("extensions", {}).get("tls")
    if not tls:
        return None
    value = tls.get("client_cert_sha256")
    return value if isinstance(value, str) else None
