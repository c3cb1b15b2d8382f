"""Part 5, fairness: what a large sync being filtered adds to the latency of small transfers.

One gateway (SQLite, log on). First small transfers alone, in an open loop; then the same open
loop while another process posts a 100,000-pupil sync to the same gateway back to back. The
difference in p50 is what one large sync in work costs every small transfer beside it (the goal:
under ~50 ms; the gateway filters large bodies on worker threads, gateway.transfer.work).

``python bench/fairness.py post PORT FILE HEADERS`` is the poster: it sends FILE again and again
until it is stopped, one line per sync (status and seconds) on stdout.
"""

# ruff: noqa: S603 - the benchmark runs its own fixed commands
from __future__ import annotations

import contextlib
import json
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import loadgen
import memory
from servers import HOST, SYNC_PATH
from tools import BenchError


@dataclass(frozen=True)
class FairnessResult:
    large_pupils: int
    large_body_bytes: int
    rate: float  # small transfers a second
    seconds: float  # of each open loop
    alone_p50_ms: float
    alone_p99_ms: float
    during_p50_ms: float
    during_p99_ms: float
    large_syncs: int  # completed while the small ones were measured (and just after)
    large_sync_s: float  # median seconds of one large sync, end to end
    errors: int

    @property
    def added_p50_ms(self) -> float:
        return self.during_p50_ms - self.alone_p50_ms

    @property
    def added_p99_ms(self) -> float:
        return self.during_p99_ms - self.alone_p99_ms


@contextlib.contextmanager
def _posting(port: int, large: Path, headers: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    command = [sys.executable, __file__, "post", str(port), str(large), json.dumps(headers)]
    poster = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        yield poster
    finally:
        poster.send_signal(signal.SIGTERM)
        try:
            poster.wait(120)
        except subprocess.TimeoutExpired:
            poster.kill()
            poster.wait(10)


def measure(
    port: int,
    headers: dict[str, str],
    small: bytes,
    large: Path,
    pupils: int,
    *,
    rate: float,
    seconds: float,
) -> FairnessResult:
    url = f"http://{HOST}:{port}{SYNC_PATH}"
    if (status := memory.post_file(port, large, headers)) != 200:  # warm, and check it passes
        raise BenchError(f"the {pupils}-pupil sync was answered {status}")
    alone = loadgen.open_loop(url, small, headers, rate=rate, seconds=seconds)
    with _posting(port, large, headers) as poster:
        time.sleep(1.0)  # the first large sync is uploaded and in work
        during = loadgen.open_loop(url, small, headers, rate=rate, seconds=seconds)
    assert poster.stdout is not None
    syncs = [line.split() for line in poster.stdout.read().splitlines() if line.strip()]
    failed = [s for s in syncs if s[0] != "200"]
    if failed or not syncs:
        raise BenchError(f"large syncs during the fairness run: {len(syncs)}, failed: {failed}")
    return FairnessResult(
        large_pupils=pupils,
        large_body_bytes=large.stat().st_size,
        rate=rate,
        seconds=seconds,
        alone_p50_ms=alone.p50_ms,
        alone_p99_ms=alone.p99_ms,
        during_p50_ms=during.p50_ms,
        during_p99_ms=during.p99_ms,
        large_syncs=len(syncs),
        large_sync_s=statistics.median(float(s[1]) for s in syncs),
        errors=alone.errors + during.errors,
    )


def _post_until_stopped(port: int, large: Path, headers: dict[str, str]) -> None:
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        started = time.perf_counter()
        status = memory.post_file(port, large, headers)
        print(status, f"{time.perf_counter() - started:.3f}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] != ["post"] or len(sys.argv) != 5:
        raise SystemExit("usage: fairness.py post PORT FILE HEADERS")
    _post_until_stopped(int(sys.argv[2]), Path(sys.argv[3]), json.loads(sys.argv[4]))
