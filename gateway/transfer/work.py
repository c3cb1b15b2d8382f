"""Between receive and record: the CPU work on a body (decompress, filter, encode, hash), off the
event loop, so that one large sync does not stall every small transfer while it is filtered.

``body_work`` is that work for one body, as one call; ``BodyWorkers`` decides where it runs.
Bodies under ``INLINE_BELOW`` are done on the event loop: their work (about 6 us a KB) costs
less than handing it to a thread. Larger ones go to a small pool of threads, and at most
``large_at_once`` bodies of ``LARGE_FROM`` or more are in work at once; the others wait their
turn without holding a thread.

Threads, not processes (measured in docs/bounds.md, ``bench/workers.py``): the compiled filter
decodes a large body a batch of records at a time and zlib and hashlib let go of the GIL, so the
event loop gets its turns while a large body is filtered; a process would need the body copied
to it and the compiled policies rebuilt there from the files, for a smaller stall. The
interpreter's switch interval is lowered to ``GIL_SWITCH_INTERVAL`` so that the loop waits for
the GIL at most that long between the filter's steps.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from gateway.evidence import subjects
from gateway.formats.bounds import Bounds
from gateway.formats.filtered import Filtered, NamedSchool
from gateway.formats.payload_schema import PayloadSchema
from gateway.formats.transforms import Transforms
from gateway.register.agreements import Route
from gateway.transfer import filter
from gateway.transfer.receive import Body

P = ParamSpec("P")
T = TypeVar("T")

INLINE_BELOW = 256 * 1024  # bytes: a 100-pupil sync (160 KB) is filtered on the loop
LARGE_FROM = 16 * 1024 * 1024  # bytes: about 10,000 pupils
GIL_SWITCH_INTERVAL = 0.0002  # seconds; the interpreter's default is 5 ms


class Handover:
    """A body handed to the work, holding the only reference to it, so that the work can let
    go of it as soon as it is done with it (a large sync is then in memory once, not twice)."""

    def __init__(self, body: Body) -> None:
        self._body: Body | None = body

    def take(self) -> Body:
        body, self._body = self._body, None
        assert body is not None, "a handed-over body is taken once"
        return body


@dataclass(frozen=True, slots=True)
class Worked:
    """What the work made of a body: the account for the log, and the bytes that may leave."""

    filtered: Filtered
    named: NamedSchool  # the school the payload names, checked against X-School
    body: bytes | bytearray  # exactly what is forwarded
    sha256: str  # of ``body``, for the log
    subjects: subjects.Subjects | None = None  # the pupils ``body`` holds, for the index


def body_work(
    handed: Handover,
    route: Route,
    schema: PayloadSchema,
    limits: Bounds,
    context: Transforms | None = None,
    key: subjects.SubjectKey | None = None,
) -> Worked:
    """Filter one decoded body by ``route``'s policy (which writes what is kept), hash it,
    and (given the subject key) name the pupils it holds for the subject index."""
    raw = handed.take()
    result, named = filter.payload(raw, route, schema, limits, context)
    del raw  # free the body before anything goes out
    held = subjects.index(result.body, key) if key is not None else None
    return Worked(result, named, result.body, hashlib.sha256(result.body).hexdigest(), held)


class BodyWorkers:
    """Where body work runs: inline when small, else on a bounded pool of threads."""

    def __init__(self, threads: int, large_at_once: int) -> None:
        self._threads = threads
        self._large = asyncio.Semaphore(large_at_once)
        self._pool: ThreadPoolExecutor | None = None

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="body-work")
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL))

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def run(self, size: int, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``work(*args, **kwargs)`` for a body of about ``size`` bytes, where it belongs."""
        if size < INLINE_BELOW or self._pool is None:
            return work(*args, **kwargs)
        loop = asyncio.get_running_loop()
        if size < LARGE_FROM:
            return await loop.run_in_executor(self._pool, lambda: work(*args, **kwargs))
        async with self._large:
            return await loop.run_in_executor(self._pool, lambda: work(*args, **kwargs))
