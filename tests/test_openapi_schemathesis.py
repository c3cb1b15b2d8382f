"""Schemathesis against a live gateway process: every operation of /openapi.json, positive and
negative inputs, with real keys. No answer may be a server error, and every refusal must be an
RFC 9457 problem with the documented fields; the UWLR pull, a SOAP service, answers SOAP."""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from gateway.formats.soap import FaultCode
from gateway.problems import PROBLEM_TYPES
from tests.conftest import SCHOOL
from tests.processes import cli, served_sync

MAX_EXAMPLES = 30  # per operation and mode; the whole file runs in well under 90 s


@dataclass
class ThreadedUpstream:
    """A supplier on its own event loop in a thread, answering 200 to anything."""

    url: str = ""
    received: int = 0
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.received += 1
        return web.json_response({"ok": True})

    async def _start(self) -> None:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        assert self._runner is not None and self._thread is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@dataclass(frozen=True)
class LiveGateway:
    url: str
    source_key: str
    fg_key: str
    upstream: ThreadedUpstream
    log: Path


async def _empty_postgres(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def live_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """``python -m gateway serve`` on a fresh database, with a supplier that accepts anything."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    database_url = os.environ.get("POORTWACHTER_TEST_DATABASE_URL") or (
        f"sqlite://{tmp / 'gateway.sqlite3'}"
    )
    if database_url.startswith("postgres"):
        asyncio.run(_empty_postgres(database_url))
    upstream = ThreadedUpstream()
    upstream.start()
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_UPSTREAM_BASISPOORT": upstream.url,
        "GATEWAY_RATE_PER_CLIENT": "0",  # schemathesis is quick; rate limits are tested elsewhere
    }

    source_key = cli(env, "keys", "create", "--client", "parnassys", "--schools", SCHOOL)
    fg_key = cli(env, "keys", "create", "--role", "fg", "--client", "fg")
    log = tmp / "gateway.log"
    try:
        with served_sync(env, log) as url:
            yield LiveGateway(url, source_key, fg_key, upstream, log)
    finally:
        upstream.stop()


def _header(response: Any, name: str) -> str | None:
    values = response.headers.get(name.lower())
    if values is None:
        return None
    return values[0] if isinstance(values, list) else str(values)


def problem_details(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every refusal from the gateway is application/problem+json with type, title, status and
    detail; a known problem type with its own title; and the transfer id in body and header."""
    if response.status_code < 400 or case.path == "/healthz" or case.path.startswith("/uwlr/"):
        return None  # /healthz documents a plain JSON 503; the pull answers SOAP (soap_answer)
    content_type = _header(response, "content-type")
    assert content_type == "application/problem+json", f"{response.status_code}: {content_type}"
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == response.status_code, body
    name = body["type"].removeprefix("/problems/")
    assert body["type"].startswith("/problems/") and name in PROBLEM_TYPES, body
    assert body["title"] == PROBLEM_TYPES[name], body
    assert isinstance(body["detail"], str), body
    if "transfer_id" in body:
        assert _header(response, "x-transfer-id") == body["transfer_id"], body
    return None


def soap_answer(ctx: Any, response: Any, case: Any) -> bool | None:
    """The pull answers as documented: ``text/xml`` with the transfer id; a refusal is HTTP 500
    (SOAP 1.1) with one of UWLR's fault codes, and never the gateway's own internal error."""
    assert _header(response, "content-type") == "text/xml; charset=utf-8", response.status_code
    assert _header(response, "x-transfer-id"), response.status_code
    if response.status_code != 200:
        assert response.status_code == 500, response.status_code
        code = re.search(rb"<faultcode>([^<]*)</faultcode>", response.content)
        assert code is not None, response.content
        assert code[1].decode() in {c.code for c in FaultCode} - {"Server.InterneFout"}, code[1]
    return None


CHECKS = [not_a_server_error, problem_details]
SOAP_CHECKS = [soap_answer]  # a SOAP fault is HTTP 500 by SOAP 1.1: not a server error here


def exercise(case: Any, gateway: LiveGateway) -> None:
    """Send ``case`` with the right key and check the answer; for the proxy, once more aimed at
    the real supplier, school and route, so that the filter and forward steps run too."""
    key = gateway.fg_key if case.path.startswith("/api/") else gateway.source_key
    auth = {"Authorization": f"Bearer {key}"}
    response = case.call(base_url=gateway.url, headers=auth, timeout=30)
    case.validate_response(response, checks=SOAP_CHECKS if "/uwlr/" in case.path else CHECKS)
    if case.path == "/proxy/{supplier}/{path}":
        case.path_parameters = {**(case.path_parameters or {}), "supplier": "basispoort",
                                "path": "sync"}  # fmt: skip
        case.headers = {**(case.headers or {}), "X-School": SCHOOL}
        response = case.call(base_url=gateway.url, headers=auth, timeout=30)
        case.validate_response(response, checks=CHECKS)


def test_no_server_errors_and_every_refusal_is_a_problem(live_gateway: LiveGateway) -> None:
    """Whatever schemathesis sends, positive or negative, to any operation of /openapi.json, the
    gateway (with a healthy supplier) never answers 5xx, and every non-2xx answer is a problem
    body with the documented fields."""
    loaded = schemathesis.openapi.from_url(f"{live_gateway.url}/openapi.json")
    operations = [result.ok() for result in loaded.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert {
        "POST /proxy/{supplier}/{path}",
        "POST /uwlr/{supplier}/leerlinggegevens",
        "GET /api/transfers",
        "GET /healthz",
    } <= labels
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: a live server is slow
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                exercise(case, live_gateway)

            try:
                run()
            except Unsatisfiable:
                # Nothing to get wrong (GET /healthz takes no input): no negative case exists.
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert live_gateway.upstream.received > 0, "no transfer got through: only refusals were tested"


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("school=99XX01", id="longest-school"),
        pytest.param("supplier=" + "s" * 63, id="longest-supplier"),
        pytest.param("school=log_write_timeout", id="school-over-6"),
        pytest.param("supplier=" + "s" * 64, id="supplier-over-63"),
        pytest.param("school=99%00X", id="school-with-nul"),
        pytest.param("supplier=basis%00poort", id="supplier-with-nul"),
    ],
)  # fmt: skip
def test_review_filter_that_matches_nothing_is_never_a_server_error(
    query: str, live_gateway: LiveGateway
) -> None:
    """A supplier or school filter that no entry can match gives an empty page or a 400
    bad-filter problem, never a 500 (found by schemathesis on PostgreSQL)."""
    response = httpx.get(
        f"{live_gateway.url}/api/transfers?{query}",
        headers={"Authorization": f"Bearer {live_gateway.fg_key}"},
    )
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/bad-filter"
    else:
        assert response.json()["items"] == []
