"""Step 4 (and 6), record: what the transfer log keeps of a transfer.

The entry holds field paths, counts and hashes, never pupil values. It is written by the log
(``gateway.evidence.log``) before anything is sent upstream, and completed with the outcome.
"""

from __future__ import annotations

from typing import Any

from gateway.formats.filtered import sorted_counts
from gateway.transfer.state import PENDING, Transfer

# Methods the log names; any other (PROPFIND, UNSUBSCRIBE, ...) is written as OTHER, so that the
# method column holds only names the gateway knows.
METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


def entry(transfer: Transfer) -> dict[str, Any]:
    """The log entry for ``transfer``: field paths, counts and hashes, never pupil values."""
    filtered = transfer.filtered
    leaving = filtered is not None and transfer.outcome == PENDING  # the entry before sending
    return {
        "id": transfer.id,
        "started_at": transfer.started_at,
        "completed_at": transfer.completed_at,
        "source_system": transfer.client.name if transfer.client else None,
        "key_id": transfer.client.key_id if transfer.client else None,
        "school": str(transfer.school) if transfer.school else None,
        "supplier": transfer.supplier,
        "agreement_reference": transfer.agreement.reference if transfer.agreement else None,
        "agreement_version": transfer.agreement.version if transfer.agreement else None,
        "agreement_sha256": transfer.agreement.sha256 or None if transfer.agreement else None,
        "method": transfer.method if transfer.method in METHODS else "OTHER",
        "path": transfer.path[:2048],
        "route": f"{transfer.route.method} {transfer.route.path}" if transfer.route else None,
        # What left: nothing, for a transfer refused before it was sent; what the filter took
        # out is on record either way (a BSN found blocks, and the FG must see why).
        "records": filtered.records if leaving and filtered else 0,
        "fields_forwarded": sorted(filtered.forwarded) if leaving and filtered else [],
        "fields_stripped": _stripped(transfer),
        "fields_invalid": sorted_counts(filtered.invalid) if filtered else {},
        "fields_inspected": sorted_counts(filtered.inspected) if filtered else {},
        "fields_withheld": dict(sorted(filtered.withheld.items())) if filtered else {},
        "fields_transformed": sorted_counts(filtered.transformed) if leaving and filtered else {},
        "body_sha256": transfer.body_sha256,
        "instance": transfer.instance,
        "subjects_sha256": transfer.subjects.sha256 if leaving and transfer.subjects else None,
        "format": transfer.format,
        "direction": transfer.direction,
        **outcome(transfer),
    }


def outcome(transfer: Transfer) -> dict[str, Any]:
    """What ``complete`` writes over the pending entry: how the transfer ended."""
    return {
        "id": transfer.id,
        "completed_at": transfer.completed_at,
        "outcome": transfer.outcome,
        "status": transfer.status,
        "upstream_status": transfer.upstream_status,
        "problem": transfer.problem,
        "duration_ms": transfer.duration_ms,
    }


QUERY_STRIPPED = "?*"  # query parameters are counted, never named: a name can carry data


def _stripped(transfer: Transfer) -> dict[str, int]:
    stripped = dict(transfer.filtered.stripped) if transfer.filtered else {}
    if transfer.query_stripped:
        stripped[QUERY_STRIPPED] = transfer.query_stripped
    return dict(sorted(stripped.items()))
