"""The account model: balances, nonces, signatures, apply and undo."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim.ledger import (
    AccountError,
    AccountState,
    AccountTx,
    InsufficientFundsError,
    InvalidKeyError,
    InvalidSignatureError,
    NonceError,
    PrivateKey,
)

KEYS = [PrivateKey.from_seed(f"acct-{i}") for i in range(3)]
IDS = [k.public_key.hash160().hex() for k in KEYS]


def test_transfer_fee_and_nonce() -> None:
    state = AccountState({IDS[0]: 1_000})
    state.apply(AccountTx(IDS[0], IDS[1], 300, 0, fee=10).sign(KEYS[0]), producer=IDS[2])
    assert (state.balance(IDS[0]), state.balance(IDS[1]), state.balance(IDS[2])) == (690, 300, 10)
    assert state.nonce(IDS[0]) == 1 and state.total() == 1_000


def test_rules_and_errors() -> None:
    state = AccountState({IDS[0]: 100})
    tx = AccountTx(IDS[0], IDS[1], 50, 0).sign(KEYS[0])
    with pytest.raises(InvalidSignatureError, match="signature"):
        state.apply(AccountTx(IDS[0], IDS[1], 50, 0))  # unsigned
    forged = AccountTx(IDS[0], IDS[1], 99, 0, public_key=tx.public_key, signature=tx.signature)
    with pytest.raises(InvalidSignatureError):
        state.apply(forged)  # value changed after signing
    with pytest.raises(NonceError, match="nonce 1, expected 0"):
        state.apply(AccountTx(IDS[0], IDS[1], 50, 1).sign(KEYS[0]))
    with pytest.raises(InsufficientFundsError, match="balance 100 < value 100 \\+ fee 1"):
        state.apply(AccountTx(IDS[0], IDS[1], 100, 0, fee=1).sign(KEYS[0]))
    with pytest.raises(InvalidKeyError, match="does not own"):
        AccountTx(IDS[0], IDS[1], 1, 0).sign(KEYS[1])
    with pytest.raises(AccountError, match="value must be"):
        AccountTx(IDS[0], IDS[1], -1, 0)
    state.apply(tx)
    with pytest.raises(NonceError, match="replayed"):
        state.apply(tx)


def test_block_is_all_or_nothing_and_undoable() -> None:
    state = AccountState({IDS[0]: 100})
    good = AccountTx(IDS[0], IDS[1], 10, 0, fee=1).sign(KEYS[0])
    bad = AccountTx(IDS[1], IDS[2], 1_000, 0).sign(KEYS[1])
    with pytest.raises(InsufficientFundsError) as err:
        state.apply_block([good, bad], producer=IDS[2], reward=50)
    assert err.value.tx_index == 1
    assert state.snapshot() == ({IDS[0]: 100}, {})
    state.apply_block([good], producer=IDS[2], reward=50)
    assert state.total() == 150
    state.undo_block()
    assert state.snapshot() == ({IDS[0]: 100}, {})
    with pytest.raises(AccountError, match="no block to undo"):
        state.undo_block()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 400), st.integers(0, 5)),
        max_size=12,
    )
)
def test_value_is_conserved_and_undo_restores(moves: list) -> None:
    state = AccountState({IDS[0]: 500, IDS[1]: 500})
    snapshots = []
    for s, r, value, fee in moves:
        tx = AccountTx(IDS[s], IDS[r], value, state.nonce(IDS[s]), fee=fee).sign(KEYS[s])
        before = state.snapshot()
        try:
            state.apply_block([tx], producer=IDS[2], reward=0)
        except InsufficientFundsError:
            assert state.snapshot() == before
            continue
        snapshots.append(before)
        assert state.total() == 1_000
        assert all(v >= 0 for v in state.balances.values())
    while snapshots:
        state.undo_block()
        assert state.snapshot() == snapshots.pop()
