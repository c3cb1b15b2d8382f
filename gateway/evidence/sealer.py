"""The sealer: binds new log entries into the Merkle tree and signs a checkpoint, every
``seal_interval`` seconds.

Each round reads the tree's size and right edge (``log_leaf``, ``log_node``) and the entries
after the last sealed one in sequence order, appends their leaf hashes, and writes the new
leaves, nodes and the signed checkpoint. On PostgreSQL the round is one transaction under a
transaction-scoped advisory lock (``pg_try_advisory_xact_lock``; a gateway that does not get it
skips its round). On SQLite the reads take no lock and the writes go to the log's own
connection in one transaction, made only if the tree is still the size the round read
(``_append_sqlite``). A sealer killed mid-round loses its transaction and nothing else: the
next round, in any gateway, starts from what is committed.

Sequence numbers of concurrent writers can commit out of order, and a rolled-back write leaves
a gap for good. A round seals up to the first gap; a gap whose next entry was written more than
``GAP_SECONDS`` ago is taken as permanent and passed. Should an entry of a passed gap commit
later still, the gateway that passed the gap seals it when it appears (for ``LATE_SECONDS``),
after the entries already sealed; leaf order is ``log_leaf``'s, not the sequence's.

After the commit the checkpoint is appended to the checkpoint file, outside the database, and
handed to the witness client if one is configured (``gateway.evidence.witness``: best effort,
in its own task; a failure is logged, transfers never wait for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from gateway.evidence import database as sql
from gateway.evidence.checkpoint import Checkpoint, sign_checkpoint
from gateway.evidence.note import Signer
from gateway.evidence.signing import (
    SigningKeyError,
    create_signing_key,
    load_signing_key,
    verifier_key,
)
from gateway.evidence.store import LogStore, SqliteLogStore, immediate, insert_all
from gateway.evidence.tree import CompactRange, edge_nodes

if TYPE_CHECKING:
    from gateway.evidence.witness import Witness

logger = logging.getLogger("gateway.sealer")

LOCK_KEY = 0x706F6F72_74776163 & 0x7FFF_FFFF_FFFF_FFFF  # "poortwac": the sealer's advisory lock
GAP_SECONDS = 5.0  # a sequence gap this old is a rolled-back write, not one still committing
LATE_SECONDS = 600.0  # how long a passed gap is watched for a late commit
BATCH = 5000  # entries at most in one round; a longer backlog takes more rounds at once


@dataclass(frozen=True)
class Sealed:
    """What a round did: the new tree size and how many entries it sealed."""

    size: int
    entries: int


@dataclass(frozen=True)
class Round:
    """What one round writes: the tree grown from ``size`` to ``edge.size`` by ``leaves``
    (leaf index, entry seq), with its new ``nodes`` and signed checkpoint."""

    size: int
    leaves: list[tuple[int, int]]
    nodes: list[tuple[int, int, bytes]]
    late: list[tuple[int, bytes]]  # entries sealed from a gap passed earlier
    edge: CompactRange
    checkpoint: Checkpoint
    note: str
    signed_at: dt.datetime


def signing_key(settings_key: Path, origin: str, create: bool) -> Signer:
    """The log's signing key; with ``create``, made on first use (and said where)."""
    if create and not settings_key.exists():
        settings_key.parent.mkdir(parents=True, exist_ok=True)
        try:
            signer = create_signing_key(settings_key, origin)
        except SigningKeyError:
            if not settings_key.exists():
                raise
            return load_signing_key(settings_key, origin)  # another worker made it just now
        logger.warning(
            "created the transfer log's signing key %s; its public key is %s",
            settings_key,
            verifier_key(signer),
        )
        return signer
    return load_signing_key(settings_key, origin)


class Sealer:
    """Seals the log in rounds, in the background, until stopped."""

    def __init__(
        self,
        signer: Signer,
        checkpoint_file: Path,
        *,
        interval: float = 0.5,
        witness: Witness | None = None,
        store: LogStore | None = None,
    ) -> None:
        self._signer = signer
        # SQLite: the log's own connection, on which a round's writes follow its batches.
        self._store = store if isinstance(store, SqliteLogStore) else None
        self._file = checkpoint_file
        self._interval = interval
        self._witness = witness
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._gaps: dict[int, float] = {}  # passed sequence numbers -> when they were passed
        self._edge: CompactRange | None = None  # the tree as this sealer last left it
        self._file_checked = False

    async def start(self) -> None:
        if self._witness is not None:
            await self._witness.start()
        self._task = asyncio.create_task(self._run(), name="log-sealer")

    async def stop(self) -> None:
        """Let the round in progress finish (cancelling it inside its transaction could leave
        the ORM's SQLite connection locked), then stop."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self._witness is not None:
            await self._witness.stop()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sealed = await self.seal()
            except Exception:
                logger.exception("sealing the transfer log failed; trying again")
                sealed = None
            if sealed is None or sealed.entries < BATCH:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._interval)

    async def seal(self) -> Sealed | None:
        """One round: None if another gateway holds the sealer's lock or nothing was new."""
        if not self._file_checked:
            await self._catch_up_file()
        if self._store is not None:
            found = await self._sqlite_round()
        else:
            async with in_transaction() as db:
                if not await _exclusive(db):
                    return None
                found = await self._next(db)
                if found is not None:
                    await _append(db, found)
        if found is None:
            return None
        self._edge = found.edge
        for seq, _ in found.late:
            self._gaps.pop(seq, None)
        await self._publish(found.checkpoint, found.note, found.signed_at)
        return Sealed(found.edge.size, len(found.leaves))

    async def _sqlite_round(self) -> Round | None:
        """SQLite: the reads outside any transaction, then the writes in one hop on the log's
        own connection, after its batches (``_append_sqlite``). The round holds the write lock
        only for its inserts; through the ORM it held it over every read and every hop of a
        busy event loop, and the log's writer waited out SQLite's busy handler meanwhile (up to
        105 ms at a time under load, a tenth of the run)."""
        assert self._store is not None, "only with the log's SQLite store"
        found = await self._next(sql.client())
        if found is None:
            return None
        if not await self._store.run(functools.partial(_append_sqlite, found)):
            self._edge = None  # another sealer (a gateway on the same file) was first
            return None
        return found

    async def _next(self, db: BaseDBAsyncClient) -> Round | None:
        """The next round: the entries after the last sealed one, appended to the tree, and
        the signed checkpoint of the result; None if nothing is new."""
        rows = await sql.fetch(
            db, "SELECT max(leaf_index) AS last, max(entry_seq) AS seq FROM log_leaf"
        )
        size = 0 if rows[0]["last"] is None else int(rows[0]["last"]) + 1
        last_seq = 0 if rows[0]["seq"] is None else int(rows[0]["seq"])
        fresh = await sql.fetch(
            db,
            "SELECT seq, leaf_hash, written_at FROM log_entry WHERE seq > $1 ORDER BY seq LIMIT $2",
            last_seq,
            BATCH,
        )
        passed = self._up_to_gap(last_seq, fresh)
        late = await self._late(db)
        chosen = passed + late
        if not chosen:
            return None
        edge = await self._edge_at(db, size)
        leaves, nodes = [], []
        for seq, leaf in chosen:
            leaves.append((edge.size, seq))
            nodes += [(n.level, n.index, n.hash) for n in edge.append(leaf)]
        checkpoint = Checkpoint(self._signer.name, edge.size, edge.root())
        note = sign_checkpoint(checkpoint, self._signer).decode("utf-8")
        return Round(size, leaves, nodes, late, edge, checkpoint, note, dt.datetime.now(dt.UTC))

    def _up_to_gap(self, last_seq: int, fresh: list[Any]) -> list[tuple[int, bytes]]:
        chosen: list[tuple[int, bytes]] = []
        expected = last_seq + 1
        now = time.time()
        for row in fresh:
            seq = int(row["seq"])
            if seq != expected:
                written = sql.as_datetime(row["written_at"]).timestamp()
                if now - written < GAP_SECONDS:
                    break  # a write with a lower number may still be committing
                for missing in range(expected, min(seq, expected + 1000)):
                    self._gaps[missing] = now
                logger.info("sequence numbers %d to %d are a gap in the log", expected, seq - 1)
            chosen.append((seq, sql.as_bytes(row["leaf_hash"])))
            expected = seq + 1
        return chosen

    async def _late(self, db: BaseDBAsyncClient) -> list[tuple[int, bytes]]:
        """Entries that committed into a gap this sealer passed."""
        now = time.time()
        self._gaps = {s: at for s, at in self._gaps.items() if now - at < LATE_SECONDS}
        if not self._gaps:
            return []
        wanted = sorted(self._gaps)[:1000]
        marks = ", ".join(f"${i}" for i in range(1, len(wanted) + 1))
        rows = await sql.fetch(
            db,
            f"SELECT seq, leaf_hash FROM log_entry e WHERE seq IN ({marks}) "  # noqa: S608
            "AND NOT EXISTS (SELECT 1 FROM log_leaf l WHERE l.entry_seq = e.seq) ORDER BY seq",
            *wanted,
        )
        for row in rows:  # forgotten once sealed (``seal``)
            logger.warning("entry %d committed after later entries were sealed", row["seq"])
        return [(int(row["seq"]), sql.as_bytes(row["leaf_hash"])) for row in rows]

    async def _edge_at(self, db: BaseDBAsyncClient, size: int) -> CompactRange:
        """The tree's right edge at ``size``: as this sealer left it, or read from its nodes
        (after a restart, or when another gateway sealed in between)."""
        if self._edge is not None and self._edge.size == size:
            return CompactRange(size, self._edge.hashes)
        wanted = edge_nodes(size)
        if not wanted:
            return CompactRange()
        where = " OR ".join(
            f'(level = ${2 * i + 1} AND "index" = ${2 * i + 2})' for i in range(len(wanted))
        )
        rows = await sql.fetch(
            db,
            f'SELECT level, "index", hash FROM log_node WHERE {where}',  # noqa: S608
            *[v for node in wanted for v in node],
        )
        found = {(int(r["level"]), int(r["index"])): sql.as_bytes(r["hash"]) for r in rows}
        return CompactRange.from_nodes(size, lambda level, index: found[(level, index)])

    async def _publish(self, checkpoint: Checkpoint, note: str, signed_at: dt.datetime) -> None:
        line = checkpoint_line(checkpoint.size, note, signed_at)
        try:
            await asyncio.to_thread(append_line, self._file, line)
        except OSError as error:
            logger.error("cannot append to the checkpoint file %s: %s", self._file, error)
        if self._witness is not None:
            self._witness.submit(checkpoint, note)

    async def _catch_up_file(self) -> None:
        """After a restart: the database's latest checkpoint into the file, if it is newer
        than the file's last (the previous sealer may have died between the two)."""
        rows = await sql.fetch(
            sql.client(),
            "SELECT size, note, signed_at FROM log_checkpoint ORDER BY size DESC LIMIT 1",
        )
        self._file_checked = True
        if not rows:
            return
        in_file = max((c["size"] for c in read_checkpoint_file(self._file)), default=-1)
        if int(rows[0]["size"]) > in_file:
            line = checkpoint_line(
                int(rows[0]["size"]), rows[0]["note"], sql.as_datetime(rows[0]["signed_at"])
            )
            await asyncio.to_thread(append_line, self._file, line)


async def _exclusive(db: BaseDBAsyncClient) -> bool:
    """Take the sealer's turn in this transaction; False if another gateway has it."""
    if db.capabilities.dialect == "postgres":
        rows = await sql.fetch(db, "SELECT pg_try_advisory_xact_lock($1) AS got", LOCK_KEY)
        return bool(rows[0]["got"])
    # SQLite: take the write lock now, so that the reads below are of the state we write on.
    await sql.fetch(db, "UPDATE gateway_instance SET pid = pid WHERE 0 = 1")
    return True


_LEAF_SQL = "INSERT INTO log_leaf (leaf_index, entry_seq) VALUES ($1, $2)"
_NODE_SQL = 'INSERT INTO log_node (level, "index", hash) VALUES ($1, $2, $3)'
_CHECKPOINT_SQL = (
    "INSERT INTO log_checkpoint (size, root_hash, note, signed_at) VALUES ($1, $2, $3, $4)"
)


def _checkpoint_row(found: Round, postgres: bool) -> tuple[Any, ...]:
    at = found.signed_at if postgres else found.signed_at.isoformat(" ")
    return (found.edge.size, found.checkpoint.root_hash, found.note, at)


async def _append(db: BaseDBAsyncClient, found: Round) -> None:
    """The round's rows, through the ORM, in the caller's transaction."""
    await sql.execute_many(db, _LEAF_SQL, found.leaves)
    await sql.execute_many(db, _NODE_SQL, found.nodes)
    postgres = db.capabilities.dialect == "postgres"
    await sql.execute_many(db, _CHECKPOINT_SQL, [_checkpoint_row(found, postgres)])


def _append_sqlite(found: Round, db: sqlite3.Connection) -> bool:
    """The round's rows on the log's SQLite connection, in one transaction, if the tree is
    still the size the round grew it from; False (nothing written) if it is not."""
    with immediate(db):
        (last,) = db.execute("SELECT max(leaf_index) FROM log_leaf").fetchone()
        if (0 if last is None else int(last) + 1) != found.size:
            return False
        insert_all(db, sql.spelled(_LEAF_SQL, "sqlite"), found.leaves)
        insert_all(db, sql.spelled(_NODE_SQL, "sqlite"), found.nodes)
        db.execute(sql.spelled(_CHECKPOINT_SQL, "sqlite"), _checkpoint_row(found, False))
    return True


def checkpoint_line(size: int, note: str, signed_at: dt.datetime) -> str:
    """One line of the checkpoint file: JSON with the size, the signed note and when."""
    at = signed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps({"size": size, "note": note, "signed_at": at}, sort_keys=True) + "\n"


def append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_checkpoint_file(path: Path) -> list[dict[str, Any]]:
    """The checkpoints in the file (a torn last line, from a crash mid-write, is skipped)."""
    return [item for _, item in checkpoint_lines(path) if item is not None]


def checkpoint_lines(path: Path) -> list[tuple[int, dict[str, Any] | None]]:
    """Each line of a checkpoint (or cosignature) file, numbered from 1, with its JSON: None
    for a line that is not a checkpoint's (a torn last line, from a crash mid-write). No file:
    no lines; OSError or UnicodeDecodeError for a file that cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    found: list[tuple[int, dict[str, Any] | None]] = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            item = None
        good = isinstance(item, dict) and isinstance(item.get("size"), int)
        found.append((number, item if good and isinstance(item.get("note"), str) else None))
    return found


def root_of(note: str) -> str:
    """The base64 root hash line of a checkpoint note (its third line)."""
    return note.split("\n")[2]


__all__ = ["Sealed", "Sealer", "SigningKeyError", "signing_key"]
