"""Overzicht: what left in a period, per supplier and per Amsterdam day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.console.sql import Sql, rows


@dataclass
class SupplierTotals:
    supplier: str | None
    transfers: int = 0
    pupils: int = 0  # records forwarded
    blocked: int = 0
    rejected: int = 0
    invalid: int = 0  # transfers with values that broke their rule
    inspected: int = 0  # transfers with identifiers found where they do not belong
    daily: dict[date, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StrippedField:
    path: str
    count: int  # values taken out
    transfers: int  # transfers that had it taken out


async def per_supplier(since: datetime, zone: ZoneInfo) -> list[SupplierTotals]:
    """Totals per supplier of the entries started at or after ``since``, busiest first, with
    transfers per Amsterdam day: hourly sums read from one index, and the flag rows of the
    console's scan for invalid and inspected values."""
    found: dict[str | None, SupplierTotals] = {}
    for (supplier, hour), counts in (await hourly(since)).items():
        totals = found.setdefault(supplier, SupplierTotals(supplier))
        totals.transfers += counts.transfers
        totals.pupils += counts.pupils
        totals.blocked += counts.blocked
        totals.rejected += counts.rejected
        day = hour.astimezone(zone).date()
        totals.daily[day] = totals.daily.get(day, 0) + counts.transfers
    sql = Sql.connected()
    statement = (
        "SELECT f.supplier AS supplier, "
        f"SUM(CASE WHEN f.invalid = {sql.p(True)} THEN 1 ELSE 0 END) AS invalid, "
        f"SUM(CASE WHEN f.inspected = {sql.p(True)} THEN 1 ELSE 0 END) AS inspected "
        f"FROM flagged_transfer f WHERE f.started_at >= {sql.time(since)} GROUP BY f.supplier"
    )
    for r in await rows(sql, statement):
        if r["supplier"] in found:
            found[r["supplier"]].invalid = int(r["invalid"] or 0)
            found[r["supplier"]].inspected = int(r["inspected"] or 0)
    return sorted(found.values(), key=lambda t: (-t.transfers, t.supplier or ""))


@dataclass
class HourCounts:
    transfers: int = 0
    pupils: int = 0
    blocked: int = 0
    rejected: int = 0


async def hourly(since: datetime) -> dict[tuple[str | None, datetime], HourCounts]:
    """Per supplier and UTC hour since ``since``: transfers, pupils, blocked and rejected
    (all from the index on started_at, supplier, outcome and records)."""
    sql = Sql.connected()
    hour = sql.hour("t.started_at")
    statement = (
        f"SELECT t.supplier AS supplier, {hour} AS hour, COUNT(*) AS n, "
        "COALESCE(SUM(t.records), 0) AS pupils, "
        "SUM(CASE WHEN t.outcome = 'blocked' THEN 1 ELSE 0 END) AS blocked, "
        "SUM(CASE WHEN t.outcome = 'rejected' THEN 1 ELSE 0 END) AS rejected "
        f"FROM transfer t WHERE t.started_at >= {sql.time(since)} "
        # Hour first: SQLite then reads the (started_at, ...) index in order, without the table.
        f"GROUP BY {hour}, t.supplier"
    )
    return {
        (r["supplier"], datetime.fromisoformat(f"{r['hour']}:00:00+00:00")): HourCounts(
            int(r["n"]), int(r["pupils"]), int(r["blocked"] or 0), int(r["rejected"] or 0)
        )
        for r in await rows(sql, statement)
    }


async def daily(since: datetime, zone: ZoneInfo) -> dict[str | None, dict[date, tuple[int, int]]]:
    """Per supplier and Amsterdam day: (transfers, pupils), from hourly counts in UTC."""
    result: dict[str | None, dict[date, tuple[int, int]]] = defaultdict(dict)
    for (supplier, hour), counts in (await hourly(since)).items():
        local = hour.astimezone(zone).date()
        transfers, pupils = result[supplier].get(local, (0, 0))
        result[supplier][local] = (transfers + counts.transfers, pupils + counts.pupils)
    return dict(result)


async def most_stripped(since: datetime, limit: int = 10) -> list[StrippedField]:
    """The field paths taken out most often since ``since``."""
    sql = Sql.connected()
    each, key, value = sql.each_count("t.fields_stripped", "j")
    statement = (
        f"SELECT {key} AS path, SUM({value}) AS n, COUNT(*) AS transfers "
        f"FROM transfer t, {each} "
        f"WHERE t.started_at >= {sql.time(since)} AND {sql.nonempty('t.fields_stripped')} "
        f"GROUP BY {key} ORDER BY n DESC, path LIMIT {sql.p(limit)}"
    )
    return [
        StrippedField(str(r["path"]), int(r["n"]), int(r["transfers"]))
        for r in await rows(sql, statement)
    ]


def days_back(today: date, count: int) -> list[date]:
    """The ``count`` days ending with ``today``, oldest first."""
    return [today - timedelta(days=count - 1 - n) for n in range(count)]
