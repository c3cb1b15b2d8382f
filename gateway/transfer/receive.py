"""Between resolve and filter: take the body in, within limits, as a JSON object or not at all.

Anything the gateway cannot read exactly is refused: a body it cannot decode is never passed on
as it came. Compressed bodies (gzip, deflate) are decompressed with the same size limit as plain
ones, and to at most ``max_ratio`` times their compressed size, so that a small bomb cannot
become a large body; any other encoding is refused. The whole body must arrive within
``seconds``. A UTF-8 byte-order mark, which Windows exports often start with, is dropped
(RFC 8259 lets a parser ignore it); the filters never see it.

``body`` takes the body in, on the event loop; ``decoded`` (decompression) is CPU work and runs
where the pipeline puts it (``gateway.transfer.work``).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.requests import ClientDisconnect

from gateway.problems import Rejected

_decoder = msgspec.json.Decoder()

# zlib window bits per Content-Encoding: gzip framing, zlib framing ("deflate" as HTTP means it).
_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def _media_type(content_type: str) -> tuple[str, str | None]:
    """The media type and charset of a Content-Type, lower-cased (charset None if not named)."""
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset":
            charset = value.strip().strip('"')
    return media_type, charset


def _is_json(media_type: str) -> bool:
    """``application/json`` or ``application/*+json``."""
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _too_large(limit: int) -> Rejected:
    return Rejected(413, "body-too-large", f"the body is over {limit} bytes")


Body = bytes | bytearray
BOM = b"\xef\xbb\xbf"
# A compressed body may always decompress to this much, whatever its ratio: small bodies are
# cheap to read, and tiny ones compress badly or absurdly well without meaning anything.
RATIO_FREE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BodyLimits:
    max_bytes: int  # decompressed
    max_ratio: float  # decompressed size over compressed size; 0: no limit
    seconds: float  # for the whole body to arrive once it is being read; 0: no limit


@dataclass(frozen=True, slots=True)
class Received:
    """A body as it arrived: still compressed if ``encoding`` names a compression."""

    raw: Body
    encoding: str

    @property
    def compressed(self) -> bool:
        return self.encoding in _ENCODINGS and bool(self.raw)


def _declared_length(headers: Mapping[str, str]) -> int | None:
    declared = headers.get("content-length")
    if declared is None:
        return None
    if not (declared.isascii() and declared.isdigit()):
        raise Rejected(400, "malformed-body", "Content-Length is not a number")
    return int(declared)


async def body(
    headers: Mapping[str, str], stream: AsyncIterator[bytes], limits: BodyLimits
) -> Received:
    """The whole body as it arrived, refusing encodings, sizes and slowness the gateway does not
    take; ``decoded`` makes it the body to filter.

    The body is gathered in one buffer rather than as chunks joined at the end, so a large
    sync is in memory once, not twice, while it is read.
    """
    if "upgrade" in headers:
        # The server may hand the connection to another protocol and the body with it.
        raise Rejected(400, "malformed-body", "protocol upgrades are refused")
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity") and encoding not in _ENCODINGS:
        raise Rejected(
            415, "unsupported-media-type", "Content-Encoding must be gzip, deflate or identity"
        )
    limit = limits.max_bytes
    declared = _declared_length(headers)
    if declared is not None and declared > limit:
        raise _too_large(limit)
    raw = bytearray()
    try:
        async with asyncio.timeout(limits.seconds or None):
            async for chunk in stream:
                if len(raw) + len(chunk) > limit:
                    raise _too_large(limit)
                raw += chunk  # amortised growth; CPython over-allocates by about 1/8
    except ClientDisconnect:
        raise Rejected(400, "malformed-body", "the body ended before it was complete") from None
    except TimeoutError:
        raise Rejected(
            408, "request-timeout", f"the body did not arrive within {limits.seconds:g} s"
        ) from None
    if declared is not None and declared != len(raw):
        raise Rejected(400, "malformed-body", "the body is not as long as Content-Length says")
    return Received(raw, encoding)


def decoded(received: Received, limits: BodyLimits) -> Body:
    """The body to filter: decompressed within the limits, without a leading byte-order mark."""
    raw = received.raw
    if received.compressed:
        raw = _decompressed(raw, received.encoding, limits)
    if raw[:3] == BOM:
        if len(raw) == 3:  # not an empty body: a body that is not JSON
            raise Rejected(400, "malformed-body", "the body is a byte-order mark and no JSON")
        if isinstance(raw, bytearray):
            del raw[:3]  # cheap: a bytearray gives up its first bytes without moving the rest
        else:
            raw = raw[3:]
    return raw


# Decompressed a piece at a time into one buffer: the body is then in memory once (not once as
# zlib's output and again as the buffer the filters get), and a bomb stops at the first piece
# over its bound instead of after allocating the whole bound.
_PIECE = 1024 * 1024


def _decompressed(raw: Body, encoding: str, limits: BodyLimits) -> bytearray:
    cap = limits.max_bytes
    if limits.max_ratio:
        cap = min(cap, max(RATIO_FREE_BYTES, int(len(raw) * limits.max_ratio)))
    decompressor = zlib.decompressobj(_ENCODINGS[encoding])
    out = bytearray()
    pending: Body = raw
    try:
        while pending and not decompressor.eof:
            out += decompressor.decompress(pending, _PIECE)
            pending = decompressor.unconsumed_tail
            if len(out) > cap:
                break
        if not decompressor.eof and len(out) <= cap:
            out += decompressor.flush(_PIECE)
    except zlib.error:
        raise Rejected(400, "malformed-body", f"the body is not valid {encoding}") from None
    if len(out) > cap:
        if cap < limits.max_bytes:
            raise Rejected(
                413,
                "body-too-large",
                f"the body decompresses to more than {limits.max_ratio:g} times its size",
            )
        raise Rejected(
            413, "body-too-large", f"the body decompresses to over {limits.max_bytes} bytes"
        )
    if not decompressor.eof or decompressor.unused_data:
        raise Rejected(
            400, "malformed-body", f"the {encoding} body is truncated or has trailing data"
        )
    return out


def require_json(headers: Mapping[str, str]) -> None:
    """Refuse a body that does not say it is JSON in UTF-8 (415), saying which of the two."""
    media_type, charset = _media_type(headers.get("content-type", ""))
    if not _is_json(media_type):
        raise Rejected(
            415,
            "unsupported-media-type",
            "Content-Type must be application/json (or application/*+json)",
        )
    if charset is not None and charset not in ("utf-8", "utf8"):
        raise Rejected(
            415,
            "unsupported-media-type",
            "JSON is UTF-8 (RFC 8259): name charset=utf-8, or no charset",
        )


def document(raw: Body) -> dict[str, Any]:
    """The body as a JSON object, or 400 saying why not."""
    try:
        parsed = _decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise Rejected(400, "malformed-body", f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise Rejected(400, "malformed-body", "the body is nested too deeply") from None
    if not isinstance(parsed, dict):
        raise Rejected(400, "malformed-body", "the body must be a JSON object")
    return parsed
