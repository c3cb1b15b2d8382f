"""What the subject index costs in the body work: ``subjects.index`` on the forwarded body of a
Basispoort sync, beside the filter itself, at 100 and 10,000 pupils (docs/access-requests.md).

Run: ``.venv/bin/python bench/subjects.py``.
"""

from __future__ import annotations

import statistics
import time

import msgspec

from bench.filtercore import basispoort_sync
from gateway import samples
from gateway.evidence.subjects import SubjectKey, index
from gateway.transfer.filter import payload


def best_of(runs: int, work: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times) * 1000, statistics.median(times) * 1000  # type: ignore[return-value]


def main() -> None:
    route, schema = basispoort_sync()
    key = SubjectKey(b"k" * 32)
    for pupils, runs in ((100, 200), (10_000, 10)):
        raw = msgspec.json.encode(samples.sync(pupils))
        result, _ = payload(raw, route, schema)
        held = index(result.body, key)
        assert len(held.rows) == 2 * pupils, len(held.rows)  # leerlingkey, basispoort_id
        filter_ms = best_of(runs, lambda raw=raw: payload(raw, route, schema))
        index_ms = best_of(runs, lambda body=result.body: index(body, key))
        print(
            f"{pupils:>6} pupils: filter {filter_ms[0]:8.2f} ms, index {index_ms[0]:7.2f} ms "
            f"(best of {runs}; {index_ms[0] / filter_ms[0]:.0%} of the filter; medians "
            f"{filter_ms[1]:.2f} and {index_ms[1]:.2f} ms), "
            f"{len(held.rows)} rows, {len(held.fieldsets)} field-set(s)"
        )


if __name__ == "__main__":
    main()
