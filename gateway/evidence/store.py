"""Where the transfer log's batches are committed: as close to the database driver as is safe.

Every transfer waits for its entry's commit before anything leaves, so this is the gateway's
one write on the hot path. Through tortoise's transaction wrapper a one-entry commit took
0.80 ms on SQLite and 1.04 ms on PostgreSQL; on the drivers the same statements take 0.37 ms
(sqlite3 on a thread of its own, one hop per batch instead of one per statement) and 0.43 ms
(one atomic asyncpg ``executemany``). Everything else (reads, keys, heartbeats, migrations)
stays with the ORM.

A store commits a batch of inserts and outcome updates atomically: all of it, or none and an
exception. Each insert and each update row carries its log entry's columns
(``ENTRY_COLUMNS``) at its end: the append-only entry (``gateway.evidence.entries``) goes into
``log_entry`` in the same statement (PostgreSQL, a data-modifying WITH) or the same transaction
(SQLite), so the evidence costs no commit of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import DatetimeField
from tortoise.transactions import in_transaction

from gateway.evidence.entries import Entry
from gateway.evidence.models import LogEntry, TransferRecord
from gateway.evidence.subject_index import SubjectBatch, pending_ctes, statements

Row = Sequence[Any]
T = TypeVar("T")

# The outcome columns an update sets; the entry's id comes last in every update row.
OUTCOME_COLUMNS = ("completed_at", "outcome", "status", "upstream_status", "problem", "duration_ms")
INSERT_COLUMNS = tuple(sorted(name for name in TransferRecord._meta.db_fields if name != "seq"))
_TABLE = TransferRecord._meta.db_table
_FIELDS = TransferRecord._meta.fields_map
ENTRY_COLUMNS = ("transfer_id", "kind", "body", "leaf_hash", "written_at")
_ENTRY_TABLE = LogEntry._meta.db_table
_ENTRY_FIELDS = LogEntry._meta.fields_map


class LogStore(Protocol):
    async def write(
        self, inserts: Sequence[Row], updates: Sequence[Row], subjects: SubjectBatch | None = None
    ) -> None:
        """Commit every insert and update with its log entry (the last ``ENTRY_COLUMNS`` of its
        row), and the subject-index rows, atomically."""

    async def close(self) -> None: ...


def row(values: dict[str, Any], columns: Sequence[str]) -> list[Any]:
    """One entry's values in column order, as the ORM would store them."""
    return [_FIELDS[name].to_db_value(values.get(name), TransferRecord) for name in columns]


def entry_row(entry: Entry) -> list[Any]:
    """A log entry's values in ``ENTRY_COLUMNS`` order, as the ORM would store them."""
    return [
        _ENTRY_FIELDS[name].to_db_value(getattr(entry, name), LogEntry) for name in ENTRY_COLUMNS
    ]


def for_connection(client: BaseDBAsyncClient | None = None) -> LogStore:
    """The store for the connected database: a file SQLite database gets a connection of its
    own, PostgreSQL (asyncpg) the ORM's pool without its transaction wrapper, anything else the
    ORM's transaction."""
    client = client or connections.get("default")
    dialect = client.capabilities.dialect
    filename = getattr(client, "filename", None)
    if dialect == "sqlite" and isinstance(filename, str) and _is_file(filename):
        return SqliteLogStore(filename, dict(getattr(client, "pragmas", {})))
    if dialect == "postgres" and type(client).__module__.startswith("tortoise.backends.asyncpg"):
        return PostgresLogStore(client)
    return OrmLogStore(dialect)


def _is_file(filename: str) -> bool:
    return filename != ":memory:" and not filename.startswith("file::memory:")


# How long (seconds) a thread waits for the GIL before asking the running one to let go; the
# interpreter's default is 5 ms. The SQLite store's thread needs the GIL back after every call
# into SQLite, and a loop busy filtering held it that long: at half load (100 pupils, open
# loop) the p50 added latency with the SQLite log was 2.1-4.2 ms at the default, 1.8-2.9 ms at
# 0.2 ms, in the same runs (docs/performance.md).
GIL_SWITCH_INTERVAL = 0.0002


class SqliteLogStore:
    """A sqlite3 connection of the log's own, used from one thread: a batch is one hop there.

    SQLite has one writer at a time; the ORM's connection (heartbeats, keys) waits for this one
    and this one for it (``busy_timeout``), as two processes would. Starting one sets the
    process's GIL switch interval to ``GIL_SWITCH_INTERVAL`` (it only matters while a thread
    waits for the GIL, which in the gateway is this one).
    """

    def __init__(self, filename: str, pragmas: dict[str, Any]) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="transfer-log-sqlite")
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL))
        self._pragmas = {"journal_mode": "WAL", "synchronous": "FULL", "busy_timeout": 5000}
        self._pragmas |= {k: v for k, v in pragmas.items() if k in self._pragmas}
        self._filename = filename
        self._connection: sqlite3.Connection | None = None

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` on the log's connection, on its thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._call, work)

    def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._connection is None:
            connection = sqlite3.connect(self._filename, isolation_level=None)
            for name, value in self._pragmas.items():
                connection.execute(f"PRAGMA {name}={value}")
            self._connection = connection
        return work(self._connection)

    async def write(
        self, inserts: Sequence[Row], updates: Sequence[Row], subjects: SubjectBatch | None = None
    ) -> None:
        await self.run(functools.partial(_sqlite_write, inserts, updates, subjects))

    async def close(self) -> None:
        def closing(connection: sqlite3.Connection) -> None:
            connection.close()
            self._connection = None

        if self._connection is not None:
            await self.run(closing)
        self._thread.shutdown(wait=True)


def _sqlite_write(
    inserts: Sequence[Row],
    updates: Sequence[Row],
    subjects: SubjectBatch | None,
    db: sqlite3.Connection,
) -> None:
    with immediate(db):
        if inserts:
            pending = [_sqlite_values(r[:_N_INSERT], _INSERT_TIMES) for r in inserts]
            insert_all(db, insert_sql("sqlite"), pending)
        if updates:
            outcomes = [_sqlite_values(r[:_N_UPDATE], _UPDATE_TIMES) for r in updates]
            for chunk in _chunks(db, outcomes):
                db.execute(_update_all_sql(len(chunk)), [v for row in chunk for v in row])
        entries = [_sqlite_values(r[-_N_ENTRY:], _ENTRY_TIMES) for r in (*inserts, *updates)]
        insert_all(db, entry_sql("sqlite"), entries)
        for sql, rows in statements("sqlite", subjects):
            insert_all(db, sql, rows)


# Rows go to SQLite as one multi-row statement (per SQLite's limit on parameters), not one
# ``executemany`` step per row: after each step the writer's thread takes the GIL back from
# the event loop, and under load each of those waits out the switch interval and makes the loop
# let go. A batch of 10 transfers took about 90 such hand-overs, and takes about 12.


def insert_all(db: sqlite3.Connection, sql: str, rows: Sequence[Row]) -> None:
    """``sql``, an ``INSERT ... VALUES (?, ...)``, for every row in as few statements as
    SQLite's limit on parameters allows."""
    for chunk in _chunks(db, rows):
        db.execute(_values_for(sql, len(chunk)), [v for row in chunk for v in row])


def _chunks(db: sqlite3.Connection, rows: Sequence[Row]) -> Iterator[Sequence[Row]]:
    if rows:
        per = max(1, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(rows[0]))
        for start in range(0, len(rows), per):
            yield rows[start : start + per]


@functools.lru_cache(maxsize=512)
def _values_for(sql: str, count: int) -> str:
    """``... VALUES (?, ?) tail`` with ``count`` rows of marks (``VALUES (?, ?), (?, ?) tail``)."""
    head, _, rest = sql.partition(" VALUES (")
    marks, _, tail = rest.partition(")")
    return f"{head} VALUES {', '.join([f'({marks})'] * count)}{tail}"


@functools.lru_cache(maxsize=256)
def _update_all_sql(count: int) -> str:
    """SQLite: ``count`` outcomes in one UPDATE, from a VALUES list (``UPDATE FROM``, 3.33)."""
    columns = (*OUTCOME_COLUMNS, "id")
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join([f"({', '.join('?' * len(columns))})"] * count)
    sets = ", ".join(f'"{name}" = v."{name}"' for name in OUTCOME_COLUMNS)
    return (
        f"WITH v({names}) AS (VALUES {values}) "  # noqa: S608 - our own names
        f'UPDATE "{_TABLE}" SET {sets} FROM v WHERE "{_TABLE}"."id" = v."id"'
    )


@contextlib.contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction on ``db``, begun holding the write lock: committed when the block
    ends, rolled back if it raises."""
    if db.in_transaction:  # a COMMIT that failed may leave its transaction open
        db.execute("ROLLBACK")
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _sqlite_values(values: Row, times: tuple[int, ...]) -> list[Any]:
    """A row with its timestamps (at ``times``) as the ORM's SQLite backend adapts them
    (tortoise.backends.sqlite.executor). Only those places are looked at: this runs on the
    writer's thread, holding the GIL the event loop waits for."""
    adapted = list(values)
    for place in times:
        if isinstance(adapted[place], dt.datetime):
            adapted[place] = adapted[place].isoformat(" ")
    return adapted


def _times(columns: Sequence[str], fields: dict[str, Any]) -> tuple[int, ...]:
    return tuple(n for n, name in enumerate(columns) if isinstance(fields[name], DatetimeField))


class PostgresLogStore:
    """asyncpg through the ORM's pool: one ``executemany`` is one atomic round of messages, so
    a batch of one kind needs no BEGIN and COMMIT of its own."""

    def __init__(self, client: BaseDBAsyncClient) -> None:
        self._client = client

    async def write(
        self, inserts: Sequence[Row], updates: Sequence[Row], subjects: SubjectBatch | None = None
    ) -> None:
        if subjects is not None:  # each pending transfer's index rows in its own statement
            inserts = [[*r, *subjects.pending_parameters(str(r[_ID]))] for r in inserts]
        todo = [
            (insert_with_entry_sql(subjects is not None), inserts),
            (update_with_entry_sql(), updates),
        ]
        todo = [(sql, rows) for sql, rows in todo if rows]
        async with self._client.acquire_connection() as connection:
            if len(todo) == 1:
                await connection.executemany(*todo[0])
                return
            async with connection.transaction():
                for sql, rows in todo:
                    await connection.executemany(sql, rows)

    async def close(self) -> None:
        return None  # the pool is the ORM's


class OrmLogStore:
    """The ORM's transaction: for any database the two above do not cover."""

    def __init__(self, dialect: str) -> None:
        self._dialect = dialect

    async def write(
        self, inserts: Sequence[Row], updates: Sequence[Row], subjects: SubjectBatch | None = None
    ) -> None:
        async with in_transaction() as connection:
            if inserts:
                rows = [list(r[:_N_INSERT]) for r in inserts]
                await connection.execute_many(insert_sql(self._dialect), rows)
            if updates:
                rows = [list(r[:_N_UPDATE]) for r in updates]
                await connection.execute_many(update_sql(self._dialect), rows)
            entries = [list(r[-_N_ENTRY:]) for r in (*inserts, *updates)]
            await connection.execute_many(entry_sql(self._dialect), entries)
            for sql, index_rows in statements(self._dialect, subjects):
                await connection.execute_many(sql, [list(r) for r in index_rows])

    async def close(self) -> None:
        return None


def _placeholders(dialect: str, count: int) -> list[str]:
    if dialect == "postgres":
        return [f"${n}" for n in range(1, count + 1)]
    return ["?"] * count


@functools.cache
def insert_sql(dialect: str) -> str:
    columns = ", ".join(f'"{name}"' for name in INSERT_COLUMNS)
    marks = ", ".join(_placeholders(dialect, len(INSERT_COLUMNS)))
    return f'INSERT INTO "{_TABLE}" ({columns}) VALUES ({marks})'  # noqa: S608 - our own names


@functools.cache
def update_sql(dialect: str) -> str:
    marks = _placeholders(dialect, len(OUTCOME_COLUMNS) + 1)
    sets = ", ".join(
        f'"{name}" = {mark}' for name, mark in zip(OUTCOME_COLUMNS, marks, strict=False)
    )
    return f'UPDATE "{_TABLE}" SET {sets} WHERE "id" = {marks[-1]}'  # noqa: S608 - our own names


_N_INSERT = len(INSERT_COLUMNS)
_ID = INSERT_COLUMNS.index("id")
_N_UPDATE = len(OUTCOME_COLUMNS) + 1
_N_ENTRY = len(ENTRY_COLUMNS)
_INSERT_TIMES = _times(INSERT_COLUMNS, _FIELDS)
_UPDATE_TIMES = _times(OUTCOME_COLUMNS, _FIELDS)
_ENTRY_TIMES = _times(ENTRY_COLUMNS, _ENTRY_FIELDS)


@functools.cache
def entry_sql(dialect: str, first: int = 1) -> str:
    columns = ", ".join(f'"{name}"' for name in ENTRY_COLUMNS)
    marks = _placeholders(dialect, first + len(ENTRY_COLUMNS) - 1)[first - 1 :]
    return f'INSERT INTO "{_ENTRY_TABLE}" ({columns}) VALUES ({", ".join(marks)})'  # noqa: S608


@functools.cache
def insert_with_entry_sql(with_subjects: bool = False) -> str:
    """PostgreSQL: the transfer row and its entry in one statement (one executemany); with
    ``with_subjects``, also its subject-index row and field-sets (``pending_ctes``)."""
    ctes = f"t AS ({insert_sql('postgres')})"
    if with_subjects:
        ctes += ", " + pending_ctes(f"${_ID + 1}", _N_INSERT + _N_ENTRY + 1)
    return f"WITH {ctes} {entry_sql('postgres', _N_INSERT + 1)}"


@functools.cache
def update_with_entry_sql() -> str:
    """PostgreSQL: the outcome's update and its entry in one statement."""
    return f"WITH t AS ({update_sql('postgres')}) {entry_sql('postgres', _N_UPDATE + 1)}"
