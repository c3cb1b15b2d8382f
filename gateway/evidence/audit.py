"""``poortwachter prove`` and ``export-log``: an entry's inclusion proof, and a range of the log
as JSON lines that ``gateway.evidence.standalone_verify`` checks without the gateway.

An export is one JSON object a line:

- ``{"type": "log", "origin", "public_key", "exported_at"}`` first;
- ``{"type": "checkpoint", "size", "note", "consistency"}``: the latest checkpoint last, and
  before it the checkpoints signed in the range (at most ``MAX_CHECKPOINTS``, evenly
  thinned), each with the consistency proof (base64 hashes) from it to the latest;
- ``{"type": "leaf", "leaf_index", "seq", "body", "proof"}``: every leaf from the first to the
  last one whose entry was written in the range, contiguous, with its entry's canonical bytes
  (``body``, the JSON text; null if the entry is missing) and its inclusion proof in the latest
  checkpoint's tree;
- ``{"type": "transfer", "row"}``: the ``transfer`` table's row of each transfer begun in the
  range, as its columns' JSON values;
- ``{"type": "unsealed", "seq", "body"}``: entries written in the range but not yet sealed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any, TextIO

from gateway.evidence import database as sql
from gateway.evidence import entries
from gateway.evidence.models import TransferRecord
from gateway.evidence.note import Verifier
from gateway.evidence.proofs import consistency, inclusion_proofs
from gateway.evidence.tree import leaf_hash, verify_inclusion

MAX_CHECKPOINTS = 1000
_CHUNK = 1000


class AuditError(Exception):
    """The request cannot be answered; the message says why, in one line."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def _latest(db: Any) -> tuple[int, str]:
    rows = await sql.fetch(
        db, "SELECT size, root_hash, note FROM log_checkpoint ORDER BY size DESC LIMIT 1"
    )
    if not rows:
        raise AuditError("the log has no checkpoint yet; the sealer signs one within a second")
    return int(rows[0]["size"]), str(rows[0]["note"])


async def prove(transfer_id: uuid.UUID) -> dict[str, Any]:
    """The transfer's entries with their inclusion proofs against the latest checkpoint."""
    db = sql.client()
    rows = await sql.fetch(
        db,
        "SELECT e.seq, e.body, l.leaf_index FROM log_entry e LEFT JOIN log_leaf l "
        "ON l.entry_seq = e.seq WHERE e.transfer_id = $1 ORDER BY e.seq",
        _db_uuid(db, transfer_id),
    )
    if not rows:
        raise AuditError(f"transfer {transfer_id} is not in the log")
    size, note = await _latest(db)
    root = _root_of(note)
    sealed = [int(r["leaf_index"]) for r in rows if r["leaf_index"] is not None]
    sealed = [i for i in sealed if i < size]
    proofs = await inclusion_proofs(db, sealed, size)
    found = []
    for row in rows:
        body = sql.as_bytes(row["body"])
        item: dict[str, Any] = {"seq": int(row["seq"]), "entry": json.loads(body)}
        index = row["leaf_index"]
        if index is None or int(index) >= size:
            item["sealed"] = False
        else:
            proof = proofs[int(index)]
            verify_inclusion(int(index), size, leaf_hash(body), proof, root)
            item |= {
                "leaf_index": int(index),
                "leaf_hash": _b64(leaf_hash(body)),
                "proof": [_b64(h) for h in proof],
            }
        found.append(item)
    return {"tree_size": size, "checkpoint": note, "entries": found}


async def export(
    out: TextIO, verifier: Verifier, start: dt.datetime, end: dt.datetime
) -> dict[str, int]:
    """Write the export of entries written in [start, end); returns what it wrote."""
    db = sql.client()
    size, latest_note = await _latest(db)
    counts = {"leaves": 0, "checkpoints": 0, "transfers": 0, "unsealed": 0}
    _line(out, {"type": "log", "origin": verifier.name, "public_key": verifier.key_string(),
                "exported_at": entries.json_value(dt.datetime.now(dt.UTC))})  # fmt: skip
    window = (_db_time(db, start), _db_time(db, end))
    span = await sql.fetch(
        db,
        "SELECT min(l.leaf_index) AS first, max(l.leaf_index) AS last FROM log_leaf l "
        "JOIN log_entry e ON e.seq = l.entry_seq WHERE e.written_at >= $1 AND e.written_at < $2 "
        "AND l.leaf_index < $3",
        *window,
        size,
    )
    checkpoints = await sql.fetch(
        db,
        "SELECT size, note FROM log_checkpoint WHERE signed_at >= $1 AND signed_at < $2 "
        "AND size < $3 ORDER BY size",
        *window,
        size,
    )
    for row in _thin(checkpoints, MAX_CHECKPOINTS):
        proof = await consistency(db, int(row["size"]), size)
        _line(out, {"type": "checkpoint", "size": int(row["size"]), "note": row["note"],
                    "consistency": [_b64(h) for h in proof]})  # fmt: skip
        counts["checkpoints"] += 1
    _line(out, {"type": "checkpoint", "size": size, "note": latest_note, "consistency": []})
    counts["checkpoints"] += 1
    begun: list[str] = []
    if span[0]["first"] is not None:
        first, last = int(span[0]["first"]), int(span[0]["last"])
        # The outcomes of transfers begun in the range, sealed after it, come along.
        later = await sql.fetch(
            db,
            "SELECT max(l.leaf_index) AS last FROM log_leaf l JOIN log_entry e "
            "ON e.seq = l.entry_seq WHERE l.leaf_index < $3 AND e.transfer_id IN "
            "(SELECT transfer_id FROM log_entry WHERE written_at >= $1 AND written_at < $2)",
            *window,
            size,
        )
        if later[0]["last"] is not None:
            last = max(last, int(later[0]["last"]))
        for chunk in range(first, last + 1, _CHUNK):
            top = min(chunk + _CHUNK, last + 1)
            rows = await sql.fetch(
                db,
                "SELECT l.leaf_index, l.entry_seq, e.body, e.kind, e.transfer_id FROM log_leaf l "
                "LEFT JOIN log_entry e ON e.seq = l.entry_seq "
                "WHERE l.leaf_index >= $1 AND l.leaf_index < $2 ORDER BY l.leaf_index",
                chunk,
                top,
            )
            proofs = await inclusion_proofs(db, [int(r["leaf_index"]) for r in rows], size)
            for row in rows:
                index = int(row["leaf_index"])
                body = None if row["body"] is None else sql.as_bytes(row["body"]).decode("utf-8")
                _line(out, {"type": "leaf", "leaf_index": index, "seq": int(row["entry_seq"]),
                            "body": body, "proof": [_b64(h) for h in proofs[index]]})  # fmt: skip
                counts["leaves"] += 1
                if row["kind"] in (entries.BEGIN, entries.REFUSED):
                    begun.append(str(sql.as_uuid(row["transfer_id"])))
    unsealed = await sql.fetch(
        db,
        "SELECT seq, body FROM log_entry e WHERE e.transfer_id IN (SELECT transfer_id FROM "
        "log_entry WHERE written_at >= $1 AND written_at < $2) AND "
        "NOT EXISTS (SELECT 1 FROM log_leaf l WHERE l.entry_seq = e.seq AND l.leaf_index < $3) "
        "ORDER BY seq",
        *window,
        size,
    )
    for row in unsealed:
        body = sql.as_bytes(row["body"]).decode("utf-8")
        _line(out, {"type": "unsealed", "seq": int(row["seq"]), "body": body})
        counts["unsealed"] += 1
    for start_at in range(0, len(begun), _CHUNK):
        part = begun[start_at : start_at + _CHUNK]
        for values in await TransferRecord.filter(id__in=part).values():
            _line(out, {"type": "transfer", "row": entries.content_of(values)})
            counts["transfers"] += 1
    return counts


def _thin(rows: list[Any], most: int) -> Iterator[Any]:
    if len(rows) <= most:
        yield from rows
        return
    step = len(rows) / most
    for i in range(most):
        yield rows[int(i * step)]


def _line(out: TextIO, item: dict[str, Any]) -> None:
    out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")


def _root_of(note: str) -> bytes:
    return base64.b64decode(note.split("\n")[2])


def _db_uuid(db: Any, value: uuid.UUID) -> Any:
    return value if db.capabilities.dialect == "postgres" else str(value)


def _db_time(db: Any, at: dt.datetime) -> Any:
    at = at.astimezone(dt.UTC)
    return at if db.capabilities.dialect == "postgres" else at.isoformat(" ")
