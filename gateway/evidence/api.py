"""The FG's review API: ``GET /api/transfers``, newest first, filtered and paged.

Paging is by cursor (``before``: the ``seq`` of the last entry seen), so entries arriving while
the FG pages do not shift what comes next.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from gateway.access.keys import KeyStore
from gateway.access.tls import client_certificate
from gateway.evidence.log import TransferLog
from gateway.evidence.models import TransferRecord
from gateway.problems import LogUnavailable, Refusal, Rejected, refusal_response
from gateway.register.schools import School, SchoolCodeError
from gateway.transfer import authenticate
from gateway.transfer.state import OUTCOMES

MAX_LIMIT = 500
FILTERS = ("supplier", "school", "outcome", "from", "to", "limit", "before")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
logger = logging.getLogger("gateway.api")
_encoder = msgspec.json.Encoder()


def item(record: TransferRecord) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "seq": record.seq,
        "time": record.started_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "completed_at": (
            record.completed_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
            if record.completed_at
            else None
        ),
        "source_system": record.source_system,
        "school": record.school,
        "supplier": record.supplier,
        "agreement_reference": record.agreement_reference,
        "agreement_version": record.agreement_version,
        "agreement_sha256": record.agreement_sha256,
        "method": record.method,
        "path": record.path,
        "route": record.route,
        "outcome": record.outcome,
        "status": record.status,
        "upstream_status": record.upstream_status,
        "problem": record.problem,
        "records": record.records,
        "format": record.format,
        "direction": record.direction,
        "fields_forwarded": record.fields_forwarded,
        "fields_stripped": record.fields_stripped,
        "fields_invalid": record.fields_invalid,
        "fields_inspected": record.fields_inspected,
        "fields_withheld": record.fields_withheld,
        "fields_transformed": record.fields_transformed,
        "body_sha256": record.body_sha256,
        "duration_ms": record.duration_ms,
    }


_DAY = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")


def _moment(name: str, value: str, zone: ZoneInfo, end_of_day: bool) -> datetime:
    """``value`` as a moment in UTC: a date is a day in ``zone`` (GATEWAY_TIMEZONE, as in the
    console), its start, or for ``to`` the start of the next day (so compare with ``<``); a
    date-time without an offset is a time in ``zone``. Problems say what was wrong, never what
    was written: a filter value is the caller's text, and it could be anything (a BSN pasted in
    the wrong box)."""
    try:
        if _DAY.match(value):
            day = date.fromisoformat(value)
            if end_of_day and day == date.max:  # to=9999-12-31: no end at all
                return datetime.max.replace(tzinfo=UTC)
            if not end_of_day and day == date.min:  # from=0001-01-01: no start at all
                return datetime.min.replace(tzinfo=UTC)
            day += timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # Stored times are UTC; compare in UTC whatever offset the FG wrote.
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    except ValueError:
        raise Rejected(400, "bad-filter", f"{name} is not an ISO 8601 date or time") from None
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is after the last moment a date can hold
        raise Rejected(400, "bad-filter", f"{name} is outside the years 1 to 9999 in UTC") from None


def _int(name: str, value: str, low: int, high: int) -> int:
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise Rejected(400, "bad-filter", f"{name} must be a whole number from {low} to {high}")
    return int(value)


async def transfers(request: Request) -> Response:
    keys: KeyStore = request.app.state.gateway.keys
    log: TransferLog = request.app.state.gateway.log
    try:
        await authenticate.caller(request.headers, client_certificate(request.scope), keys, "fg")
        params = request.query_params
        if set(params) - set(FILTERS):
            raise Rejected(400, "bad-filter", f"the only parameters are {', '.join(FILTERS)}")
        repeated = [name for name in FILTERS if len(params.getlist(name)) > 1]
        if repeated:
            raise Rejected(400, "bad-filter", f"{repeated[0]} is given more than once")
        query = TransferRecord.all()
        if "supplier" in params:
            if not _SLUG.fullmatch(params["supplier"]):
                raise Rejected(400, "bad-filter", "supplier is not a supplier name")
            query = query.filter(supplier=params["supplier"])
        if "school" in params:
            try:
                school = School.parse(params["school"])
            except SchoolCodeError:
                raise Rejected(400, "bad-filter", "school is not a BRIN (99XX or 99XX01)") from None
            query = query.filter(school=str(school))
        if "outcome" in params:
            if params["outcome"] not in OUTCOMES:
                raise Rejected(400, "bad-filter", f"outcome must be one of {', '.join(OUTCOMES)}")
            query = query.filter(outcome=params["outcome"])
        zone = request.app.state.gateway.settings.zone
        if "from" in params:
            query = query.filter(started_at__gte=_moment("from", params["from"], zone, False))
        if "to" in params:
            to = params["to"]
            if _DAY.match(to):  # the whole day: before the next day's start
                query = query.filter(started_at__lt=_moment("to", to, zone, True))
            else:
                query = query.filter(started_at__lte=_moment("to", to, zone, False))
        if "before" in params:
            query = query.filter(seq__lt=_int("before", params["before"], 1, 2**63 - 1))
        limit = _int("limit", params["limit"], 1, MAX_LIMIT) if "limit" in params else 50
        await log.flush()  # outcomes this process has queued are on record before the FG reads
        try:
            records = await query.order_by("-seq").limit(limit + 1)
        except Exception:
            logger.exception("the transfer log cannot be read")
            raise LogUnavailable("the transfer log cannot be read") from None
    except Refusal as refusal:
        return refusal_response(refusal)
    page = records[:limit]
    following = None
    if len(records) > limit:
        following = str(request.url.include_query_params(before=page[-1].seq))
    body = {"items": [item(r) for r in page], "next": following}
    return Response(_encoder.encode(body), media_type="application/json")
