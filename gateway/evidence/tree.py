"""The Merkle tree of Certificate Transparency: RFC 9162 section 2.1 (the hashing of RFC 6962
section 2.1, unchanged).

A tree of n leaves is addressed by its *perfect subtrees*: node ``(level, index)`` is the hash of
the 2**level leaves ``[index << level, (index + 1) << level)``, so ``(0, i)`` is leaf hash i.
Every proof RFC 9162 defines is made of such nodes, or of right-edge subtrees folded from
O(log n) of them, which is why the proof functions here read nodes through a ``NodeReader``
instead of taking the leaves: a log that stores its nodes (``CompactRange.append`` yields each
one as it completes; n leaves make fewer than n interior ones, 32 bytes each) answers any proof
with O(log n) reads and O(log n) hashes. ``TreeLevels`` is such a store in memory, built from the
leaves in 2n hashes; ``inclusion_proof_nodes`` and ``consistency_proof_nodes`` name the nodes a
proof needs, so that a caller with an asynchronous store can fetch them in one query first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}), RFC 9162 section 2.1.1

_LEAF = b"\x00"
_NODE = b"\x01"

NodeReader = Callable[[int, int], bytes]
"""``read(level, index)``: the hash of perfect subtree ``(level, index)``."""


@dataclass(frozen=True, slots=True)
class Node:
    """A perfect subtree: the hash of leaves ``[index << level, (index + 1) << level)``."""

    level: int
    index: int
    hash: bytes


class InvalidProof(ValueError):
    """A proof that does not prove what it was offered for."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d0}) = SHA-256(0x00 || d0), RFC 9162 section 2.1.1."""
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), the interior node of RFC 9162 section 2.1.1."""
    return hashlib.sha256(_NODE + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 section 2.1.1, from the leaf hashes: n - 1 node hashes.

    Computed level by level, an odd last node carried up unhashed, which gives the same tree as
    splitting at the largest power of two below n (and needs no recursion).
    """
    _check_hashes(leaf_hashes)
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        carried = level[-1] if len(level) % 2 else None
        level = _pairs(level)
        if carried is not None:
            level.append(carried)
    return level[0]


def tree_root(size: int, read: NodeReader) -> bytes:
    """MTH(D[size]) from stored nodes: one read per set bit of size, one hash fewer."""
    return CompactRange.from_nodes(size, read).root()


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 section 2.1.3.1, leaf end first: O(log n) reads and hashes."""
    return [_subtree(start, end, read) for start, end in _inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, read: NodeReader) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 section 2.1.4.1, O(log n) reads and
    hashes; empty when old_size is 0 or equal to new_size, where there is nothing to prove."""
    return [_subtree(start, end, read) for start, end in _consistency_ranges(old_size, new_size)]


def inclusion_proof_nodes(index: int, size: int) -> list[tuple[int, int]]:
    """The nodes ``(level, index)`` that ``inclusion_proof(index, size, read)`` reads, in order."""
    return [node for start, end in _inclusion_ranges(index, size) for node in _edge(start, end)]


def consistency_proof_nodes(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The nodes that ``consistency_proof(old_size, new_size, read)`` reads, in order."""
    ranges = _consistency_ranges(old_size, new_size)
    return [node for start, end in ranges for node in _edge(start, end)]


def edge_nodes(size: int) -> list[tuple[int, int]]:
    """The nodes that ``CompactRange.from_nodes(size, read)`` reads: the tree's right edge."""
    return list(_edge(0, size))


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """RFC 9162 section 2.1.3.2, step by step; raises InvalidProof unless leaf hash ``leaf`` is
    leaf ``index`` of the tree of ``size`` leaves whose root is ``root_hash``."""
    _check_proof_hashes([leaf, root_hash, *proof])
    # 1. leaf_index must be below tree_size.
    if not 0 <= index < size:
        raise InvalidProof("leaf index outside the tree")
    # 2.-3.
    fn, sn, r = index, size - 1, leaf
    # 4.
    for p in proof:
        if sn == 0:  # a.
            raise InvalidProof("inclusion proof too long")
        if fn & 1 or fn == sn:  # b.
            r = node_hash(p, r)
            while fn and not fn & 1:  # ii. (only when LSB(fn) is not set)
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # c.
        sn >>= 1
    # 5.
    if sn != 0:
        raise InvalidProof("inclusion proof too short")
    if r != root_hash:
        raise InvalidProof("inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2, step by step; raises InvalidProof unless the tree of old_size
    leaves with root old_root is a prefix of the tree of new_size leaves with root new_root.

    The RFC defines the algorithm for 0 < old_size < new_size; the trivial cases are decided
    first: equal sizes need equal roots, and size 0 needs the empty tree's root, with no proof.
    """
    _check_proof_hashes([old_root, new_root, *proof])
    if not 0 <= old_size <= new_size:
        raise InvalidProof("tree sizes out of order")
    if old_size in (0, new_size):
        expected = EMPTY_ROOT if old_size == 0 else new_root
        if proof or old_root != expected:
            raise InvalidProof("trees of these sizes are consistent only with an empty proof")
        return
    # 1.
    if not proof:
        raise InvalidProof("empty consistency proof")
    # 2.
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    # 3.
    fn, sn = old_size - 1, new_size - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:  # a.
            raise InvalidProof("consistency proof too long")
        if fn & 1 or fn == sn:  # b.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:  # iii. (only when LSB(fn) is not set)
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # c.
        sn >>= 1
    # 7.
    if sn != 0:
        raise InvalidProof("consistency proof too short")
    if fr != old_root or sr != new_root:
        raise InvalidProof("consistency proof does not lead to both roots")


class CompactRange:
    """The right edge of a tree: the roots of its perfect subtrees, largest (leftmost) first,
    one per set bit of the size. Appending a leaf costs one hash per trailing 1-bit of the size
    (one on average); the root costs one hash per further set bit. ``size`` and ``hashes`` are
    the whole state: store them and pass them back to resume."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError("a compact range holds one hash per set bit of its size")
        _check_hashes(hashes)
        self.size = size
        self.hashes = list(hashes)

    @classmethod
    def from_nodes(cls, size: int, read: NodeReader) -> CompactRange:
        """The right edge of the tree of ``size`` leaves, read from stored nodes."""
        return cls(size, [read(level, index) for level, index in _edge(0, size)])

    def append(self, leaf: bytes) -> list[Node]:
        """Add one leaf hash; returns the perfect subtrees it completes, the leaf itself first,
        for a caller that stores nodes to answer proofs later."""
        _check_hashes([leaf])
        completed = [Node(0, self.size, leaf)]
        h, level, index = leaf, 0, self.size
        while index & 1:
            h = node_hash(self.hashes.pop(), h)
            level += 1
            index >>= 1
            completed.append(Node(level, index, h))
        self.hashes.append(h)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """MTH of the tree so far: the edge folded from the right."""
        if not self.hashes:
            return EMPTY_ROOT
        h = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            h = node_hash(left, h)
        return h


class TreeLevels:
    """Every perfect subtree of a list of leaf hashes, kept in memory: one bytes string per
    level, 32 bytes a node, under 2n nodes (64n bytes) for n leaves, built in under n hashes. Its
    ``node`` method is a NodeReader, for proofs of any tree size up to ``size``."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        _check_hashes(leaf_hashes)
        self.size = len(leaf_hashes)
        self._levels: list[bytes] = []
        level = list(leaf_hashes)
        while level:
            self._levels.append(b"".join(level))
            level = _pairs(level)

    def node(self, level: int, index: int) -> bytes:
        """The hash of perfect subtree ``(level, index)``; KeyError if the tree has none."""
        if level < 0 or index < 0 or level >= len(self._levels):
            raise KeyError((level, index))
        start = index * HASH_SIZE
        found = self._levels[level][start : start + HASH_SIZE]
        if len(found) != HASH_SIZE:
            raise KeyError((level, index))
        return found


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1), where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make up PATH(index, D[size]), leaf end first."""
    if not 0 <= index < size:
        raise ValueError("an inclusion proof needs 0 <= index < size")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:  # PATH(m, D[0:k]) : MTH(D[k:n])
            ranges.append((start + k, end))
            end = start + k
        else:  # PATH(m - k, D[k:n]) : MTH(D[0:k])
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make up PROOF(old_size, D[new_size]), leaf end first."""
    if not 0 <= old_size <= new_size:
        raise ValueError("a consistency proof needs 0 <= old_size <= new_size")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, whole = 0, new_size, True
    while old_size != end:
        k = _split(end - start)
        if old_size - start <= k:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            ranges.append((start + k, end))
            end = start + k
        else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            ranges.append((start, start + k))
            start += k
            whole = False
    if not whole:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}; with true it is {}
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def _subtree(start: int, end: int, read: NodeReader) -> bytes:
    """MTH(D[start:end]) for a subtree of the RFC's recursion (start a multiple of the size
    rounded up to a power of two): one read if it is perfect, else its perfect parts folded."""
    parts = [read(level, index) for level, index in _edge(start, end)]
    h = parts[-1]
    for left in reversed(parts[:-1]):
        h = node_hash(left, h)
    return h


def _edge(start: int, end: int) -> Iterator[tuple[int, int]]:
    """The perfect subtrees, largest first, that make up leaves [start, end)."""
    size = end - start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            yield level, start >> level
            start += 1 << level


def _pairs(level: list[bytes]) -> list[bytes]:
    """The next level up: each full pair hashed, an odd last node dropped."""
    it = iter(level)
    pairs = zip(it, it, strict=False)  # not strict: an odd last node has no pair
    return [hashlib.sha256(_NODE + left + right).digest() for left, right in pairs]


def _check_hashes(hashes: Sequence[bytes]) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ValueError("every hash is 32 bytes (SHA-256)")


def _check_proof_hashes(hashes: Sequence[bytes]) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise InvalidProof("every hash in a proof is 32 bytes (SHA-256)")
