"""The RFC 9162 Merkle tree: the Certificate Transparency test vectors, the RFC's own recursive
definitions as a reference, and proofs that verify until a single bit changes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.evidence.tree import (
    EMPTY_ROOT,
    CompactRange,
    InvalidProof,
    TreeLevels,
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    root,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

# --- the test vectors -----------------------------------------------------------------------
# From transparency-dev/merkle, proof/verify_test.go
# (commit 02194e9afb6c1d95b5381350007963aa70fff472): the vectors Certificate Transparency
# implementations have carried since Google's C++ log, eight leaf inputs, the roots of the
# trees of their first 1..8 leaves, and proofs. Go's leaf numbers there are 1-based
# (``leaves[p.leaf-1]``); the indexes below are 0-based.

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def _hashes(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


# (index, size, path): Go's inclusionProofs {1, 8}, {6, 8}, {3, 3}, {2, 5}.
INCLUSION = [
    (
        0,
        8,
        _hashes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _hashes(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, _hashes("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        _hashes(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# (old size, new size, path): Go's consistencyProofs {1, 8}, {6, 8}, {2, 5}, {6, 7}.
CONSISTENCY = [
    (
        1,
        8,
        _hashes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _hashes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _hashes(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _hashes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

# From transparency-dev/merkle, proof/proof_test.go
# (commit 02a3e2029520f515596d5238c54fb0ac9e19bff4): which nodes (level, index) a proof is made
# of, in the same addressing as ours (compact.NewNodeID(level, index)). Go orders the nodes of a
# folded right edge differently, so these compare as sets; the hash vectors above pin the order
# of the proof itself.
INCLUSION_NODES = [
    (0, 1, []),
    (0, 2, [(0, 1)]),
    (1, 2, [(0, 0)]),
    (1, 3, [(0, 0), (0, 2)]),
    (0, 7, [(0, 1), (1, 1), (0, 6), (1, 2)]),
    (2, 7, [(0, 3), (1, 0), (0, 6), (1, 2)]),
    (4, 7, [(0, 5), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (2, 0)]),
    (2, 4, [(0, 3), (1, 0)]),
    (3, 5, [(0, 2), (1, 0), (0, 4)]),
    (3, 6, [(0, 2), (1, 0), (1, 2)]),
    (4, 6, [(0, 5), (2, 0)]),
    (10, 15, [(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)]),
    (24, 31, [(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)]),
    (81, 95, [(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)]),
]
CONSISTENCY_NODES = [
    (1, 2, [(0, 1)]),
    (1, 4, [(0, 1), (1, 1)]),
    (1, 6, [(0, 1), (1, 1), (1, 2)]),
    (2, 3, [(0, 2)]),
    (2, 8, [(1, 1), (2, 1)]),
    (3, 7, [(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)]),
    (4, 7, [(0, 6), (1, 2)]),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (0, 6), (2, 0)]),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)]),
    (3, 3, []),
    (8, 8, []),
    (2, 4, [(1, 1)]),
    (3, 5, [(0, 2), (0, 3), (1, 0), (0, 4)]),
    (3, 6, [(0, 2), (0, 3), (1, 0), (1, 2)]),
    (4, 6, [(1, 2)]),
    (1, 7, [(0, 1), (1, 1), (0, 6), (1, 2)]),
    (10, 15, [(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)]),
    (24, 31, [(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)]),
    (81, 95, [(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)]),
]

LEAF_HASHES = [leaf_hash(d) for d in LEAVES]
LEVELS = TreeLevels(LEAF_HASHES)
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


# --- the RFC's recursive definitions, as a reference ---------------------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_mth(d: list[bytes]) -> bytes:
    """MTH(D[n]), RFC 9162 section 2.1.1, over leaf hashes."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(reference_mth(d[:k]), reference_mth(d[k:]))


def reference_path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), RFC 9162 section 2.1.3.1."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*reference_path(m, d[:k]), reference_mth(d[k:])]
    return [*reference_path(m - k, d[k:]), reference_mth(d[:k])]


def reference_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), RFC 9162 section 2.1.4.1."""
    if m == len(d):
        return [] if b else [reference_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*reference_subproof(m, d[:k], b), reference_mth(d[k:])]
    return [*reference_subproof(m - k, d[k:], False), reference_mth(d[:k])]


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _flipped(hashes: list[bytes], bit: int) -> list[bytes]:
    """The same hashes with one bit inverted, counted across all of them."""
    i, b = divmod(bit, 8 * 32)
    changed = bytearray(hashes[i])
    changed[b // 8] ^= 1 << (b % 8)
    return [*hashes[:i], bytes(changed), *hashes[i + 1 :]]


# --- known answers ---------------------------------------------------------------------------


def test_leaf_and_node_hash_prefixes() -> None:
    """A leaf hashes 0x00 before its data and a node 0x01 before its children."""
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


def test_roots_of_the_test_vectors() -> None:
    """The roots of the first 1..8 leaves are the Certificate Transparency vectors."""
    assert [root(LEAF_HASHES[:n]) for n in range(1, 9)] == ROOTS
    assert [tree_root(n, LEVELS.node) for n in range(1, 9)] == ROOTS
    assert root([]) == EMPTY_ROOT == tree_root(0, LEVELS.node)
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, path: list[bytes]) -> None:
    """Each inclusion vector is what we generate, and it verifies against the vector root."""
    assert inclusion_proof(index, size, LEVELS.node) == path
    verify_inclusion(index, size, LEAF_HASHES[index], path, ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_vectors(old: int, new: int, path: list[bytes]) -> None:
    """Each consistency vector is what we generate, and it verifies between the vector roots."""
    assert consistency_proof(old, new, LEVELS.node) == path
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], path)


@pytest.mark.parametrize(("index", "size", "nodes"), INCLUSION_NODES)
def test_inclusion_nodes_vectors(index: int, size: int, nodes: list[tuple[int, int]]) -> None:
    """An inclusion proof reads exactly the nodes transparency-dev's proof package names."""
    assert sorted(inclusion_proof_nodes(index, size)) == sorted(nodes)


@pytest.mark.parametrize(("old", "new", "nodes"), CONSISTENCY_NODES)
def test_consistency_nodes_vectors(old: int, new: int, nodes: list[tuple[int, int]]) -> None:
    """A consistency proof reads exactly the nodes transparency-dev's proof package names."""
    assert sorted(consistency_proof_nodes(old, new)) == sorted(nodes)


def test_proof_nodes_are_the_nodes_read() -> None:
    """The node lists are the reads the proofs make, in the order they make them."""
    for size in range(1, 40):
        tree = TreeLevels(_leaves(size))
        for other in range(size + 1):
            seen: list[tuple[int, int]] = []

            def read(
                level: int, index: int, seen: list[tuple[int, int]] = seen, tree: TreeLevels = tree
            ) -> bytes:
                seen.append((level, index))
                return tree.node(level, index)

            if other < size:
                inclusion_proof(other, size, read)
                assert seen == inclusion_proof_nodes(other, size)
                seen.clear()
            consistency_proof(other, size, read)
            assert seen == consistency_proof_nodes(other, size)


# --- what verification refuses (probes from transparency-dev's verify_test.go) --------------


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_corrupted_inclusion_proofs_fail(index: int, size: int, path: list[bytes]) -> None:
    """Wrong index or size, wrong leaf or root, extra, missing or changed proof hashes all fail."""
    leaf, good_root = LEAF_HASHES[index], ROOTS[size - 1]
    probes = [
        (index - 1, size, leaf, path, good_root),
        (index + 1, size, leaf, path, good_root),
        (index ^ 2, size, leaf, path, good_root),
        (index, size * 2, leaf, path, good_root),
        (index, size // 2, leaf, path, good_root),
        (index, size, leaf_hash(b"WrongLeaf"), path, good_root),
        (index, size, leaf, path, EMPTY_ROOT),
        (index, size, leaf, path, SOME_HASH),
        (index, size, leaf, [*path, b""], good_root),
        (index, size, leaf, [*path, good_root], good_root),
        (index, size, leaf, [b"", *path], good_root),
        (index, size, leaf, [good_root, *path], good_root),
        (index, size, leaf, path[:-1], good_root),
        (index, size, leaf, [path[0], SOME_HASH, *path[1:]], good_root),
    ]
    for i in range(len(path)):
        probes.append((index, size, leaf, _flipped(path, i * 256 + 3), good_root))
    for probe in probes:
        with pytest.raises(InvalidProof):
            verify_inclusion(*probe)


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_corrupted_consistency_proofs_fail(old: int, new: int, path: list[bytes]) -> None:
    """Wrong sizes, wrong or swapped roots, extra, missing or changed proof hashes all fail."""
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old - 1, new, r1, r2, path),
        (old + 1, new, r1, r2, path),
        (old ^ 2, new, r1, r2, path),
        (old, new * 2, r1, r2, path),
        (old, new // 2, r1, r2, path),
        (old, new, SOME_HASH, r2, path),
        (old, new, r1, SOME_HASH, path),
        (old, new, r2, r1, path),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*path, b""]),
        (old, new, r1, r2, [*path, r1]),
        (old, new, r1, r2, [*path, r2]),
        (old, new, r1, r2, [b"", *path]),
        (old, new, r1, r2, [r1, *path]),
        (old, new, r1, r2, [r2, *path]),
        (old, new, r1, r2, [path[0], *path]),
        (old, new, r1, r2, path[:-1]),
    ]
    for i in range(len(path)):
        probes.append((old, new, r1, r2, _flipped(path, i * 256 + 4)))
    for probe in probes:
        with pytest.raises(InvalidProof):
            verify_consistency(*probe)


def test_trivial_consistency() -> None:
    """Equal sizes need equal roots and the empty tree its own root, each with an empty proof."""
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [])
    verify_consistency(3, 3, ROOTS[2], ROOTS[2], [])
    refused = [
        (3, 3, ROOTS[2], ROOTS[3], []),
        (3, 3, ROOTS[2], ROOTS[2], [EMPTY_ROOT]),
        (0, 5, SOME_HASH, ROOTS[4], []),  # Go accepts any old root at size 0; we want MTH({})
        (0, 5, EMPTY_ROOT, ROOTS[4], [EMPTY_ROOT]),
        (2, 1, ROOTS[1], ROOTS[0], []),
        (1, 0, ROOTS[0], EMPTY_ROOT, []),
        (1, 2, ROOTS[0], ROOTS[1], []),
    ]
    for probe in refused:
        with pytest.raises(InvalidProof):
            verify_consistency(*probe)


def test_single_leaf_inclusion() -> None:
    """In a tree of one leaf the leaf hash is the root and the proof is empty."""
    h = leaf_hash(b"data")
    verify_inclusion(0, 1, h, [], h)
    for probe in [(0, 1, h, [], SOME_HASH), (0, 1, h, [], b""), (0, 0, h, [], h), (1, 1, h, [], h)]:
        with pytest.raises(InvalidProof):
            verify_inclusion(*probe)


def test_proof_requests_out_of_range() -> None:
    """A proof for a leaf outside the tree, or from a larger to a smaller tree, is refused."""
    for index, size in [(0, 0), (1, 1), (8, 7), (-1, 3)]:
        with pytest.raises(ValueError, match="index"):
            inclusion_proof(index, size, LEVELS.node)
    for old, new in [(5, 0), (9, 8), (-1, 2)]:
        with pytest.raises(ValueError, match="old_size"):
            consistency_proof(old, new, LEVELS.node)


# --- the appender ----------------------------------------------------------------------------


def test_compact_range_roots_and_nodes() -> None:
    """Appending leaf by leaf gives every prefix's root and yields exactly the tree's nodes."""
    leaves = _leaves(70)
    tree = TreeLevels(leaves)
    edge = CompactRange()
    yielded = 0
    for n, leaf in enumerate(leaves, start=1):
        completed = edge.append(leaf)
        assert completed[0].level == 0 and completed[0].hash == leaf
        for node in completed:
            assert tree.node(node.level, node.index) == node.hash
        yielded += len(completed)
        assert edge.size == n
        assert edge.root() == reference_mth(leaves[:n])
    assert yielded == 70 + (70 - 3)  # every leaf, and n - popcount(n) perfect interior nodes


def test_compact_range_resumes_from_its_state() -> None:
    """A range rebuilt from (size, hashes), or from stored nodes, carries on to the same roots."""
    leaves = _leaves(45)
    tree = TreeLevels(leaves)
    first = CompactRange()
    for leaf in leaves[:29]:
        first.append(leaf)
    resumed = CompactRange(first.size, list(first.hashes))
    read = CompactRange.from_nodes(29, tree.node)
    assert read.hashes == first.hashes
    for leaf in leaves[29:]:
        resumed.append(leaf)
        read.append(leaf)
    assert resumed.root() == read.root() == root(leaves)


def test_compact_range_refuses_a_bad_state() -> None:
    """A state with the wrong number of hashes, or hashes of the wrong length, is refused."""
    with pytest.raises(ValueError, match="set bit"):
        CompactRange(3, [EMPTY_ROOT])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange(1, [b"short"])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"short")


def test_tree_levels_has_only_perfect_subtrees() -> None:
    """A level holds only complete subtrees; asking beyond them is a KeyError."""
    tree = TreeLevels(_leaves(7))
    assert tree.node(1, 2) == node_hash(tree.node(0, 4), tree.node(0, 5))
    for missing in [(1, 3), (3, 0), (0, 7), (-1, 0), (0, -1)]:
        with pytest.raises(KeyError):
            tree.node(*missing)


# --- properties ------------------------------------------------------------------------------


@st.composite
def _inclusion_case(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, 300))
    return draw(st.integers(0, size - 1)), size


@st.composite
def _consistency_case(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(2, 300))
    return draw(st.integers(1, new - 1)), new


@given(_inclusion_case(), st.data())
def test_every_inclusion_proof_verifies_until_a_bit_flips(
    case: tuple[int, int], data: st.DataObject
) -> None:
    """A generated inclusion proof is the RFC's PATH and verifies; one flipped bit in the leaf,
    any proof hash or the root, or in the leaf index, makes it fail."""
    index, size = case
    leaves = _leaves(size)
    tree = TreeLevels(leaves)
    path = inclusion_proof(index, size, tree.node)
    root_hash = tree_root(size, tree.node)
    assert path == reference_path(index, leaves)
    assert root_hash == reference_mth(leaves) == root(leaves)
    verify_inclusion(index, size, leaves[index], path, root_hash)

    hashes = [leaves[index], *path, root_hash]
    bit = data.draw(st.integers(0, 256 * len(hashes) - 1), label="bit")
    leaf, *bad_path, bad_root = _flipped(hashes, bit)
    with pytest.raises(InvalidProof):
        verify_inclusion(index, size, leaf, bad_path, bad_root)

    flip = 1 << data.draw(st.integers(0, 10), label="index bit")
    with pytest.raises(InvalidProof):
        verify_inclusion(index ^ flip, size, leaves[index], path, root_hash)


@given(_consistency_case(), st.data())
def test_every_consistency_proof_verifies_until_a_bit_flips(
    case: tuple[int, int], data: st.DataObject
) -> None:
    """A generated consistency proof is the RFC's PROOF and verifies; one flipped bit in either
    root or any proof hash, or in the old size, makes it fail."""
    old, new = case
    leaves = _leaves(new)
    tree = TreeLevels(leaves)
    path = consistency_proof(old, new, tree.node)
    old_root, new_root = tree_root(old, tree.node), tree_root(new, tree.node)
    assert path == reference_subproof(old, leaves, True)
    verify_consistency(old, new, old_root, new_root, path)

    hashes = [old_root, *path, new_root]
    bit = data.draw(st.integers(0, 256 * len(hashes) - 1), label="bit")
    bad_old_root, *bad_path, bad_new_root = _flipped(hashes, bit)
    with pytest.raises(InvalidProof):
        verify_consistency(old, new, bad_old_root, bad_new_root, bad_path)

    flip = 1 << data.draw(st.integers(0, 10), label="old size bit")
    with pytest.raises(InvalidProof):
        verify_consistency(old ^ flip, new, old_root, new_root, path)


def test_the_proof_does_not_bind_the_tree_size() -> None:
    """A proof for a tree of 5 also passes for a claimed size of 7 with the same root, as RFC
    9162 allows: the size is bound by the signed checkpoint that carries the root, so a
    verifier must take size and root together from one verified checkpoint."""
    leaves = _leaves(5)
    tree = TreeLevels(leaves)
    root_hash = root(leaves)
    verify_inclusion(0, 7, leaves[0], inclusion_proof(0, 5, tree.node), root_hash)
    verify_consistency(1, 7, leaves[0], root_hash, consistency_proof(1, 5, tree.node))
