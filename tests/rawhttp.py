"""A tiny HTTP/1.1 client over asyncio streams, for requests that normal clients would tidy up.

httpx and aiohttp normalise what they send: dot segments are resolved, header names are
re-cased, a body is framed the way the client likes. A gateway has to withstand what a hostile
or broken LAS really sends, so these helpers write the request line, headers and body bytes
exactly as given and read back one response.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msgspec


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    closed: bool = False  # the server said Connection: close
    interim: list[int] = field(default_factory=list)  # 1xx statuses before this response

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


@dataclass
class Streamed:
    """What ``stream`` saw: the response (if one came) and how much of the body was written."""

    response: RawResponse | None
    sent: int
    error: BaseException | None = field(default=None, repr=False)


def head(method: str, target: bytes | str, headers: Iterable[tuple[str, str]], host: str) -> bytes:
    """The request line and header block, bytes as given (``target`` is not normalised)."""
    if isinstance(target, str):
        target = target.encode("latin-1")
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: " + host.encode()]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def request(
    base_url: str,
    method: str,
    target: bytes | str,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    host_header: str | None = None,
    timeout: float = 20.0,
) -> RawResponse:
    """Send one request with the given raw target, headers and body bytes; read one response.

    No ``Content-Length`` is added: pass it (or ``Transfer-Encoding``) in ``headers``. The
    ``Host`` header names the server unless ``host_header`` says otherwise.
    """
    host, port = _address(base_url)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head(method, target, headers, host_header or f"{host}:{port}") + body)
        await writer.drain()
        return await asyncio.wait_for(_read_response(reader, method), timeout)
    finally:
        await _close(writer)


async def stream(
    base_url: str,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    chunks: AsyncIterator[bytes] | Iterable[bytes],
    *,
    timeout: float = 20.0,
) -> Streamed:
    """Write ``chunks`` as the body, stopping as soon as a response has come back.

    The headers decide the framing: the chunks are written as they are, so for a chunked body
    each one must already be a chunk (``chunk(data)``). Returns how many bytes of body were
    written before the response arrived or the server stopped reading.
    """
    host, port = _address(base_url)
    reader, writer = await asyncio.open_connection(host, port)
    answer = asyncio.ensure_future(_read_response(reader, method))
    sent = 0
    error: BaseException | None = None
    try:
        writer.write(head(method, target, headers, f"{host}:{port}"))
        async for data in _aiter(chunks):
            if answer.done():
                break
            writer.write(data)
            sent += len(data)
            await writer.drain()
            await asyncio.sleep(0)  # the gateway runs on this loop too: let it read
        try:
            response = await asyncio.wait_for(asyncio.shield(answer), timeout)
        except (OSError, asyncio.IncompleteReadError) as failure:
            error, response = failure, None
    except (OSError, asyncio.IncompleteReadError) as failure:
        error = failure
        try:
            response = await asyncio.wait_for(answer, timeout)
        except (OSError, asyncio.IncompleteReadError):
            response = None
    finally:
        if not answer.done():
            answer.cancel()
        await _close(writer)
    return Streamed(response, sent, error)


@contextlib.asynccontextmanager
async def connection(
    base_url: str,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A bare connection to the server, for tests that write and read at their own pace."""
    host, port = _address(base_url)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        yield reader, writer
    finally:
        await _close(writer)


async def read_response(
    reader: asyncio.StreamReader, method: str = "POST", timeout: float = 20.0
) -> RawResponse:
    """One response from ``reader``, within ``timeout`` seconds."""
    return await asyncio.wait_for(_read_response(reader, method), timeout)


def chunk(data: bytes) -> bytes:
    """``data`` framed as one chunk of a chunked body."""
    return b"%x\r\n" % len(data) + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"


async def _aiter(chunks: AsyncIterator[bytes] | Iterable[bytes]) -> AsyncIterator[bytes]:
    if isinstance(chunks, AsyncIterator):
        async for data in chunks:
            yield data
    else:
        for data in chunks:
            yield data


def _address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None, base_url
    return parts.hostname, parts.port


async def _read_response(reader: asyncio.StreamReader, method: str) -> RawResponse:
    interim = []
    while True:
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers = []
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        if status >= 200:
            break
        interim.append(status)
    response = RawResponse(status, headers, b"", interim=interim)
    length = response.header("content-length")
    if method == "HEAD" or status in (204, 304):
        pass
    elif (response.header("transfer-encoding") or "").lower() == "chunked":
        response.body = await _read_chunked(reader)
    elif length is not None:
        response.body = await reader.readexactly(int(length))
    else:
        response.body = await reader.read()
    connection = (response.header("connection") or "").lower()
    response.closed = connection == "close"
    return response


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        await writer.wait_closed()
