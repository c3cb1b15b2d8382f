"""The operational log: what an operator reads on stdout, as text or as JSON lines.

One line per transfer (``transfer_line``): its id, supplier, school, outcome, status, the
supplier's status, the problem type and the duration. Never a pupil's data: the supplier is a
configured name or nothing, the school a parsed BRIN code, the rest the gateway's own words
and numbers. ``GATEWAY_LOG_FORMAT=json`` writes every line of the process (the gateway's and
uvicorn's) as one JSON object, with a transfer's fields as keys of their own. Everything goes
to stdout, where a container's or a service manager's log collector takes it.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import msgspec

from gateway.transfer.state import Transfer

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

transfers = logging.getLogger("gateway.transfer")
_encoder = msgspec.json.Encoder()


def transfer_fields(transfer: Transfer) -> dict[str, Any]:
    """What the operational log says of one transfer: no pupil data, no caller's text."""
    return {
        "transfer_id": str(transfer.id),
        "supplier": transfer.supplier,
        "school": str(transfer.school) if transfer.school else None,
        "outcome": transfer.outcome,
        "status": transfer.status,
        "upstream_status": transfer.upstream_status,
        "problem": transfer.problem,
        "duration_ms": transfer.duration_ms,
    }


def transfer_line(transfer: Transfer) -> None:
    """Log one line for a transfer that has ended: a warning when the supplier or the gateway
    failed (an operator wants to see those), else info."""
    fields = transfer_fields(transfer)
    level = logging.WARNING if (transfer.status or 0) >= 500 else logging.INFO
    text = " ".join(f"{name}={_text(value)}" for name, value in fields.items())
    transfers.log(level, "%s", text, extra={"transfer": fields})


def _text(value: Any) -> str:
    return "-" if value is None else str(value)


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, and a transfer's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "transfer", None)
        if isinstance(fields, dict):
            line |= fields
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _encoder.encode(line).decode()


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Send the process's log records to stdout in ``log_format``; safe to call again."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_poortwachter", False)]:
        root.removeHandler(old)
    handler._poortwachter = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
