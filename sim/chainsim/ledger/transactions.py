"""UTXO transactions: outputs, inputs that spend them, signatures and fees.

In Bitcoin's *UTXO* model coins live in *unspent transaction outputs*. A transaction
spends some earlier outputs (its *inputs*, each naming a txid and an output index and
carrying a signature) and creates new outputs (a value in satoshis locked to a
public-key hash). It is valid when every spent output exists and is unspent, every
signature is valid, and the outputs are worth no more than the inputs; the difference
is the *fee*, collected by the miner. The first transaction of a block, the
*coinbase*, has no real input and creates the block reward.

This module uses Bitcoin's real legacy serialization with P2PKH scripts only, and the
legacy ``SIGHASH_ALL`` signature hash, so txids are computed exactly as Bitcoin does
(the tests parse a real mainnet transaction, reproduce its txid and signature hash, and
verify its signature).
Simplifications: only P2PKH outputs, no script interpreter, no coinbase maturity, no
lock times.

Examples
--------
>>> from chainsim.ledger import PrivateKey
>>> alice, bob = PrivateKey.from_seed("alice"), PrivateKey.from_seed("bob")
>>> cb = make_coinbase(1, alice.public_key.hash160().hex(), 50 * COIN)
>>> utxos = {OutPoint(cb.txid, 0): cb.outputs[0]}
>>> pay = sign_transaction(
...     Transaction(
...         inputs=[TxIn(cb.txid, 0)],
...         outputs=[TxOut(30 * COIN, bob.public_key.hash160().hex()),
...                  TxOut(19 * COIN, alice.public_key.hash160().hex())],
...     ),
...     [alice], utxos)
>>> validate_transaction(pay, utxos)   # the fee, in satoshis
100000000
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chainsim.ledger.errors import (
    CoinbaseError,
    DecodeError,
    DoubleSpendError,
    InvalidKeyError,
    InvalidSignatureError,
    OverspendError,
    TransactionError,
    UnknownOutputError,
)
from chainsim.ledger.hashing import hash160, hash_to_hex, hex_to_bytes, hex_to_hash, sha256d
from chainsim.ledger.keys import PrivateKey, PublicKey, pubkey_hash_to_address

__all__ = [
    "COIN",
    "HALVING_INTERVAL_BLOCKS",
    "INITIAL_SUBSIDY_SAT",
    "MAX_MONEY_SAT",
    "NULL_TXID",
    "SIGHASH_ALL",
    "OutPoint",
    "Transaction",
    "TxIn",
    "TxOut",
    "block_subsidy",
    "coinbase_height",
    "make_coinbase",
    "p2pkh_script",
    "sign_transaction",
    "validate_transaction",
]

#: Satoshis per bitcoin.
COIN = 100_000_000
#: Total supply cap used as a value range check (Bitcoin Core ``MAX_MONEY``).
MAX_MONEY_SAT = 21_000_000 * COIN
#: Block reward of the first era, satoshis (50 BTC).
INITIAL_SUBSIDY_SAT = 50 * COIN
#: Blocks between halvings of the reward (Bitcoin Core ``nSubsidyHalvingInterval``).
HALVING_INTERVAL_BLOCKS = 210_000
#: The txid field of a coinbase input (no previous output).
NULL_TXID = "00" * 32
_COINBASE_INDEX = 0xFFFFFFFF
#: Signature-hash type: the signature covers all inputs and outputs.
SIGHASH_ALL = 1

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")


def block_subsidy(
    height: int,
    *,
    initial_subsidy_sat: int = INITIAL_SUBSIDY_SAT,
    halving_interval_blocks: int = HALVING_INTERVAL_BLOCKS,
) -> int:
    """New coins a block at ``height`` may create: halves every 210,000 blocks.

    >>> block_subsidy(0), block_subsidy(210_000), block_subsidy(840_000)
    (5000000000, 2500000000, 312500000)
    >>> block_subsidy(64 * 210_000)
    0
    """
    if isinstance(height, bool) or not isinstance(height, int) or height < 0:
        raise TransactionError(f"height must be an integer >= 0, got {height!r}")
    if halving_interval_blocks < 1:
        raise TransactionError(
            f"halving_interval_blocks must be >= 1, got {halving_interval_blocks}"
        )
    halvings = height // halving_interval_blocks
    return 0 if halvings >= 64 else initial_subsidy_sat >> halvings


# -- low-level encoding -----------------------------------------------------------


def _varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + _U32.pack(n)
    return b"\xff" + _U64.pack(n)


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise DecodeError(
                f"transaction truncated while reading {what} at byte {self.pos} "
                f"(needs {n} bytes, {len(self.data) - self.pos} left)"
            )
        out = self.data[self.pos : end]
        self.pos = end
        return out

    def varint(self, what: str) -> int:
        first = self.take(1, what)[0]
        if first < 0xFD:
            return first
        size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        value = int.from_bytes(self.take(size, what), "little")
        if value < (0xFD, 0x10000, 0x100000000)[size.bit_length() - 2]:
            raise DecodeError(f"non-canonical length encoding for {what} at byte {self.pos}")
        return value


def _push(data: bytes) -> bytes:
    if len(data) < 0x4C:
        return bytes([len(data)]) + data
    if len(data) <= 0xFF:
        return b"\x4c" + bytes([len(data)]) + data
    raise DecodeError(f"script push too long: {len(data)} bytes (at most 255 here)")


def _parse_pushes(script: bytes) -> list[bytes]:
    items = []
    pos = 0
    while pos < len(script):
        op = script[pos]
        pos += 1
        if 1 <= op < 0x4C:
            n = op
        elif op == 0x4C and pos < len(script):
            n = script[pos]
            pos += 1
        else:
            raise DecodeError(f"script_sig must hold only data pushes, found opcode 0x{op:02x}")
        if pos + n > len(script):
            raise DecodeError("script_sig push runs past the end of the script")
        items.append(script[pos : pos + n])
        pos += n
    return items


def p2pkh_script(pubkey_hash: bytes) -> bytes:
    """``OP_DUP OP_HASH160 <20 bytes> OP_EQUALVERIFY OP_CHECKSIG`` for a pubkey hash.

    >>> p2pkh_script(bytes(20)).hex()
    '76a914000000000000000000000000000000000000000088ac'
    """
    if len(pubkey_hash) != 20:
        raise DecodeError(f"pubkey_hash must be 20 bytes, got {len(pubkey_hash)} bytes")
    return b"\x76\xa9\x14" + pubkey_hash + b"\x88\xac"


def _check_u32(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise DecodeError(f"{name} must be an integer in [0, 4294967295], got {value!r}")


# -- data classes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class OutPoint:
    """A reference to output ``index`` of transaction ``txid`` (display hex)."""

    txid: str
    index: int

    def __str__(self) -> str:
        return f"{self.txid[:12]}…:{self.index}"


@dataclass(frozen=True, slots=True)
class TxOut:
    """An output: ``value_sat`` satoshis locked to a 20-byte public-key hash (hex)."""

    value_sat: int
    pubkey_hash: str

    def __post_init__(self) -> None:
        v = self.value_sat
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_MONEY_SAT:
            raise DecodeError(
                f"value_sat must be an integer in [0, {MAX_MONEY_SAT}] satoshis, got {v!r}"
            )
        hex_to_bytes(self.pubkey_hash, name="pubkey_hash", n_bytes=20)
        object.__setattr__(self, "pubkey_hash", self.pubkey_hash.lower())

    @property
    def script_pubkey(self) -> bytes:
        """The P2PKH locking script."""
        return p2pkh_script(bytes.fromhex(self.pubkey_hash))

    @property
    def address(self) -> str:
        """The P2PKH address this output pays."""
        return pubkey_hash_to_address(bytes.fromhex(self.pubkey_hash))


@dataclass(frozen=True, slots=True)
class TxIn:
    """An input spending output ``prev_index`` of ``prev_txid``.

    ``script_sig`` holds ``<signature + hashtype> <public key>`` once signed (empty
    before); in a coinbase it holds the block height (BIP 34) and free data.
    """

    prev_txid: str
    prev_index: int
    script_sig: bytes = b""
    sequence: int = 0xFFFFFFFF

    def __post_init__(self) -> None:
        hex_to_bytes(self.prev_txid, name="prev_txid", n_bytes=32)
        object.__setattr__(self, "prev_txid", self.prev_txid.lower())
        _check_u32("prev_index", self.prev_index)
        _check_u32("sequence", self.sequence)
        if not isinstance(self.script_sig, bytes | bytearray):
            raise DecodeError(f"script_sig must be bytes, got {type(self.script_sig).__name__}")
        object.__setattr__(self, "script_sig", bytes(self.script_sig))

    @property
    def outpoint(self) -> OutPoint:
        """The output this input spends."""
        return OutPoint(self.prev_txid, self.prev_index)

    @property
    def is_coinbase(self) -> bool:
        """Whether this is a coinbase input (null txid, index 0xffffffff)."""
        return self.prev_txid == NULL_TXID and self.prev_index == _COINBASE_INDEX

    def signature_and_public_key(self) -> tuple[bytes, bytes]:
        """``(DER signature + hashtype byte, SEC1 public key)`` from ``script_sig``."""
        items = _parse_pushes(self.script_sig)
        if len(items) != 2:
            raise DecodeError(
                f"script_sig must push a signature and a public key, found {len(items)} items"
            )
        return items[0], items[1]


@dataclass(frozen=True)
class Transaction:
    """A transaction: inputs, outputs, version and lock time.

    Use :attr:`txid` (display hex) to refer to it, :meth:`serialize` for its bytes.
    """

    inputs: tuple[TxIn, ...]
    outputs: tuple[TxOut, ...]
    version: int = 1
    locktime: int = 0
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        for i, tin in enumerate(self.inputs):
            if not isinstance(tin, TxIn):
                raise DecodeError(f"inputs[{i}] must be a TxIn, got {type(tin).__name__}")
        for i, out in enumerate(self.outputs):
            if not isinstance(out, TxOut):
                raise DecodeError(f"outputs[{i}] must be a TxOut, got {type(out).__name__}")
        v = self.version
        if isinstance(v, bool) or not isinstance(v, int) or not -(2**31) <= v < 2**31:
            raise DecodeError(f"version must be a signed 32-bit integer, got {v!r}")
        _check_u32("locktime", self.locktime)

    # -- bytes -------------------------------------------------------------------
    def _serialize(self, script_sigs: Sequence[bytes]) -> bytes:
        parts = [_I32.pack(self.version), _varint(len(self.inputs))]
        for tin, script in zip(self.inputs, script_sigs, strict=True):
            parts += [
                hex_to_hash(tin.prev_txid),
                _U32.pack(tin.prev_index),
                _varint(len(script)),
                script,
                _U32.pack(tin.sequence),
            ]
        parts.append(_varint(len(self.outputs)))
        for out in self.outputs:
            parts += [_U64.pack(out.value_sat), b"\x19", out.script_pubkey]
        parts.append(_U32.pack(self.locktime))
        return b"".join(parts)

    def serialize(self) -> bytes:
        """Canonical bytes (Bitcoin's legacy transaction format)."""
        raw = self._cache.get("raw")
        if raw is None:
            raw = self._serialize([tin.script_sig for tin in self.inputs])
            self._cache["raw"] = raw
        return raw

    def to_hex(self) -> str:
        """:meth:`serialize` as hex."""
        return self.serialize().hex()

    @classmethod
    def from_bytes(cls, data: bytes) -> Transaction:
        """Parse canonical bytes; every byte must be used.

        Raises
        ------
        DecodeError
            Truncated or trailing data, or an output that is not P2PKH.
        """
        tx, end = cls._read(_Reader(bytes(data)))
        if end != len(data):
            raise DecodeError(f"transaction has {len(data) - end} trailing bytes")
        return tx

    @classmethod
    def from_hex(cls, text: str) -> Transaction:
        """Parse hex text."""
        return cls.from_bytes(hex_to_bytes(text.strip(), name="transaction"))

    @classmethod
    def _read(cls, r: _Reader) -> tuple[Transaction, int]:
        version = _I32.unpack(r.take(4, "version"))[0]
        n_in = r.varint("input count")
        if n_in == 0:
            raise DecodeError("transaction has no inputs (input count is 0)")
        inputs = []
        for i in range(n_in):
            prev = hash_to_hex(r.take(32, f"inputs[{i}].prev_txid"))
            index = _U32.unpack(r.take(4, f"inputs[{i}].prev_index"))[0]
            script = r.take(r.varint(f"inputs[{i}].script length"), f"inputs[{i}].script_sig")
            seq = _U32.unpack(r.take(4, f"inputs[{i}].sequence"))[0]
            inputs.append(TxIn(prev, index, script, seq))
        n_out = r.varint("output count")
        outputs = []
        for i in range(n_out):
            value = _U64.unpack(r.take(8, f"outputs[{i}].value"))[0]
            script = r.take(r.varint(f"outputs[{i}].script length"), f"outputs[{i}].script")
            if len(script) != 25 or script[:3] != b"\x76\xa9\x14" or script[23:] != b"\x88\xac":
                raise DecodeError(f"outputs[{i}] is not a P2PKH script: {script.hex()!r}")
            outputs.append(TxOut(value, script[3:23].hex()))
        locktime = _U32.unpack(r.take(4, "locktime"))[0]
        return cls(tuple(inputs), tuple(outputs), version, locktime), r.pos

    # -- identity ----------------------------------------------------------------
    @property
    def txid(self) -> str:
        """Transaction id: double SHA-256 of the bytes, display order."""
        txid = self._cache.get("txid")
        if txid is None:
            txid = hash_to_hex(sha256d(self.serialize()))
            self._cache["txid"] = txid
        return txid

    @property
    def size_bytes(self) -> int:
        """Serialized size in bytes."""
        return len(self.serialize())

    @property
    def is_coinbase(self) -> bool:
        """Whether this is a coinbase (one input, the null outpoint)."""
        return len(self.inputs) == 1 and self.inputs[0].is_coinbase

    @property
    def total_out_sat(self) -> int:
        """Sum of output values, satoshis."""
        return sum(out.value_sat for out in self.outputs)

    def sighash(
        self, input_index: int, spent_output: TxOut, *, hashtype: int = SIGHASH_ALL
    ) -> bytes:
        """Legacy ``SIGHASH_ALL`` message hash signed by input ``input_index``.

        Every script_sig is emptied except this input's, which is replaced by the
        spent output's locking script; the 4-byte hashtype is appended; the result
        is double-SHA-256 hashed. It therefore covers every input, every output,
        the version and the lock time.
        """
        if not 0 <= input_index < len(self.inputs):
            raise TransactionError(
                f"input_index must be in [0, {len(self.inputs) - 1}], got {input_index}"
            )
        scripts = [b""] * len(self.inputs)
        scripts[input_index] = spent_output.script_pubkey
        return sha256d(self._serialize(scripts) + _U32.pack(hashtype))

    def with_script_sigs(self, script_sigs: Sequence[bytes]) -> Transaction:
        """A copy with new script_sigs (one per input)."""
        inputs = tuple(
            TxIn(t.prev_txid, t.prev_index, s, t.sequence)
            for t, s in zip(self.inputs, script_sigs, strict=True)
        )
        return Transaction(inputs, self.outputs, self.version, self.locktime)


# -- building -----------------------------------------------------------------------


def _height_push(height: int) -> bytes:
    # BIP 34: the coinbase script starts with the height as a minimal script number.
    if height == 0:
        return b"\x00"  # OP_0
    n = (height.bit_length() + 8) // 8  # room for a clear sign bit
    return _push(height.to_bytes(n, "little"))


def make_coinbase(
    height: int, pubkey_hash: str, value_sat: int, *, tag: bytes = b"chainsim"
) -> Transaction:
    """Coinbase transaction paying ``value_sat`` to ``pubkey_hash`` at ``height``.

    The height goes first in its script (BIP 34), which makes every coinbase txid
    unique.

    >>> cb = make_coinbase(100, "00" * 20, 50 * COIN)
    >>> cb.is_coinbase, coinbase_height(cb)
    (True, 100)
    """
    if isinstance(height, bool) or not isinstance(height, int) or height < 0:
        raise CoinbaseError(f"height must be an integer >= 0, got {height!r}")
    script = _height_push(height) + (_push(tag) if tag else b"")
    return Transaction(
        (TxIn(NULL_TXID, _COINBASE_INDEX, script),), (TxOut(value_sat, pubkey_hash),)
    )


def coinbase_height(tx: Transaction) -> int:
    """The height a coinbase commits to (BIP 34).

    Raises
    ------
    CoinbaseError
        If ``tx`` is not a coinbase or its script does not start with a height.
    """
    if not tx.is_coinbase:
        raise CoinbaseError(f"transaction {tx.txid} is not a coinbase")
    script = tx.inputs[0].script_sig
    if script[:1] == b"\x00":
        return 0
    if not script or not 1 <= script[0] <= 8 or len(script) < 1 + script[0]:
        raise CoinbaseError("coinbase script must start with the block height (BIP 34)")
    return int.from_bytes(script[1 : 1 + script[0]], "little")


def sign_transaction(
    tx: Transaction,
    keys: Sequence[PrivateKey] | Mapping[str, PrivateKey],
    spent_outputs: Mapping[OutPoint, TxOut],
) -> Transaction:
    """Sign every input of ``tx``; returns the signed copy.

    Parameters
    ----------
    tx : Transaction
        The unsigned (or re-signed) transaction.
    keys : sequence or mapping of PrivateKey
        One key per input, or a mapping from pubkey-hash hex to key.
    spent_outputs : mapping
        The outputs being spent, by outpoint (e.g. a chain state's UTXO set).

    Raises
    ------
    UnknownOutputError
        If a spent output is not in ``spent_outputs``.
    InvalidKeyError
        If no key matches an output's pubkey hash.

    Examples
    --------
    >>> from chainsim.ledger import PrivateKey
    >>> key = PrivateKey.from_seed("carol")
    >>> cb = make_coinbase(0, key.public_key.hash160().hex(), 50 * COIN)
    >>> spent = {OutPoint(cb.txid, 0): cb.outputs[0]}
    >>> tx = Transaction((TxIn(cb.txid, 0),), (TxOut(COIN, "00" * 20),))
    >>> signed = sign_transaction(tx, [key], spent)
    >>> signed.txid != tx.txid, validate_transaction(signed, spent) == 49 * COIN
    (True, True)
    """
    scripts = []
    for i, tin in enumerate(tx.inputs):
        spent = spent_outputs.get(tin.outpoint)
        if spent is None:
            raise UnknownOutputError(
                f"inputs[{i}] spends unknown output {tin.outpoint}", input_index=i
            )
        if isinstance(keys, Mapping):
            key = keys.get(spent.pubkey_hash)
            if key is None:
                raise InvalidKeyError(f"no key for pubkey hash {spent.pubkey_hash} (inputs[{i}])")
        else:
            key = keys[i]
        pub = key.public_key.to_bytes()
        if hash160(pub).hex() != spent.pubkey_hash:
            raise InvalidKeyError(
                f"key for inputs[{i}] does not own output {tin.outpoint} "
                f"(pubkey hash {hash160(pub).hex()} != {spent.pubkey_hash})"
            )
        sig = key.sign(tx.sighash(i, spent)) + bytes([SIGHASH_ALL])
        scripts.append(_push(sig) + _push(pub))
    return tx.with_script_sigs(scripts)


# -- validation ----------------------------------------------------------------------


def validate_transaction(
    tx: Transaction,
    utxos: Mapping[OutPoint, TxOut],
    *,
    spent_in_block: set[OutPoint] | None = None,
    spent_before: Mapping[OutPoint, Any] | None = None,
    check_signatures: bool = True,
) -> int:
    """Check a non-coinbase transaction against the unspent outputs; return its fee.

    Parameters
    ----------
    tx : Transaction
        The transaction to check.
    utxos : mapping of OutPoint to TxOut
        Unspent outputs available to it.
    spent_in_block : set of OutPoint, optional
        Outputs already spent by earlier transactions of the same block; this
        function adds the outputs ``tx`` spends when it is valid.
    spent_before : mapping, optional
        Outputs spent earlier in the chain (OutPoint -> where), for clearer messages.
    check_signatures : bool
        Verify signatures (turn off only to measure their cost).

    Returns
    -------
    int
        Fee in satoshis (inputs minus outputs).

    Raises
    ------
    TransactionError
        Subclass naming the broken rule: :class:`UnknownOutputError`,
        :class:`DoubleSpendError`, :class:`InvalidSignatureError`,
        :class:`OverspendError`, or a plain :class:`TransactionError` for structure.

    Examples
    --------
    >>> tx = Transaction((TxIn("ab" * 32, 0),), (TxOut(1, "00" * 20),))
    >>> validate_transaction(tx, {})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainsim.ledger.errors.UnknownOutputError: transaction ... unknown or spent output abab...:0
    """
    if tx.is_coinbase or any(t.is_coinbase for t in tx.inputs):
        raise CoinbaseError(
            f"transaction {tx.txid} is a coinbase; only a block's first transaction may be",
            rule="misplaced-coinbase",
        )
    if not tx.inputs:
        raise TransactionError(f"transaction {tx.txid} has no inputs", rule="no-inputs")
    if not tx.outputs:
        raise TransactionError(f"transaction {tx.txid} has no outputs", rule="no-outputs")
    seen: set[OutPoint] = set()
    for i, tin in enumerate(tx.inputs):
        if tin.outpoint in seen:
            raise DoubleSpendError(
                f"transaction {tx.txid} spends output {tin.outpoint} twice",
                rule="duplicate-input",
                input_index=i,
            )
        seen.add(tin.outpoint)
    total_in = 0
    spent_outputs = []
    for i, tin in enumerate(tx.inputs):
        op = tin.outpoint
        if spent_in_block is not None and op in spent_in_block:
            raise DoubleSpendError(
                f"transaction {tx.txid} inputs[{i}] spends output {op}, already spent "
                "earlier in this block",
                rule="double-spend-in-block",
                input_index=i,
            )
        spent = utxos.get(op)
        if spent is None:
            if spent_before is not None and op in spent_before:
                raise DoubleSpendError(
                    f"transaction {tx.txid} inputs[{i}] spends output {op}, already spent "
                    f"in {spent_before[op]}",
                    rule="double-spend",
                    input_index=i,
                )
            raise UnknownOutputError(
                f"transaction {tx.txid} inputs[{i}] spends unknown or spent output {op}",
                input_index=i,
            )
        total_in += spent.value_sat
        spent_outputs.append(spent)
    total_out = tx.total_out_sat
    if total_out > MAX_MONEY_SAT:
        raise TransactionError(
            f"transaction {tx.txid} outputs total {total_out} sat > MAX_MONEY", rule="value-range"
        )
    if total_out > total_in:
        raise OverspendError(
            f"transaction {tx.txid} spends {total_out} sat but its inputs hold only "
            f"{total_in} sat (overspend by {total_out - total_in} sat)"
        )
    # Signatures last: they are the expensive check.
    if check_signatures:
        for i, (tin, spent) in enumerate(zip(tx.inputs, spent_outputs, strict=True)):
            _check_signature(tx, i, tin, spent)
    if spent_in_block is not None:
        spent_in_block.update(seen)
    return total_in - total_out


def _check_signature(tx: Transaction, i: int, tin: TxIn, spent: TxOut) -> None:
    try:
        sig, pub = tin.signature_and_public_key()
    except DecodeError as err:
        raise InvalidSignatureError(
            f"transaction {tx.txid} inputs[{i}] is not signed properly: {err}",
            rule="bad-script-sig",
            input_index=i,
        ) from None
    if not sig or sig[-1] != SIGHASH_ALL:
        raise InvalidSignatureError(
            f"transaction {tx.txid} inputs[{i}] must use SIGHASH_ALL (hashtype 1), "
            f"got {sig[-1] if sig else None}",
            rule="bad-sighash-type",
            input_index=i,
        )
    if hash160(pub).hex() != spent.pubkey_hash:
        raise InvalidSignatureError(
            f"transaction {tx.txid} inputs[{i}]: public key hash {hash160(pub).hex()} does "
            f"not match the spent output's {spent.pubkey_hash}",
            rule="pubkey-mismatch",
            input_index=i,
        )
    try:
        key = PublicKey(pub)
    except InvalidKeyError as err:
        raise InvalidSignatureError(
            f"transaction {tx.txid} inputs[{i}]: {err}", rule="bad-pubkey", input_index=i
        ) from None
    if not key.verify(sig[:-1], tx.sighash(i, spent)):
        raise InvalidSignatureError(
            f"transaction {tx.txid} inputs[{i}]: signature does not verify", input_index=i
        )


def total_value_sat(outputs: Iterable[TxOut]) -> int:
    """Sum of output values, satoshis."""
    return sum(o.value_sat for o in outputs)
