"""Between resolve and filter: take the body in, within limits, as a JSON object or not at all.

Anything the gateway cannot read exactly is refused: a body it cannot decode is never passed on
as it came.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import msgspec

from gateway.problems import Rejected

_decoder = msgspec.json.Decoder()


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def body(headers: Mapping[str, str], stream: AsyncIterator[bytes], limit: int) -> bytes:
    """The whole body, refusing encodings and sizes the gateway does not take."""
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise Rejected(415, "unsupported-media-type", f"Content-Encoding {encoding!r} is refused")
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Rejected(413, "body-too-large", f"the body is over {limit} bytes")
    chunks = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise Rejected(413, "body-too-large", f"the body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def document(headers: Mapping[str, str], raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object; ``None`` for an empty body."""
    if not raw:
        return None
    content_type = headers.get("content-type", "")
    if not _is_json(content_type):
        raise Rejected(415, "unsupported-media-type", f"Content-Type {content_type!r} is not JSON")
    try:
        parsed = _decoder.decode(raw)
    except msgspec.DecodeError as error:
        raise Rejected(400, "malformed-body", f"the body is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise Rejected(400, "malformed-body", "the body must be a JSON object")
    return parsed
