"""Step 5, forward: send the filtered body to the supplier, and only to the supplier.

The upstream URL is the supplier's configured base URL with the request's path appended; a path
that could leave that base (dot segments, encoded slashes, backslashes, ``//host``) is refused
before anything is sent. Headers are the gateway's own: a fixed ``Accept`` for the route's
format, ``Accept-Language`` only if it is a plain language tag, never a cookie (no cookie jar
either: one shared jar would carry one school's session into another's transfer). Each request
is sent once: no silent retry on a dropped connection, so every attempt that may have reached
the supplier is the one on record. The supplier's answer is checked before it is passed on
(a final status from 200 to 599, header values that are plain text); anything else is a 502.
Only an allowlist of headers comes back.
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

# What the gateway asks the supplier for, per payload format: the caller's Accept never passes.
MEDIA_TYPES = {"las-sync": "application/json", "basispoort-rest": "application/json"}
XML = "application/xml"  # every other payload is an XML profile (gateway.register.xml_routes)
# Accept-Language passes only as a short list of language tags (nl, nl-NL, en;q=0.5): anything
# else, which could carry anything, stays behind.
_TAG = r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{2}|-[0-9]{3})?|\*)"
_WEIGHT = r"(?:\s*;\s*q=(?:0(?:\.[0-9]{1,3})?|1(?:\.0{1,3})?))?"
_LANGUAGE_RANGE = _TAG + _WEIGHT
_LANGUAGES = re.compile(rf"{_LANGUAGE_RANGE}(?:\s*,\s*{_LANGUAGE_RANGE}){{0,3}}")
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
# A header value passed back must be visible ASCII, spaces and tabs: what every client reads the
# same way (a latin-1 or UTF-8 byte in a supplier's header used to give the caller a 500).
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]{0,8192}")
# Seconds an idle connection to a supplier is kept. Below the 5 s many servers allow, so that the
# gateway rarely reuses a connection the supplier is just closing (it no longer retries those).
KEEPALIVE_SECONDS = 4.0


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def request_headers(
    caller: Mapping[str, str],
    payload: str,
    supplier: Supplier,
    transfer_id: str,
    has_body: bool,
) -> CIMultiDict[str]:
    """What goes upstream: the gateway's own headers, and the caller's language if it is one."""
    headers: CIMultiDict[str] = CIMultiDict()
    media_type = MEDIA_TYPES.get(payload, XML)
    headers["Accept"] = media_type
    language = caller.get("accept-language")
    if language is not None and _LANGUAGES.fullmatch(language.strip()):
        headers["Accept-Language"] = language.strip()
    headers["User-Agent"] = "Poortwachter"
    headers["X-Transfer-Id"] = transfer_id
    if supplier.credential is not None:
        headers[supplier.credential[0]] = supplier.credential[1]
    if has_body:
        headers["Content-Type"] = media_type
    return headers


def answer(
    status: int, headers: Mapping[str, str], body: bytes, supplier: Supplier
) -> UpstreamResponse:
    """The supplier's answer as the caller may get it, or UpstreamFailed (502) saying what was
    wrong with it. 1xx answers other than interim ones, and statuses outside 100-599, have no
    meaning a caller could act on; a header value that is not plain text cannot be passed on
    exactly."""
    if not 200 <= status <= 599:
        raise UpstreamFailed(
            502,
            "upstream-unreachable",
            f"{supplier.slug} answered with a status that is not an HTTP answer",
            upstream_status=status,
        )
    kept = {name: headers[name] for name in RESPONSE_HEADERS if name in headers}
    if not all(_HEADER_VALUE.fullmatch(value) for value in kept.values()):
        raise UpstreamFailed(
            502,
            "upstream-unreachable",
            f"{supplier.slug} answered with a header the gateway cannot pass on",
            upstream_status=status,
        )
    return UpstreamResponse(status=status, headers=kept, body=body)


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
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=256, limit_per_host=64, keepalive_timeout=KEEPALIVE_SECONDS
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            skip_auto_headers=("User-Agent", "Content-Type", "Accept"),
        )
        # aiohttp resends a GET, PUT or DELETE once on a new connection when a kept-alive one
        # drops, so a supplier could get one PUT body twice under one log entry. There is no
        # public switch; aiohttp's own test client turns it off like this. Refuse to run rather
        # than retry silently should the attribute ever go.
        if not hasattr(session, "_retry_connection"):
            await session.close()
            raise RuntimeError("this aiohttp cannot be kept from retrying requests silently")
        session._retry_connection = False
        self._session = session

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
        headers: CIMultiDict[str],
    ) -> UpstreamResponse:
        assert self._session is not None, "Upstream.start() was not awaited"
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
                return answer(response.status, response.headers, content, supplier)
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
