"""Blocks, the chain state, and chain validation.

A :class:`Block` is a header plus its transactions. A :class:`ChainState` is what a
node knows after applying a chain of blocks: the set of unspent outputs (UTXOs). It
applies a block only if every rule holds, and keeps *undo data* so that the tip can be
taken off again, which is what a node does in a reorganisation (switching to a
heavier branch). :func:`validate_chain` checks a whole list of blocks and reports
every block and rule that fails, which shows tamper evidence: change one transaction
and the block's Merkle root, its hash and the next block's link no longer agree.

Examples
--------
>>> from chainsim.ledger import make_chain, EASY_BITS
>>> blocks = make_chain(3, seed=1, bits=EASY_BITS)
>>> validate_chain(blocks).ok
True
>>> state = ChainState()
>>> for b in blocks:
...     _ = state.apply_block(b)
>>> state.height, state.tip_hash == blocks[-1].hash_hex()
(2, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chainsim.ledger.errors import (
    BlockValidationError,
    CoinbaseError,
    DecodeError,
    LedgerError,
    TransactionError,
    ValidationError,
)
from chainsim.ledger.header import HEADER_SIZE_BYTES, BlockHeader
from chainsim.ledger.keys import address_to_pubkey_hash
from chainsim.ledger.merkle import merkle_root_mutated
from chainsim.ledger.pow import check_bits
from chainsim.ledger.transactions import (
    HALVING_INTERVAL_BLOCKS,
    INITIAL_SUBSIDY_SAT,
    NULL_TXID,
    OutPoint,
    Transaction,
    TxOut,
    _Reader,
    _varint,
    block_subsidy,
    coinbase_height,
    validate_transaction,
)

__all__ = [
    "MEDIAN_TIME_SPAN",
    "Block",
    "BlockUndo",
    "ChainReport",
    "ChainRules",
    "ChainState",
    "Failure",
    "validate_chain",
]

#: Blocks in the median-time-past rule (Bitcoin Core ``MEDIAN_TIME_SPAN``).
MEDIAN_TIME_SPAN = 11


@dataclass(frozen=True)
class Block:
    """A block: an 80-byte header and its transactions (coinbase first)."""

    header: BlockHeader
    transactions: tuple[Transaction, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.header, BlockHeader):
            raise DecodeError(f"header must be a BlockHeader, got {type(self.header).__name__}")
        object.__setattr__(self, "transactions", tuple(self.transactions))
        for i, tx in enumerate(self.transactions):
            if not isinstance(tx, Transaction):
                raise DecodeError(
                    f"transactions[{i}] must be a Transaction, got {type(tx).__name__}"
                )

    def hash_hex(self) -> str:
        """The block hash (display order)."""
        return self.header.hash_hex()

    def txids(self) -> list[str]:
        """Txids in block order."""
        return [tx.txid for tx in self.transactions]

    def compute_merkle_root(self) -> str:
        """Merkle root of this block's txids (what the header should hold)."""
        return merkle_root_mutated(self.txids())[0]

    def serialize(self) -> bytes:
        """Header, transaction count (varint) and transactions."""
        parts = [self.header.serialize(), _varint(len(self.transactions))]
        parts += [tx.serialize() for tx in self.transactions]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> Block:
        """Parse :meth:`serialize` output."""
        data = bytes(data)
        if len(data) < HEADER_SIZE_BYTES + 1:
            raise DecodeError(f"block must be at least 81 bytes, got {len(data)}")
        header = BlockHeader.from_bytes(data[:HEADER_SIZE_BYTES])
        r = _Reader(data)
        r.pos = HEADER_SIZE_BYTES
        n = r.varint("transaction count")
        txs = []
        for _ in range(n):
            sub = _Reader(data)
            sub.pos = r.pos
            tx, end = Transaction._read(sub)
            txs.append(tx)
            r.pos = end
        if r.pos != len(data):
            raise DecodeError(f"block has {len(data) - r.pos} trailing bytes")
        return cls(header, tuple(txs))

    @property
    def size_bytes(self) -> int:
        """Serialized size in bytes."""
        return len(self.serialize())

    def replace_header(self, **changes: Any) -> Block:
        """A copy whose header has some fields changed."""
        return Block(self.header.replace(**changes), self.transactions)


@dataclass(frozen=True, slots=True)
class ChainRules:
    """Consensus parameters of a chain.

    Parameters
    ----------
    initial_subsidy_sat : int
        Block reward before the first halving, satoshis.
    halving_interval_blocks : int
        Blocks between halvings.
    check_pow : bool
        Require each header's hash to meet its own ``bits`` target.
    pow_limit_bits : int or None
        If set, targets easier than this are rejected (mainnet: 0x1d00ffff).
    required_bits : int or None
        If set, every block must use exactly these ``bits`` (no retargeting).
    check_time : bool
        Require each block's time to exceed the median of the previous 11.
    max_block_size_bytes : int or None
        If set, larger blocks are rejected.
    """

    initial_subsidy_sat: int = INITIAL_SUBSIDY_SAT
    halving_interval_blocks: int = HALVING_INTERVAL_BLOCKS
    check_pow: bool = True
    pow_limit_bits: int | None = None
    required_bits: int | None = None
    check_time: bool = True
    max_block_size_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.initial_subsidy_sat < 0:
            raise LedgerError(f"initial_subsidy_sat must be >= 0, got {self.initial_subsidy_sat}")
        if self.halving_interval_blocks < 1:
            raise LedgerError(
                f"halving_interval_blocks must be >= 1, got {self.halving_interval_blocks}"
            )
        if self.pow_limit_bits is not None:
            check_bits(self.pow_limit_bits, name="pow_limit_bits")
        if self.required_bits is not None:
            check_bits(self.required_bits, name="required_bits")

    def subsidy(self, height: int) -> int:
        """Block reward at ``height``, satoshis."""
        return block_subsidy(
            height,
            initial_subsidy_sat=self.initial_subsidy_sat,
            halving_interval_blocks=self.halving_interval_blocks,
        )


def header_failures(
    block: Block,
    *,
    expected_prev_hash: str,
    previous_times: Sequence[int],
    rules: ChainRules,
) -> list[tuple[str, str]]:
    """Every header-level rule ``block`` breaks, as ``(rule, message)`` pairs.

    Rules: ``prev-hash-mismatch``, ``bad-bits``, ``proof-of-work``,
    ``merkle-root-mismatch``, ``merkle-mutated``, ``time-too-early``, ``block-too-large``,
    ``no-transactions``.
    """
    out: list[tuple[str, str]] = []
    h = block.header
    if h.prev_hash != expected_prev_hash:
        out.append(
            (
                "prev-hash-mismatch",
                f"prev_hash {h.prev_hash} does not match the previous block's hash "
                f"{expected_prev_hash}",
            )
        )
    if rules.required_bits is not None and h.bits != rules.required_bits:
        out.append(("bad-bits", f"bits 0x{h.bits:08x}, required 0x{rules.required_bits:08x}"))
    if rules.check_pow and not h.check_pow(pow_limit_bits=rules.pow_limit_bits):
        out.append(
            (
                "proof-of-work",
                f"hash {h.hash_hex()} is above the target of bits 0x{h.bits:08x}",
            )
        )
    if not block.transactions:
        out.append(("no-transactions", "block has no transactions (needs a coinbase)"))
    else:
        root, mutated = merkle_root_mutated(block.txids())
        if root != h.merkle_root:
            out.append(
                (
                    "merkle-root-mismatch",
                    f"header merkle_root {h.merkle_root} but the transactions give {root}",
                )
            )
        if mutated:
            out.append(
                (
                    "merkle-mutated",
                    "duplicate transactions make the Merkle tree ambiguous (CVE-2012-2459)",
                )
            )
    if rules.check_time and previous_times:
        # Bitcoin Core GetMedianTimePast: the middle of the last 11 times (upper middle).
        recent = sorted(previous_times[-MEDIAN_TIME_SPAN:])
        median = recent[len(recent) // 2]
        if h.time <= median:
            out.append(
                ("time-too-early", f"time {h.time} is not after the median past time {median}")
            )
    if rules.max_block_size_bytes is not None and block.size_bytes > rules.max_block_size_bytes:
        out.append(
            (
                "block-too-large",
                f"block is {block.size_bytes} bytes, limit {rules.max_block_size_bytes}",
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class BlockUndo:
    """What is needed to take a block off the tip again.

    Attributes
    ----------
    spent : tuple of (OutPoint, TxOut)
        Outputs from before the block that it spent (restored on undo).
    spent_in_block : tuple of OutPoint
        Outputs both created and spent inside the block.
    created : tuple of OutPoint
        Outputs the block created (removed on undo).
    fees_sat : int
        Total fees collected by the block.
    """

    spent: tuple[tuple[OutPoint, TxOut], ...]
    spent_in_block: tuple[OutPoint, ...]
    created: tuple[OutPoint, ...]
    fees_sat: int


@dataclass
class ChainState:
    """The unspent outputs after a chain of blocks, with undo for reorganisations.

    Parameters
    ----------
    rules : ChainRules
        Consensus parameters.

    Attributes
    ----------
    utxos : dict of OutPoint to TxOut
        Unspent outputs.
    blocks : list of Block
        Applied blocks, genesis first.
    """

    rules: ChainRules = field(default_factory=ChainRules)
    utxos: dict[OutPoint, TxOut] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    _undo: list[BlockUndo] = field(default_factory=list, repr=False)
    _spent_at: dict[OutPoint, int] = field(default_factory=dict, repr=False)

    # -- read ---------------------------------------------------------------------
    @property
    def height(self) -> int:
        """Height of the tip (genesis is 0; -1 when empty)."""
        return len(self.blocks) - 1

    @property
    def tip_hash(self) -> str:
        """Hash of the tip, or 64 zeros when empty (the genesis block's prev_hash)."""
        return self.blocks[-1].hash_hex() if self.blocks else NULL_TXID

    def balance_sat(self, owner: str) -> int:
        """Unspent value owned by a pubkey hash (40 hex) or a P2PKH address."""
        pkh = owner.lower() if len(owner) == 40 else address_to_pubkey_hash(owner).hex()
        return sum(o.value_sat for o in self.utxos.values() if o.pubkey_hash == pkh)

    def utxos_of(self, pubkey_hash: str) -> list[tuple[OutPoint, TxOut]]:
        """Unspent outputs locked to ``pubkey_hash``, in a stable order."""
        return sorted((op, o) for op, o in self.utxos.items() if o.pubkey_hash == pubkey_hash)

    def total_value_sat(self) -> int:
        """Value of all unspent outputs, satoshis."""
        return sum(o.value_sat for o in self.utxos.values())

    def issued_sat(self) -> int:
        """Total block rewards the applied blocks were allowed to create."""
        return sum(self.rules.subsidy(h) for h in range(len(self.blocks)))

    # -- write --------------------------------------------------------------------
    def check_header(self, block: Block) -> None:
        """Raise :class:`BlockValidationError` for the first header rule broken."""
        times = [b.header.time for b in self.blocks[-MEDIAN_TIME_SPAN:]]
        failures = header_failures(
            block, expected_prev_hash=self.tip_hash, previous_times=times, rules=self.rules
        )
        if failures:
            rule, message = failures[0]
            raise BlockValidationError(
                f"block {len(self.blocks)}: {message}", rule=rule, block_index=len(self.blocks)
            )

    def apply_block(self, block: Block, *, check_header: bool = True) -> BlockUndo:
        """Validate ``block`` on top of the tip and apply it; nothing changes on error.

        Returns
        -------
        BlockUndo
            Also kept internally for :meth:`undo_block`.

        Raises
        ------
        ValidationError
            With ``rule``, ``block_index`` and (for transactions) ``tx_index``.

        Examples
        --------
        >>> from chainsim.ledger import make_chain, EASY_BITS
        >>> a, b = make_chain(2, seed=3, bits=EASY_BITS)
        >>> state = ChainState()
        >>> _ = state.apply_block(a)
        >>> state.apply_block(a)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        chainsim.ledger.errors.BlockValidationError: block 1: prev_hash 000... does not match ...
        >>> undo = state.apply_block(b)
        >>> state.undo_block() is b, state.height
        (True, 0)
        """
        height = len(self.blocks)
        if check_header:
            self.check_header(block)
        undo = self._connect(block, height)
        self.blocks.append(block)
        self._undo.append(undo)
        return undo

    def _connect(self, block: Block, height: int) -> BlockUndo:
        txs = block.transactions
        if not txs or not txs[0].is_coinbase:
            raise CoinbaseError(
                f"block {height}: first transaction must be a coinbase",
                rule="missing-coinbase",
                block_index=height,
                tx_index=0,
            )
        spent_in_block: set[OutPoint] = set()
        new_outputs: dict[OutPoint, TxOut] = {}
        fees = 0
        spent: list[tuple[OutPoint, TxOut]] = []
        intra: list[OutPoint] = []
        view = _View(self.utxos, new_outputs)
        for i, tx in enumerate(txs[1:], start=1):
            try:
                fees += validate_transaction(
                    tx, view, spent_in_block=spent_in_block, spent_before=_Where(self._spent_at)
                )
            except ValidationError as err:
                err.args = (f"block {height} tx {i}: {err.args[0]}",)
                err.block_index, err.tx_index = height, i
                raise
            for tin in tx.inputs:
                op = tin.outpoint
                if op in new_outputs:
                    intra.append(op)
                else:
                    spent.append((op, self.utxos[op]))
            for j, out in enumerate(tx.outputs):
                new_outputs[OutPoint(tx.txid, j)] = out
        cb = txs[0]
        try:
            cb_height = coinbase_height(cb)
        except CoinbaseError as err:
            raise CoinbaseError(
                f"block {height}: {err}", rule="bad-cb-height", block_index=height, tx_index=0
            ) from None
        if cb_height != height:
            raise CoinbaseError(
                f"block {height}: coinbase commits to height {cb_height}",
                rule="bad-cb-height",
                block_index=height,
                tx_index=0,
            )
        allowed = self.rules.subsidy(height) + fees
        if cb.total_out_sat > allowed:
            raise CoinbaseError(
                f"block {height}: coinbase pays {cb.total_out_sat} sat but subsidy + fees "
                f"is {allowed} sat",
                rule="coinbase-too-large",
                block_index=height,
                tx_index=0,
            )
        for j, out in enumerate(cb.outputs):
            op = OutPoint(cb.txid, j)
            if op in self.utxos or op in new_outputs:
                raise TransactionError(
                    f"block {height}: coinbase {cb.txid} duplicates an unspent transaction",
                    rule="duplicate-txid",
                    block_index=height,
                    tx_index=0,
                )
            new_outputs[op] = out
        for i, tx in enumerate(txs[1:], start=1):
            if OutPoint(tx.txid, 0) in self.utxos:
                raise TransactionError(
                    f"block {height} tx {i}: txid {tx.txid} already has unspent outputs",
                    rule="duplicate-txid",
                    block_index=height,
                    tx_index=i,
                )
        # All checks passed: mutate.
        for op, _ in spent:
            del self.utxos[op]
            self._spent_at[op] = height
        for op in intra:
            del new_outputs[op]
            self._spent_at[op] = height
        self.utxos.update(new_outputs)
        return BlockUndo(tuple(spent), tuple(intra), tuple(new_outputs), fees)

    def undo_block(self) -> Block:
        """Take the tip block off and restore the state before it; returns that block.

        Raises
        ------
        LedgerError
            If no block is applied.
        """
        if not self.blocks:
            raise LedgerError("undo_block: no block to undo (the chain state is empty)")
        block = self.blocks.pop()
        undo = self._undo.pop()
        for op in undo.created:
            del self.utxos[op]
        for op, out in undo.spent:
            self.utxos[op] = out
            self._spent_at.pop(op, None)
        for op in undo.spent_in_block:
            self._spent_at.pop(op, None)
        return block

    def copy(self) -> ChainState:
        """An independent copy (blocks are shared; they are immutable)."""
        return ChainState(
            self.rules, dict(self.utxos), list(self.blocks), list(self._undo), dict(self._spent_at)
        )

    def snapshot(self) -> tuple[tuple[OutPoint, TxOut], ...]:
        """The UTXO set as a sorted tuple (handy to compare two states)."""
        return tuple(sorted(self.utxos.items()))


class _View(dict[OutPoint, TxOut]):
    """Read-only union of the UTXO set and outputs created earlier in the block."""

    def __init__(self, base: dict[OutPoint, TxOut], extra: dict[OutPoint, TxOut]) -> None:
        super().__init__()
        self.base, self.extra = base, extra

    def get(self, key: OutPoint, default: Any = None) -> Any:
        out = self.extra.get(key)
        return out if out is not None else self.base.get(key, default)

    def __getitem__(self, key: OutPoint) -> TxOut:
        out = self.get(key)
        if out is None:
            raise KeyError(key)
        return out


class _Where(dict[OutPoint, str]):
    """Describe where an output was spent: 'block 3'."""

    def __init__(self, spent_at: dict[OutPoint, int]) -> None:
        super().__init__()
        self.spent_at = spent_at

    def __contains__(self, key: object) -> bool:
        return key in self.spent_at

    def __getitem__(self, key: OutPoint) -> str:
        return f"block {self.spent_at[key]}"


# -- whole-chain validation -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Failure:
    """One broken rule: in which block (and transaction), which rule, and why."""

    block_index: int
    block_hash: str
    rule: str
    message: str
    tx_index: int | None = None

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Result of :func:`validate_chain`.

    Attributes
    ----------
    n_blocks : int
        Blocks checked.
    failures : tuple of Failure
        Every broken rule, in block order.
    """

    n_blocks: int
    failures: tuple[Failure, ...]

    @property
    def ok(self) -> bool:
        """Whether every block passed every rule."""
        return not self.failures

    @property
    def broken_blocks(self) -> tuple[int, ...]:
        """Indices of blocks with at least one failure, ascending."""
        return tuple(sorted({f.block_index for f in self.failures}))

    @property
    def first_failure(self) -> Failure | None:
        """The earliest failure, or None."""
        return self.failures[0] if self.failures else None

    def rules_by_block(self) -> dict[int, list[str]]:
        """Block index -> names of the rules it broke."""
        out: dict[int, list[str]] = {}
        for f in self.failures:
            out.setdefault(f.block_index, []).append(f.rule)
        return out

    def status(self) -> list[str]:
        """Per block: ``"ok"`` or its broken rules joined by commas (for tables, widgets)."""
        by_block = self.rules_by_block()
        return [", ".join(by_block.get(i, [])) or "ok" for i in range(self.n_blocks)]

    def to_records(self) -> list[dict[str, Any]]:
        """Failures as plain dicts (``pandas.DataFrame(report.to_records())``)."""
        return [
            {
                "block_index": f.block_index,
                "block_hash": f.block_hash,
                "tx_index": f.tx_index,
                "rule": f.rule,
                "message": f.message,
            }
            for f in self.failures
        ]

    def __str__(self) -> str:
        if self.ok:
            return f"all {self.n_blocks} blocks valid"
        lines = [f"{len(self.broken_blocks)} of {self.n_blocks} blocks broken:"]
        lines += [f"  {f}" for f in self.failures]
        return "\n".join(lines)


def validate_chain(blocks: Iterable[Block], *, rules: ChainRules | None = None) -> ChainReport:
    """Check a chain from its genesis block and report every failure.

    Each block's header is checked against the block actually before it in the list
    (link, proof of work, Merkle root, time). Its transactions are then applied to a
    UTXO set; a block whose transactions fail is reported and its outputs are not
    added, so later blocks that spend them fail too.

    Parameters
    ----------
    blocks : iterable of Block
        Genesis first (its ``prev_hash`` must be 64 zeros).
    rules : ChainRules, optional
        Consensus parameters (defaults: Bitcoin's reward schedule, any ``bits``).

    Returns
    -------
    ChainReport
        ``report.ok``, ``report.broken_blocks``, ``report.failures``.

    Examples
    --------
    >>> from chainsim.ledger import make_chain, tamper_transaction, EASY_BITS
    >>> chain = make_chain(4, seed=2, bits=EASY_BITS)
    >>> report = validate_chain(tamper_transaction(chain, 1))  # reward 1 satoshi less
    >>> report.broken_blocks
    (1, 2)
    >>> report.rules_by_block()
    {1: ['proof-of-work'], 2: ['prev-hash-mismatch']}

    Changing a payment also breaks its signature, and every later spend of it:

    >>> report = validate_chain(tamper_transaction(chain, 1, tx_index=1))
    >>> for block, rules in report.rules_by_block().items():
    ...     print(block, rules)
    1 ['proof-of-work', 'bad-signature']
    2 ['prev-hash-mismatch', 'missing-output']
    3 ['missing-output']
    """
    rules = rules or ChainRules()
    state = ChainState(rules)
    failures: list[Failure] = []
    prev_hash = NULL_TXID
    times: list[int] = []
    n = 0
    for i, block in enumerate(blocks):
        n += 1
        bhash = block.hash_hex()
        for rule, message in header_failures(
            block, expected_prev_hash=prev_hash, previous_times=times, rules=rules
        ):
            failures.append(Failure(i, bhash, rule, f"block {i}: {message}"))
        try:
            state.apply_block(block, check_header=False)
        except ValidationError as err:
            failures.append(Failure(i, bhash, err.rule, str(err), err.tx_index))
            # Keep heights aligned: record the block without its effects.
            state.blocks.append(block)
            state._undo.append(BlockUndo((), (), (), 0))
        prev_hash = bhash
        times = [*times[-(MEDIAN_TIME_SPAN - 1) :], block.header.time]
    return ChainReport(n, tuple(failures))
