"""The transfer log as the console reads it: one filtered list, counted, paged, faceted, streamed.

Entries are read with plain SQL and made into ``TransferRecord`` objects the way the ORM makes
them, so that the console's JSON is the review API's item for item.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gateway.console.filters import TransferFilter
from gateway.console.sql import Sql, rows
from gateway.evidence.models import TransferRecord

PAGE_SIZE = 50
STREAM_CHUNK = 1000
FACETS = {"supplier": "leverancier", "school": "school", "outcome": "uitkomst"}
FACET_LIMIT = 20
_COLUMNS = ", ".join(f't."{name}"' for name in TransferRecord._meta.db_fields)


@dataclass(frozen=True)
class Page:
    records: list[TransferRecord]
    total: int
    number: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True)
class FacetValue:
    value: str | None
    count: int


def _record(row: dict[str, object]) -> TransferRecord:
    return TransferRecord._init_from_db(**row)


async def page(selected: TransferFilter, zone: ZoneInfo, size: int = PAGE_SIZE) -> Page:
    """One page of the entries ``selected`` picks, newest first, and how many there are."""
    return (await page_and_facets(selected, zone, size))[0]


async def _page(selected: TransferFilter, zone: ZoneInfo, size: int, total: int) -> Page:
    sql = Sql.connected()
    where = selected.where(sql, zone)
    statement = (
        f"SELECT {_COLUMNS} FROM transfer t WHERE {where} "
        f"ORDER BY t.seq DESC LIMIT {sql.p(size)} OFFSET {sql.p((selected.page - 1) * size)}"
    )
    found = [_record(r) for r in await rows(sql, statement)]
    return Page(found, total, selected.page, size)


async def _combinations(
    selected: TransferFilter, zone: ZoneInfo
) -> dict[tuple[str | None, ...], int]:
    """How many selected entries have each combination of facet values: one pass over them
    answers every facet and the total."""
    sql = Sql.connected()
    columns = ", ".join(f"t.{c}" for c in FACETS)
    statement = (
        f"SELECT {columns}, COUNT(*) AS n FROM transfer t "
        f"WHERE {selected.where(sql, zone)} GROUP BY {columns}"
    )
    return {
        tuple(None if r[c] is None else str(r[c]) for c in FACETS): int(r["n"])
        for r in await rows(sql, statement)
    }


async def _facet(selected: TransferFilter, zone: ZoneInfo, column: str) -> list[FacetValue]:
    sql = Sql.connected()
    statement = (
        f"SELECT t.{column} AS value, COUNT(*) AS n FROM transfer t "
        f"WHERE {selected.where(sql, zone)} GROUP BY t.{column}"
    )
    counted = [
        FacetValue(None if r["value"] is None else str(r["value"]), int(r["n"]))
        for r in await rows(sql, statement)
    ]
    counted.sort(key=lambda f: (-f.count, f.value or ""))
    return counted[:FACET_LIMIT]


async def page_and_facets(
    selected: TransferFilter, zone: ZoneInfo, size: int = PAGE_SIZE
) -> tuple[Page, dict[str, list[FacetValue]]]:
    """The page and, per facet column, the values among the selected entries with counts.

    Filtered on indexed columns only, each count reads an index (a few ms); filtered on a
    field path, every count must read every entry's field lists, so one pass over the
    selection counts every combination of facet values instead.
    """
    if not selected.field:
        sql = Sql.connected()
        counted = await rows(
            sql, f"SELECT COUNT(*) AS n FROM transfer t WHERE {selected.where(sql, zone)}"
        )
        each = {column: await _facet(selected, zone, column) for column in FACETS}
        return await _page(selected, zone, size, int(counted[0]["n"])), each
    combinations = await _combinations(selected, zone)
    facets: dict[str, list[FacetValue]] = {}
    for index, column in enumerate(FACETS):
        counts: dict[str | None, int] = {}
        for values, count in combinations.items():
            counts[values[index]] = counts.get(values[index], 0) + count
        ordered = sorted(counts.items(), key=lambda vc: (-vc[1], vc[0] or ""))
        facets[column] = [FacetValue(v, c) for v, c in ordered[:FACET_LIMIT]]
    found = await _page(selected, zone, size, sum(combinations.values()))
    return found, facets


async def stream(selected: TransferFilter, zone: ZoneInfo) -> AsyncIterator[list[TransferRecord]]:
    """Every entry ``selected`` picks, newest first, in chunks (ignoring its page)."""
    before: int | None = None
    while True:
        sql = Sql.connected()
        where = selected.where(sql, zone)
        if before is not None:
            where += f" AND t.seq < {sql.p(before)}"
        statement = (
            f"SELECT {_COLUMNS} FROM transfer t WHERE {where} "
            f"ORDER BY t.seq DESC LIMIT {sql.p(STREAM_CHUNK)}"
        )
        chunk = [_record(r) for r in await rows(sql, statement)]
        if chunk:
            yield chunk
        if len(chunk) < STREAM_CHUNK:
            return
        before = chunk[-1].seq


async def one(transfer_id: str) -> TransferRecord | None:
    """The entry with this X-Transfer-Id, or None (also for text that is no UUID)."""
    try:
        wanted = uuid.UUID(transfer_id)
    except ValueError:
        return None
    return await TransferRecord.get_or_none(id=wanted)
