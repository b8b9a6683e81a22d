"""Merkle roots of real blocks, inclusion proofs and the CVE-2012-2459 mutation."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainsim.ledger import (
    DecodeError,
    MerkleProof,
    merkle_proof,
    merkle_root,
    merkle_root_mutated,
    verify_merkle_proof,
)
from chainsim.ledger.merkle import merkle_root_bytes

from .vectors import REAL_BLOCKS

txid = st.binary(min_size=32, max_size=32).map(bytes.hex)
txid_lists = st.lists(txid, min_size=1, max_size=40, unique=True)


def _pair(a: str, b: str) -> str:
    """Parent of two display-order hashes, spelled out by hand."""
    raw = bytes.fromhex(a)[::-1] + bytes.fromhex(b)[::-1]
    return hashlib.sha256(hashlib.sha256(raw).digest()).digest()[::-1].hex()


@pytest.mark.parametrize("name", REAL_BLOCKS)
def test_real_merkle_roots(name: str) -> None:
    vec = REAL_BLOCKS[name]
    assert merkle_root(vec["txids"]) == vec["fields"]["merkle_root"]


def test_odd_level_duplicates_its_last_hash() -> None:
    a, b, c = ("11" * 32, "22" * 32, "33" * 32)
    assert merkle_root([a, b, c]) == _pair(_pair(a, b), _pair(c, c))
    assert merkle_root([a, b, c, c]) == merkle_root([a, b, c])
    assert merkle_root([a, b]) == _pair(a, b)


def test_cve_2012_2459_mutation_is_detected() -> None:
    ids = [f"{i:064x}" for i in range(1, 7)]
    forged = ids + ids[4:6]  # [1..6, 5, 6]
    root, mutated = merkle_root_mutated(ids)
    forged_root, forged_mutated = merkle_root_mutated(forged)
    assert root == forged_root  # the collision...
    assert not mutated and forged_mutated  # ...is caught
    # Also a duplicate pair at the leaf level.
    assert merkle_root_mutated([ids[0], ids[0]])[1]


def test_bad_input_errors() -> None:
    with pytest.raises(DecodeError, match="must not be empty"):
        merkle_root([])
    with pytest.raises(DecodeError, match=r"txids\[1\] must be 32 bytes"):
        merkle_root(["00" * 32, "00" * 31])
    with pytest.raises(DecodeError, match="not one string"):
        merkle_root("00" * 32)  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="index must be"):
        merkle_proof(["00" * 32], 1)
    with pytest.raises(DecodeError):
        merkle_root_bytes([])


@given(txid_lists, st.data())
def test_proof_verifies_for_every_leaf(ids: list[str], data: st.DataObject) -> None:
    root = merkle_root(ids)
    index = data.draw(st.integers(min_value=0, max_value=len(ids) - 1))
    proof = merkle_proof(ids, index)
    assert verify_merkle_proof(proof, root)
    assert len(proof.siblings) == (len(ids) - 1).bit_length()


@given(txid_lists, txid)
def test_proof_fails_for_a_leaf_not_in_the_tree(ids: list[str], other: str) -> None:
    if other in ids:
        return
    root = merkle_root(ids)
    for index in range(len(ids)):
        proof = merkle_proof(ids, index)
        forged = MerkleProof(other, index, proof.n_leaves, proof.siblings)
        assert not verify_merkle_proof(forged, root)


@given(txid_lists, st.data())
def test_tampered_proofs_fail(ids: list[str], data: st.DataObject) -> None:
    root = merkle_root(ids)
    index = data.draw(st.integers(min_value=0, max_value=len(ids) - 1))
    proof = merkle_proof(ids, index)
    if proof.siblings:
        k = data.draw(st.integers(min_value=0, max_value=len(proof.siblings) - 1))
        sibs = list(proof.siblings)
        sibs[k] = "ff" * 32 if sibs[k] != "ff" * 32 else "ee" * 32
        assert not verify_merkle_proof(MerkleProof(proof.txid, index, len(ids), tuple(sibs)), root)
        # Wrong position: a different index (same depth) does not verify.
        if len(ids) > 1:
            wrong = (index + 1) % len(ids)
            if ids[wrong] != ids[index]:
                moved = MerkleProof(proof.txid, wrong, len(ids), proof.siblings)
                assert not verify_merkle_proof(moved, root)
    # Claimed tree size with another depth, or out-of-range index.
    assert not verify_merkle_proof(
        MerkleProof(proof.txid, index, 2 * len(ids) + 1, proof.siblings), root
    )
    assert not verify_merkle_proof(
        MerkleProof(proof.txid, len(ids), len(ids), proof.siblings), root
    )
    assert not verify_merkle_proof(proof, "zz")


def test_proof_in_a_real_block() -> None:
    ids = REAL_BLOCKS["100000"]["txids"]
    root = REAL_BLOCKS["100000"]["fields"]["merkle_root"]
    for i in range(4):
        assert verify_merkle_proof(merkle_proof(ids, i), root)
