"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs, and their verification."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence


def leaf_hash(data: bytes) -> bytes:
    """MTH of one entry: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def root(hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of a list of leaf hashes (SHA-256 of nothing for the empty tree)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    return _root(hashes, 0, len(hashes))


def _root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of hashes[lo:hi] without copying (the split rule of RFC 6962 section 2.1)."""
    n = hi - lo
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_root(hashes, lo, lo + k), _root(hashes, lo + k, hi))


class CompactRange:
    """The perfect subtrees covering leaves [0, size): enough to extend the tree and compute its root.

    O(log n) memory; appending is amortised O(1) hashes. Because the log is append-only, a range
    kept from an earlier checkpoint can be extended with only the entries added since.
    """

    def __init__(self) -> None:
        """The empty tree."""
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (size, hash) of perfect subtrees, sizes strictly decreasing

    def append(self, h: bytes) -> None:
        """Add the next leaf hash."""
        self.size += 1
        size, node = 1, h
        stack = self._stack
        while stack and stack[-1][0] == size:
            left = stack.pop()[1]
            size, node = size * 2, node_hash(left, node)
        stack.append((size, node))

    def root(self) -> bytes:
        """MTH of the leaves so far."""
        if not self._stack:
            return hashlib.sha256(b"").digest()
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node

    def copy(self) -> CompactRange:
        """An independent copy."""
        other = CompactRange()
        other.size, other._stack = self.size, list(self._stack)
        return other


class PrefixRoots:
    """The roots of the first n leaves for any n, computed in one pass when asked in increasing order (a log's
    checkpoints), each later one extending the earlier ones' range; an earlier size is computed afresh."""

    def __init__(self, hashes: Sequence[bytes]) -> None:
        """Over these leaf hashes."""
        self._hashes = hashes
        self._range = CompactRange()
        self._known: dict[int, bytes] = {}

    def __call__(self, size: int) -> bytes:
        """MTH of the first size leaves (size <= len(hashes))."""
        if size in self._known:
            return self._known[size]
        if size < self._range.size:
            return root(self._hashes[:size])
        for h in self._hashes[self._range.size:size]:
            self._range.append(h)
        self._known[size] = self._range.root()
        return self._known[size]


def root_of_stream(hashes: Iterable[bytes]) -> tuple[int, bytes]:
    """(size, MTH) of leaf hashes read one by one in O(log n) memory."""
    r = CompactRange()
    for h in hashes:
        r.append(h)
    return r.size, r.root()


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1."""
    n = len(hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf {index} is not in a tree of size {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return inclusion_proof(hashes[:k], index) + [root(hashes[k:])]
    return inclusion_proof(hashes[k:], index - k) + [root(hashes[:k])]


def consistency_proof(hashes: Sequence[bytes], m: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 section 2.1.2, for 0 < m <= n."""
    n = len(hashes)
    if not 0 < m <= n:
        raise ValueError(f"no consistency proof from size {m} to {n}")
    return _subproof(hashes, m, True)


def _subproof(hashes: Sequence[bytes], m: int, complete: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if complete else [root(hashes)]
    k = _split(n)
    if m <= k:
        return _subproof(hashes[:k], m, complete) + [root(hashes[k:])]
    return _subproof(hashes[k:], m - k, False) + [root(hashes[:k])]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if first == 0 or first > second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is the first node of the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
