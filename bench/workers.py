"""The measurement behind gateway.transfer.work (docs/bounds.md): where body work should run.

How late the event loop gets to a 1 ms timer while one body is filtered, encoded and hashed
(``body_work``): on the loop itself, on a worker thread, and in a worker process (the body
handed over through shared memory, copied in 4 MB steps so that the copy itself does not stall
the loop; the process loads the contracts itself). The loop's lag is what every other transfer
waits.

Run: .venv/bin/python bench/workers.py [PUPILS ...]   (default 10000 100000)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context, shared_memory

import payloads
import uvloop

from gateway.settings import Settings
from gateway.transfer import work
from gateway.transfer.work import GIL_SWITCH_INTERVAL, Handover

ROUNDS = 3


def _body_work(raw: bytearray) -> int:
    import filtercore

    route, schema = filtercore.basispoort_sync()
    return len(work.body_work(Handover(raw), route, schema, Settings().bounds).body)


def _warm() -> int:
    import filtercore

    filtercore.basispoort_sync()
    return os.getpid()


def _from_shared(name: str, size: int) -> int:
    block = shared_memory.SharedMemory(name=name)
    try:
        raw = bytearray(block.buf[:size])
    finally:
        block.close()
    return _body_work(raw)


async def _lag_while(job: Callable[[], Awaitable[object]]) -> tuple[float, list[float]]:
    """Seconds ``job`` took, and how late (ms) a 1 ms timer fired throughout."""
    lags: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        while not done.is_set():
            due = time.perf_counter() + 0.001
            await asyncio.sleep(0.001)
            lags.append((time.perf_counter() - due) * 1000)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.05)
    lags.clear()
    started = time.perf_counter()
    await job()
    seconds = time.perf_counter() - started
    done.set()
    await ticker
    return seconds, lags


async def main(sizes: list[int]) -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # as the gateway runs
    loop = asyncio.get_running_loop()
    threads = ThreadPoolExecutor(1)
    processes = ProcessPoolExecutor(1, mp_context=get_context("forkserver"))
    await loop.run_in_executor(processes, _warm)
    _warm()

    async def inline(raw: bytearray) -> None:
        _body_work(bytearray(raw))

    async def thread(raw: bytearray) -> None:
        await loop.run_in_executor(threads, _body_work, bytearray(raw))

    async def process(raw: bytearray) -> None:
        block = shared_memory.SharedMemory(create=True, size=len(raw))
        try:
            for start in range(0, len(raw), 4 << 20):
                block.buf[start : start + (4 << 20)] = raw[start : start + (4 << 20)]
                await asyncio.sleep(0)
            await loop.run_in_executor(processes, _from_shared, block.name, len(raw))
        finally:
            block.close()
            block.unlink()

    print(f"GIL switch interval {GIL_SWITCH_INTERVAL * 1000:g} ms; median of {ROUNDS} rounds")
    columns = ("pupils", "MB", "where", "work s", "lag p50", "p99", "max ms")
    print("{:>8} {:>6} {:<8} {:>7} {:>8} {:>8} {:>8}".format(*columns))
    for pupils in sizes:
        raw = bytearray(payloads.body(pupils))
        for name, how in (("inline", inline), ("thread", thread), ("process", process)):
            runs = [
                await _lag_while(lambda how=how, raw=raw: how(raw))  # type: ignore[misc]
                for _ in range(ROUNDS)
            ]
            seconds = statistics.median(s for s, _ in runs)
            p50 = statistics.median(statistics.median(lags) for _, lags in runs)
            p99 = statistics.median(sorted(lags)[int(len(lags) * 0.99)] for _, lags in runs)
            worst = statistics.median(max(lags) for _, lags in runs)
            print(f"{pupils:>8,} {len(raw) / 1e6:>6.1f} {name:<8} {seconds:>7.2f} "
                  f"{p50:>8.2f} {p99:>8.2f} {worst:>8.1f}", flush=True)  # fmt: skip
    threads.shutdown()
    processes.shutdown()


if __name__ == "__main__":
    uvloop.run(main([int(a) for a in sys.argv[1:]] or [10_000, 100_000]))
