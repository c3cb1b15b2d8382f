"""``poortwachter demo``: a sample supplier and a gateway on free loopback ports, a realistic
sync pushed through, and what was forwarded and what was stripped, printed for a person.

It uses the contracts and config of the gateway's home and a temporary database, so it shows
exactly what the shipped agreements do without touching the real transfer log.

``poortwachter sample-supplier`` runs the same sample supplier on its own, on a fixed port,
for trying a gateway by hand (the README's first steps): it prints, for each request, the
method, path, number of pupils and the field names it received, never a value.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn
from aiohttp import web

from gateway import samples
from gateway.access import keys
from gateway.app import create_app
from gateway.protocol import GatewayProtocol
from gateway.settings import Settings

DEMO_SCHOOL = "99XX"


class SampleSupplier:
    """A stand-in for a supplier's API that keeps what it receives, and answers that it
    accepted it. With ``out``, it also prints what arrived (names and counts, no values)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, out: Any = None) -> None:
        self.received: list[bytes] = []
        self._runner: web.AppRunner | None = None
        self._host, self._port, self._out = host, port, out
        self.url = ""

    async def start(self) -> None:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self._host}:{port}/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(body)
        pupils = _pupils_in(body)
        if self._out is not None:
            print(_summary(request.method, request.path, body, pupils), file=self._out, flush=True)
        return web.json_response({"accepted": True, "pupils": len(pupils)})


def _pupils_in(body: bytes) -> list[Any]:
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return []
    pupils = document.get("leerlingen") if isinstance(document, dict) else None
    return pupils if isinstance(pupils, list) else []


def _summary(method: str, path: str, body: bytes, pupils: list[Any]) -> str:
    """One line for a person: what arrived, by field name only."""
    if not body:
        return f"{method} {path}: no body"
    names = sorted({key for pupil in pupils if isinstance(pupil, dict) for key in pupil})
    fields = ", ".join(names) if names else "none"
    return f"{method} {path}: {len(body):,} bytes, {len(pupils)} pupil(s); pupil fields: {fields}"


async def serve_sample_supplier(host: str, port: int, out: Any = None) -> int:
    """Run a sample supplier on ``host:port`` until interrupted."""
    out = out or sys.stdout
    supplier = SampleSupplier(host, port, out)
    await supplier.start()
    print(f"sample supplier (a stand-in for Basispoort) on {supplier.url}", file=out)
    print(
        f"point a gateway at it: GATEWAY_UPSTREAM_BASISPOORT={supplier.url.rstrip('/')} make run",
        file=out,
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await supplier.stop()
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _fields(pupil: dict[str, Any]) -> int:
    return sum(_fields(v) if isinstance(v, dict) else 1 for v in pupil.values())


async def run(settings: Settings, *, pupils: int = 30, out: Any = None) -> int:
    out = out or sys.stdout

    def say(line: str = "") -> None:
        print(line, file=out)

    supplier = SampleSupplier()
    await supplier.start()
    with tempfile.TemporaryDirectory(prefix="poortwachter-demo-") as scratch:
        port = _free_port()
        demo_settings = replace(
            settings,
            database_url=f"sqlite://{Path(scratch) / 'demo.sqlite3'}",
            # Its keys and checkpoints go with its database: a demo's checkpoints in the real
            # checkpoint file would read as a rolled-back log to the real gateway's verify.
            subject_key_file=Path(scratch) / "subject.key",
            log_key_file=Path(scratch) / "log-signing.key",
            checkpoint_file=Path(scratch) / "checkpoints.jsonl",
            pseudonym_key_file=Path(scratch) / "pseudonym.key",
            host="127.0.0.1",
            port=port,
        )
        app = create_app(demo_settings, {"GATEWAY_UPSTREAM_BASISPOORT": supplier.url})
        schemas = app.state.gateway.payload_schemas
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                http=GatewayProtocol,
                ws="none",
            )
        )
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                if serving.done():
                    serving.result()
                    return 1
                await asyncio.sleep(0.02)
            source_key, _ = await keys.create("parnassys-demo", "source", [DEMO_SCHOOL])
            fg_key, _ = await keys.create("fg-demo", "fg")
            gateway_url = f"http://127.0.0.1:{port}"
            say("Poortwachter demo")
            say(f"  sample supplier (stands in for Basispoort)  {supplier.url}")
            say(f"  gateway                                     {gateway_url}/")
            say(f"  contracts from {settings.contracts_dir}/, a temporary database")
            say()
            payload = samples.sync(pupils, brin=DEMO_SCHOOL)
            body = json.dumps(payload).encode()
            headers = {
                "Authorization": f"Bearer {source_key}",
                "X-School": DEMO_SCHOOL,
                "Content-Type": "application/json",
            }
            async with aiohttp.ClientSession(gateway_url) as http:
                say(
                    f"1. The LAS pushes a sync for school {DEMO_SCHOOL}: {pupils} pupils with "
                    f"{_fields(payload['leerlingen'][0])} fields each, {len(body):,} bytes"
                )
                async with http.post("/proxy/basispoort/sync", data=body, headers=headers) as r:
                    status, transfer_id = r.status, r.headers.get("X-Transfer-Id")
                say(f"   POST /proxy/basispoort/sync -> {status}, transfer {transfer_id}")
                async with http.get(
                    "/api/transfers", headers={"Authorization": f"Bearer {fg_key}"}
                ) as r:
                    [entry] = (await r.json())["items"]
                say(
                    f"   under agreement {entry['agreement_reference']} "
                    f"v{entry['agreement_version']}; the supplier received "
                    f"{len(supplier.received[-1]):,} bytes"
                )
                say()
                say(f"   Forwarded ({len(entry['fields_forwarded'])} fields):")
                for path in entry["fields_forwarded"]:
                    say(f"     {path}")
                say()
                say(f"   Stripped ({len(entry['fields_stripped'])} fields):")
                schema = schemas["las-sync"]
                for path, count in entry["fields_stripped"].items():
                    category = schema.special_category(path) if schema.knows(path) else None
                    note = f"  special category: {category}" if category else ""
                    say(f"     {path:<38} {count:>4}x{note}")
                received = json.loads(supplier.received[-1])
                say()
                say("   The first pupil as the supplier received it:")
                say("     " + json.dumps(received["leerlingen"][0], ensure_ascii=False))
                say()
                headers["X-School"] = "98YY"
                async with http.post("/proxy/basispoort/sync", data=body, headers=headers) as r:
                    refused = await r.json()
                say(
                    f"2. The same sync for school 98YY, which this key does not cover -> "
                    f"{refused['status']} {refused['title']}"
                )
                say(f"   Nothing was sent; transfer {refused['transfer_id']} is on record.")
                say()
                say(f"The supplier received {len(supplier.received)} request(s) in all.")
                say(
                    "See every entry: GET /api/transfers with an FG key "
                    "(poortwachter keys create --role fg --client NAME)."
                )
        finally:
            server.should_exit = True
            await serving
            await supplier.stop()
    return 0
