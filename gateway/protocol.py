"""The HTTP protocol the gateway serves with: uvicorn's httptools protocol, bounded before any
key is checked, answering (and recording) every request it refuses itself.

What a caller without a key could otherwise do to the gateway, and what this protocol does:

- a request line and headers of any size (six connections each held 40 MB of a half-sent
  header): more than ``max_header_bytes`` is answered 431 ``headers-too-large``;
- headers sent slowly, or a connection opened and left silent: the head of a request must be
  complete ``header_timeout`` seconds after the connection opened or the request began, else
  408 ``request-timeout`` (a connection that never sent a byte is just closed);
- a body trickled in after the gateway has answered (the body of a 401, say): the connection
  is closed ``body_timeout`` seconds after the request's head, however slowly it trickles;
- ``Upgrade`` (a websocket, h2c): never switched to; the request is answered as plain HTTP (the
  proxy refuses it) and the connection is closed after the answer, since the parser no longer
  reads what follows;
- HTTP the parser cannot read: a 400 ``malformed-request`` problem, not uvicorn's plain text.

A request refused here never reached the gateway's steps. If it was aimed at ``/proxy/`` (or
its target is not known), it is recorded in the transfer log as ``rejected``, with nothing of
its text: no supplier, school or path, only the method if it is one the log knows.

The ASGI TLS extension is added too: uvicorn verifies a client certificate against
``--ssl-ca-certs`` but does not tell the application which one it was, and a key bound to a
certificate is honoured only over a connection that presented that certificate.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httptools
import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.access.tls import fingerprint
from gateway.problems import PROBLEM_TYPES
from gateway.transfer.pipeline import Gateway
from gateway.transfer.state import REJECTED, Transfer

logger = logging.getLogger("gateway.http")

# Without a gateway behind it (a bare app in a test), the protocol uses these.
MAX_HEADER_BYTES = 32 * 1024
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 60.0
_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


def gateway_of(app: Any) -> Gateway | None:
    """The Gateway behind uvicorn's app, through the middleware uvicorn wraps it in."""
    for _ in range(8):
        found = getattr(getattr(app, "state", None), "gateway", None)
        if isinstance(found, Gateway):
            return found
        app = getattr(app, "app", None)
        if app is None:
            break
    return None


class GatewayProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the bounds above and the ASGI TLS extension."""

    _tls: dict[str, Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ws_protocol_class = None  # never switch protocols, whatever uvicorn was given
        self._gateway = gateway_of(self.app)
        settings = self._gateway.settings if self._gateway is not None else None
        self._max_header_bytes = settings.max_header_bytes if settings else MAX_HEADER_BYTES
        self._header_timeout = settings.header_timeout if settings else HEADER_TIMEOUT
        self._body_timeout = settings.body_timeout if settings else BODY_TIMEOUT
        self._head_open = True  # waiting for (the rest of) a request's head
        self._head_bytes = 0  # bytes of the open head seen so far
        self._boundaries = 0  # heads and messages completed on this connection
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_overdue = False
        self._begun = False  # a request has begun on this connection since the last one ended
        self._ignoring = False  # after an upgrade or a refusal: nothing more is read

    # --- connection ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        der = ssl_object.getpeercert(binary_form=True)
        self._tls = {
            "tls_version": ssl_object.version(),
            "cipher_suite": (ssl_object.cipher() or ("",))[0],
            "client_cert_sha256": fingerprint(der) if der else None,
        }

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._ignoring:
            return
        self._unset_keepalive_if_required()
        boundaries = self._boundaries
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # The parser stops at the end of the head and would read what follows as a new
            # request. The request is answered as HTTP; the connection ends with the answer.
            self._ignoring = True
            if self.cycle is not None:
                self.cycle.keep_alive = False
            return
        except httptools.HttpParserError:
            if self._head_bytes > self._max_header_bytes:
                self._refuse(431, "headers-too-large", "the request's head is too large")
            else:
                self._refuse(400, "malformed-request", "the request is not HTTP/1.1 as it must be")
            return
        if boundaries == self._boundaries and self._head_open:
            # No head or message ended in this chunk: all of it belongs to the open head. (A
            # chunk that ends one request and begins the next is not counted: at most one read,
            # 256 KiB, goes uncounted; the complete head is measured exactly anyway.)
            self._head_bytes += len(data)
            if self._head_bytes > self._max_header_bytes:
                self._refuse(431, "headers-too-large", "the request's head is too large")

    def send_400_response(self, msg: str) -> None:
        # uvicorn's own refusals: the message names the fault, never the request's data.
        self._refuse(400, "malformed-request", msg)

    # --- parser callbacks --------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._begun = True
        self._head_open = True
        self._head_bytes = 0
        if self._head_timer is None:
            self._arm_head_timer()
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}  # type: ignore[dict-item]

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self._max_header_bytes:
            self._head_bytes = size
            raise OverflowError("the head is too large")  # the parser reports it; see above
        self._head_open = False
        self._boundaries += 1
        self._cancel_head_timer()
        super().on_headers_complete()
        self._body_timer = self.loop.call_later(self._body_timeout, self._body_too_slow)
        if self.parser.should_upgrade() and self.cycle is not None:
            self.cycle.keep_alive = False

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._boundaries += 1
        self._begun = False
        self._head_open = True
        self._head_bytes = 0
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._body_overdue and not self.transport.is_closing():
            self.transport.close()

    # --- timers ------------------------------------------------------------------------------

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self._header_timeout, self._head_too_slow)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _cancel_timers(self) -> None:
        self._cancel_head_timer()
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._head_open:
            return
        if self._begun:
            self._refuse(408, "request-timeout", "the request's head did not arrive in time")
        else:
            self.transport.close()  # never sent a byte: not a request, nothing to answer

    def _body_too_slow(self) -> None:
        """The body is not complete ``body_timeout`` seconds after its head. The gateway bounds
        the body it reads itself (408 on record); a body it is not reading, because it has
        answered already, is cut off here."""
        self._body_timer = None
        self._body_overdue = True
        if self.cycle is not None and self.cycle.response_complete:
            self.transport.close()

    # --- refusals ------------------------------------------------------------------------------

    def _refuse(self, status: int, problem: str, detail: str) -> None:
        """Answer ``status`` with a problem body and close; record it if it may have been a
        transfer the application never saw."""
        self._ignoring = True
        self._cancel_timers()
        if self.transport.is_closing():
            return
        logger.warning("request refused by the HTTP protocol: %s", detail)
        body: dict[str, Any] = {
            "type": f"/problems/{problem}",
            "title": PROBLEM_TYPES[problem],
            "status": status,
            "detail": detail,
        }
        head = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])]
        transfer = self._record(status, problem)
        if transfer is not None:
            body["transfer_id"] = str(transfer.id)
            head.append(b"x-transfer-id: " + str(transfer.id).encode("ascii") + b"\r\n")
        content = msgspec.json.encode(body)
        head += [
            b"content-type: application/problem+json\r\n",
            b"content-length: " + str(len(content)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + content)
        self.transport.close()

    def _record(self, status: int, problem: str) -> Transfer | None:
        """The rejected transfer for a request the application never saw, if it may have been
        aimed at /proxy/; nothing of its text is kept (the method only if the log knows it)."""
        if self._gateway is None or not self._head_open or not self._aimed_at_proxy():
            return None
        try:
            method = self.parser.get_method().decode("ascii")
        except (httptools.HttpParserError, UnicodeDecodeError, AttributeError):
            method = "OTHER"
        transfer = Transfer(method=method, instance=self._gateway.instance.id)
        transfer.finish(REJECTED, status, problem=problem)
        self._gateway.record_refused(transfer)
        return transfer

    def _aimed_at_proxy(self) -> bool:
        target: bytes = getattr(self, "url", b"")
        if not target:
            return True  # it may have been: record it
        try:
            path = httptools.parse_url(target).path or b""
        except httptools.HttpParserInvalidURLError:
            path = target
        return path.startswith(b"/proxy/")
