"""What the transfer log's Merkle tree costs at a given size (default 1,000,000 leaves):
`.venv/bin/python bench/tree_costs.py [leaves]`. See docs/transparency-log.md."""

from __future__ import annotations

import sys
import time
import timeit
import tracemalloc
from collections.abc import Callable

from gateway.evidence.tree import (
    CompactRange,
    TreeLevels,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    tree_root,
    verify_consistency,
    verify_inclusion,
)


def each(label: str, call: Callable[[], object], number: int) -> None:
    """Print the mean time of one call, in microseconds."""
    print(f"{label:<40} {timeit.timeit(call, number=number) / number * 1e6:9.1f} us")


def once(label: str, call: Callable[[], object]) -> object:
    """Print the time of one call, in seconds, and return its result."""
    start = time.perf_counter()
    result = call()
    print(f"{label:<40} {time.perf_counter() - start:9.3f} s")
    return result


def main(n: int) -> None:
    leaves: list[bytes] = []
    once(
        f"{n} leaf hashes", lambda: leaves.extend(leaf_hash(i.to_bytes(8, "big")) for i in range(n))
    )
    head = once("root(leaves)", lambda: root(leaves))
    edge = CompactRange()
    start = time.perf_counter()
    for leaf in leaves:
        edge.append(leaf)
    per_leaf = (time.perf_counter() - start) / n * 1e6
    print(f"{'CompactRange.append, per leaf':<40} {per_leaf:9.2f} us")
    assert edge.root() == head
    each("CompactRange.root()", edge.root, 10_000)

    tree = once("TreeLevels(leaves)", lambda: TreeLevels(leaves))
    assert isinstance(tree, TreeLevels) and tree_root(n, tree.node) == head
    tracemalloc.start()
    kept = TreeLevels(leaves)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    print(f"{'TreeLevels memory: held, peak':<40} {held / 2**20:6.0f} MiB, {peak / 2**20:.0f} MiB")

    index, old = n // 3, 2 * n // 3 + 1  # proofs of near-maximal length at these sizes
    path = inclusion_proof(index, n, tree.node)
    each(
        f"inclusion_proof ({len(path)} hashes)", lambda: inclusion_proof(index, n, tree.node), 2000
    )
    each("verify_inclusion", lambda: verify_inclusion(index, n, leaves[index], path, head), 2000)
    proof = consistency_proof(old, n, tree.node)
    old_root = tree_root(old, tree.node)
    each(
        f"consistency_proof ({len(proof)} hashes)",
        lambda: consistency_proof(old, n, tree.node),
        2000,
    )
    each("verify_consistency", lambda: verify_consistency(old, n, old_root, head, proof), 2000)
    once(
        "inclusion proof from the leaves alone",
        lambda: inclusion_proof(index, n, TreeLevels(leaves).node),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
