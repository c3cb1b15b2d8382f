"""gateway.evidence.store: the driver-level stores write exactly what the ORM would, atomically."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import connections

from gateway.evidence import entries
from gateway.evidence import store as log_store
from gateway.evidence.models import LogEntry, TransferRecord
from gateway.evidence.store import (
    INSERT_COLUMNS,
    OUTCOME_COLUMNS,
    OrmLogStore,
    PostgresLogStore,
    SqliteLogStore,
    entry_row,
    row,
)
from gateway.transfer.record import entry, outcome
from gateway.transfer.state import FORWARDED, PENDING, Transfer


def _transfer() -> Transfer:
    transfer = Transfer(method="POST", path="/sync", supplier="basispoort")
    transfer.body_sha256 = "ab" * 32
    transfer.query_stripped = 2
    return transfer


def _insert(transfer: Transfer) -> list[Any]:
    values = entry(transfer)
    return [*row(values, INSERT_COLUMNS), *entry_row(entries.make(entries.BEGIN, values))]


def _outcome(transfer: Transfer) -> list[Any]:
    values = outcome(transfer)
    ended = entries.make(entries.OUTCOME, values, None)
    return [*row(values, (*OUTCOME_COLUMNS, "id")), *entry_row(ended)]


def _stored(record: TransferRecord) -> dict[str, Any]:
    fields = TransferRecord._meta.db_fields - {"id", "seq"}
    return {name: getattr(record, name) for name in sorted(fields)}


async def test_the_connected_database_gets_its_driver_store(start_gateway: Any) -> None:
    """A file SQLite database gets its own sqlite3 store, asyncpg the pool's connections."""
    await start_gateway()
    store = log_store.for_connection()
    dialect = connections.get("default").capabilities.dialect
    expected = {"sqlite": SqliteLogStore, "postgres": PostgresLogStore}[dialect]
    assert isinstance(store, expected)
    await store.close()


async def test_driver_store_entries_read_back_as_the_orms_own(start_gateway: Any) -> None:
    """The same entry and outcome written by the driver store and by the ORM's transaction read
    back identically through the model (times with their zone, ids, JSON fields)."""
    await start_gateway()
    driver = log_store.for_connection()
    orm = OrmLogStore(connections.get("default").capabilities.dialect)
    stored = []
    try:
        for store in (driver, orm):
            transfer = _transfer()
            await store.write([_insert(transfer)], [])
            pending = await TransferRecord.get(id=transfer.id)
            assert pending.outcome == PENDING
            transfer.finish(FORWARDED, 200, upstream_status=201)
            await store.write([], [_outcome(transfer)])
            stored.append(await TransferRecord.get(id=transfer.id))
    finally:
        await driver.close()
    by_driver, by_orm = (_stored(record) for record in stored)
    for times in ("started_at", "completed_at"):
        assert by_driver[times].utcoffset() is not None
        assert by_driver.pop(times) != by_orm.pop(times)  # two transfers, two moments
    assert by_driver.pop("duration_ms") > 0 and by_orm.pop("duration_ms") > 0
    assert by_driver == by_orm
    assert by_driver["outcome"] == FORWARDED
    assert by_driver["fields_stripped"] == {"?*": 2}
    for record in stored:  # each write stored its entry with its row, begin then outcome
        kinds = await LogEntry.filter(transfer_id=record.id).order_by("seq").values_list("kind")
        assert [k for (k,) in kinds] == [entries.BEGIN, entries.OUTCOME]


@pytest.mark.parametrize("kinds", ["inserts only", "inserts and updates"])
async def test_a_failing_batch_writes_nothing(start_gateway: Any, kinds: str) -> None:
    """A duplicate id fails the batch, and nothing else of it is stored: not the other insert,
    not the outcome beside it."""
    await start_gateway()
    store = log_store.for_connection()
    try:
        first = _transfer()
        await store.write([_insert(first)], [])
        other = _transfer()
        duplicate = _insert(first)
        first.finish(FORWARDED, 200, upstream_status=200)
        updates = [_outcome(first)] if kinds == "inserts and updates" else []
        with pytest.raises(Exception):  # noqa: B017 - the driver's own error type
            await store.write([_insert(other), duplicate], updates)
    finally:
        await store.close()
    assert not await TransferRecord.exists(id=other.id)
    assert (await TransferRecord.get(id=first.id)).outcome == PENDING
    assert not await LogEntry.exists(transfer_id=other.id)  # its entry went with its row
    assert await LogEntry.filter(transfer_id=first.id).count() == 1


async def test_an_update_for_no_entry_changes_nothing(start_gateway: Any) -> None:
    """An outcome whose entry is missing is no error and stores no row."""
    await start_gateway()
    store = log_store.for_connection()
    try:
        lost = _transfer()
        lost.finish(FORWARDED, 200)
        await store.write([], [_outcome(lost)])
    finally:
        await store.close()
    assert not await TransferRecord.exists(id=lost.id)
    assert await TransferRecord.all().count() == 0


def test_an_outcome_sets_exactly_the_outcome_columns() -> None:
    """``complete`` writes the outcome columns and finds its row by id: nothing else."""
    transfer = _transfer()
    transfer.finish(FORWARDED, 200, upstream_status=200)
    assert set(outcome(transfer)) == {"id", *OUTCOME_COLUMNS}
    assert set(OUTCOME_COLUMNS) < set(INSERT_COLUMNS)


async def test_a_transaction_left_open_does_not_wedge_the_sqlite_store(start_gateway: Any) -> None:
    """A COMMIT that fails (a full disk) may leave its transaction open; the next batch rolls it
    back and commits instead of failing every write until a restart."""
    await start_gateway()
    store = log_store.for_connection()
    if not isinstance(store, SqliteLogStore):
        await store.close()
        pytest.skip("the SQLite store's own connection")
    try:
        await store.run(lambda db: db.execute("BEGIN IMMEDIATE"))
        transfer = _transfer()
        await store.write([_insert(transfer)], [])
        assert not await store.run(lambda db: db.in_transaction)
    finally:
        await store.close()
    assert await TransferRecord.exists(id=transfer.id)
