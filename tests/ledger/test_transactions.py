"""UTXO transactions: bytes, signatures, validation rules and their errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim.ledger import (
    COIN,
    CoinbaseError,
    DecodeError,
    DoubleSpendError,
    InvalidKeyError,
    InvalidSignatureError,
    LedgerError,
    OutPoint,
    OverspendError,
    Transaction,
    TxIn,
    TxOut,
    UnknownOutputError,
    ValidationError,
    block_subsidy,
    make_coinbase,
    sha256d,
    sign_transaction,
    validate_transaction,
)
from chainsim.ledger.transactions import coinbase_height

from .helpers import funded_state
from .vectors import REAL_TX


def test_real_mainnet_transaction() -> None:
    tx = Transaction.from_hex(REAL_TX["raw"])
    assert tx.to_hex() == REAL_TX["raw"]  # byte-exact legacy serialization
    assert tx.txid == REAL_TX["txid"]
    assert tx.inputs[0].prev_txid == REAL_TX["prev_txid"] and tx.inputs[0].sequence == 0xFFFFFFFE
    assert tx.locktime == 410_393 and [o.value_sat for o in tx.outputs] == [32_454_049, 10_011_545]
    spent = TxOut(REAL_TX["spent_value_sat"], REAL_TX["spent_pubkey_hash"])
    # Our signature hash is Bitcoin's: it reproduces the published z, and the real
    # signature verifies against it.
    assert tx.sighash(0, spent).hex() == REAL_TX["sighash_z"]
    assert validate_transaction(tx, {tx.inputs[0].outpoint: spent}) == REAL_TX["fee_sat"]
    # Paying one satoshi more to the first output breaks the real signature.
    changed = Transaction(
        tx.inputs,
        (TxOut(tx.outputs[0].value_sat + 1, tx.outputs[0].pubkey_hash), tx.outputs[1]),
        tx.version,
        tx.locktime,
    )
    with pytest.raises(InvalidSignatureError, match="does not verify"):
        validate_transaction(changed, {tx.inputs[0].outpoint: spent})


def _setup():  # type: ignore[no-untyped-def]
    state, w = funded_state()
    alice, bob = w["alice"], w["bob"]
    pay = alice.pay(state, bob, 10 * COIN, fee_sat=5_000)
    return state, w, pay


def test_payment_structure_and_fee() -> None:
    state, w, pay = _setup()
    assert len(pay.inputs) == 1 and len(pay.outputs) == 2
    assert pay.outputs[0] == TxOut(10 * COIN, w["bob"].pubkey_hash)
    assert pay.outputs[1].value_sat == 40 * COIN - 5_000
    assert validate_transaction(pay, state.utxos) == 5_000
    sig, pub = pay.inputs[0].signature_and_public_key()
    assert sig[-1] == 1 and pub == w["alice"].key.public_key.to_bytes()


def test_serialization_round_trip_and_txid() -> None:
    _, _, pay = _setup()
    raw = pay.serialize()
    assert Transaction.from_bytes(raw) == pay
    assert Transaction.from_hex(pay.to_hex()).txid == pay.txid
    assert pay.txid == sha256d(raw)[::-1].hex()
    assert pay.size_bytes == len(raw)
    # Legacy layout: version 1, one input, P2PKH outputs, lock time 0.
    assert raw[:5] == bytes.fromhex("0101000000")[1:] + b"\x01"
    assert raw[-4:] == bytes(4)
    assert pay.outputs[0].script_pubkey.hex().startswith("76a914")


def test_decode_errors_name_the_problem() -> None:
    _, _, pay = _setup()
    raw = pay.serialize()
    with pytest.raises(DecodeError, match="trailing bytes"):
        Transaction.from_bytes(raw + b"\x00")
    with pytest.raises(DecodeError, match="truncated while reading locktime"):
        Transaction.from_bytes(raw[:-1])
    with pytest.raises(DecodeError, match="no inputs"):
        Transaction.from_bytes(bytes.fromhex("01000000") + b"\x00")
    with pytest.raises(DecodeError, match="transaction must be hexadecimal"):
        Transaction.from_hex("xyz")
    with pytest.raises(DecodeError, match="value_sat must be an integer"):
        TxOut(-1, "00" * 20)
    with pytest.raises(DecodeError, match="value_sat"):
        TxOut(21_000_000 * COIN + 1, "00" * 20)
    with pytest.raises(DecodeError, match="pubkey_hash must be 20 bytes"):
        TxOut(1, "00" * 21)
    with pytest.raises(DecodeError, match="prev_index"):
        TxIn("00" * 32, -1)
    non_p2pkh = bytearray(raw)
    i = raw.index(bytes.fromhex("76a914"))
    non_p2pkh[i] = 0x75
    with pytest.raises(DecodeError, match="not a P2PKH script"):
        Transaction.from_bytes(bytes(non_p2pkh))


def test_subsidy_halves() -> None:
    assert block_subsidy(0) == 50 * COIN
    assert block_subsidy(209_999) == 50 * COIN
    assert block_subsidy(210_000) == 25 * COIN
    assert block_subsidy(630_000) == 625_000_000
    assert block_subsidy(6_929_999) == 1
    assert block_subsidy(6_930_000) == 0
    assert block_subsidy(10, halving_interval_blocks=5, initial_subsidy_sat=100) == 25
    with pytest.raises(LedgerError, match="height"):
        block_subsidy(-1)


@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_coinbase_commits_to_its_height(height: int) -> None:
    cb = make_coinbase(height, "00" * 20, 1)
    assert cb.is_coinbase and coinbase_height(cb) == height
    assert Transaction.from_bytes(cb.serialize()) == cb


def test_each_rule_raises_its_own_error() -> None:
    state, w, pay = _setup()
    alice, bob, carol = w["alice"], w["bob"], w["carol"]
    utxos = state.utxos
    spent = dict(utxos)
    coin = next(iter(utxos))

    # Unknown output.
    ghost = Transaction((TxIn("ab" * 32, 0),), (TxOut(1, bob.pubkey_hash),))
    with pytest.raises(UnknownOutputError, match="unknown or spent output") as err:
        validate_transaction(ghost, utxos)
    assert err.value.rule == "missing-output" and err.value.input_index == 0

    # Overspend: outputs worth more than inputs (validly signed).
    greedy = sign_transaction(
        Transaction((TxIn(coin.txid, coin.index),), (TxOut(51 * COIN, bob.pubkey_hash),)),
        [alice.key],
        spent,
    )
    with pytest.raises(OverspendError, match=r"overspend by 100000000 sat"):
        validate_transaction(greedy, utxos)

    # Signed by the wrong key (carol signs alice's coin): pubkey hash mismatch.
    with pytest.raises(InvalidKeyError, match="does not own"):
        sign_transaction(pay, [carol.key], spent)
    forged_script = sign_transaction(
        Transaction(pay.inputs, pay.outputs),
        {alice.pubkey_hash: alice.key},
        spent,
    )
    stolen = forged_script.with_script_sigs(
        [
            _swap_pubkey(forged_script.inputs[0].script_sig, carol.key.public_key.to_bytes()),
        ]
    )
    with pytest.raises(InvalidSignatureError) as err2:
        validate_transaction(stolen, utxos)
    assert err2.value.rule == "pubkey-mismatch"

    # Right key, signature over other data: bad signature.
    other = alice.pay(state, carol, 1 * COIN)
    mixed = pay.with_script_sigs([other.inputs[0].script_sig])
    with pytest.raises(InvalidSignatureError, match="does not verify") as err3:
        validate_transaction(mixed, utxos)
    assert err3.value.rule == "bad-signature"

    # Unsigned input.
    with pytest.raises(InvalidSignatureError, match="not signed properly"):
        validate_transaction(pay.with_script_sigs([b""]), utxos)

    # Same output twice in one transaction.
    twice = Transaction(pay.inputs * 2, pay.outputs)
    with pytest.raises(DoubleSpendError, match="twice") as err4:
        validate_transaction(twice, utxos)
    assert err4.value.rule == "duplicate-input"

    # Double spend inside one block.
    seen: set[OutPoint] = set()
    validate_transaction(pay, utxos, spent_in_block=seen)
    with pytest.raises(DoubleSpendError, match="earlier in this block"):
        validate_transaction(other, utxos, spent_in_block=seen)

    # A coinbase where a normal transaction belongs.
    with pytest.raises(CoinbaseError, match="only a block's first transaction"):
        validate_transaction(make_coinbase(5, bob.pubkey_hash, 1), utxos)

    # Every rule error is a ValidationError and a ValueError.
    assert issubclass(OverspendError, ValidationError) and issubclass(LedgerError, ValueError)


def _swap_pubkey(script_sig: bytes, new_pub: bytes) -> bytes:
    n = script_sig[0]
    return script_sig[: 1 + n] + bytes([len(new_pub)]) + new_pub


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_flipping_any_byte_of_a_signed_transaction_breaks_validation(
    position: int, mask: int
) -> None:
    state, _w, pay = _SIGNED
    raw = bytearray(pay.serialize())
    raw[position % len(raw)] ^= mask
    with pytest.raises(LedgerError):
        validate_transaction(Transaction.from_bytes(bytes(raw)), state.utxos)


def _signed_two_in_two_out():  # type: ignore[no-untyped-def]
    state, w = funded_state(seed=3)
    alice, bob = w["alice"], w["bob"]
    from .helpers import next_block

    # Give alice two coins so that the payment has two inputs.
    split = alice.pay(state, alice, 20 * COIN, fee_sat=0)
    state.apply_block(next_block(state, [split], w["miner"]))
    pay = alice.pay(state, bob, 45 * COIN, fee_sat=2_000)
    assert len(pay.inputs) == 2 and validate_transaction(pay, state.utxos) == 2_000
    return state, w, pay


_SIGNED = _signed_two_in_two_out()
