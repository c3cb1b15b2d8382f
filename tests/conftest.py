"""Shared fixtures: a real database (SQLite, or PostgreSQL when POORTWACHTER_TEST_DATABASE_URL
is set), a real upstream HTTP server on loopback, and a real gateway served by uvicorn."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from aiohttp import web
from starlette.applications import Starlette

from gateway.access import keys
from gateway.app import create_app
from gateway.protocol import GatewayProtocol
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SCHOOL = "99XX"


def pytest_report_header() -> str:
    import os

    url = os.environ.get("POORTWACHTER_TEST_DATABASE_URL", "")
    return f"database: {url or 'SQLite (per test, in tmp_path)'}"


# The files a gateway keeps beside its database, which default to the checkout's var/. Gateways
# the tests start as processes inherit the environment, so without these they wrote their keys
# and checkpoints into var/, where a developer's own gateway keeps its own: `make test` then
# `make run` and that gateway's `verify` named a rollback in every checkpoint the tests left.
VAR_FILES = {
    "GATEWAY_LOG_KEY_FILE": "log-signing.key",
    "GATEWAY_CHECKPOINT_FILE": "checkpoints.jsonl",
    "GATEWAY_SUBJECT_KEY_FILE": "subject.key",
    "GATEWAY_PSEUDONYM_KEY_FILE": "pseudonym.key",
    "GATEWAY_SECRETS_FILE": "secrets.json",
    "GATEWAY_SECRETS_KEY_FILE": "secrets.key",
}


@pytest.fixture(scope="session", autouse=True)
def _var_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every gateway process the tests start keeps its files in the session's own directory."""
    var = tmp_path_factory.mktemp("var")
    with pytest.MonkeyPatch.context() as patch:
        for name, file in VAR_FILES.items():
            patch.setenv(name, str(var / file))
        yield


def plain_environ() -> dict[str, str]:
    """The environment without the GATEWAY_ settings a developer may have set, as a newcomer's
    shell has it, except that the gateway's files still go to the session's directory."""
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_") or k in VAR_FILES}


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database for one test."""
    import os

    url = os.environ.get("POORTWACHTER_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite://{tmp_path / 'gateway.sqlite3'}"
        return
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()
    yield url


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Upstream:
    """A real HTTP server on loopback standing in for a supplier; it records what it gets."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    status: int = 200
    reply: bytes = b'{"ok": true}'
    reply_headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "application/json", "Set-Cookie": "s=1"}
    )
    delay: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            Received(
                request.method,
                request.path,
                request.query_string,
                dict(request.headers),
                await request.read(),
            )
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.status, body=self.reply, headers=self.reply_headers)


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = Upstream()

    @web.middleware
    async def record_everything(request: web.Request, handler: Any) -> web.StreamResponse:
        # Every request, whatever its path (a route would miss one with a newline in it).
        return await server.handle(request)

    app = web.Application(client_max_size=512 * 1024 * 1024, middlewares=[record_everything])
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}/api/"
    yield server
    await runner.cleanup()


@dataclass
class RunningGateway:
    url: str
    settings: Settings
    client: httpx.AsyncClient
    source_key: str
    fg_key: str
    app: Starlette

    def headers(
        self, key: str | None = "", school: str | None = SCHOOL, **extra: str
    ) -> dict[str, str]:
        """Request headers: the source key unless another ``key`` (or None: no key) is given."""
        headers = {"Content-Type": "application/json", **extra}
        if key is not None:
            headers["Authorization"] = f"Bearer {key or self.source_key}"
        if school is not None:
            headers["X-School"] = school
        return headers

    async def push(
        self, payload: Any, path: str = "/proxy/basispoort/sync", **kw: Any
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = kw.pop("headers", None) or self.headers()
        return await self.client.post(path, content=body, headers=headers, **kw)

    async def transfers(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/api/transfers", params=params, headers={"Authorization": f"Bearer {self.fg_key}"}
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


GatewayFactory = Callable[..., Any]


@pytest.fixture
async def start_gateway(
    tmp_path: Path, database_url: str, upstream: Upstream
) -> AsyncIterator[GatewayFactory]:
    """Start a gateway on a free loopback port with the given contracts (default: shipped ones)."""
    started: list[tuple[uvicorn.Server, asyncio.Task[None], httpx.AsyncClient]] = []

    async def start(
        contracts: dict[str, str] | None = None,
        suppliers: str | None = None,
        environ: dict[str, str] | None = None,
        sources: str | None = None,
        **overrides: Any,
    ) -> RunningGateway:
        contracts_dir = tmp_path / f"contracts{len(started)}"
        config_dir = tmp_path / f"config{len(started)}"
        if contracts is None:
            shutil.copytree(ROOT / "contracts", contracts_dir)
        else:
            contracts_dir.mkdir()
            for name, text in contracts.items():
                (contracts_dir / name).write_text(text)
        config_dir.mkdir()
        (config_dir / "suppliers.yaml").write_text(
            suppliers
            or "suppliers:\n  basispoort:\n    upstream: https://basispoort.invalid/\n"
            "    connect_timeout: 2\n    read_timeout: 2\n"
        )
        overrides.setdefault("log_key_file", tmp_path / "var" / "log-signing.key")
        overrides.setdefault("checkpoint_file", tmp_path / "var" / "checkpoints.jsonl")
        overrides.setdefault("seal_interval", 0.1)
        if sources is not None:
            (config_dir / "sources.yaml").write_text(sources)  # the LAS, for pulls
        settings = Settings(
            database_url=database_url,
            contracts_dir=contracts_dir,
            config_dir=config_dir,
            port=0,
            **({"subject_key_file": tmp_path / "subject.key"} | overrides),
        )
        app = create_app(settings, {"GATEWAY_UPSTREAM_BASISPOORT": upstream.url, **(environ or {})})
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="on",
            http=GatewayProtocol,
            ws="none",
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        source_key, _ = await keys.create("parnassys", "source", [SCHOOL])
        fg_key, _ = await keys.create("fg@opron.nl", "fg")
        client = httpx.AsyncClient(base_url=url, timeout=30)
        started.append((server, task, client))
        return RunningGateway(url, settings, client, source_key, fg_key, app)

    yield start
    for server, task, client in started:
        await client.aclose()
        server.should_exit = True
        await task
