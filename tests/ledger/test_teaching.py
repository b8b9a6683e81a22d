"""The teaching surface: wallets, make_chain, tampering and re-mining."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim.ledger import (
    COIN,
    EASY_BITS,
    TEACHING_BITS,
    ChainState,
    LedgerError,
    OverspendError,
    Wallet,
    make_chain,
    new_block,
    relink_chain,
    remine_chain,
    tamper_transaction,
    validate_chain,
)


def test_make_chain_is_deterministic() -> None:
    a = make_chain(4, seed=3, bits=EASY_BITS)
    b = make_chain(4, seed=3, bits=EASY_BITS)
    c = make_chain(4, seed=4, bits=EASY_BITS)
    assert [x.hash_hex() for x in a] == [x.hash_hex() for x in b]
    assert a[-1].hash_hex() != c[-1].hash_hex()
    assert a[0].header.prev_hash == "00" * 32
    assert all(a[i].header.prev_hash == a[i - 1].hash_hex() for i in range(1, 4))


def test_make_chain_at_teaching_difficulty() -> None:
    chain = make_chain(2, seed=0)
    assert all(b.header.bits == TEACHING_BITS and b.hash_hex().startswith("0000") for b in chain)
    assert validate_chain(chain).ok


def test_make_chain_arguments() -> None:
    with pytest.raises(LedgerError, match="n_blocks must be an integer >= 1, got 0"):
        make_chain(0)
    with pytest.raises(LedgerError, match="n_txs_per_block"):
        make_chain(2, n_txs_per_block=-1)
    assert [len(b.transactions) for b in make_chain(3, n_txs_per_block=0, bits=EASY_BITS)] == [
        1,
        1,
        1,
    ]


def test_tamper_views() -> None:
    chain = make_chain(5, seed=9, bits=EASY_BITS)
    # Without fixing the Merkle root only that block fails, on its Merkle root.
    assert validate_chain(tamper_transaction(chain, 2, fix_merkle_root=False)).rules_by_block() == {
        2: ["merkle-root-mismatch"]
    }
    # Fixing it changes the hash: proof of work and the next link break.
    assert validate_chain(tamper_transaction(chain, 2)).rules_by_block() == {
        2: ["proof-of-work"],
        3: ["prev-hash-mismatch"],
    }
    # Relinking (the classic demo) turns every later block red.
    relinked = tamper_transaction(chain, 2, relink=True)
    report = validate_chain(relinked)
    assert report.broken_blocks == (2, 3, 4)
    assert set(report.rules_by_block()[4]) == {"proof-of-work"}
    # Re-mining from the tampered block repairs the chain, at a cost in hashes.
    fixed, results = remine_chain(relinked, start_index=2)
    assert validate_chain(fixed).ok and len(results) == 3
    assert all(r.found for r in results) and sum(r.hashes_tried for r in results) >= 3
    assert (
        fixed[2].transactions[0].outputs[0].value_sat
        == chain[2].transactions[0].outputs[0].value_sat - 1
    )
    # The input chain is unchanged.
    assert validate_chain(chain).ok
    # Redirecting a reward to another owner.
    thief = Wallet.from_seed("mallory")
    stolen = tamper_transaction(chain, 3, pubkey_hash=thief.pubkey_hash, value_sat=None)
    fixed2, _ = remine_chain(stolen, 3)
    state = ChainState()
    for b in fixed2:
        state.apply_block(b)
    assert thief.balance_sat(state) == chain[3].transactions[0].outputs[0].value_sat - 1
    assert validate_chain(fixed2).ok


def test_tamper_argument_errors() -> None:
    chain = make_chain(2, seed=1, bits=EASY_BITS)
    with pytest.raises(LedgerError, match="block_index must be in \\[0, 1\\], got 5"):
        tamper_transaction(chain, 5)
    with pytest.raises(LedgerError, match="tx_index"):
        tamper_transaction(chain, 0, 3)
    with pytest.raises(LedgerError, match="output_index"):
        tamper_transaction(chain, 0, 0, output_index=4)
    with pytest.raises(LedgerError, match="no valid nonce"):
        remine_chain(relink_chain(tamper_transaction(chain, 0)), 0, max_hashes_per_block=1)


def test_wallet_pay_and_errors() -> None:
    chain = make_chain(1, seed=2, bits=EASY_BITS)
    state = ChainState()
    state.apply_block(chain[0])
    alice, bob = Wallet.from_seed("alice", 2), Wallet.from_seed("bob", 2)
    assert alice.balance_sat(state) == 50 * COIN
    with pytest.raises(OverspendError, match="holds 5000000000 sat, needs 5000001000 sat"):
        alice.pay(state, bob, 50 * COIN, fee_sat=1_000)
    with pytest.raises(LedgerError, match="value_sat must be > 0"):
        alice.pay(state, bob, 0)
    tx = alice.pay(state, bob.address, COIN)  # by address
    assert tx.outputs[0].pubkey_hash == bob.pubkey_hash
    block = new_block(state, [tx], miner=bob, time=chain[0].header.time + 600, bits=EASY_BITS)
    state.apply_block(block)
    assert bob.balance_sat(state) == COIN + 50 * COIN + 1_000
    with pytest.raises(LedgerError, match="no valid nonce"):
        new_block(state, [], miner=bob, time=2_000_000_000, bits=0x1D00FFFF, max_hashes=10)
    unmined = new_block(state, [], miner=bob, time=2_000_000_000, do_mine=False)
    assert unmined.header.nonce == 0


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    block_index=st.integers(0, 3),
    position=st.integers(0, 10**6),
    mask=st.integers(1, 255),
)
def test_flipping_any_byte_of_a_block_breaks_the_chain(
    seed: int, block_index: int, position: int, mask: int
) -> None:
    from chainsim.ledger import Block, DecodeError

    chain = make_chain(5, seed=seed, bits=EASY_BITS)
    raw = bytearray(chain[block_index].serialize())
    where = position % len(raw)
    raw[where] ^= mask
    try:
        block = Block.from_bytes(bytes(raw))
    except DecodeError:
        return  # a malformed block is rejected outright
    tampered = list(chain)
    tampered[block_index] = block
    rules = validate_chain(tampered).rules_by_block()
    if where < 80:
        # A header byte: the block hash changes, so the next block's link breaks.
        assert "prev-hash-mismatch" in rules[block_index + 1]
    else:
        # A transaction byte: the txid changes, so the header's Merkle root disagrees.
        assert "merkle-root-mismatch" in rules[block_index]
