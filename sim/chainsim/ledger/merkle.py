"""Merkle trees over transaction ids.

A block header holds one 32-byte *Merkle root* that commits to every transaction in
the block. The leaves are the txids; each parent is the double SHA-256 of its two
children concatenated; a level with an odd number of hashes pairs its last hash with
itself. An *inclusion proof* is the list of sibling hashes from a leaf to the root:
about log2(n) hashes prove that one transaction is in a block of n.

Duplicating the last hash has a known flaw (CVE-2012-2459): the lists ``[1..6]`` and
``[1..6, 5, 6]`` give the same root. Bitcoin Core therefore flags a tree as *mutated*
when two sibling hashes are equal; :func:`merkle_root_mutated` does the same.

Examples
--------
Block 170, the first bitcoin payment (coinbase plus Satoshi's payment to Hal Finney):

>>> merkle_root([
...     "b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082",
...     "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
... ])
'7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff'
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from chainsim.ledger.errors import DecodeError
from chainsim.ledger.hashing import hash_to_hex, hex_to_bytes, hex_to_hash

__all__ = [
    "MerkleProof",
    "merkle_proof",
    "merkle_root",
    "merkle_root_bytes",
    "merkle_root_mutated",
    "verify_merkle_proof",
]


def _leaves(txids: Sequence[str]) -> list[bytes]:
    if isinstance(txids, str | bytes):
        raise DecodeError("txids must be a sequence of 64-character hex strings, not one string")
    if len(txids) == 0:
        raise DecodeError("txids must not be empty: a block has at least its coinbase")
    leaves = []
    for i, txid in enumerate(txids):
        leaves.append(hex_to_bytes(txid, name=f"txids[{i}]", n_bytes=32)[::-1])
    return leaves


def _root_and_mutation(level: list[bytes]) -> tuple[bytes, bool]:
    sha = hashlib.sha256
    mutated = False
    while len(level) > 1:
        for i in range(0, len(level) - 1, 2):
            if level[i] == level[i + 1]:
                mutated = True
        if len(level) % 2:
            level.append(level[-1])
        level = [
            sha(sha(level[i] + level[i + 1]).digest()).digest() for i in range(0, len(level), 2)
        ]
    return level[0], mutated


def merkle_root_bytes(hashes: Sequence[bytes]) -> bytes:
    """Merkle root of internal-order 32-byte hashes (internal order).

    >>> merkle_root_bytes([bytes(32)]) == bytes(32)
    True
    """
    if len(hashes) == 0:
        raise DecodeError("hashes must not be empty")
    return _root_and_mutation(list(hashes))[0]


def merkle_root(txids: Sequence[str]) -> str:
    """Merkle root (display-order hex) of display-order hex txids.

    Parameters
    ----------
    txids : sequence of str
        Transaction ids as explorers show them, in block order (coinbase first).

    Returns
    -------
    str
        The root as it appears in the block header (display order).

    Raises
    ------
    DecodeError
        If the list is empty or a txid is not 64 hex characters.

    Examples
    --------
    A single transaction is its own root:

    >>> merkle_root(["ab" * 32]) == "ab" * 32
    True
    """
    return hash_to_hex(_root_and_mutation(_leaves(txids))[0])


def merkle_root_mutated(txids: Sequence[str]) -> tuple[str, bool]:
    """Merkle root and whether the tree is *mutated* (CVE-2012-2459).

    A tree is mutated when two sibling hashes at some level are equal, which is how
    duplicated transactions can forge a second list with the same root. A valid
    block never has a mutated tree.

    >>> ids = [f"{i:064x}" for i in range(1, 7)]
    >>> root, bad = merkle_root_mutated(ids)
    >>> root2, bad2 = merkle_root_mutated(ids + ids[4:6])
    >>> root == root2, bad, bad2
    (True, False, True)
    """
    root, mutated = _root_and_mutation(_leaves(txids))
    return hash_to_hex(root), mutated


@dataclass(frozen=True, slots=True)
class MerkleProof:
    """Proof that ``txid`` is leaf ``index`` of a tree with ``n_leaves`` leaves.

    Attributes
    ----------
    txid : str
        The leaf (display-order hex).
    index : int
        Position of the leaf in the block (0 = coinbase).
    n_leaves : int
        Number of transactions in the block.
    siblings : tuple of str
        Sibling hashes from the leaf's level up to just below the root
        (display-order hex).
    """

    txid: str
    index: int
    n_leaves: int
    siblings: tuple[str, ...]


def _depth(n_leaves: int) -> int:
    return (n_leaves - 1).bit_length()


def merkle_proof(txids: Sequence[str], index: int) -> MerkleProof:
    """Inclusion proof for ``txids[index]``.

    >>> ids = [f"{i:064x}" for i in range(5)]
    >>> proof = merkle_proof(ids, 3)
    >>> len(proof.siblings), verify_merkle_proof(proof, merkle_root(ids))
    (3, True)
    """
    level = _leaves(txids)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(level):
        raise DecodeError(f"index must be an integer in [0, {len(level) - 1}], got {index!r}")
    sha = hashlib.sha256
    siblings = []
    pos = index
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        siblings.append(hash_to_hex(level[pos ^ 1]))
        level = [
            sha(sha(level[i] + level[i + 1]).digest()).digest() for i in range(0, len(level), 2)
        ]
        pos //= 2
    return MerkleProof(txids[index].lower(), index, len(txids), tuple(siblings))


def verify_merkle_proof(proof: MerkleProof, root: str) -> bool:
    """Whether ``proof`` links its txid to ``root`` (display-order hex).

    The number of siblings must match the tree depth for ``n_leaves`` and ``index``
    must be a valid position; malformed hashes make the proof fail, not raise.

    >>> ids = [f"{i:064x}" for i in range(4)]
    >>> p = merkle_proof(ids, 2)
    >>> verify_merkle_proof(p, merkle_root(ids))
    True
    >>> verify_merkle_proof(MerkleProof("ff" * 32, 2, 4, p.siblings), merkle_root(ids))
    False
    """
    if not 0 <= proof.index < proof.n_leaves or len(proof.siblings) != _depth(proof.n_leaves):
        return False
    try:
        node = hex_to_hash(proof.txid)
        expected = hex_to_hash(root)
        siblings = [hex_to_hash(s) for s in proof.siblings]
    except DecodeError:
        return False
    sha = hashlib.sha256
    pos = proof.index
    width = proof.n_leaves
    for sib in siblings:
        # The last node of an odd level is paired with itself: its sibling must be itself.
        if pos == width - 1 and pos % 2 == 0 and sib != node:
            return False
        pair = node + sib if pos % 2 == 0 else sib + node
        node = sha(sha(pair).digest()).digest()
        pos //= 2
        width = (width + 1) // 2
    return node == expected
