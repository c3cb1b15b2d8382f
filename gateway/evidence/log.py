"""The transfer log's writer: entries durable before anything is sent upstream.

Writes are group-committed: entries queued while one transaction runs go into the next one
together, so many concurrent transfers share one commit (and one fsync) without any of them
being forwarded before its own entry is stored. A transfer whose entry cannot be written in
``log_write_timeout`` seconds is refused with 503.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from gateway.evidence import entries, subject_index
from gateway.evidence.store import (
    INSERT_COLUMNS,
    OUTCOME_COLUMNS,
    LogStore,
    entry_row,
    for_connection,
    row,
)
from gateway.evidence.subjects import Subjects
from gateway.problems import LogUnavailable
from gateway.transfer.record import entry, outcome
from gateway.transfer.state import Transfer

logger = logging.getLogger("gateway.record")

# kind, the row, whoever waits for its commit, and the pupils a pending entry holds
_Held = tuple[uuid.UUID, Subjects]
_Write = tuple[str, list[Any], "asyncio.Future[None]", _Held | None]


class TransferLog:
    """The durable transfer log, written by one task in batches."""

    def __init__(
        self, *, write_timeout: float, batch_size: int, store: LogStore | None = None
    ) -> None:
        self._write_timeout = write_timeout
        self._batch_size = batch_size
        self._store = store
        self._owns_store = False
        self._queue: asyncio.Queue[_Write | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        # The leaf hash of each begun transfer's entry, until its outcome entry names it.
        self._begun: dict[Any, bytes] = {}

    @property
    def running(self) -> bool:
        """Whether the writer takes entries (it stops only when the gateway stops)."""
        return self._task is not None and not self._task.done()

    @property
    def store(self) -> LogStore | None:
        """Where batches are committed (chosen at ``start`` for the connected database)."""
        return self._store

    async def start(self) -> None:
        if self._store is None:
            self._store = for_connection()
            self._owns_store = True
        self._task = asyncio.create_task(self._run(), name="transfer-log")

    async def stop(self) -> None:
        try:
            if self._task is not None:
                self._queue.put_nowait(None)
                await self._task
                self._task = None
        finally:
            if self._store is not None:
                await self._store.close()
            if self._owns_store:  # a later start() connects afresh
                self._store = None
                self._owns_store = False

    async def begin(self, transfer: Transfer) -> None:
        """Store the pending entry, and the pupils it holds in the subject index in the same
        commit; raises LogUnavailable if it is not stored in time."""
        values = entry(transfer)
        begun = entries.make(entries.BEGIN, values)
        self._begun[transfer.id] = begun.leaf_hash
        held = (transfer.id, transfer.subjects) if transfer.subjects is not None else None
        await self._write("insert", _insert_row(values, begun), held)

    async def complete(self, transfer: Transfer) -> None:
        """Queue the outcome of a transfer whose pending entry is stored; do not wait for it.

        The caller's answer need not wait for a second commit: what mattered (the entry, before
        anything left) is durable. Should the gateway die before the outcome is written, the
        entry stays pending and its heartbeat sweep marks it unknown, which is the truth as far
        as the log can know it. ``flush`` waits for every queued write.
        """
        values = outcome(transfer)
        begin = self._begun.pop(transfer.id, None)
        ended = entries.make(entries.OUTCOME, values, begin)
        future = self._enqueue("update", [*row(values, _UPDATE_COLUMNS), *entry_row(ended)])
        future.add_done_callback(_report_lost_outcome)

    async def flush(self) -> None:
        """Wait until every write queued so far is durable (the FG's reads begin with this)."""
        await self._write("flush", [])

    async def refused(self, transfer: Transfer) -> None:
        """Store a transfer that ended before anything could be sent."""
        values = entry(transfer)
        await self._write("insert", _insert_row(values, entries.make(entries.REFUSED, values)))

    def _enqueue(
        self, kind: str, values: list[Any], held: _Held | None = None
    ) -> asyncio.Future[None]:
        if self._task is None or self._task.done():
            raise LogUnavailable("the transfer log writer is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((kind, values, future, held))
        return future

    async def _write(self, kind: str, values: list[Any], held: _Held | None = None) -> None:
        future = self._enqueue(kind, values, held)
        try:
            # Not shielded: a cancelled or timed-out wait leaves the write queued, and the
            # writer settles only futures nobody gave up on.
            async with asyncio.timeout(self._write_timeout):
                await future
        except TimeoutError:
            raise LogUnavailable(
                f"the transfer log was not written within {self._write_timeout:g} s"
            ) from None
        except Exception:
            # The cause is in the operational log; it may quote another transfer's values.
            raise LogUnavailable("the transfer log cannot be written") from None

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._batch_size and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._commit(batch)

    async def _commit(self, batch: list[_Write]) -> None:
        try:
            await self._write_all(batch)
        except Exception:
            if len(batch) == 1:
                logger.exception("transfer log write failed")
                _settle(batch, lambda f: f.set_exception(LogUnavailable()))
                return
            # One bad entry must not fail the others: write each on its own.
            logger.warning("transfer log batch of %d failed; writing one by one", len(batch))
            for write in batch:
                await self._commit([write])
            return
        _settle(batch, lambda f: f.set_result(None))

    async def _write_all(self, batch: list[_Write]) -> None:
        """Every write of the batch in one commit, in two statements at most (executemany).

        Raw SQL rather than ORM objects: building a model per entry and an UPDATE per outcome
        made a batch cost per entry instead of per batch, and the log the gateway's bottleneck.
        """
        inserts = [values for kind, values, _, _ in batch if kind == "insert"]
        updates = [values for kind, values, _, _ in batch if kind == "update"]
        if not inserts and not updates:
            return  # only flushes: everything before them is already committed
        assert self._store is not None, "started"
        subjects = subject_index.batch(held for _, _, _, held in batch if held is not None)
        if subjects is None:
            await self._store.write(inserts, updates)
        else:
            await self._store.write(inserts, updates, subjects)


_UPDATE_COLUMNS = (*OUTCOME_COLUMNS, "id")


def _insert_row(values: dict[str, Any], written: entries.Entry) -> list[Any]:
    """The transfer row's values in column order, then its entry's (built before queueing, so
    that the writer's task only commits)."""
    return [*row(values, INSERT_COLUMNS), *entry_row(written)]


def _report_lost_outcome(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("an outcome was not recorded; its entry stays pending")


def _settle(batch: list[_Write], action: Callable[[asyncio.Future[None]], None]) -> None:
    for _, _, future, _ in batch:
        if not future.done():
            action(future)


class NoTransferLog(TransferLog):
    """Records nothing. Only for ``make bench``, to measure what the real log costs."""

    @property
    def running(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def complete(self, transfer: Transfer) -> None:
        return None

    async def begin(self, transfer: Transfer) -> None:
        entry(transfer)  # what the log did before it built entries, so the ratio counts them

    async def refused(self, transfer: Transfer) -> None:
        entry(transfer)

    async def _write(self, kind: str, values: list[Any], held: _Held | None = None) -> None:
        return None
