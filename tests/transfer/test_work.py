"""Unit tests for gateway.transfer.work: where body work runs, and the bound on large bodies."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from gateway.transfer.work import INLINE_BELOW, LARGE_FROM, BodyWorkers, Handover


def test_a_handed_over_body_is_taken_once() -> None:
    """The work takes the body and the handover lets go of it: a second take is a bug."""
    handed = Handover(bytearray(b"{}"))
    assert handed.take() == b"{}"
    with pytest.raises(AssertionError):
        handed.take()


async def test_small_bodies_stay_on_the_loop_and_large_ones_go_to_a_thread() -> None:
    """Work for a body under INLINE_BELOW runs on the event loop's thread; above, on a worker."""
    workers = BodyWorkers(threads=2, large_at_once=1)
    workers.start()
    try:
        here = threading.current_thread().name
        small = await workers.run(INLINE_BELOW - 1, lambda: threading.current_thread().name)
        large = await workers.run(INLINE_BELOW, lambda: threading.current_thread().name)
    finally:
        workers.stop()
    assert small == here
    assert large.startswith("body-work")


async def test_the_loop_answers_while_a_large_body_is_worked_on() -> None:
    """While a worker is busy for 0.3 s, the event loop still runs other tasks promptly."""
    workers = BodyWorkers(threads=1, large_at_once=1)
    workers.start()
    try:
        work = asyncio.ensure_future(workers.run(LARGE_FROM, time.sleep, 0.3))
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        assert time.perf_counter() - started < 0.1
        await work
    finally:
        workers.stop()


async def test_at_most_so_many_large_bodies_are_in_work_at_once() -> None:
    """With large_at_once=1, two large bodies are worked on one after the other, while a
    medium one runs beside them."""
    workers = BodyWorkers(threads=3, large_at_once=1)
    workers.start()
    busy: list[str] = []
    most = overlap = 0

    def work(name: str) -> None:
        nonlocal most, overlap
        busy.append(name)
        most = max(most, sum(1 for b in busy if b.startswith("large")))
        overlap = max(overlap, len(busy))
        time.sleep(0.1)
        busy.remove(name)

    try:
        await asyncio.gather(
            workers.run(LARGE_FROM, work, "large-1"),
            workers.run(LARGE_FROM, work, "large-2"),
            workers.run(LARGE_FROM - 1, work, "medium"),
        )
    finally:
        workers.stop()
    assert most == 1
    assert overlap == 2
