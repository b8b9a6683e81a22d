"""A small, friendly surface for lessons and demos: wallets, building and mining
blocks, a ready-made chain, and tampering with it.

The classic demonstration: build a short chain, change one satoshi in an old
transaction, and see which blocks break; then re-mine them and count the hashes that
costs. Everything is deterministic given ``seed``.

Examples
--------
>>> from chainsim.ledger import EASY_BITS, validate_chain
>>> chain = make_chain(5, seed=7, bits=EASY_BITS)
>>> [len(b.transactions) for b in chain]
[1, 2, 2, 3, 3]
>>> tampered = tamper_transaction(chain, 2, relink=True)
>>> validate_chain(tampered).broken_blocks
(2, 3, 4)
>>> fixed, results = remine_chain(tampered, start_index=2)
>>> validate_chain(fixed).ok, len(results)
(True, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chainsim.ledger.chain import Block, ChainRules, ChainState
from chainsim.ledger.errors import LedgerError, OverspendError
from chainsim.ledger.header import BlockHeader
from chainsim.ledger.keys import PrivateKey, address_to_pubkey_hash
from chainsim.ledger.merkle import merkle_root
from chainsim.ledger.mining import MiningResult, mine
from chainsim.ledger.pow import TEACHING_BITS
from chainsim.ledger.transactions import (
    COIN,
    OutPoint,
    Transaction,
    TxIn,
    TxOut,
    make_coinbase,
    sign_transaction,
    validate_transaction,
)

__all__ = [
    "DEFAULT_START_TIME",
    "Wallet",
    "make_chain",
    "new_block",
    "relink_chain",
    "remine_chain",
    "tamper_transaction",
]

#: Timestamp of the first block of :func:`make_chain` (2023-11-14 22:13:20 UTC).
DEFAULT_START_TIME = 1_700_000_000


@dataclass(frozen=True)
class Wallet:
    """A named key pair that can look up its coins and pay others.

    Examples
    --------
    >>> alice = Wallet.from_seed("alice", seed=1)
    >>> alice.address[0]
    '1'
    """

    name: str
    key: PrivateKey

    @classmethod
    def from_seed(cls, name: str, seed: int = 0) -> Wallet:
        """Deterministic wallet for ``name`` under ``seed``."""
        return cls(name, PrivateKey.from_seed(f"{seed}:{name}"))

    @property
    def pubkey_hash(self) -> str:
        """20-byte public-key hash, hex."""
        return self.key.public_key.hash160().hex()

    @property
    def address(self) -> str:
        """P2PKH address."""
        return self.key.public_key.address()

    def balance_sat(self, state: ChainState) -> int:
        """Unspent value this wallet owns in ``state``, satoshis."""
        return state.balance_sat(self.pubkey_hash)

    def pay(
        self,
        state: ChainState,
        recipient: str | Wallet,
        value_sat: int,
        *,
        fee_sat: int = 1_000,
        exclude: set[OutPoint] | None = None,
    ) -> Transaction:
        """A signed payment of ``value_sat`` to ``recipient``, change back to self.

        Coins are picked oldest-first from ``state``; outpoints in ``exclude`` (e.g.
        already spent by a pending transaction) are skipped.

        Raises
        ------
        OverspendError
            If the wallet does not hold ``value_sat + fee_sat``.
        """
        if isinstance(recipient, Wallet):
            to = recipient.pubkey_hash
        elif len(recipient) == 40:
            to = recipient
        else:
            to = address_to_pubkey_hash(recipient).hex()
        if value_sat <= 0 or fee_sat < 0:
            raise LedgerError(
                f"value_sat must be > 0 and fee_sat >= 0, got {value_sat} and {fee_sat}"
            )
        need = value_sat + fee_sat
        chosen, total = [], 0
        for op, out in state.utxos_of(self.pubkey_hash):
            if exclude and op in exclude:
                continue
            chosen.append((op, out))
            total += out.value_sat
            if total >= need:
                break
        if total < need:
            raise OverspendError(
                f"wallet {self.name!r} holds {total} sat, needs {need} sat "
                f"({value_sat} + fee {fee_sat})"
            )
        outputs = [TxOut(value_sat, to)]
        if total > need:
            outputs.append(TxOut(total - need, self.pubkey_hash))
        tx = Transaction(tuple(TxIn(op.txid, op.index) for op, _ in chosen), tuple(outputs))
        return sign_transaction(tx, [self.key] * len(chosen), dict(chosen))


def new_block(
    state: ChainState,
    transactions: Sequence[Transaction],
    *,
    miner: str | Wallet,
    time: int,
    bits: int = TEACHING_BITS,
    version: int = 1,
    do_mine: bool = True,
    max_hashes: int | None = None,
) -> Block:
    """Assemble (and mine) the next block on ``state``'s tip.

    The coinbase pays the miner the block subsidy plus the transactions' fees.

    Parameters
    ----------
    state : ChainState
        The chain to extend (not modified; call ``state.apply_block`` after).
    transactions : sequence of Transaction
        Non-coinbase transactions, in order; they must be valid on ``state``.
    miner : str or Wallet
        Who receives the reward (pubkey hash hex or wallet).
    time : int
        Block timestamp, seconds since 1970.
    bits : int
        Compact target.
    do_mine : bool
        Search for a nonce (otherwise nonce 0, proof of work most likely invalid).
    max_hashes : int, optional
        Give up mining after this many hashes (raises LedgerError).

    Examples
    --------
    >>> from chainsim.ledger import EASY_BITS
    >>> state = ChainState()
    >>> alice = Wallet.from_seed("alice")
    >>> genesis = new_block(state, [], miner=alice, time=1_700_000_000, bits=EASY_BITS)
    >>> _ = state.apply_block(genesis)
    >>> alice.balance_sat(state)
    5000000000
    """
    miner_pkh = miner.pubkey_hash if isinstance(miner, Wallet) else miner
    height = state.height + 1
    view = dict(state.utxos)
    spent: set[OutPoint] = set()
    fees = 0
    for tx in transactions:
        fees += validate_transaction(tx, view, spent_in_block=spent)
        for j, out in enumerate(tx.outputs):
            view[OutPoint(tx.txid, j)] = out
    coinbase = make_coinbase(height, miner_pkh, state.rules.subsidy(height) + fees)
    txs = (coinbase, *transactions)
    header = BlockHeader(version, state.tip_hash, merkle_root([t.txid for t in txs]), time, bits, 0)
    if do_mine:
        result = mine(header, max_hashes=max_hashes)
        if not result.found:
            raise LedgerError(
                f"no valid nonce found in {result.hashes_tried} hashes ({result.stopped_by})"
            )
        header = result.header
    return Block(header, txs)


def make_chain(
    n_blocks: int,
    *,
    seed: int = 0,
    bits: int = TEACHING_BITS,
    n_txs_per_block: int = 2,
    wallets: Sequence[str] = ("alice", "bob", "carol"),
    miner: str = "miner",
    start_time: int = DEFAULT_START_TIME,
    block_interval_s: int = 600,
    rules: ChainRules | None = None,
) -> list[Block]:
    """A valid, mined chain with real signed payments between named wallets.

    Block 0 (genesis) holds only a coinbase paying the first wallet; each later
    block pays its reward to ``miner`` (who never spends it) and carries up to
    ``n_txs_per_block`` payments between the wallets, chosen with
    ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    n_blocks : int
        Blocks to make, >= 1.
    seed : int
        Makes the keys, payments and therefore the whole chain reproducible.
    bits : int
        Compact target (default :data:`TEACHING_BITS`, about 65,536 hashes a block;
        ``EASY_BITS`` is about 256).
    n_txs_per_block : int
        Payments per block after genesis.
    wallets : sequence of str
        Names of the wallets that trade (keys from ``Wallet.from_seed(name, seed)``).
    miner : str
        Name of the wallet that mines every block.
    start_time, block_interval_s : int
        Timestamp of block 0 and spacing of later blocks, seconds.
    rules : ChainRules, optional
        Consensus parameters.

    Returns
    -------
    list of Block
        Genesis first; ``validate_chain(blocks).ok`` is True.

    Examples
    --------
    >>> from chainsim.ledger import EASY_BITS, ChainState
    >>> chain = make_chain(3, seed=1, bits=EASY_BITS)
    >>> chain[1].header.prev_hash == chain[0].hash_hex()
    True
    >>> state = ChainState()
    >>> for block in chain:
    ...     _ = state.apply_block(block)
    >>> Wallet.from_seed("miner", seed=1).balance_sat(state) >= 2 * 50 * COIN
    True
    """
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or n_blocks < 1:
        raise LedgerError(f"n_blocks must be an integer >= 1, got {n_blocks!r}")
    if n_txs_per_block < 0:
        raise LedgerError(f"n_txs_per_block must be >= 0, got {n_txs_per_block}")
    rng = np.random.default_rng(seed)
    m = Wallet.from_seed(miner, seed)
    people = [Wallet.from_seed(name, seed) for name in wallets]
    state = ChainState(rules or ChainRules())
    blocks: list[Block] = []
    for height in range(n_blocks):
        txs: list[Transaction] = []
        pending: set[OutPoint] = set()
        for _ in range(n_txs_per_block if height > 0 and len(people) > 1 else 0):
            payers = [w for w in people if w.balance_sat(state) > COIN]
            if not payers:
                break
            payer = payers[int(rng.integers(len(payers)))]
            others = [w for w in people if w is not payer]
            payee = others[int(rng.integers(len(others)))]
            value = int(rng.integers(1, 10)) * COIN // 10
            try:
                tx = payer.pay(state, payee, value, fee_sat=1_000, exclude=pending)
            except OverspendError:
                continue
            pending.update(t.outpoint for t in tx.inputs)
            txs.append(tx)
        # The genesis reward goes to the first wallet so that the wallets have coins;
        # later rewards go to the miner, who keeps them (so editing a later coinbase
        # and re-mining gives a valid chain again).
        reward_to = people[0] if height == 0 and people else m
        block = new_block(
            state, txs, miner=reward_to, time=start_time + height * block_interval_s, bits=bits
        )
        state.apply_block(block)
        blocks.append(block)
    return blocks


def tamper_transaction(
    blocks: Sequence[Block],
    block_index: int,
    tx_index: int = 0,
    *,
    output_index: int = 0,
    value_sat: int | None = None,
    pubkey_hash: str | None = None,
    fix_merkle_root: bool = True,
    relink: bool = False,
) -> list[Block]:
    """A copy of the chain with one output value of one transaction changed.

    Parameters
    ----------
    blocks : sequence of Block
        The chain.
    block_index, tx_index, output_index : int
        Which output to change (default: the coinbase's first output).
    value_sat : int, optional
        New value; default one satoshi less (one more if the value is 0). Lowering
        a coinbase output keeps every transaction rule satisfied, so only the
        hashes and links break; changing a payment also breaks its signature.
    pubkey_hash : str, optional
        New owner of the output (40 hex), e.g. a forger redirecting a reward.
    fix_merkle_root : bool
        Also put the new Merkle root in the header, as a forger would (then the
        block's hash changes and its proof of work and the next block's link
        break); if False only the Merkle root check fails.
    relink : bool
        Also rewrite every later block's ``prev_hash`` to its new predecessor's
        hash without re-mining, so every later block fails proof of work, as in
        the classic "edit a block, watch the rest turn red" demo.

    Returns
    -------
    list of Block
        The tampered chain (the input is not modified).
    """
    out = list(blocks)
    if not 0 <= block_index < len(out):
        raise LedgerError(f"block_index must be in [0, {len(out) - 1}], got {block_index}")
    block = out[block_index]
    if not 0 <= tx_index < len(block.transactions):
        raise LedgerError(f"tx_index must be in [0, {len(block.transactions) - 1}], got {tx_index}")
    tx = block.transactions[tx_index]
    if not 0 <= output_index < len(tx.outputs):
        raise LedgerError(f"output_index must be in [0, {len(tx.outputs) - 1}], got {output_index}")
    old = tx.outputs[output_index]
    if value_sat is None:
        value_sat = old.value_sat - 1 if old.value_sat > 0 else 1
    outputs = list(tx.outputs)
    outputs[output_index] = TxOut(value_sat, pubkey_hash or old.pubkey_hash)
    new_tx = Transaction(tx.inputs, tuple(outputs), tx.version, tx.locktime)
    txs = list(block.transactions)
    txs[tx_index] = new_tx
    header = block.header
    if fix_merkle_root:
        header = header.replace(merkle_root=merkle_root([t.txid for t in txs]))
    out[block_index] = Block(header, tuple(txs))
    if relink:
        out = relink_chain(out, block_index + 1)
    return out


def relink_chain(blocks: Sequence[Block], start_index: int = 1) -> list[Block]:
    """Rewrite ``prev_hash`` from ``start_index`` on to point at the (new) previous
    block, without mining: links become right, proofs of work most likely wrong."""
    out = list(blocks)
    for i in range(max(1, start_index), len(out)):
        out[i] = out[i].replace_header(prev_hash=out[i - 1].hash_hex())
    return out


def remine_chain(
    blocks: Sequence[Block],
    start_index: int = 0,
    *,
    max_hashes_per_block: int | None = None,
    progress: bool = False,
) -> tuple[list[Block], list[MiningResult]]:
    """Re-link and re-mine every block from ``start_index`` on.

    Each block gets its predecessor's new hash and its own transactions' Merkle root,
    then a fresh nonce search at its own ``bits``. This is the work an attacker must
    redo to rewrite history.

    Returns
    -------
    (list of Block, list of MiningResult)
        The repaired chain and one mining result per re-mined block
        (``sum(r.hashes_tried for r in results)`` is the cost).
    """
    out = list(blocks)
    results = []
    for i in range(start_index, len(out)):
        block = out[i]
        prev = out[i - 1].hash_hex() if i > 0 else block.header.prev_hash
        header = block.header.replace(prev_hash=prev, merkle_root=block.compute_merkle_root())
        result = mine(header, max_hashes=max_hashes_per_block, progress=progress)
        if not result.found:
            raise LedgerError(
                f"block {i}: no valid nonce found in {result.hashes_tried} hashes "
                f"({result.stopped_by})"
            )
        out[i] = Block(result.header, block.transactions)
        results.append(result)
    return out, results
