"""RFC 6962 / 9162 Merkle trees: the published test vectors, proofs against an independent recomputation, compact ranges."""

from __future__ import annotations

import hashlib

import pytest

from eligibility.ledger import merkle

CT_DATA = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                      "606162636465666768696a6b6c6d6e6f"]]
CT_ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
CT_INCLUSION = {(0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                         "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                         "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
                (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                         "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]}
CT_CONSISTENCY = {(2, 8): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
                  (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
                  (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]}
LEAF = [merkle.leaf_hash(d) for d in CT_DATA]

def stack_root(hashes: list[bytes]) -> bytes:
    """An independent MTH: bottom-up, carrying an odd node upward (RFC 9162 2.1.1 equivalent)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    level = list(hashes)
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def test_rfc6962_roots() -> None:
    assert merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for n in range(1, 9):
        assert merkle.root(LEAF[:n]).hex() == CT_ROOTS[n - 1]
        assert stack_root(LEAF[:n]).hex() == CT_ROOTS[n - 1]


@pytest.mark.parametrize("index, size", list(CT_INCLUSION))
def test_rfc6962_inclusion_vectors(index: int, size: int) -> None:
    proof = merkle.inclusion_proof(LEAF[:size], index)
    assert [p.hex() for p in proof] == CT_INCLUSION[(index, size)]
    assert merkle.verify_inclusion(LEAF[index], index, size, proof, bytes.fromhex(CT_ROOTS[size - 1]))
    assert not merkle.verify_inclusion(LEAF[index], index ^ 1, size, proof, bytes.fromhex(CT_ROOTS[size - 1]))


@pytest.mark.parametrize("first, second", list(CT_CONSISTENCY))
def test_rfc6962_consistency_vectors(first: int, second: int) -> None:
    proof = merkle.consistency_proof(LEAF[:second], first)
    assert [p.hex() for p in proof] == CT_CONSISTENCY[(first, second)]
    r1, r2 = bytes.fromhex(CT_ROOTS[first - 1]), bytes.fromhex(CT_ROOTS[second - 1])
    assert merkle.verify_consistency(first, second, r1, r2, proof)
    assert not merkle.verify_consistency(first, second, r2, r1, proof)


def test_proofs_agree_with_independent_recomputation_on_many_shapes() -> None:
    hashes = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(70)]
    for n in range(1, 70):
        r = stack_root(hashes[:n])
        assert merkle.root(hashes[:n]) == r
        for i in range(n):
            assert merkle.verify_inclusion(hashes[i], i, n, merkle.inclusion_proof(hashes[:n], i), r)
        for m in range(1, n + 1):
            assert merkle.verify_consistency(m, n, stack_root(hashes[:m]), r, merkle.consistency_proof(hashes[:n], m))


def test_streaming_root_equals_the_recursive_definition() -> None:
    for n in range(0, 140):
        hashes = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(n)]
        assert merkle.root_of_stream(iter(hashes)) == (n, merkle.root(hashes))
    assert merkle.root_of_stream(iter(LEAF))[1].hex() == CT_ROOTS[-1]


def test_compact_range_extended_later_equals_the_whole_tree() -> None:
    # a checkpoint extends the range kept from the previous one with only the new entries
    hashes = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(90)]
    for first in range(0, 90, 7):
        kept = merkle.CompactRange()
        for h in hashes[:first]:
            kept.append(h)
        assert kept.root() == merkle.root(hashes[:first])
        for second in range(first, 90, 11):
            tree = kept.copy()
            for h in hashes[first:second]:
                tree.append(h)
            assert (tree.size, tree.root()) == (second, merkle.root(hashes[:second]))
        assert kept.size == first  # copies never change the range they came from
