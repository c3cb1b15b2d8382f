"""The subject index in the database: written with a transfer's pending entry, read for an access
request, purged after its term.

Rows are written by the transfer log's store in the same transaction as the entries of their
batch (``SubjectBatch``), so a transfer is never forwarded without the index knowing whom it
held. Reads take an identifier as the FG got it from a parent, hash it under the subject key
(``gateway.evidence.subjects``) and join the transfer's entry: supplier, time, agreement and
version, and the field paths sent for that pupil. The identifier itself is never stored,
logged or echoed.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from gateway.console.sources import Pupil, SubjectTransfer
from gateway.evidence import database as sql
from gateway.evidence.models import SubjectFieldset, SubjectsHeld, TransferRecord
from gateway.evidence.subjects import SubjectKey, SubjectKeyError, Subjects, loose_mode, place_of
from gateway.settings import Settings

logger = logging.getLogger("gateway.subjects")

_PATHS = SubjectFieldset._meta.fields_map["paths"]
_NAMES = SubjectsHeld._meta.fields_map["fieldsets"]
_HELD = SubjectsHeld._meta.db_table


@dataclass(frozen=True, slots=True)
class SubjectBatch:
    """The index rows of a batch of entries, in the columns of their tables."""

    fieldsets: list[tuple[str, Any]]  # field-set id, its paths as the database stores them
    # Per transfer (its id as text): its packed subjects and field-set names (the row), and
    # its field-sets' ids and paths, as the PostgreSQL statement that writes them with the
    # transfer takes them (``pending_parameters``).
    by_transfer: dict[str, tuple[bytes, Any, list[str], list[Any]]]

    def pending_parameters(self, transfer_id: str) -> tuple[Any, ...]:
        """The index's parameters of one pending transfer (Nones if it held no pupils)."""
        return self.by_transfer.get(transfer_id, _NOTHING_HELD)


_NOTHING_HELD: tuple[Any, ...] = (None, None, [], [])


def batch(entries: Iterable[tuple[uuid.UUID, Subjects]]) -> SubjectBatch | None:
    """One row per entry that held pupils; None when none did."""
    fieldsets: dict[str, Any] = {}
    by_transfer: dict[str, tuple[bytes, Any, list[str], list[Any]]] = {}
    for transfer_id, subjects in entries:
        if not subjects.packed:
            continue
        names = _NAMES.to_db_value(list(subjects.order), SubjectsHeld)
        for name, paths in subjects.fieldsets.items():
            if name not in fieldsets:
                fieldsets[name] = _PATHS.to_db_value(list(paths), SubjectFieldset)
        order = list(subjects.order)
        by_transfer[str(transfer_id)] = (
            subjects.packed,
            names,
            order,
            [fieldsets[name] for name in order],
        )
    if not by_transfer:
        return None
    return SubjectBatch(sorted(fieldsets.items()), by_transfer)


def _marks(dialect: str, count: int) -> str:
    if dialect == "postgres":
        return ", ".join(f"${n}" for n in range(1, count + 1))
    return ", ".join("?" * count)


@functools.cache
def row_sql(dialect: str) -> str:
    table = SubjectsHeld._meta.db_table
    marks = _marks(dialect, 3)
    return f'INSERT INTO "{table}" ("transfer_id", "subjects", "fieldsets") VALUES ({marks})'  # noqa: S608


@functools.cache
def fieldset_sql(dialect: str) -> str:
    table = SubjectFieldset._meta.db_table
    marks = _marks(dialect, 2)
    return (
        f'INSERT INTO "{table}" ("id", "paths") VALUES ({marks}) '  # noqa: S608 - our own names
        'ON CONFLICT ("id") DO NOTHING'
    )


def statements(dialect: str, subjects: SubjectBatch | None) -> list[tuple[str, Sequence[Any]]]:
    """The statements that write ``subjects`` (field-sets first), for a store's transaction."""
    if subjects is None:
        return []
    rows = [
        (transfer_id, packed, names)
        for transfer_id, (packed, names, _, _) in subjects.by_transfer.items()
    ]
    return [(fieldset_sql(dialect), subjects.fieldsets), (row_sql(dialect), rows)]


@functools.cache
def pending_ctes(transfer_id: str, first: int) -> str:
    """PostgreSQL: common table expressions that write a pending transfer's index row and its
    field-sets in the statement that inserts the transfer (``pending_parameters`` from
    ``$first`` on; ``transfer_id`` the statement's parameter holding the transfer's id), so
    that the index costs no statement, round trip or transaction of its own."""
    held, names, ids, paths = (f"${first + n}" for n in range(4))
    return (
        f'held AS (INSERT INTO "{_HELD}" ("transfer_id", "subjects", "fieldsets") '  # noqa: S608
        f"SELECT {transfer_id}::uuid, {held}::bytea, {names}::jsonb "
        f"WHERE {held}::bytea IS NOT NULL), "
        f'sets AS (INSERT INTO "{SubjectFieldset._meta.db_table}" ("id", "paths") '
        f"SELECT * FROM unnest({ids}::varchar[], {paths}::jsonb[]) "
        'ON CONFLICT ("id") DO NOTHING)'
    )


# -- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """One transfer that held the pupil, as the FG's answer lists it."""

    transfer_id: str
    started_at: datetime
    supplier: str | None
    school: str | None
    agreement_reference: str | None
    agreement_version: str | None
    outcome: str
    fields: tuple[str, ...]
    identified_by: tuple[str, ...]  # the kinds of identifier that matched (leerlingkey, ...)

    def as_console(self) -> SubjectTransfer:
        return SubjectTransfer(
            transfer_id=self.transfer_id,
            started_at=self.started_at,
            supplier=self.supplier or "",
            school=self.school,
            fields=self.fields,
            agreement_reference=self.agreement_reference,
            agreement_version=self.agreement_version,
        )


async def transfers_holding(
    key: SubjectKey, identifier: str, school: str | None = None
) -> list[Held]:
    """Every transfer whose forwarded body held a pupil with ``identifier``, oldest first.

    The database finds the rows whose packed subjects contain one of the identifier's
    subjects as bytes (``instr`` on SQLite, ``position`` on PostgreSQL, a scan of the index);
    a binary search of each row's packed rows then confirms the match on a row boundary and
    gives the field-set sent for that pupil.
    """
    kinds = key.subjects_of(identifier)
    db = sql.client()
    search = "position(${n} in subjects) > 0"
    if db.capabilities.dialect != "postgres":
        search = "instr(subjects, ${n}) > 0"
    contains = " OR ".join(search.format(n=n) for n in range(1, len(kinds) + 1))
    rows = await sql.fetch(
        db,
        f'SELECT transfer_id, subjects, fieldsets FROM "{_HELD}" WHERE {contains}',  # noqa: S608
        *[bytes.fromhex(subject) for subject in kinds],
    )
    by_transfer: dict[uuid.UUID, tuple[set[str], set[str]]] = {}
    for row in rows:
        packed = sql.as_bytes(row["subjects"])
        names = _NAMES.to_python_value(row["fieldsets"])
        for subject, kind in kinds.items():
            place = place_of(packed, subject)
            if place is None:
                continue  # not this subject, or bytes matched across two rows' boundary
            found = by_transfer.setdefault(sql.as_uuid(row["transfer_id"]), (set(), set()))
            found[0].add(names[place])
            found[1].add(kind)
    if not by_transfer:
        return []
    names = {name for fieldsets, _ in by_transfer.values() for name in fieldsets}
    paths = dict(await SubjectFieldset.filter(id__in=sorted(names)).values_list("id", "paths"))
    query = TransferRecord.filter(id__in=list(by_transfer))
    if school is not None:
        query = query.filter(school=school)
    held = []
    for record in await query.order_by("seq"):
        fieldsets, identified = by_transfer[record.id]
        fields = sorted({p for name in fieldsets for p in paths.get(name, [])})
        held.append(
            Held(
                transfer_id=str(record.id),
                started_at=record.started_at,
                supplier=record.supplier,
                school=record.school,
                agreement_reference=record.agreement_reference,
                agreement_version=record.agreement_version,
                outcome=record.outcome,
                fields=tuple(fields),
                identified_by=tuple(sorted(identified)),
            )
        )
    return held


class DatabaseSubjectIndex:
    """The console's ``SubjectIndex`` over this database, under the gateway's subject key
    (read at start-up, hence asked for when needed)."""

    def __init__(
        self, key: Callable[[], SubjectKey | None], flush: Callable[[], Any] | None = None
    ) -> None:
        self._key = key
        self._flush = flush

    async def transfers_for(self, pupil: Pupil) -> list[SubjectTransfer]:
        key = self._key()
        if key is None:
            raise SubjectKeyError("the subject key is not loaded")
        if self._flush is not None:
            await self._flush()  # outcomes this process has queued are on record first
        return [held.as_console() for held in await transfers_holding(key, pupil.value)]


async def gateway_key(settings: Settings) -> SubjectKey:
    """The subject key for a starting gateway, made on a fresh install.

    A missing key file is created when the index is still empty (a newcomer's first ``make
    run``); when the index already has rows a new key would make them unreadable, so the
    gateway refuses to start until the file is restored from its backup.
    """
    path = settings.subject_key_path
    if path.exists():
        key = SubjectKey.read(path)
        if loose_mode(path):
            logger.warning("the subject key file %s is readable by others: chmod 600 it", path)
        return key
    if await has_rows():
        raise SubjectKeyError(
            f"the subject key file {path} is missing but the subject index has rows: restore "
            "it from its backup (docs/access-requests.md); a new key cannot read them"
        )
    try:
        key = SubjectKey.create(path)
    except SubjectKeyError:
        if path.exists():  # another process starting beside this one made it first
            return SubjectKey.read(path)
        raise
    logger.warning(
        "created the subject key %s: back it up, the subject index cannot be read without it",
        path,
    )
    return key


# -- retention -----------------------------------------------------------------------------


async def has_rows() -> bool:
    """Whether the index holds any row (a new key would make them unreadable)."""
    return await SubjectsHeld.all().limit(1).exists()


async def purge(before: datetime) -> int:
    """Remove the index rows of transfers started before ``before``; the log's entries stay.
    Returns how many transfers' rows went (one row per transfer).

    Field-sets stay: they are lists of field paths, about no one, and a gateway writing at the
    same time may name one that a cleanup here would just have found unused.
    """
    subject = SubjectsHeld._meta.db_table
    transfer = TransferRecord._meta.db_table
    dialect = connections.get("default").capabilities.dialect
    mark = "$1" if dialect == "postgres" else "?"
    statement = (
        f'DELETE FROM "{subject}" WHERE "transfer_id" IN '  # noqa: S608 - our own names
        f'(SELECT "id" FROM "{transfer}" WHERE "started_at" < {mark})'
    )
    async with in_transaction() as connection:
        removed, _ = await connection.execute_query(statement, [_moment(before, dialect)])
    return int(removed)


def _moment(moment: datetime, dialect: str) -> Any:
    value = TransferRecord._meta.fields_map["started_at"].to_db_value(moment, TransferRecord)
    if dialect == "sqlite" and isinstance(value, datetime):
        return value.isoformat(" ")
    return value
