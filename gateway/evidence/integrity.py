"""The FG console's view of the log's integrity (``gateway.console.sources.Integrity``): the
latest signed checkpoint, the last verification, and an entry's inclusion proof."""

from __future__ import annotations

import base64

from gateway.console.sources import Checkpoint, InclusionProof, Verification
from gateway.evidence import database as sql
from gateway.evidence.checkpoint import parse_checkpoint
from gateway.evidence.models import LogVerification
from gateway.evidence.note import UnverifiedNote, open_note
from gateway.evidence.proofs import inclusion_proofs


class DatabaseIntegrity:
    """Reads what the sealer and ``poortwachter verify`` stored."""

    async def latest_checkpoint(self) -> Checkpoint | None:
        rows = await sql.fetch(
            sql.client(),
            "SELECT size, note, signed_at FROM log_checkpoint ORDER BY size DESC LIMIT 1",
        )
        if not rows:
            return None
        note = rows[0]["note"]
        try:
            text = _text_of(note)
            parsed = parse_checkpoint(text)
        except ValueError:
            return None
        return Checkpoint(
            origin=parsed.origin,
            size=parsed.size,
            root_hash=base64.b64encode(parsed.root_hash).decode("ascii"),
            signed_at=sql.as_datetime(rows[0]["signed_at"]),
            text=note,
        )

    async def last_verification(self) -> Verification | None:
        found = await LogVerification.all().order_by("-at", "-id").first()
        if found is None:
            return None
        return Verification(at=found.at, ok=found.ok, entries=found.entries, detail=found.detail)

    async def inclusion_proof(self, seq: int) -> InclusionProof | None:
        """The proof for the begin (or refused) entry of the transfer in row ``seq`` of the
        ``transfer`` table, against the latest checkpoint; None until it is sealed."""
        db = sql.client()
        rows = await sql.fetch(
            db,
            "SELECT l.leaf_index FROM transfer t JOIN log_entry e ON e.transfer_id = t.id "
            "AND e.kind <> 'outcome' JOIN log_leaf l ON l.entry_seq = e.seq WHERE t.seq = $1",
            seq,
        )
        latest = await sql.fetch(db, "SELECT max(size) AS size FROM log_checkpoint")
        if not rows or latest[0]["size"] is None:
            return None
        index, size = int(rows[0]["leaf_index"]), int(latest[0]["size"])
        if index >= size:
            return None
        proof = (await inclusion_proofs(db, [index], size))[index]
        hashes = tuple(base64.b64encode(h).decode("ascii") for h in proof)
        return InclusionProof(leaf_index=index, tree_size=size, hashes=hashes)


def _text_of(note: str) -> str:
    """The checkpoint text of a signed note, without checking its signature (the console shows
    it; ``verify`` checks it)."""
    try:
        return open_note(note.encode("utf-8"), []).text
    except UnverifiedNote as unverified:  # well-formed, by a key not given here
        return unverified.note.text
