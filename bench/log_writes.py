"""What the log's writer writes per transfer, with random (version 4) against time-ordered
(version 7) transfer ids, side by side on the same database: WAL written per transfer and the
writer's CPU per transfer (SQLite: its thread; PostgreSQL: the server's WAL only).

Each transfer is a pending entry of 100 pupils (transfer row, entry, subject-index row) and,
in the next batch, its outcome (update, entry), as the gateway's writer commits them. The table
first holds ``PREFILL`` transfers, so that the indexes keyed by the id outgrow a page or two.

Run: ``.venv/bin/python bench/log_writes.py [DATABASE_URL] [prefill]`` (default: a SQLite file
in /tmp, 100,000 transfers). The database's tables are created if missing; rows are added.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from uuid_utils.compat import uuid7

from bench.filtercore import basispoort_sync
from gateway import database, samples
from gateway.evidence import entries, store, subject_index
from gateway.evidence.database import client, fetch
from gateway.evidence.subjects import SubjectKey, Subjects, index
from gateway.transfer.filter import payload

BATCH = 8  # transfers a commit: what 32 connections at a few hundred a second give
MEASURED = 4000  # transfers measured, after the prefill
IDS: dict[str, Callable[[], uuid.UUID]] = {"random (v4)": uuid.uuid4, "time-ordered (v7)": uuid7}
_Write = tuple[uuid.UUID, list[Any], list[Any]]


def transfer(make_id: Callable[[], uuid.UUID], pupils: int) -> _Write:
    """A transfer's insert row and its outcome's update row, each with its entry."""
    values = {
        "id": make_id(), "started_at": datetime.now(UTC), "method": "POST", "path": "/sync",
        "outcome": "pending", "records": pupils, "supplier": "basispoort", "school": "99XX",
        "fields_forwarded": ["leerlingen[].key"], "fields_stripped": {"leerlingen[].bsn": 1},
        "fields_invalid": {}, "fields_inspected": {}, "fields_withheld": {},
        "fields_transformed": {}, "subjects_sha256": "00" * 32,
    }  # fmt: skip
    ended = {
        "id": values["id"], "completed_at": datetime.now(UTC), "outcome": "forwarded",
        "status": 200, "upstream_status": 200, "problem": None, "duration_ms": 3.0,
    }  # fmt: skip
    begun = entries.make(entries.BEGIN, values)
    outcome = entries.make(entries.OUTCOME, ended, begun.leaf_hash)
    return (
        values["id"],
        [*store.row(values, store.INSERT_COLUMNS), *store.entry_row(begun)],
        [*store.row(ended, (*store.OUTCOME_COLUMNS, "id")), *store.entry_row(outcome)],
    )


class Writes:
    """Batches as the writer commits them: new pending entries with the previous outcomes."""

    def __init__(self, log: store.LogStore, held: Subjects, make_id: Callable[[], uuid.UUID]):
        self._log, self._held, self._make_id = log, held, make_id
        self._ending: list[_Write] = []

    async def batch(self) -> None:
        made = [transfer(self._make_id, 100) for _ in range(BATCH)]
        rows = subject_index.batch((made_id, self._held) for made_id, _, _ in made)
        await self._log.write([m[1] for m in made], [e[2] for e in self._ending], rows)
        self._ending = made


async def wal_position(log: store.LogStore, url: str) -> int:
    """Bytes of WAL so far: SQLite's -wal file (checkpoints off), PostgreSQL's LSN."""
    if isinstance(log, store.SqliteLogStore):
        return await asyncio.to_thread(os.path.getsize, url.removeprefix("sqlite://") + "-wal")
    [row] = await fetch(client(), "SELECT pg_current_wal_lsn() - '0/0' AS at")
    return int(row["at"])


async def measure(url: str, prefill: int, held: Subjects) -> None:
    await database.migrate(url)
    async with database.opened(url):
        for label, make_id in IDS.items():
            log = store.for_connection()
            writes = Writes(log, held, make_id)
            try:
                for _ in range(prefill // BATCH):
                    await writes.batch()
                cpu = 0.0
                if isinstance(log, store.SqliteLogStore):
                    await log.run(lambda db: db.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
                    await log.run(lambda db: db.execute("PRAGMA wal_autocheckpoint=0"))
                start = await wal_position(log, url)
                for _ in range(MEASURED // BATCH):
                    before = await _thread_time(log)
                    await writes.batch()
                    cpu += await _thread_time(log) - before
                wal = (await wal_position(log, url) - start) / MEASURED
                writer = f", writer CPU {cpu / MEASURED * 1e6:5.0f} us" if cpu else ""
                print(f"{label:>18}: WAL {wal / 1024:5.1f} KiB a transfer{writer}")
            finally:
                await log.close()


async def _thread_time(log: store.LogStore) -> float:
    if isinstance(log, store.SqliteLogStore):
        return await log.run(lambda _: time.thread_time())
    return 0.0


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///tmp/poortwachter-bench-writes.sqlite3"
    prefill = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    if url.startswith("sqlite://"):
        for suffix in ("", "-wal", "-shm"):
            with_suffix = url.removeprefix("sqlite://") + suffix
            if os.path.exists(with_suffix):
                os.remove(with_suffix)
    route, schema = basispoort_sync()
    result, _ = payload(msgspec.json.encode(samples.sync(100)), route, schema)
    held = index(result.body, SubjectKey(b"k" * 32))
    print(f"{database.describe(url)}, {prefill:,} transfers first, batches of {BATCH}")
    asyncio.run(measure(url, prefill, held))


if __name__ == "__main__":
    main()
