"""Serving TLS directly, with client certificates that identify source systems.

uvicorn verifies a client certificate against ``--ssl-ca-certs`` but does not tell the
application which certificate it was. ``TLSHttpToolsProtocol`` adds the ASGI TLS extension
(``scope["extensions"]["tls"]``) so that a key bound to a certificate is honoured only over a
connection that presented that certificate.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


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


class TLSHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the ASGI TLS extension in every request's scope."""

    _tls: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        der = ssl_object.getpeercert(binary_form=True)
        self._tls = {
            "tls_version": ssl_object.version(),
            "cipher_suite": (ssl_object.cipher() or ("",))[0],
            "client_cert_sha256": fingerprint(der) if der else None,
        }

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}  # type: ignore[dict-item]
