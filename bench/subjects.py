"""What the subject index costs (docs/access-requests.md), at 100 and 10,000 pupils of a
Basispoort sync: ``subjects.index`` on the forwarded body beside the filter itself, and the
commit of the pending entry with and without its index rows, on a database.

Run: ``.venv/bin/python bench/subjects.py [DATABASE_URL]`` (default: a SQLite file in /tmp).
The database's tables are created if missing; rows are added to it.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from bench.filtercore import basispoort_sync
from gateway import database, samples
from gateway.evidence import entries, store, subject_index
from gateway.evidence.subjects import SubjectKey, Subjects, index
from gateway.transfer.filter import payload

SIZES = ((100, 200, 40), (10_000, 10, 5))  # pupils, filter runs, commit runs
PREFILL = 2000  # transfers of 100 pupils in the index before the commits are timed
KEY = SubjectKey(b"k" * 32)


def best_and_median(times: list[float]) -> tuple[float, float]:
    return min(times) * 1000, statistics.median(times) * 1000


def timed(runs: int, work: Callable[[], Any]) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return best_and_median(times)


def body_work() -> dict[int, Subjects]:
    route, schema = basispoort_sync()
    held_by_size = {}
    for pupils, runs, _ in SIZES:
        raw = msgspec.json.encode(samples.sync(pupils))
        result, _ = payload(raw, route, schema)
        held = held_by_size[pupils] = index(result.body, KEY)
        assert len(held.rows) == 2 * pupils, len(held.rows)  # leerlingkey, basispoort_id
        filtering = timed(runs, lambda raw=raw: payload(raw, route, schema))
        indexing = timed(runs, lambda body=result.body: index(body, KEY))
        print(
            f"{pupils:>6} pupils: filter {filtering[0]:8.2f} ms, index {indexing[0]:7.2f} ms "
            f"(best of {runs}: {indexing[0] / filtering[0]:.0%} of the filter; medians "
            f"{filtering[1]:.2f} and {indexing[1]:.2f} ms), {len(held.rows)} rows, "
            f"{len(held.fieldsets)} field-set(s)"
        )
    return held_by_size


def _transfer_row(pupils: int) -> tuple[uuid.UUID, list[Any]]:
    """A pending transfer's row with its log entry, as the log's writer queues it."""
    values = {
        "id": uuid.uuid4(), "started_at": datetime.now(UTC), "method": "POST", "path": "/sync",
        "outcome": "pending", "records": pupils, "fields_forwarded": [], "fields_stripped": {},
        "fields_invalid": {}, "fields_inspected": {}, "fields_withheld": {},
        "fields_transformed": {},
    }  # fmt: skip
    begun = entries.make(entries.BEGIN, values)
    return values["id"], [*store.row(values, store.INSERT_COLUMNS), *store.entry_row(begun)]


async def commits(url: str, held_by_size: dict[int, Subjects]) -> None:
    """Each size's commit with and without its index rows, after PREFILL transfers of 100
    pupils are in the index: the index's cost shows once it outgrows the database's cache."""
    await database.migrate(url)
    async with database.opened(url):
        log = store.for_connection()
        try:
            for _ in range(PREFILL):
                transfer, row = _transfer_row(100)
                await log.write([row], [], subject_index.batch([(transfer, held_by_size[100])]))
            for pupils, _, runs in SIZES:
                for with_index in (False, True):
                    times = []
                    for _ in range(runs):
                        transfer, row = _transfer_row(pupils)
                        start = time.perf_counter()
                        rows = subject_index.batch([(transfer, held_by_size[pupils])])
                        await log.write([row], [], rows if with_index else None)
                        times.append(time.perf_counter() - start)
                    best, median = best_and_median(times)
                    print(
                        f"{database.describe(url).split()[0]:>10} {pupils:>6} pupils, commit "
                        f"{'with' if with_index else 'without'} index rows: best {best:7.2f} ms, "
                        f"median {median:7.2f} ms"
                    )
        finally:
            await log.close()


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///tmp/poortwachter-bench-subjects.sqlite3"
    held_by_size = body_work()
    asyncio.run(commits(url, held_by_size))


if __name__ == "__main__":
    main()
