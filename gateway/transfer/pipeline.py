"""The proxy: one transfer, top to bottom.

authenticate -> resolve agreement -> receive -> filter -> record -> forward -> record outcome.
Each step either fills in the Transfer or raises a Refusal; a refusal is recorded and answered
with a problem body. Nothing reaches the supplier unless every step before forward has passed
and the log entry is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response

from gateway import logs
from gateway.access.keys import KeyStore
from gateway.access.tls import client_certificate
from gateway.evidence.instances import Instance
from gateway.evidence.log import TransferLog
from gateway.evidence.subjects import SubjectKey
from gateway.formats.payload_schema import PayloadSchema
from gateway.problems import (
    LogUnavailable,
    Refusal,
    Rejected,
    problem_response,
    refusal_response,
)
from gateway.register.register import AgreementRegister
from gateway.register.suppliers import Supplier
from gateway.settings import Settings
from gateway.transfer import (
    authenticate,
    filter,
    forward,
    receive,
    resolve_agreement,
    work,
    xml_work,
)
from gateway.transfer.limits import ClientLimits
from gateway.transfer.pseudonyms import PseudonymKey
from gateway.transfer.state import BLOCKED, FORWARDED, PUSH, UNKNOWN, Transfer

logger = logging.getLogger("gateway.proxy")

# How much bigger a compressed body's work is than its compressed size, to decide where its
# decompression runs (gzip of a sync is about 8 times smaller).
COMPRESSION_GUESS = 8


@dataclass
class Gateway:
    """Everything a transfer needs, built once at start-up."""

    settings: Settings
    register: AgreementRegister
    suppliers: dict[str, Supplier]
    payload_schemas: dict[str, PayloadSchema]
    keys: KeyStore
    log: TransferLog
    upstream: forward.Upstream
    limits: ClientLimits
    instance: Instance
    workers: work.BodyWorkers
    subjects: SubjectKey | None = None  # the subject index's key, read at start-up
    # What time it is: the agreements' lifecycle is decided at this moment. Tests set a clock.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        """The current moment in ``GATEWAY_TIMEZONE``, where agreements start and end."""
        return self.clock().astimezone(self._zone)

    def __post_init__(self) -> None:
        self._zone = self.settings.zone
        self.body_limits = receive.BodyLimits(
            max_bytes=self.settings.max_body_bytes,
            max_ratio=self.settings.max_decompression_ratio,
            seconds=self.settings.body_timeout,
        )
        self._recording: set[asyncio.Task[None]] = set()
        self.pseudonym_key = PseudonymKey(self.settings.pseudonym_key_file)

    def record_refused(self, transfer: Transfer) -> None:
        """Record a request the HTTP protocol refused before it reached ``handle``; the protocol
        answers at once and does not wait for the entry."""
        task = asyncio.get_running_loop().create_task(self._record_end(transfer))
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)

    async def handle(self, request: Request) -> Response:
        slug: str = request.path_params["supplier"]
        # An unknown supplier name is the caller's text and is not logged: it could be anything.
        known = slug if slug in self.suppliers else None
        transfer = Transfer(
            method=request.method, supplier=known, instance=self.instance.id, direction=PUSH
        )
        try:
            raw_path = subpath(request, f"/proxy/{slug}")
            # 1. authenticate
            transfer.client = await authenticate.caller(
                request.headers, client_certificate(request.scope), self.keys, "source"
            )
            async with self.limits.admit(transfer.client.key_id):
                answer = await self._transfer(request, transfer, slug, raw_path)
        except LogUnavailable as refusal:
            logger.error("transfer %s refused: %s", transfer.id, refusal.detail)
            transfer.finish(BLOCKED, refusal.status_code, problem=refusal.problem)
            logs.transfer_line(transfer)
            return refusal_response(refusal, str(transfer.id))
        except Refusal as refusal:
            upstream_status = getattr(refusal, "upstream_status", None)
            transfer.finish(
                refusal.outcome, refusal.status_code, upstream_status, problem=refusal.problem
            )
            await self._record_end(transfer)
            response = refusal_response(refusal, str(transfer.id))
            if refusal.status_code in (408, 413):
                # Do not read the rest of an oversized or slow body: close the connection.
                response.headers["Connection"] = "close"
            return response
        except Exception:
            # A fault of the gateway itself: nothing more is sent. If forwarding may have begun,
            # the data may have left (unknown); otherwise the transfer was blocked.
            logger.exception("transfer %s failed inside the gateway", transfer.id)
            outcome = UNKNOWN if transfer.recorded else BLOCKED
            transfer.finish(outcome, 500, problem="internal-error")
            await self._record_end(transfer)
            return problem_response(
                500, "internal-error", "the gateway failed; nothing more was sent", str(transfer.id)
            )
        # 6. record outcome
        transfer.finish(FORWARDED, answer.status, upstream_status=answer.status)
        await self._record_end(transfer)
        headers = {**answer.headers, "X-Transfer-Id": str(transfer.id)}
        return Response(answer.body, answer.status, headers)

    async def _transfer(
        self, request: Request, transfer: Transfer, slug: str, raw_path: str
    ) -> forward.UpstreamResponse:
        """Steps 1 to 5 for an authenticated client; raises a Refusal at the first that fails."""
        assert transfer.client is not None
        supplier = self.suppliers.get(slug)
        if supplier is None:
            raise Rejected(404, "unknown-supplier", "no supplier of that name is configured")
        # The school is on record even when refused: the FG asks "who tried to send 98YY's data?"
        transfer.school = authenticate.school(request.headers)
        authenticate.may_send_for(transfer.client, transfer.school)
        # 2. resolve agreement, in one generation of the register: a reload swaps the next one
        # in, and this transfer finishes under the version it started with.
        register = self.register
        started = self.now()
        transfer.agreement = register.in_force(slug, transfer.school, started)
        transfer.route = resolve_agreement.route(
            transfer.agreement, request.method, unquote("/" + raw_path)
        )
        # The log keeps the route's own path: a path segment can carry anything, pupil data too.
        transfer.path = transfer.route.path
        query, transfer.query_stripped = _allowed_query(request, transfer.route.query)
        url = forward.upstream_url(supplier, raw_path, query)
        # 3. receive and filter (the CPU work off the event loop when the body is large)
        raw = await self._receive(request)
        body: bytes | bytearray | None = None
        if raw:
            handed, size = work.Handover(raw), len(raw)
            del raw  # the work holds the only reference, and frees it before encoding
            worked = await self._work(request, transfer, handed, size, started.date())
            transfer.filtered = worked.filtered  # on record, also when what it found blocks
            filter.same_school(worked.named, transfer.school)
            filter.enforce(worked.filtered, transfer.route)
            body = worked.body
            transfer.body_sha256 = worked.sha256
            transfer.subjects = worked.subjects
        # 4. record: durable before anything leaves, if the agreement is still in force
        await self.record_pending(transfer, register, status=503)
        # 5. forward
        headers = forward.request_headers(
            request.headers, transfer.route.payload, supplier, str(transfer.id), body is not None
        )
        resolve_agreement.still_in_force(transfer, register.schools, self.now())
        return await self.upstream.send(supplier, request.method, url, body, headers)

    async def record_pending(
        self, transfer: Transfer, register: AgreementRegister, status: int
    ) -> None:
        """Step 4 for a push or a pull: the pending entry durable before anything leaves, if
        the agreement is still in force; ``status`` is what the caller gets when the log
        cannot be written (LogUnavailable is raised on)."""
        resolve_agreement.still_in_force(transfer, register.schools, self.now())
        try:
            await self.log.begin(transfer)
        except LogUnavailable:
            # The pending entry may still be committed after this transfer gave up on it: queue
            # its ending too (nothing was sent), or it would stay pending and later turn
            # unknown, "the data may have left".
            transfer.finish(BLOCKED, status, problem="log-unavailable")
            with contextlib.suppress(LogUnavailable):
                await self.log.complete(transfer)
            raise
        transfer.recorded = True

    async def _work(
        self, request: Request, transfer: Transfer, handed: work.Handover, size: int, day: date
    ) -> work.Worked:
        """Step 3's work on a body, JSON or XML as the route says (``xml_work`` for XML); a
        pseudonym or an age is made for ``day``, the day the agreement was resolved."""
        assert transfer.route is not None
        if transfer.route.xml is not None:
            xml_work.require_xml(request.headers)
            transfer.format = "xml"
            limits = xml_work.limits_for(self.settings.max_body_bytes)
            return await self.workers.run(
                size, xml_work.push_work, handed, transfer.route.xml, limits, self.subjects
            )
        receive.require_json(request.headers)
        transfer.format = "json"
        schema = self.payload_schemas[transfer.route.payload]
        assert transfer.supplier is not None
        context = self.pseudonym_key.context(transfer.supplier, transfer.route, day)
        return await self.workers.run(
            size,
            work.body_work,
            handed,
            transfer.route,
            schema,
            self.settings.bounds,
            context,
            self.subjects,
        )

    async def _receive(self, request: Request) -> receive.Body:
        """The body, decompressed (off the event loop when large), without a byte-order mark."""
        received = await receive.body(request.headers, request.stream(), self.body_limits)
        if not received.compressed:
            return receive.decoded(received, self.body_limits)
        size = len(received.raw) * COMPRESSION_GUESS
        return await self.workers.run(size, receive.decoded, received, self.body_limits)

    async def _record_end(self, transfer: Transfer) -> None:
        logs.transfer_line(transfer)
        try:
            if transfer.recorded:
                await self.log.complete(transfer)
            else:
                await self.log.refused(transfer)
        except LogUnavailable as error:
            # The entry stays pending (or missing for a refusal) and is marked unknown later;
            # the caller still gets its answer, since nothing more is sent.
            logger.error("transfer %s: outcome not recorded: %s", transfer.id, error.detail)


def subpath(request: Request, mount: str) -> str:
    """The request path after ``mount`` (``/proxy/<slug>``, ``/uwlr/<slug>``), still
    percent-encoded as it arrived.

    The supplier must be named plainly: ``/proxy/%62asispoort/...`` would make the raw and the
    decoded path disagree on where the supplier's path begins.
    """
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    root = request.scope.get("root_path", "").encode()
    if root and raw.startswith(root):
        raw = raw[len(root) :]
    raw = raw.split(b"?", 1)[0]
    prefix = mount.encode()
    if raw != prefix and not raw.startswith(prefix + b"/"):
        raise Rejected(400, "bad-path", "name the supplier without percent-encoding")
    return raw[len(prefix) :].decode("latin-1").removeprefix("/")


def _allowed_query(request: Request, allowed: frozenset[str]) -> tuple[list[tuple[str, str]], int]:
    """The query parameters the route allows, and how many others were stripped."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    if not query:
        return [], 0
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise Rejected(400, "bad-query", "the query string cannot be parsed") from None
    kept = [(name, value) for name, value in pairs if name in allowed]
    return kept, len(pairs) - len(kept)
