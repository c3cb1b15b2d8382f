"""Shared pieces of the exchange tests: the example contracts as a school adopts them, a
supplier key, a LAS stand-in on loopback answering HaalLeerlinggegevens, and the attacks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import ROOT

EXAMPLES = ROOT / "contracts" / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "edexml"
SUPPLIER = "voorbeelduitgever"


def example(name: str, **replace: str) -> str:
    """An example contract as a school adopts it, with text replaced (``old=new`` pairs)."""
    text = (EXAMPLES / f"{name}.yaml").read_text()
    for old, new in replace.items():
        assert old.replace("_", " ") in text or old in text, old
        text = text.replace(old, new)
    return text


def suppliers_yaml(upstream: str) -> str:
    return (
        "suppliers:\n"
        "  basispoort:\n    upstream: https://basispoort.invalid/\n"
        f"  {SUPPLIER}:\n    upstream: {upstream}\n    connect_timeout: 2\n    read_timeout: 5\n"
    )


def sources_yaml(las: str, schools: str = "all") -> str:
    return (
        "sources:\n"
        f"  las:\n    leerlinggegevens: {las}\n    schools: {schools}\n"
        "    connect_timeout: 2\n    read_timeout: 5\n"
    )


# The attacks the issue names, each a document that must never be parsed into anything.
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b"<EDEX><school><commentaar>&lol3;</commentaar></school></EDEX>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE EDEX [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<EDEX><school><commentaar>&xxe;</commentaar></school></EDEX>"
)
DTD = b'<?xml version="1.0"?><!DOCTYPE EDEX SYSTEM "http://127.0.0.1:9/edex.dtd"><EDEX/>'
UNDECLARED_ENTITY = b"<EDEX><school><commentaar>&xxe;</commentaar></school></EDEX>"
DEEP = b"<EDEX>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</EDEX>"
HUGE_TEXT = b"<EDEX><school><commentaar>" + b"x" * 200_000 + b"</commentaar></school></EDEX>"
ATTACKS = {
    "billion-laughs": BILLION_LAUGHS,
    "external-entity": EXTERNAL_ENTITY,
    "dtd": DTD,
    "undeclared-entity": UNDECLARED_ENTITY,
    "deep-nesting": DEEP,
    "huge-text": HUGE_TEXT,
}


def in_envelope(inner: bytes) -> bytes:
    """``inner`` (a document without prolog) as the body of a SOAP envelope."""
    return (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        + inner
        + b"</soap:Body></soap:Envelope>"
    )


@dataclass
class Las:
    """A LAS's UWLR service on loopback: it records each request and answers ``reply``."""

    url: str = ""
    reply: bytes = b""
    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
async def las() -> AsyncIterator[Las]:
    server = Las()

    async def handle(request: web.Request) -> web.Response:
        server.received.append((dict(request.headers), await request.read()))
        return web.Response(
            status=server.status, body=server.reply, content_type="text/xml", charset="utf-8"
        )

    app = web.Application(client_max_size=256 * 1024 * 1024)
    app.router.add_post("/uwlr/leerlinggegevens", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}/uwlr/leerlinggegevens"
    yield server
    await runner.cleanup()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


Json = dict[str, Any]
