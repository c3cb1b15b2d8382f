"""Step 5, forward: send the filtered body to the supplier, and only to the supplier.

The upstream URL is the supplier's configured base URL with the request's path appended; a path
that could leave that base (dot segments, encoded slashes, backslashes, ``//host``) is refused
before anything is sent. Only an allowlist of headers goes upstream, and back.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from gateway.problems import Rejected, UpstreamFailed
from gateway.register.suppliers import Supplier

# Headers passed on from the caller; its credentials, cookies and hop-by-hop headers never are.
REQUEST_HEADERS = ("accept", "accept-language")
# Headers passed back from the supplier.
RESPONSE_HEADERS = (
    "content-type",
    "cache-control",
    "etag",
    "last-modified",
    "retry-after",
    "content-language",
)
_SEGMENT = re.compile(r"^(?:[A-Za-z0-9._~!$&'()*+,;=:-]|%[0-9A-Fa-f]{2})*$")
_ENCODED_FORBIDDEN = re.compile(
    r"%(2f|5c|2e|[01][0-9a-f]|7f)", re.IGNORECASE
)  # encoded /, \, . and control characters
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def upstream_url(supplier: Supplier, raw_path: str, query: list[tuple[str, str]]) -> URL:
    """The supplier's base URL + ``raw_path``: never another host, never above the base path."""
    segments = raw_path.split("/")
    for segment in segments:
        # "..;x" is a dot segment to some servers (Tomcat): judge the part before any ";".
        if segment.split(";", 1)[0] in (".", "..") or _ENCODED_FORBIDDEN.search(segment):
            raise Rejected(
                400,
                "bad-path",
                "dot segments, encoded separators and control characters are refused",
            )
        if not _SEGMENT.fullmatch(segment):
            raise Rejected(400, "bad-path", "the path has characters that are refused")
    if "" in segments[:-1]:
        raise Rejected(400, "bad-path", "empty path segments (//) are refused")
    url = URL(str(supplier.upstream) + raw_path, encoded=True)
    if url.origin() != supplier.upstream.origin() or not url.raw_path.startswith(
        supplier.upstream.raw_path
    ):
        raise Rejected(400, "bad-path", "the path leaves the supplier's API")
    return url.with_query(query) if query else url


@functools.cache
def _timeout(connect: float, read: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(sock_connect=connect, sock_read=read, total=connect + read)


async def _content(response: aiohttp.ClientResponse, supplier: Supplier) -> bytes:
    """The whole answer, refused (502) beyond MAX_RESPONSE_BYTES."""
    if response.status < 200 or response.status in (204, 304):
        return b""  # no body, whatever length they declare (RFC 9110, 6.4.1)
    declared = response.content_length  # of the encoded body: only taken when not encoded
    if declared == 0:
        return b""
    encoded = "Content-Encoding" in response.headers
    if declared is not None and declared <= MAX_RESPONSE_BYTES and not encoded:
        return await response.content.readexactly(declared)
    chunks = []
    size = 0
    async for chunk in response.content.iter_chunked(256 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise UpstreamFailed(
                502, "upstream-unreachable", f"{supplier.slug} answered with too much"
            )
        chunks.append(chunk)
    return b"".join(chunks)


class Upstream:
    """One pooled HTTP client for every supplier."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=256, limit_per_host=64),
            auto_decompress=True,
            skip_auto_headers=("User-Agent", "Content-Type"),
        )

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        supplier: Supplier,
        method: str,
        url: URL,
        body: bytes | bytearray | None,
        caller_headers: Mapping[str, str],
        transfer_id: str,
    ) -> UpstreamResponse:
        assert self._session is not None, "Upstream.start() was not awaited"
        headers = CIMultiDict(
            (name, caller_headers[name]) for name in REQUEST_HEADERS if name in caller_headers
        )
        headers["User-Agent"] = "Poortwachter"
        headers["X-Transfer-Id"] = transfer_id
        if supplier.credential is not None:
            headers[supplier.credential[0]] = supplier.credential[1]
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=_timeout(supplier.connect_timeout, supplier.read_timeout),
                allow_redirects=False,
                ssl=supplier.tls if supplier.tls is not None else True,
            ) as response:
                content = await _content(response, supplier)
                return UpstreamResponse(
                    status=response.status,
                    headers={
                        name: response.headers[name]
                        for name in RESPONSE_HEADERS
                        if name in response.headers
                    },
                    body=content,
                )
        except TimeoutError:
            raise UpstreamFailed(
                504, "upstream-timeout", f"{supplier.slug} did not answer in time"
            ) from None
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as error:
            raise UpstreamFailed(
                502,
                "upstream-unreachable",
                f"{supplier.slug} could not be reached: {type(error).__name__}",
            ) from None
