"""``poortwachter verify``: recompute the transfer log's tree from its entries and check every
checkpoint, the checkpoint file outside the database, and the ``transfer`` table against it.

What it checks, in order, naming the first thing that does not match:

1. the leaves, in ``log_leaf`` order: each names an entry that exists, once; the entry's bytes
   are canonical JSON, say the kind and transfer their columns say, and hash to its leaf hash;
2. every checkpoint: signed by the log's key, its size and root as its row says, and the root
   the recomputed tree has at that size. All checkpoints are prefixes of one recomputed tree,
   so each is consistent with the one before;
3. entries not in the tree: after the last sealed one they are *not yet sealed* (not an error);
   below it and older than a minute they were put there afterwards;
4. the checkpoint file: every checkpoint in it is signed by the log's key and is in the
   database with the same root; one beyond the database's latest means the database was rolled
   back. The same for the witness's cosignature file, whose checkpoints a witness has vouched
   for; with the witness's key its lines' cosignatures are checked too (a line marked verified
   whose cosignature does not verify was changed), without it a note says they were not;
5. every ``transfer`` row: equal, column by column, to its begin (or refused) entry with its
   outcome entry over it, and every transfer in the log has its row;
6. the subject index: each transfer's row (``subjects_held``) hashes to the
   ``subjects_sha256`` its begin entry committed to, one row a transfer, none for a transfer
   whose entry held no pupils. Rows gone are noted, not errors: retention removes them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.exceptions import FieldError

from gateway.evidence import database as sql
from gateway.evidence import entries
from gateway.evidence.canonical import NotCanonicalisable, canonical
from gateway.evidence.checkpoint import InvalidCheckpoint, open_checkpoint
from gateway.evidence.cosignature import Cosigner
from gateway.evidence.models import LogVerification, SubjectsHeld, TransferRecord
from gateway.evidence.note import InvalidSignature, NoteError, UnverifiedNote, Verifier, open_note
from gateway.evidence.sealer import checkpoint_lines
from gateway.evidence.subjects import rows_sha256, unpack
from gateway.evidence.tree import CompactRange, leaf_hash

PAGE = 5000
_NAMES = SubjectsHeld._meta.fields_map["fieldsets"]  # as the subject index reads them
LATE_GRACE = dt.timedelta(seconds=60)  # an entry below the sealed ones may still be sealed


@dataclass
class Report:
    """What ``verify`` found: counts, problems (the first one named) and notes."""

    entries: int = 0
    sealed: int = 0
    unsealed: int = 0
    checkpoints: int = 0
    transfers: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        counts = (
            f"{self.entries} entries ({self.sealed} sealed, {self.unsealed} not yet sealed), "
            f"{self.checkpoints} checkpoints, {self.transfers} transfers"
        )
        if self.ok:
            return f"the transfer log verifies: {counts}"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"the transfer log does NOT verify: {self.problems[0]}{more}; {counts}"

    def dutch(self) -> str:
        """For the FG console's Integriteit page."""
        if self.ok:
            return (
                f"Alle {self.sealed} verzegelde regels en {self.checkpoints} controlepunten "
                f"kloppen; {self.unsealed} regels nog niet verzegeld."
            )
        return f"Afwijking gevonden: {self.problems[0]}"


@dataclass
class _Transfer:
    """What the log says of one transfer, its outcome over its begin entry."""

    content: dict[str, Any] = field(default_factory=dict)
    begin: bytes | None = None
    begin_seq: int | None = None
    outcome_seq: int = -1
    outcomes: list[tuple[int, str | None]] = field(default_factory=list)


class _Log:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.transfers: dict[str, _Transfer] = {}
        self.seen: set[int] = set()

    def problem(self, text: str) -> None:
        self.report.problems.append(text)

    def entry(self, seq: int, row: Any, where: str) -> bytes | None:
        """Check one entry's row; returns the leaf hash of its bytes (None if unusable)."""
        body = sql.as_bytes(row["body"])
        computed = leaf_hash(body)
        if computed != sql.as_bytes(row["leaf_hash"]):
            self.problem(f"entry {seq}{where} does not match its leaf hash: its content changed")
        try:
            content = json.loads(body)
            if canonical(content) != body:
                raise NotCanonicalisable("not canonical")
        except (ValueError, NotCanonicalisable):
            self.problem(f"entry {seq}{where} is not canonical JSON")
            return computed
        if not isinstance(content, dict) or content.get("kind") != row["kind"]:
            self.problem(f"entry {seq}{where}: its kind differs from its kind column")
            return computed
        if content.get("id") != str(sql.as_uuid(row["transfer_id"])):
            self.problem(f"entry {seq}{where}: its transfer differs from its transfer column")
            return computed
        self._merge(seq, content, computed)
        return computed

    def _merge(self, seq: int, content: dict[str, Any], hashed: bytes) -> None:
        transfer = self.transfers.setdefault(content["id"], _Transfer())
        kind = content.pop("kind")
        if kind in (entries.BEGIN, entries.REFUSED):
            if transfer.begin is not None:
                self.problem(f"entry {seq}: a second begin entry for transfer {content['id']}")
                return
            transfer.begin, transfer.begin_seq = hashed, seq
            transfer.content = {**content, **transfer.content}  # an outcome seen first stays
        elif kind == entries.OUTCOME:
            transfer.outcomes.append((seq, content.pop("begin", None)))
            if seq > transfer.outcome_seq:
                transfer.outcome_seq = seq
                transfer.content.update(content)
        else:
            self.problem(f"entry {seq} is of no known kind")


async def verify(
    verifier: Verifier,
    checkpoint_file: Path | None,
    cosignature_file: Path | None = None,
    *,
    cosigner: Cosigner | None = None,
) -> Report:
    """Check the whole log (see the module's docstring), the cosignatures with ``cosigner``
    (the witness's key) if given; the result is also stored."""
    report = Report()
    log = _Log(report)
    db = sql.client()
    roots = await _tree(log, db, verifier)
    await _unsealed(log, db)
    for path, label in ((checkpoint_file, "checkpoint"), (cosignature_file, "cosignature")):
        if path is not None:
            await _checkpoint_file(log, db, verifier, path, roots, f"the {label} file")
    if cosignature_file is not None:
        _cosignatures(log, verifier, cosigner, cosignature_file)
    _outcomes(log)
    committed = {t: said.content.get("subjects_sha256") for t, said in log.transfers.items()}
    await _transfers(log)
    await _subject_index(log, db, committed)
    rows = await sql.fetch(db, "SELECT count(*) AS n FROM log_entry")
    report.entries = int(rows[0]["n"])
    await LogVerification.create(
        at=dt.datetime.now(dt.UTC), ok=report.ok, entries=report.entries, detail=report.dutch()
    )
    return report


async def _pages(db: Any, query: str, key: str, start: int = -1) -> AsyncIterator[Any]:
    """Rows of ``query`` (with ``$1`` the last key seen and ``$2`` the page size) in pages."""
    last = start
    while True:
        rows = await sql.fetch(db, query, last, PAGE)
        for row in rows:
            yield row
        if len(rows) < PAGE:
            return
        last = int(rows[-1][key])


async def _tree(log: _Log, db: Any, verifier: Verifier) -> dict[int, bytes]:
    """Steps 1 and 2: the leaves and the checkpoints; returns the root at each checkpoint."""
    checkpoints = _pages(
        db,
        "SELECT size, root_hash, note FROM log_checkpoint WHERE size > $1 ORDER BY size LIMIT $2",
        "size",
    )
    pending = await anext(checkpoints, None)
    edge = CompactRange()
    roots: dict[int, bytes] = {}
    broken = False  # after a missing leaf the tree cannot be recomputed further
    leaves = _pages(
        db,
        "SELECT l.leaf_index, l.entry_seq, e.seq AS found, e.transfer_id, e.kind, e.body, "
        "e.leaf_hash FROM log_leaf l LEFT JOIN log_entry e ON e.seq = l.entry_seq "
        "WHERE l.leaf_index > $1 ORDER BY l.leaf_index LIMIT $2",
        "leaf_index",
    )
    async for row in leaves:
        index, seq = int(row["leaf_index"]), int(row["entry_seq"])
        if broken:
            continue
        if index != edge.size:
            log.problem(f"leaf {edge.size} is missing: leaves were deleted or renumbered")
            broken = True
            continue
        if seq in log.seen:
            log.problem(f"entry {seq} is in the tree twice (again at leaf {index})")
        log.seen.add(seq)
        if row["found"] is None:
            log.problem(f"leaf {index} names entry {seq}, which is not in the log: deleted")
            hashed = b"\0" * 32  # the tree goes on, so that later checkpoints are still read
        else:
            hashed = log.entry(seq, row, f" (leaf {index})") or b"\0" * 32
        edge.append(hashed)
        while pending is not None and int(pending["size"]) <= edge.size:
            _checkpoint(log, verifier, pending, edge)
            roots[edge.size] = edge.root()
            pending = await anext(checkpoints, None)
    log.report.sealed = edge.size
    while pending is not None:
        if not broken:
            log.problem(
                f"checkpoint {pending['size']} is beyond the {edge.size} leaves in the "
                "database: leaves were deleted"
            )
        log.report.checkpoints += 1
        pending = await anext(checkpoints, None)
    return roots


def _checkpoint(log: _Log, verifier: Verifier, row: Any, edge: CompactRange) -> None:
    size = int(row["size"])
    log.report.checkpoints += 1
    if size != edge.size:
        log.problem(f"checkpoint {size} does not fall on a leaf")
        return
    try:
        opened = open_checkpoint(row["note"].encode("utf-8"), verifier.name, [verifier])
    except UnverifiedNote:
        log.problem(f"checkpoint {size} is not signed by the log's key {verifier.key_string()}")
        return
    except InvalidSignature:
        log.problem(f"checkpoint {size}: its signature does not verify")
        return
    except (NoteError, InvalidCheckpoint):
        log.problem(f"checkpoint {size} is not a checkpoint of this log")
        return
    if opened.size != size or opened.root_hash != sql.as_bytes(row["root_hash"]):
        log.problem(f"checkpoint {size}: its row's size or root differs from its signed note")
    elif opened.root_hash != edge.root():
        log.problem(
            f"checkpoint {size}: the entries give another root: an entry below leaf {size} "
            "was changed, deleted, inserted or reordered"
        )


async def _unsealed(log: _Log, db: Any) -> None:
    """Step 3: entries that are in no leaf."""
    highest = max(log.seen, default=0)
    now = dt.datetime.now(dt.UTC)
    rows = _pages(
        db,
        "SELECT seq, transfer_id, kind, body, leaf_hash, written_at FROM log_entry e "
        "WHERE seq > $1 AND NOT EXISTS (SELECT 1 FROM log_leaf l WHERE l.entry_seq = e.seq) "
        "ORDER BY seq LIMIT $2",
        "seq",
    )
    async for row in rows:
        seq = int(row["seq"])
        log.report.unsealed += 1
        log.entry(seq, row, " (not yet sealed)")
        if seq < highest and now - sql.as_datetime(row["written_at"]) > LATE_GRACE:
            log.problem(f"entry {seq} is not in the tree though later entries are: inserted")
    if log.report.unsealed:
        log.report.notes.append(f"{log.report.unsealed} entries are not yet sealed")


def _outcomes(log: _Log) -> None:
    for transfer_id, transfer in log.transfers.items():
        for seq, begin in transfer.outcomes:
            if transfer.begin is None:
                log.problem(f"outcome entry {seq} of transfer {transfer_id} has no begin entry")
            elif begin != transfer.begin.hex():
                log.problem(f"outcome entry {seq} names another begin entry than its transfer's")


async def _transfers(log: _Log) -> None:
    """Step 5: the transfer table, row by row, against the log. Rows before the first one
    with entries were written before the evidence existed (migration 0007): noted, not
    errors; any later row without entries is."""
    last = -1
    logged, older = False, 0
    while True:
        rows = await TransferRecord.filter(seq__gt=last).order_by("seq").limit(PAGE).values()
        for row in rows:
            log.report.transfers += 1
            transfer_id = str(row["id"])
            said = log.transfers.pop(transfer_id, None)
            if said is None and not logged:
                older += 1
                continue
            logged = True
            if said is None or said.begin is None:
                log.problem(f"transfer {transfer_id} is in the transfer table but not in the log")
                continue
            for name, value in said.content.items():
                if entries.json_value(row.get(name)) != value:
                    log.problem(f"transfer {transfer_id}: its {name} differs from the log's")
                    break
        if len(rows) < PAGE:
            break
        last = rows[-1]["seq"]
    for transfer_id in log.transfers:
        log.problem(f"transfer {transfer_id} is in the log but not in the transfer table")
    if older:
        log.report.notes.append(f"{older} transfers predate the evidence log (before 0007)")


async def _subject_index(log: _Log, db: Any, committed: dict[str, str | None]) -> None:
    """Step 6: each subject-index row against what its transfer's entry committed to."""
    indexed: set[str] = set()
    rows = _pages(
        db,
        "SELECT id, transfer_id, subjects, fieldsets FROM subjects_held WHERE id > $1 "
        "ORDER BY id LIMIT $2",
        "id",
    )
    async for row in rows:
        transfer_id = str(sql.as_uuid(row["transfer_id"]))
        if transfer_id in indexed:
            log.problem(f"transfer {transfer_id} has a second subject-index row: added")
            continue
        indexed.add(transfer_id)
        if transfer_id not in committed:
            log.problem(
                f"the subject index has a row for transfer {transfer_id}, which is not in the "
                "log: the row was added, or the log's entries deleted"
            )
            continue
        expected = committed[transfer_id]
        if expected is None:
            log.problem(
                f"the subject index names pupils of transfer {transfer_id}, whose log entry "
                "holds none: the row was added"
            )
            continue
        try:
            held = unpack(sql.as_bytes(row["subjects"]), _NAMES.to_python_value(row["fieldsets"]))
        except (ValueError, IndexError, TypeError, FieldError):  # not JSON, not whole rows
            held = None
        if held is None or rows_sha256(held) != expected:
            log.problem(
                f"transfer {transfer_id}: its subject-index row is not what its log entry "
                "committed to (subjects_sha256): the row was changed"
            )
    gone = sum(1 for t, sha in committed.items() if sha is not None and t not in indexed)
    if gone:
        log.report.notes.append(
            f"{gone} transfers' subject-index rows are gone (retention: poortwachter purge)"
        )


async def _checkpoint_file(
    log: _Log, db: Any, verifier: Verifier, path: Path, roots: dict[int, bytes], label: str
) -> None:
    """Step 4: a copy of the checkpoints outside the database."""
    rows = await sql.fetch(db, "SELECT max(size) AS size FROM log_checkpoint")
    latest = -1 if rows[0]["size"] is None else int(rows[0]["size"])
    unreadable = []
    for number, item in checkpoint_lines(path):
        if item is None:
            unreadable.append(str(number))
            continue
        where = f"line {number} of {label}"
        try:
            opened = open_checkpoint(item["note"].encode("utf-8"), verifier.name, [verifier])
        except (NoteError, InvalidCheckpoint, UnicodeError):  # a lone surrogate in its JSON
            log.problem(f"{where}: checkpoint {item['size']} is not signed by the log's key")
            continue
        if opened.size > latest:
            log.problem(
                f"{where} holds checkpoint {opened.size}, the database's latest is "
                f"{latest}: the database was rolled back or its checkpoints deleted"
            )
        elif opened.size in roots and roots[opened.size] != opened.root_hash:
            log.problem(f"{where}: checkpoint {opened.size} differs from the log")
        elif opened.size not in roots:
            log.problem(f"{where}: checkpoint {opened.size} is not in the database")
    if unreadable:  # a write torn by a crash, or a line changed: said, not skipped in silence
        log.report.notes.append(
            f"{label} ({path}): line(s) {', '.join(unreadable[:10])} hold no checkpoint and "
            "were not checked (a write cut short by a crash, or the line was changed)"
        )


def _cosignatures(log: _Log, verifier: Verifier, cosigner: Cosigner | None, path: Path) -> None:
    """Step 4, the witness's part: each line's cosignature by ``cosigner``. A line marked
    verified was checked with that key when it came; if it does not verify now, it was changed
    (or cosigned under another key). Lines kept unverified are only counted."""
    lines = [(number, item) for number, item in checkpoint_lines(path) if item is not None]
    if lines and cosigner is None:
        log.report.notes.append(
            f"the cosignatures in {path} were not checked: no GATEWAY_WITNESS_KEY"
        )
    if not lines or cosigner is None:
        return
    unverified = 0
    for number, item in lines:
        try:
            note = open_note(item["note"].encode("utf-8"), [verifier])
        except (NoteError, UnicodeError):
            continue  # named above: not signed by the log's key
        try:
            cosigner.verify_note(note)
        except InvalidSignature as error:
            if item.get("verified") is True:
                log.problem(
                    f"line {number} of the cosignature file (checkpoint {item['size']}, marked "
                    f"verified) fails under GATEWAY_WITNESS_KEY {cosigner.key_string()}: {error}"
                )
            else:
                unverified += 1
    if unverified:
        log.report.notes.append(
            f"{unverified} cosignature lines kept unverified hold no valid cosignature by "
            f"{cosigner.key_string()}"
        )
