"""What the review queue and the Overzicht need from every entry, read once per entry.

The queue asks which field paths are new to a supplier and which transfers were blocked, had
special-category fields stripped, or carried identifiers; answering from the whole log on
every visit would read every entry's field lists (0.3 to 0.5 s for 100,000 on SQLite). Instead
this scan reads the entries it has not read yet, in ``seq`` order, and keeps one row per
(supplier, role, path) with the first transfer that had it, and one small ``FlaggedTransfer``
row per transfer with anything to flag. What it reads does not change after the entry is
written (fields at insert; a refusal is written with its outcome).

On PostgreSQL an entry can commit after one with a higher ``seq`` (several writers), so a
scan reads again the ``RESCAN`` entries below where the last one stopped when their number
has grown since (a count on the primary key tells); a path's first
transfer only ever moves to an earlier one, and a flag row is written once. An entry committed
more than ``RESCAN`` entries late would be missed (its path is still found at its next
transfer). SQLite has one writer at a time, so ``seq`` order is commit order there.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from gateway.console.models import FieldPathSeen, FlaggedTransfer, ScanMark
from gateway.console.sql import Sql, moment, rows

MARK = "field_paths"
RESCAN = 5000
BATCH = 5_000  # entries a background catch-up reads at a time
PAGE_BATCH = 2_000  # entries a page reads before it answers (about 0.1 s); the rest waits


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def first_seen(
    entries: Iterable[dict[str, Any]],
) -> dict[tuple[str, str, str], tuple[int, datetime]]:
    """(supplier, role, path) -> (seq, started_at) of its first entry among ``entries``."""
    found: dict[tuple[str, str, str], tuple[int, datetime]] = {}
    for entry in entries:
        supplier = entry["supplier"]
        if supplier is None:
            continue
        seq = int(entry["seq"])
        paths = {
            "forwarded": _decoded(entry["fields_forwarded"]) or [],
            "stripped": _decoded(entry["fields_stripped"]) or {},
        }
        for role, named in paths.items():
            for path in named:
                key = (supplier, role, str(path))
                if key not in found or seq < found[key][0]:
                    found[key] = (seq, moment(entry["started_at"]))
    return found


def flags(entry: dict[str, Any], special: Collection[str]) -> FlaggedTransfer | None:
    """The flag row of one entry, or None when it has nothing to flag."""
    stripped = _decoded(entry["fields_stripped"]) or {}
    row = FlaggedTransfer(
        seq=int(entry["seq"]),
        started_at=moment(entry["started_at"]),
        supplier=entry["supplier"],
        blocked=entry["outcome"] == "blocked",
        special=any(path in special for path in stripped),
        inspected=bool(_decoded(entry["fields_inspected"])),
        invalid=bool(_decoded(entry["fields_invalid"])),
    )
    return row if row.blocked or row.special or row.inspected or row.invalid else None


def _read(
    entries: list[dict[str, Any]], special: Collection[str]
) -> tuple[dict[tuple[str, str, str], tuple[int, datetime]], list[FlaggedTransfer]]:
    return first_seen(entries), [f for e in entries if (f := flags(e, special)) is not None]


_running = asyncio.Lock()


async def catch_up(special: Collection[str], batch: int = BATCH) -> int:
    """Read up to ``batch`` entries not read before (``special``: the special-category field
    paths); returns how many were new. A pending entry is read as it is: its fields are final
    when it is written, and only a refusal, written with its outcome at once, is blocked.

    While another catch-up runs in this process this one returns 0 at once: a page does not
    wait for the start-up scan, it says how far behind the scan is."""
    if _running.locked():
        return 0
    async with _running:
        return await _catch_up(special, batch)


async def _catch_up(special: Collection[str], batch: int) -> int:
    mark = await ScanMark.get_or_none(name=MARK)
    last = mark.seq if mark else 0
    start = last
    # Read the window again only if an entry arrived in it since: counting is cheap.
    late = Sql.connected().dialect != "sqlite" and last
    if late and await _count(last - RESCAN, last) != (mark.window if mark else 0):
        start = max(0, last - RESCAN)
    sql = Sql.connected()
    statement = (
        "SELECT t.seq, t.started_at, t.supplier, t.outcome, t.fields_forwarded, "
        "t.fields_stripped, t.fields_invalid, t.fields_inspected "
        f"FROM transfer t WHERE t.seq > {sql.p(start)} "
        f"ORDER BY t.seq LIMIT {sql.p(batch + last - start)}"
    )
    entries = await rows(sql, statement)
    if not entries:
        return 0
    # Decoding thousands of field lists is CPU work: on a thread, so the event loop (and the
    # transfers on it) keeps answering meanwhile.
    found, flagged = await asyncio.to_thread(_read, entries, special)
    known = {(s.supplier, s.role, s.path): s for s in await FieldPathSeen.all()}
    new = []
    for key, (seq, at) in found.items():
        seen = known.get(key)
        if seen is None:
            new.append(
                FieldPathSeen(supplier=key[0], role=key[1], path=key[2], first_seq=seq, first_at=at)
            )
        elif seq < seen.first_seq:
            await FieldPathSeen.filter(id=seen.id).update(first_seq=seq, first_at=at)
    if new:
        await FieldPathSeen.bulk_create(new, ignore_conflicts=True)
    if flagged:
        await FlaggedTransfer.bulk_create(flagged, ignore_conflicts=True)
    highest = max(last, *(int(e["seq"]) for e in entries))
    window = await _count(highest - RESCAN, highest)
    await ScanMark.update_or_create(defaults={"seq": highest, "window": window}, name=MARK)
    return sum(1 for e in entries if int(e["seq"]) > last)


async def _count(above: int, up_to: int) -> int:
    sql = Sql.connected()
    statement = (
        f"SELECT COUNT(*) AS n FROM transfer t WHERE t.seq > {sql.p(max(0, above))} "
        f"AND t.seq <= {sql.p(up_to)}"
    )
    return int((await rows(sql, statement))[0]["n"])


async def behind() -> int:
    """How many entries the scan has not read yet (0 when it is up to date)."""
    mark = await ScanMark.get_or_none(name=MARK)
    sql = Sql.connected()
    statement = (
        f"SELECT COUNT(*) AS n FROM transfer t WHERE t.seq > {sql.p(mark.seq if mark else 0)}"
    )
    return int((await rows(sql, statement))[0]["n"])


async def catch_up_all(special: Collection[str], batch: int = BATCH) -> None:
    """Read everything not read yet, a batch at a time (in the background at start-up)."""
    async with _running:
        read = batch
        while read >= batch:
            read = await _catch_up(special, batch)
