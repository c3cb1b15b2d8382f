"""Proofs from the stored tree: the nodes a proof needs, read in a few queries."""

from __future__ import annotations

from typing import Any

from gateway.evidence import database as sql
from gateway.evidence.tree import (
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_nodes,
)

_CHUNK = 200  # nodes per query (two parameters each)


async def read_nodes(db: Any, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    found: dict[tuple[int, int], bytes] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), _CHUNK):
        part = ordered[start : start + _CHUNK]
        where = " OR ".join(
            f'(level = ${2 * i + 1} AND "index" = ${2 * i + 2})' for i in range(len(part))
        )
        rows = await sql.fetch(
            db,
            f'SELECT level, "index", hash FROM log_node WHERE {where}',  # noqa: S608
            *[v for node in part for v in node],
        )
        found |= {(int(r["level"]), int(r["index"])): sql.as_bytes(r["hash"]) for r in rows}
    return found


async def inclusion_proofs(db: Any, indexes: list[int], size: int) -> dict[int, list[bytes]]:
    """The inclusion proof of each leaf index in the tree of ``size`` leaves."""
    wanted = {node for i in indexes for node in inclusion_proof_nodes(i, size)}
    nodes = await read_nodes(db, wanted)
    return {i: inclusion_proof(i, size, lambda lv, ix: nodes[(lv, ix)]) for i in indexes}


async def consistency(db: Any, old_size: int, new_size: int) -> list[bytes]:
    nodes = await read_nodes(db, set(consistency_proof_nodes(old_size, new_size)))
    return consistency_proof(old_size, new_size, lambda lv, ix: nodes[(lv, ix)])
