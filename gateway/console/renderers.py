"""The transfer list as CSV and as JSON: the review API's items, streamed, newest first.

CSV cells holding lists or counts carry their JSON; a cell that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading
``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from gateway.evidence.api import item
from gateway.evidence.models import TransferRecord

COLUMNS = (
    "id",
    "seq",
    "time",
    "time_local",
    "completed_at",
    "source_system",
    "school",
    "supplier",
    "agreement_reference",
    "agreement_version",
    "method",
    "path",
    "route",
    "outcome",
    "status",
    "upstream_status",
    "problem",
    "records",
    "fields_forwarded",
    "fields_stripped",
    "fields_invalid",
    "fields_inspected",
    "body_sha256",
    "duration_ms",
)
_encoder = msgspec.json.Encoder()
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def console_item(record: TransferRecord, zone: ZoneInfo) -> dict[str, Any]:
    """The API's item, with the start time also as the FG reads it (Amsterdam)."""
    return {**item(record), "time_local": record.started_at.astimezone(zone).isoformat()}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return _encoder.encode(value).decode()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


async def csv_lines(
    chunks: AsyncIterator[list[TransferRecord]], zone: ZoneInfo
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield buffer.getvalue().encode()
    async for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        for record in chunk:
            values = console_item(record, zone)
            writer.writerow([_cell(values[c]) for c in COLUMNS])
        yield buffer.getvalue().encode()


async def json_lines(
    chunks: AsyncIterator[list[TransferRecord]], zone: ZoneInfo, query: dict[str, str]
) -> AsyncIterator[bytes]:
    """``{"filter": {...}, "items": [...]}``, one item at a time."""
    yield b'{"filter":' + _encoder.encode(query) + b',"items":['
    first = True
    async for chunk in chunks:
        parts = [_encoder.encode(console_item(r, zone)) for r in chunk]
        yield (b"" if first else b",") + b",".join(parts)
        first = False
    yield b"]}"
