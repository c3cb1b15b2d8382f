"""The HTTP protocol the gateway serves with: uvicorn's httptools protocol, plus the ASGI TLS
extension and problem bodies for requests too broken to reach the application.

uvicorn verifies a client certificate against ``--ssl-ca-certs`` but does not tell the
application which certificate it was. ``GatewayProtocol`` adds the ASGI TLS extension
(``scope["extensions"]["tls"]``) so that a key bound to a certificate is honoured only over a
connection that presented that certificate.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.access.tls import fingerprint
from gateway.problems import PROBLEM_TYPES

logger = logging.getLogger("gateway.tls")


class GatewayProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the ASGI TLS extension in every request's scope, and
    a problem body (not plain text) for requests too broken to reach the application."""

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

    def send_400_response(self, msg: str) -> None:
        # The request never reached the gateway's steps, so it has no transfer log entry: say so
        # in the operational log (uvicorn's message names the fault, never the request's data).
        logger.warning("request refused by the HTTP parser: %s", msg)
        body = msgspec.json.encode(
            {
                "type": "/problems/malformed-request",
                "title": PROBLEM_TYPES["malformed-request"],
                "status": 400,
                "detail": msg,
            }
        )
        head = (
            b"HTTP/1.1 400 Bad Request\r\n"
            b"content-type: application/problem+json\r\n"
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        self.transport.write(head + body)
        self.transport.close()
