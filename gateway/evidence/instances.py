"""Gateway instances: each running gateway process beats a heartbeat in the database.

A transfer's pending entry carries the instance that wrote it. When a gateway stops between
logging and forwarding (killed, crashed, power lost), its heartbeat stops too; the next gateway
to sweep, at its start and every heartbeat after, marks every pending entry of an instance whose
heartbeat is older than ``STALE_AFTER`` heartbeats as ``unknown``: the data may or may not have
left, and the FG must see that. This works the same for one process on SQLite and for several
on PostgreSQL, since no instance ever touches another live instance's entries.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gateway.evidence import entries
from gateway.evidence.models import GatewayInstance, LogEntry, TransferRecord
from gateway.evidence.store import OUTCOME_COLUMNS
from gateway.transfer.state import PENDING, UNKNOWN

logger = logging.getLogger("gateway.instances")

STALE_AFTER = 3  # heartbeats missed before an instance counts as gone
FORGET_AFTER = timedelta(days=7)  # instance rows kept this long after their last heartbeat


class Instance:
    """This process, as the transfer log knows it."""

    def __init__(self, heartbeat_seconds: float) -> None:
        self.id = uuid.uuid4()
        self.heartbeat_seconds = heartbeat_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        now = datetime.now(UTC)
        await GatewayInstance.create(
            id=self.id, host=socket.gethostname()[:255], pid=os.getpid(), started_at=now,
            heartbeat_at=now,
        )  # fmt: skip
        await self.sweep()
        self._task = asyncio.create_task(self._beat(), name="gateway-heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await GatewayInstance.filter(id=self.id).delete()

    async def sweep(self) -> int:
        """Mark pending entries of gone instances as unknown; returns how many."""
        now = datetime.now(UTC)
        stale = now - timedelta(seconds=STALE_AFTER * self.heartbeat_seconds)
        live = await GatewayInstance.filter(heartbeat_at__gte=stale).values_list("id", flat=True)
        # Entries with no instance at all (written before instances existed) are orphans too.
        orphaned = TransferRecord.filter(
            Q(instance__isnull=True) | ~Q(instance__in=list(live)), outcome=PENDING
        )
        marked = 0
        for transfer_id in await orphaned.values_list("id", flat=True):
            marked += await _mark_unknown(uuid.UUID(str(transfer_id)), now)
        if marked:
            logger.warning("marked %d transfers of stopped gateways as unknown", marked)
        await GatewayInstance.filter(heartbeat_at__lt=now - FORGET_AFTER).delete()
        return marked

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                await GatewayInstance.filter(id=self.id).update(heartbeat_at=datetime.now(UTC))
                await self.sweep()
            except Exception:
                logger.exception("heartbeat failed")


async def _mark_unknown(transfer_id: uuid.UUID, now: datetime) -> int:
    """Mark one pending transfer unknown, with its outcome entry, in one transaction; 0 if
    another gateway's sweep got there first."""
    async with in_transaction() as connection:
        pending = TransferRecord.filter(id=transfer_id, outcome=PENDING).using_db(connection)
        if not await pending.update(outcome=UNKNOWN, completed_at=now):
            return 0
        values = await (
            TransferRecord.filter(id=transfer_id)
            .using_db(connection)
            .first()
            .values("id", *OUTCOME_COLUMNS)
        )
        begin = await (
            LogEntry.filter(transfer_id=transfer_id, kind=entries.BEGIN)
            .using_db(connection)
            .first()
            .values_list("leaf_hash", flat=True)
        )
        assert values is not None, "updated just now"
        begin_hash = bytes(begin) if isinstance(begin, bytes | bytearray | memoryview) else None
        ended = entries.make(entries.OUTCOME, {**values, "id": transfer_id}, begin_hash)
        await LogEntry.create(
            using_db=connection, transfer_id=transfer_id, kind=ended.kind, body=ended.body,
            leaf_hash=ended.leaf_hash, written_at=ended.written_at,
        )  # fmt: skip
    return 1
