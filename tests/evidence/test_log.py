"""The transfer log's writer: group commits, failures, and the sweep of abandoned entries."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway import samples
from gateway.evidence.instances import Instance
from gateway.evidence.log import TransferLog
from gateway.evidence.models import GatewayInstance, TransferRecord
from gateway.problems import LogUnavailable
from gateway.transfer.state import FORWARDED, PENDING, UNKNOWN, Transfer
from tests.conftest import RunningGateway, Upstream


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of writes (flushes aside) in every batch any TransferLog commits, in order."""
    sizes: list[int] = []
    commit = TransferLog._commit

    async def counting(self: TransferLog, batch: list[Any]) -> None:
        writes = sum(1 for kind, _, _, _ in batch if kind != "flush")
        if writes:
            sizes.append(writes)
        await commit(self, batch)

    monkeypatch.setattr(TransferLog, "_commit", counting)
    return sizes


async def test_fifty_concurrent_transfers_are_all_logged_complete(
    start_gateway: Any, upstream: Upstream, batches: list[int]
) -> None:
    """50 pushes at once: 50 forwarded, complete entries, 50 upstream requests, shared commits."""
    gateway: RunningGateway = await start_gateway(concurrency_per_client=0)
    payloads = [samples.sync(2, seed=n) for n in range(50)]
    responses = await asyncio.gather(*(gateway.push(p) for p in payloads))
    assert [r.status_code for r in responses] == [200] * 50
    assert len(upstream.received) == 50
    entries = await gateway.transfers(limit=100)
    assert len(entries) == 50
    assert {e["id"] for e in entries} == {r.headers["X-Transfer-Id"] for r in responses}
    for e in entries:
        assert e["outcome"] == FORWARDED
        assert e["completed_at"] is not None
        assert (e["status"], e["upstream_status"], e["records"]) == (200, 200, 2)
    hashes = {hashlib.sha256(r.body).hexdigest() for r in upstream.received}
    assert {e["body_sha256"] for e in entries} == hashes
    # 50 inserts and 50 updates went through fewer than 100 commits: writes were grouped
    assert sum(batches) == 100
    assert len(batches) < 100
    assert max(batches) > 1


async def test_a_batch_never_exceeds_the_batch_size(start_gateway: Any, batches: list[int]) -> None:
    """With batch_size=4, 30 concurrent writes are all stored in batches of at most 4."""
    await start_gateway()  # connects the database
    log = TransferLog(write_timeout=10, batch_size=4)
    await log.start()
    try:
        transfers = [Transfer(method="POST", path=f"/t/{n}") for n in range(30)]
        batches.clear()
        await asyncio.gather(*(log.begin(t) for t in transfers))
    finally:
        await log.stop()
    assert sum(batches) == 30
    assert max(batches) <= 4
    assert len(batches) >= 8
    assert await TransferRecord.filter(path__startswith="/t/").count() == 30


async def test_begin_then_complete_stores_the_outcome(start_gateway: Any) -> None:
    """``begin`` stores a pending entry; ``complete`` turns the same row into its outcome."""
    await start_gateway()
    log = TransferLog(write_timeout=10, batch_size=16)
    await log.start()
    try:
        transfer = Transfer(method="POST", path="/sync", supplier="basispoort")
        await log.begin(transfer)
        stored = await TransferRecord.get(id=transfer.id)
        assert (stored.outcome, stored.completed_at) == (PENDING, None)
        transfer.finish(FORWARDED, 201, upstream_status=201)
        await log.complete(transfer)
    finally:
        await log.stop()
    stored = await TransferRecord.get(id=transfer.id)
    assert (stored.outcome, stored.status, stored.upstream_status) == (FORWARDED, 201, 201)
    assert stored.completed_at is not None and stored.duration_ms is not None
    assert await TransferRecord.filter(id=transfer.id).count() == 1


async def test_a_stopped_log_refuses_to_record(start_gateway: Any) -> None:
    """A log whose writer is not running raises LogUnavailable instead of pretending to store."""
    await start_gateway()
    log = TransferLog(write_timeout=1, batch_size=16)
    transfer = Transfer(method="POST", path="/never")
    with pytest.raises(LogUnavailable):
        await log.begin(transfer)
    await log.start()
    await log.stop()
    with pytest.raises(LogUnavailable):
        await log.begin(transfer)
    assert not await TransferRecord.exists(id=transfer.id)


async def test_a_failed_batch_fails_every_write_in_it(start_gateway: Any) -> None:
    """A duplicate id in a batch fails the whole batch: no write is reported stored that is not."""
    await start_gateway()
    log = TransferLog(write_timeout=10, batch_size=16)
    await log.start()
    try:
        first = Transfer(method="POST", path="/dup")
        await log.begin(first)
        again = Transfer(method="POST", path="/dup", id=first.id)
        other = Transfer(method="POST", path="/other")
        results = await asyncio.gather(log.begin(again), log.begin(other), return_exceptions=True)
        stored_other = await TransferRecord.exists(id=other.id)
        # whatever was batched with the duplicate either stored or reported failure, never lost
        assert isinstance(results[0], LogUnavailable)
        assert stored_other == (results[1] is None)
        # and the writer keeps going after a failed batch
        later = Transfer(method="POST", path="/later")
        await log.begin(later)
        assert await TransferRecord.exists(id=later.id)
    finally:
        await log.stop()


async def _row(outcome: str, instance: uuid.UUID | None, **extra: Any) -> uuid.UUID:
    row = await TransferRecord.create(
        id=uuid.uuid4(),
        started_at=datetime.now(UTC) - timedelta(minutes=1),
        method="POST",
        path="/sync",
        outcome=outcome,
        instance=instance,
        **extra,
    )
    return row.id  # type: ignore[no-any-return]


async def _instance(heartbeat_age: timedelta) -> uuid.UUID:
    beat = datetime.now(UTC) - heartbeat_age
    row = await GatewayInstance.create(
        id=uuid.uuid4(), host="elsewhere", pid=1, started_at=beat, heartbeat_at=beat
    )
    return row.id  # type: ignore[no-any-return]


async def test_sweep_marks_pending_entries_of_stopped_gateways_unknown(
    start_gateway: Any,
) -> None:
    """Pending entries of a gateway whose heartbeat stopped become unknown; a live gateway's
    pending entries and every finished entry are left alone."""
    gateway: RunningGateway = await start_gateway(heartbeat_seconds=3600)
    gone = await _instance(timedelta(minutes=5))
    long_gone = await _instance(timedelta(days=8))
    alive = await _instance(timedelta(seconds=1))
    rows = {
        "gone pending": await _row(PENDING, gone),
        "long gone pending": await _row(PENDING, long_gone),
        "alive pending": await _row(PENDING, alive),
        "gone forwarded": await _row(FORWARDED, gone, completed_at=datetime.now(UTC), status=200),
        "gone blocked": await _row("blocked", gone, status=403),
    }
    sweeper = Instance(heartbeat_seconds=5)  # stale after 15 s without a heartbeat
    assert await sweeper.sweep() == 2
    stored = {r.id: r for r in await TransferRecord.all()}
    outcomes = {name: stored[id_].outcome for name, id_ in rows.items()}
    assert outcomes == {
        "gone pending": UNKNOWN,
        "long gone pending": UNKNOWN,
        "alive pending": PENDING,
        "gone forwarded": FORWARDED,
        "gone blocked": "blocked",
    }
    assert stored[rows["gone pending"]].completed_at is not None
    assert stored[rows["alive pending"]].completed_at is None
    assert await sweeper.sweep() == 0  # nothing left to mark
    # instances silent for more than a week are forgotten; recent ones are kept
    assert set(await GatewayInstance.all().values_list("id", flat=True)) >= {gone, alive}
    assert not await GatewayInstance.exists(id=long_gone)
    unknown = await gateway.transfers(outcome="unknown")
    assert {e["id"] for e in unknown} == {
        str(rows[n]) for n in ("gone pending", "long gone pending")
    }


async def test_sweep_marks_pending_entries_without_an_instance_unknown(
    start_gateway: Any,
) -> None:
    """A pending entry with no instance (written before instances existed) is swept too."""
    await start_gateway(heartbeat_seconds=3600)
    legacy = await _row(PENDING, None)
    await Instance(heartbeat_seconds=5).sweep()
    assert (await TransferRecord.get(id=legacy)).outcome == UNKNOWN


async def test_a_starting_gateway_sweeps_and_its_own_entries_are_safe(
    start_gateway: Any,
) -> None:
    """A gateway sweeps at start; its own pending entries survive its own and others' sweeps."""
    await start_gateway(heartbeat_seconds=3600)
    orphan = await _row(PENDING, uuid.uuid4())
    starting = Instance(heartbeat_seconds=3600)
    await starting.start()
    try:
        assert (await TransferRecord.get(id=orphan)).outcome == UNKNOWN
        mine = await _row(PENDING, starting.id)
        assert await Instance(heartbeat_seconds=5).sweep() == 0
        assert (await TransferRecord.get(id=mine)).outcome == PENDING
    finally:
        await starting.stop()
    assert not await GatewayInstance.exists(id=starting.id)  # a clean stop leaves no instance
