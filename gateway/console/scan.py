"""The field paths each supplier has been sent or had stripped, and the first transfer of each.

The review queue asks which paths are new; answering from the whole log on every visit would
read every entry's field lists. Instead this scan reads the entries it has not read yet, in
``seq`` order, and keeps one row per (supplier, role, path) with the first transfer that had it.

On PostgreSQL an entry can commit after one with a higher ``seq`` (several writers), so every
scan reads again the ``RESCAN`` entries below where the last one stopped; a path's first
transfer only ever moves to an earlier one. An entry committed more than ``RESCAN`` entries
late would be missed as a first; its path is still found at its next transfer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from gateway.console.models import FieldPathSeen, ScanMark
from gateway.console.sql import Sql, moment, rows

MARK = "field_paths"
RESCAN = 5000
BATCH = 20_000


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


async def catch_up(batch: int = BATCH) -> int:
    """Read up to ``batch`` entries not read before; returns how many were new."""
    mark = await ScanMark.get_or_none(name=MARK)
    last = mark.seq if mark else 0
    sql = Sql.connected()
    statement = (
        "SELECT t.seq, t.started_at, t.supplier, t.fields_forwarded, t.fields_stripped "
        f"FROM transfer t WHERE t.seq > {sql.p(max(0, last - RESCAN))} "
        f"ORDER BY t.seq LIMIT {sql.p(batch + RESCAN)}"
    )
    entries = await rows(sql, statement)
    if not entries:
        return 0
    found = first_seen(entries)
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
    highest = max(int(e["seq"]) for e in entries)
    if highest > last:
        await ScanMark.update_or_create(defaults={"seq": highest}, name=MARK)
    return sum(1 for e in entries if int(e["seq"]) > last)


async def behind() -> int:
    """How many entries the scan has not read yet (0 when it is up to date)."""
    mark = await ScanMark.get_or_none(name=MARK)
    sql = Sql.connected()
    statement = (
        f"SELECT COUNT(*) AS n FROM transfer t WHERE t.seq > {sql.p(mark.seq if mark else 0)}"
    )
    return int((await rows(sql, statement))[0]["n"])


async def catch_up_all(batch: int = BATCH) -> None:
    """Read everything not read yet, a batch at a time (in the background at start-up)."""
    while await catch_up(batch) >= batch:
        pass
