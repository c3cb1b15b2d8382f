"""Overzicht: what left in a period, per supplier and per Amsterdam day, in three queries."""

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


async def per_supplier(since: datetime) -> list[SupplierTotals]:
    """Totals per supplier of the entries started at or after ``since``, busiest first."""
    sql = Sql.connected()
    statement = (
        "SELECT t.supplier AS supplier, COUNT(*) AS transfers, "
        "COALESCE(SUM(t.records), 0) AS pupils, "
        "SUM(CASE WHEN t.outcome = 'blocked' THEN 1 ELSE 0 END) AS blocked, "
        "SUM(CASE WHEN t.outcome = 'rejected' THEN 1 ELSE 0 END) AS rejected, "
        f"SUM(CASE WHEN {sql.nonempty('t.fields_invalid')} THEN 1 ELSE 0 END) AS invalid, "
        f"SUM(CASE WHEN {sql.nonempty('t.fields_inspected')} THEN 1 ELSE 0 END) AS inspected "
        f"FROM transfer t WHERE t.started_at >= {sql.time(since)} "
        "GROUP BY t.supplier ORDER BY transfers DESC"
    )
    return [
        SupplierTotals(
            r["supplier"],
            transfers=int(r["transfers"] or 0),
            pupils=int(r["pupils"] or 0),
            blocked=int(r["blocked"] or 0),
            rejected=int(r["rejected"] or 0),
            invalid=int(r["invalid"] or 0),
            inspected=int(r["inspected"] or 0),
        )
        for r in await rows(sql, statement)
    ]


async def daily(since: datetime, zone: ZoneInfo) -> dict[str | None, dict[date, tuple[int, int]]]:
    """Per supplier and Amsterdam day: (transfers, pupils), from hourly counts in UTC."""
    sql = Sql.connected()
    hour = sql.hour("t.started_at")
    statement = (
        f"SELECT t.supplier AS supplier, {hour} AS hour, COUNT(*) AS n, "
        "COALESCE(SUM(t.records), 0) AS pupils "
        f"FROM transfer t WHERE t.started_at >= {sql.time(since)} "
        f"GROUP BY t.supplier, {hour}"
    )
    result: dict[str | None, dict[date, tuple[int, int]]] = defaultdict(dict)
    for r in await rows(sql, statement):
        moment = datetime.fromisoformat(f"{r['hour']}:00:00+00:00")
        local = moment.astimezone(zone).date()
        transfers, pupils = result[r["supplier"]].get(local, (0, 0))
        result[r["supplier"]][local] = (transfers + int(r["n"]), pupils + int(r["pupils"]))
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
