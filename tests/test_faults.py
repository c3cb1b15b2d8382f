"""Faults for real: a PostgreSQL server stopped under a running gateway, and suppliers that
reset, babble, lie about lengths, hang or refuse, served by real sockets on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import connections

from gateway import samples
from gateway.evidence.store import SqliteLogStore
from tests.conftest import ROOT, SCHOOL, RunningGateway, Upstream
from tests.processes import cli, free_port, served

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PROBLEM_FIELDS = {"type", "title", "status", "detail", "transfer_id"}


def assert_problem(response: httpx.Response, status: int, problem: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_FIELDS
    assert body["type"] == f"/problems/{problem}", body
    assert body["status"] == status
    assert body["transfer_id"] == response.headers["X-Transfer-Id"]
    return body


# --- a private PostgreSQL cluster that the test may stop and start ---------------------------


@dataclass
class PrivatePostgres:
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data),
             *args],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._pg_ctl("-o", options, "-l", str(self.directory / "server.log"), "-w", "start")

    def stop(self) -> None:
        """Stop it the hard way: no checkpoint, every connection cut."""
        self._pg_ctl("-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data),
             "status"],
            capture_output=True, timeout=30,
        )  # fmt: skip
        return done.returncode == 0


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL 15 cluster of our own on a free port, removed afterwards whatever happens."""
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        pytest.skip(f"needs PostgreSQL 15 binaries in {PG_BIN} and runuser")
    if os.geteuid() != 0:
        pytest.skip("needs root, to run PostgreSQL as the postgres user")
    directory = Path(tempfile.mkdtemp(prefix="pw-pg-"))
    shutil.chown(directory, "postgres", "postgres")
    cluster = PrivatePostgres(directory, free_port())
    try:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(cluster.data),
             "-A", "trust", "-U", "postgres", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            if cluster.running():
                cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


# --- a gateway as a real process ---------------------------------------------------------------


@dataclass
class GatewayProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    source_key: str
    fg_key: str
    client: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.AsyncClient(base_url=self.url, timeout=30)

    async def push(self) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.source_key}", "X-School": SCHOOL,
                   "Content-Type": "application/json"}  # fmt: skip
        body = json.dumps(samples.sync(2)).encode()
        return await self.client.post("/proxy/basispoort/sync", content=body, headers=headers)

    async def transfers(self) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/api/transfers", headers={"Authorization": f"Bearer {self.fg_key}"}
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@contextlib.asynccontextmanager
async def gateway_process(
    tmp_path: Path, database_url: str, upstream_url: str, **settings: str
) -> AsyncIterator[GatewayProcess]:
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_UPSTREAM_BASISPOORT": upstream_url,
        **{f"GATEWAY_{name.upper()}": value for name, value in settings.items()},
    }
    source_key = cli(env, "keys", "create", "--client", "parnassys", "--schools", SCHOOL)
    fg_key = cli(env, "keys", "create", "--role", "fg", "--client", "fg")
    log = tmp_path / f"gateway-{len(list(tmp_path.glob('gateway-*.log')))}.log"
    async with served(env, log) as (process, url):
        running = GatewayProcess(process, url, log, source_key, fg_key)
        try:
            yield running
        finally:
            await running.client.aclose()


# --- the database stops under a running gateway -----------------------------------------------


async def test_database_stopped_mid_run_refuses_with_503_and_recovers(
    tmp_path: Path, private_postgres: PrivatePostgres, upstream: Upstream
) -> None:
    """With the key still cached, a push while PostgreSQL is down gets 503 log-unavailable and
    reaches no supplier; once the database is back the next push is forwarded and logged."""
    async with gateway_process(
        tmp_path, private_postgres.url, upstream.url,
        key_cache_seconds="600", log_write_timeout="3",
    ) as gateway:  # fmt: skip
        first = await gateway.push()
        assert first.status_code == 200, first.text
        assert len(upstream.received) == 1

        private_postgres.stop()
        health = await gateway.client.get("/healthz")
        assert health.status_code == 503
        ready = await gateway.client.get("/readyz")
        assert (ready.status_code, ready.json()["failing"]) == (503, ["database"])
        refused = await gateway.push()
        assert_problem(refused, 503, "log-unavailable")
        assert len(upstream.received) == 1, "data left while the log could not be written"

        private_postgres.start()
        deadline = time.monotonic() + 20
        again = await gateway.push()
        while again.status_code != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            again = await gateway.push()
        assert again.status_code == 200, again.text
        assert len(upstream.received) == 2
        entries = {e["id"]: e for e in await gateway.transfers()}
        assert entries[again.headers["X-Transfer-Id"]]["outcome"] == "forwarded"
        assert entries[first.headers["X-Transfer-Id"]]["outcome"] == "forwarded"
        assert refused.headers["X-Transfer-Id"] not in entries  # unrecorded: nothing was sent


async def test_database_stopped_before_key_lookup_gives_503_and_recovers(
    tmp_path: Path, private_postgres: PrivatePostgres, upstream: Upstream
) -> None:
    """With no cached key, a push while PostgreSQL is down gets 503 log-unavailable (not a 500,
    not a misleading 401) and reaches no supplier; the next push after the restart works."""
    async with gateway_process(
        tmp_path, private_postgres.url, upstream.url,
        key_cache_seconds="0", log_write_timeout="3",
    ) as gateway:  # fmt: skip
        assert (await gateway.push()).status_code == 200
        private_postgres.stop()
        refused = await gateway.push()
        assert len(upstream.received) == 1, "data left while the database was down"
        assert_problem(refused, 503, "log-unavailable")
        private_postgres.start()
        deadline = time.monotonic() + 20
        again = await gateway.push()
        while again.status_code != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            again = await gateway.push()
        assert again.status_code == 200, again.text
        assert len(upstream.received) == 2
        ids = {e["id"] for e in await gateway.transfers()}
        assert again.headers["X-Transfer-Id"] in ids


async def test_review_api_with_an_uncached_key_during_outage_answers_503(
    tmp_path: Path, private_postgres: PrivatePostgres, upstream: Upstream
) -> None:
    """The FG's review API answers a database outage during its key lookup with a 503
    log-unavailable problem, and /healthz says 503 too."""
    async with gateway_process(
        tmp_path, private_postgres.url, upstream.url, key_cache_seconds="0"
    ) as gateway:
        assert await gateway.transfers() == []
        private_postgres.stop()
        assert (await gateway.client.get("/healthz")).status_code == 503
        response = await gateway.client.get(
            "/api/transfers", headers={"Authorization": f"Bearer {gateway.fg_key}"}
        )
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/log-unavailable"


async def test_review_api_with_a_cached_key_during_outage_answers_503(
    tmp_path: Path, private_postgres: PrivatePostgres, upstream: Upstream
) -> None:
    """With the FG key cached, a database outage during the log query is a 503 problem too."""
    async with gateway_process(
        tmp_path, private_postgres.url, upstream.url, key_cache_seconds="600"
    ) as gateway:
        assert await gateway.transfers() == []  # the FG key is now cached
        private_postgres.stop()
        response = await gateway.client.get(
            "/api/transfers", headers={"Authorization": f"Bearer {gateway.fg_key}"}
        )
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/log-unavailable"


# --- suppliers that fail at the socket ---------------------------------------------------------

Fault = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawUpstream:
    """A bare TCP server that reads one HTTP request and then misbehaves as told."""

    fault: Fault
    bodies: list[bytes] = field(default_factory=list)
    url: str = ""
    server: asyncio.Server | None = None
    handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/api/"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        if self.handlers:
            await asyncio.wait(self.handlers, timeout=5)
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            self.bodies.append(await reader.readexactly(length))
            await self.fault(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST rather than a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def reset_mid_response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"
        b'{"accepted": [1, 2, '
    )
    await writer.drain()
    await asyncio.sleep(0.05)
    _reset(writer)


async def reset_before_response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    _reset(writer)


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"\x16\x03\x01\x00\xa5\x01\x00\xff garbage, not HTTP at all\r\n\r\n" * 4)
    await writer.drain()
    await asyncio.sleep(0.05)


def answer(head: bytes, body: bytes = b'{"ok": true}') -> Fault:
    async def fault(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + head + b"\r\n")
        writer.write(body)
        await writer.drain()
        await asyncio.sleep(0.05)

    return fault


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # answer nothing until the gateway gives up and closes


FAULTS = [
    pytest.param(reset_mid_response, 502, "upstream-unreachable", id="reset-mid-response"),
    pytest.param(reset_before_response, 502, "upstream-unreachable", id="reset-before-response"),
    pytest.param(garbage, 502, "upstream-unreachable", id="garbage"),
    pytest.param(answer(b"Content-Length: twelve\r\n"), 502, "upstream-unreachable",
                 id="content-length-not-a-number"),
    pytest.param(answer(b"Content-Length: -12\r\n"), 502, "upstream-unreachable",
                 id="content-length-negative"),
    pytest.param(answer(b"Content-Length: 12\r\nContent-Length: 4\r\n"), 502,
                 "upstream-unreachable", id="content-length-twice-differently"),
    pytest.param(answer(b"Content-Length: 5000\r\n"), 502, "upstream-unreachable",
                 id="content-length-longer-than-body"),
    pytest.param(hang, 504, "upstream-timeout", id="never-answers"),
]  # fmt: skip

SUPPLIERS = (
    "suppliers:\n  basispoort:\n    upstream: https://basispoort.invalid/\n"
    "    connect_timeout: 2\n    read_timeout: 1\n"
)


@pytest.mark.parametrize(("fault", "status", "problem"), FAULTS)
async def test_supplier_fault_gives_problem_and_upstream_error_entry(
    fault: Fault, status: int, problem: str, start_gateway: Any, upstream: Upstream
) -> None:
    """A supplier that fails at the socket gives 502/504 problem+json, and the log entry says
    upstream_error with the SHA-256 of exactly the body that reached the supplier."""
    raw = RawUpstream(fault)
    await raw.start()
    try:
        upstream.url = raw.url  # start_gateway points basispoort at upstream.url
        gateway: RunningGateway = await start_gateway(suppliers=SUPPLIERS)
        started = time.monotonic()
        response = await gateway.push(samples.sync(3))
        assert time.monotonic() - started < 10
        body = assert_problem(response, status, problem)
        [entry] = await gateway.transfers()
        assert entry["id"] == body["transfer_id"]
        assert (entry["outcome"], entry["status"], entry["problem"]) == (
            "upstream_error", status, problem
        )  # fmt: skip
        assert entry["upstream_status"] is None
        assert entry["completed_at"] is not None
        assert len(raw.bodies) == 1
        assert entry["body_sha256"] == hashlib.sha256(raw.bodies[0]).hexdigest()
        assert entry["records"] == 3
    finally:
        await raw.stop()


def bodiless(status_line: bytes, head: bytes) -> Fault:
    async def fault(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 " + status_line + b"\r\n" + head + b"\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)

    return fault


@pytest.mark.parametrize(
    ("status_line", "head"),
    [
        (b"304 Not Modified", b"Content-Length: 5\r\n"),  # the length of what was not sent
        (b"204 No Content", b"Content-Length: 3\r\n"),
        (b"200 OK", b"Content-Length: 0\r\n"),
        (b"201 Created", b"Content-Length: 0\r\nContent-Type: application/json\r\n"),
    ],
)
async def test_a_bodiless_supplier_answer_comes_back_as_it_is(
    status_line: bytes, head: bytes, start_gateway: Any, upstream: Upstream
) -> None:
    """Answers without a body (304 and 204 may declare a length they do not send) are passed
    back with their status and no body, and logged forwarded, not as a supplier fault."""
    raw = RawUpstream(bodiless(status_line, head))
    await raw.start()
    try:
        upstream.url = raw.url
        gateway: RunningGateway = await start_gateway(suppliers=SUPPLIERS)
        response = await gateway.push(samples.sync(1))
        status = int(status_line.split()[0])
        assert response.status_code == status, response.text
        assert response.content == b""
        [entry] = await gateway.transfers()
        assert (entry["outcome"], entry["upstream_status"]) == ("forwarded", status)
    finally:
        await raw.stop()


def status_line(line: bytes, head: bytes = b"") -> Fault:
    """A supplier that answers with ``line`` as its status line, and ``head`` as headers."""

    async def fault(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = b'{"ok": true}'
        writer.write(
            b"HTTP/1.1 " + line + b"\r\nContent-Type: application/json\r\n" + head
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )  # fmt: skip
        await writer.drain()
        await asyncio.sleep(0.05)

    return fault


UNUSABLE_ANSWERS = [
    pytest.param(status_line(b"600 Beyond"), 600, id="status-600"),
    pytest.param(status_line(b"099 Below"), 99, id="status-099"),
    pytest.param(status_line(b"101 Switching Protocols", b"Upgrade: h2c\r\n"), 101,
                 id="status-101"),
    pytest.param(status_line(b"200 OK", "Content-Language: nl-\u20ac\r\n".encode()), 200,
                 id="header-not-latin-1"),
    pytest.param(status_line(b"200 OK", b"ETag: \"v1\x01\"\r\n"), 200, id="header-control"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "upstream_status"), UNUSABLE_ANSWERS)
async def test_an_answer_that_cannot_be_passed_on_is_a_502_on_record(
    fault: Fault, upstream_status: int, start_gateway: Any, upstream: Upstream
) -> None:
    """A status outside 200-599 or a header value that is not plain text gives the caller a 502
    problem (not a 500 or a dropped connection), and the log says upstream_error with what the
    supplier answered, not forwarded."""
    raw = RawUpstream(fault)
    await raw.start()
    try:
        upstream.url = raw.url
        gateway: RunningGateway = await start_gateway(suppliers=SUPPLIERS)
        response = await gateway.push(samples.sync(1))
        body = assert_problem(response, 502, "upstream-unreachable")
        [entry] = await gateway.transfers()
        assert entry["id"] == body["transfer_id"]
        assert (entry["outcome"], entry["status"], entry["upstream_status"]) == (
            "upstream_error", 502, upstream_status
        )  # fmt: skip
        assert len(raw.bodies) == 1
    finally:
        await raw.stop()


def closes_the_second_request(bodies: list[bytes]) -> Fault:
    """A supplier that answers the first request on a connection and keeps it open, then reads
    the second one whole and hangs up without answering: what aiohttp used to retry."""

    async def fault(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 2\r\n\r\n{}")  # fmt: skip
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        bodies.append(await reader.readexactly(length))

    return fault


async def test_a_dropped_connection_is_not_retried_silently(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A PUT on a kept-alive connection the supplier drops after reading it is sent once: the
    supplier gets one body per transfer on record, and the dropped one is a 502 upstream_error
    with the hash of what it got."""
    later: list[bytes] = []
    raw = RawUpstream(closes_the_second_request(later))
    await raw.start()
    try:
        upstream.url = raw.url
        gateway: RunningGateway = await start_gateway(suppliers=SUPPLIERS)
        headers = gateway.headers()
        body = json.dumps(samples.sync(2)).encode()
        first = await gateway.client.put("/proxy/basispoort/sync", content=body, headers=headers)
        assert first.status_code == 200, first.text
        second = await gateway.client.put("/proxy/basispoort/sync", content=body, headers=headers)
        await asyncio.sleep(0.3)  # a retry, if there were one, would have arrived by now
        received = raw.bodies + later
        assert len(received) == 2, f"the supplier got {len(received)} bodies for 2 transfers"
        assert_problem(second, 502, "upstream-unreachable")
        entries = {e["id"]: e for e in await gateway.transfers()}
        assert entries[first.headers["X-Transfer-Id"]]["outcome"] == "forwarded"
        dropped = entries[second.headers["X-Transfer-Id"]]
        assert (dropped["outcome"], dropped["status"]) == ("upstream_error", 502)
        assert dropped["body_sha256"] == hashlib.sha256(later[0]).hexdigest()
    finally:
        await raw.stop()


async def test_refused_connection_gives_502_and_upstream_error_entry(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A supplier port with nothing listening gives 502 upstream-unreachable, logged
    upstream_error with the hash of the body that would have gone."""
    upstream.url = f"http://127.0.0.1:{free_port()}/api/"
    gateway: RunningGateway = await start_gateway(suppliers=SUPPLIERS)
    response = await gateway.push(samples.sync(3))
    assert_problem(response, 502, "upstream-unreachable")
    [entry] = await gateway.transfers()
    assert (entry["outcome"], entry["status"]) == ("upstream_error", 502)
    assert entry["body_sha256"] is not None and len(entry["body_sha256"]) == 64
    assert entry["fields_forwarded"], "what would have left is on record"


async def test_large_supplier_answer_comes_back_whole(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A healthy supplier's 2 MB answer reaches the caller complete, byte for byte."""
    upstream.reply = b'{"report": "' + b"x" * 2_000_000 + b'"}'
    gateway: RunningGateway = await start_gateway()
    response = await gateway.push(samples.sync(1))
    assert response.status_code == 200
    assert len(response.content) == len(upstream.reply)
    assert response.content == upstream.reply


# --- one bad log entry -------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["a" * 70, "a%00b", "Basis%20Poort"])
async def test_attempt_naming_an_impossible_supplier_is_still_recorded(
    slug: str, start_gateway: Any, upstream: Upstream
) -> None:
    """An unauthenticated attempt at /proxy/<odd slug>/ is refused with a problem and, like
    every attempt, recorded, whatever the slug holds."""
    gateway: RunningGateway = await start_gateway()
    response = await gateway.client.post(
        f"/proxy/{slug}/sync", content=b"{}", headers=gateway.headers(key=None)
    )
    assert response.status_code in (400, 401, 404), response.text
    assert response.headers["content-type"] == "application/problem+json"
    ids = {entry["id"] for entry in await gateway.transfers()}
    assert response.headers["X-Transfer-Id"] in ids


async def test_a_contract_the_gateway_accepts_gives_transfers_it_can_record(
    start_gateway: Any, upstream: Upstream
) -> None:
    """A contract whose agreement version is a long sentence is either refused at start-up or
    its transfers are recorded and forwarded; never accepted and then refused with 503."""
    import yaml

    from gateway.register.loading import InvalidConfiguration

    data = yaml.safe_load((ROOT / "contracts" / "basispoort.yaml").read_text())
    data["agreement"]["version"] = "2018.1 - addendum of 3 July 2018 with the sub-processor list"
    try:
        gateway: RunningGateway = await start_gateway({"basispoort.yaml": yaml.safe_dump(data)})
    except InvalidConfiguration as refused:
        assert "version" in str(refused)
        return
    response = await gateway.push(samples.sync(1))
    assert response.status_code == 200, response.text
    [entry] = await gateway.transfers()
    assert entry["outcome"] == "forwarded"


async def test_one_unstorable_entry_does_not_fail_the_others_in_its_batch(
    database_url: str,
) -> None:
    """A log entry that cannot be stored fails alone: a transfer whose pending entry is written
    in the same group commit is still recorded, and is not refused."""
    from gateway import database
    from gateway.evidence.log import TransferLog
    from gateway.evidence.models import TransferRecord
    from gateway.transfer.state import Transfer

    async with database.opened(database_url):
        log = TransferLog(write_timeout=5, batch_size=256)
        await log.start()
        try:
            poison = Transfer(method="POST", path="/sync", supplier="x" * 70)
            poison.finish("blocked", 401, problem="unauthenticated")
            legit = Transfer(method="POST", path="/sync", supplier="basispoort")
            # Both are queued before the writer runs, so they share one batch.
            results = await asyncio.gather(
                log.refused(poison), log.begin(legit), return_exceptions=True
            )
            assert results[1] is None, f"the innocent transfer was refused: {results[1]!r}"
            assert await TransferRecord.filter(id=legit.id).exists()
        finally:
            await log.stop()


# --- a log write that times out ---------------------------------------------------------------


@contextlib.asynccontextmanager
async def transfer_table_locked(database_url: str) -> AsyncIterator[None]:
    """Hold a write lock on the transfer log from outside the gateway until the block ends."""
    if database_url.startswith("sqlite"):
        import sqlite3

        db = sqlite3.connect(database_url.removeprefix("sqlite://"), isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            db.execute("ROLLBACK")
            db.close()
        return
    import asyncpg

    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        async with connection.transaction():
            await connection.execute('LOCK TABLE "transfer" IN EXCLUSIVE MODE')
            yield
    finally:
        await connection.close()


async def test_a_log_write_that_timed_out_ends_as_not_sent(
    start_gateway: Any, upstream: Upstream, database_url: str
) -> None:
    """A transfer refused with 503 because its entry was not written in time leaves an entry
    that ends blocked (503, log-unavailable) once the database catches up, never one that
    stays pending and later turns unknown ("the data may have left")."""
    gateway: RunningGateway = await start_gateway(log_write_timeout=0.5, heartbeat_seconds=0.2)
    async with transfer_table_locked(database_url):
        response = await gateway.push(samples.sync(1))
        assert_problem(response, 503, "log-unavailable")
        await asyncio.sleep(1.0)  # the write waits for the lock, long after the 503
    assert upstream.received == []
    entries: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = await gateway.transfers()
        if entries and entries[0]["outcome"] != "pending":
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # several heartbeats: a pending entry would have been swept by now
    [entry] = await gateway.transfers()
    assert entry["id"] == response.headers["X-Transfer-Id"]
    assert (entry["outcome"], entry["status"], entry["problem"]) == (
        "blocked", 503, "log-unavailable"
    )  # fmt: skip


# --- the database is full ----------------------------------------------------------------------


async def test_a_full_database_refuses_with_503_and_sends_nothing(
    start_gateway: Any, upstream: Upstream
) -> None:
    """With SQLite unable to grow (max_page_count), transfers get 503 once their entry does not
    fit, and every one refused so reached no supplier."""
    gateway: RunningGateway = await start_gateway(log_write_timeout=3.0)
    connection = connections.get("default")
    if connection.capabilities.dialect != "sqlite":
        pytest.skip("a full disk is simulated with SQLite's max_page_count")
    _, [[pages]] = await connection.execute_query("PRAGMA page_count")
    await connection.execute_query(f"PRAGMA max_page_count = {int(pages)}")
    # The log writes on a connection of its own (gateway.evidence.store): it is full there too.
    store = gateway.app.state.gateway.log.store
    assert isinstance(store, SqliteLogStore)
    await store.run(lambda db: db.execute(f"PRAGMA max_page_count = {int(pages)}"))
    statuses = []
    for _ in range(60):  # enough rows to need a page the database may not take
        response = await gateway.push(samples.sync(1))
        statuses.append(response.status_code)
        if response.status_code == 503:
            assert_problem(response, 503, "log-unavailable")
            break
    assert statuses[-1] == 503, statuses
    assert len(upstream.received) == statuses.count(200)
