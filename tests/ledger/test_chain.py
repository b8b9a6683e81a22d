"""Chain state: applying and undoing blocks, reorganisations, whole-chain validation."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsim.ledger import (
    COIN,
    EASY_BITS,
    Block,
    BlockValidationError,
    ChainRules,
    ChainState,
    CoinbaseError,
    DoubleSpendError,
    LedgerError,
    OutPoint,
    Transaction,
    make_chain,
    make_coinbase,
    merkle_root,
    mine,
    validate_chain,
)

from .helpers import T0, funded_state, next_block

SLOW_OK = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_make_chain_is_valid_and_replays() -> None:
    blocks = make_chain(6, seed=11, bits=EASY_BITS)
    assert validate_chain(blocks).ok
    state = ChainState()
    for b in blocks:
        state.apply_block(b)
    assert state.height == 5 and state.tip_hash == blocks[-1].hash_hex()
    # Every satoshi the chain issued is in some unspent output (fees go to miners).
    assert state.total_value_sat() == state.issued_sat() == 6 * 50 * COIN


def test_block_bytes_round_trip() -> None:
    block = make_chain(3, seed=1, bits=EASY_BITS)[-1]
    raw = block.serialize()
    assert Block.from_bytes(raw) == block
    assert block.size_bytes == len(raw)
    from chainsim.ledger import DecodeError

    with pytest.raises(DecodeError, match="trailing"):
        Block.from_bytes(raw + b"\x00")
    with pytest.raises(DecodeError, match="at least 81 bytes"):
        Block.from_bytes(raw[:80])


def test_apply_block_is_atomic_and_names_the_rule() -> None:
    state, w = funded_state()
    before = state.snapshot()
    good = w["alice"].pay(state, w["bob"], COIN)
    bad = w["alice"].pay(state, w["carol"], COIN)  # same coin: double spend in block
    block = next_block(state, [good], w["miner"])
    forged = Block(
        block.header.replace(
            merkle_root=merkle_root([block.transactions[0].txid, good.txid, bad.txid])
        ),
        (block.transactions[0], good, bad),
    )
    forged = Block(mine(forged.header).header, forged.transactions)
    with pytest.raises(DoubleSpendError, match="already spent earlier in this block") as err:
        state.apply_block(forged)
    assert (err.value.rule, err.value.block_index, err.value.tx_index) == (
        "double-spend-in-block",
        1,
        2,
    )
    assert state.snapshot() == before and state.height == 0


def test_double_spend_across_blocks_names_the_earlier_block() -> None:
    state, w = funded_state()
    pay = w["alice"].pay(state, w["bob"], COIN)
    again = w["alice"].pay(state, w["carol"], COIN)  # signed before pay is mined
    state.apply_block(next_block(state, [pay], w["miner"]))
    with pytest.raises(DoubleSpendError, match="already spent in block 1") as err:
        state.apply_block(_unchecked_block(state, [again], w["miner"]))
    assert err.value.rule == "double-spend" and err.value.block_index == 2


def _unchecked_block(state: ChainState, txs: list[Transaction], miner) -> Block:  # type: ignore[no-untyped-def]
    """A mined block with the given transactions, without pre-validating them."""
    height = state.height + 1
    cb = make_coinbase(height, miner.pubkey_hash, state.rules.subsidy(height))
    all_txs = (cb, *txs)
    from chainsim.ledger import BlockHeader

    header = BlockHeader(
        1, state.tip_hash, merkle_root([t.txid for t in all_txs]), T0 + 600 * height, EASY_BITS, 0
    )
    return Block(mine(header).header, all_txs)


def test_undo_of_a_block_with_a_chain_of_spends_inside_it() -> None:
    state, w = funded_state()
    before = (state.snapshot(), dict(state._spent_at), state.tip_hash)
    first = w["alice"].pay(state, w["bob"], 5 * COIN)
    # Bob spends the output he receives in the same block.
    view = ChainState(state.rules, dict(state.utxos))
    view.utxos.update({OutPoint(first.txid, j): o for j, o in enumerate(first.outputs)})
    second = w["bob"].pay(view, w["carol"], 2 * COIN)
    block = next_block(state, [first, second], w["miner"])
    undo = state.apply_block(block)
    assert OutPoint(first.txid, 0) in undo.spent_in_block
    assert OutPoint(first.txid, 0) not in state.utxos
    assert state.balance_sat(w["carol"].pubkey_hash) == 2 * COIN
    assert state.undo_block() is block
    assert (state.snapshot(), dict(state._spent_at), state.tip_hash) == before
    with pytest.raises(LedgerError, match="no block to undo"):
        ChainState().undo_block()


@SLOW_OK
@given(seed=st.integers(min_value=0, max_value=2**32), n_blocks=st.integers(2, 5))
def test_apply_then_undo_restores_state(seed: int, n_blocks: int) -> None:
    blocks = make_chain(n_blocks, seed=seed, bits=EASY_BITS, n_txs_per_block=3)
    state = ChainState()
    history = []
    for b in blocks:
        history.append((state.snapshot(), dict(state._spent_at), state.tip_hash))
        state.apply_block(b)
    for b in reversed(blocks):
        assert state.undo_block() is b
        assert (state.snapshot(), dict(state._spent_at), state.tip_hash) == history.pop()
    assert state.utxos == {} and state.height == -1


@SLOW_OK
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    plan=st.lists(
        st.lists(
            st.tuples(
                st.integers(0, 2),
                st.integers(0, 2),
                st.integers(1, 30 * COIN),
                st.integers(0, 10**6),
            ),
            max_size=4,
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_coins_are_conserved(seed: int, plan: list) -> None:
    state, w = funded_state(seed)
    people = [w["alice"], w["bob"], w["carol"]]
    for block_plan in plan:
        txs: list[Transaction] = []
        pending: set[OutPoint] = set()
        view = ChainState(state.rules, dict(state.utxos))
        for payer_i, payee_i, value, fee in block_plan:
            payer, payee = people[payer_i], people[payee_i]
            try:
                tx = payer.pay(view, payee, value, fee_sat=fee, exclude=pending)
            except LedgerError:
                continue
            pending.update(t.outpoint for t in tx.inputs)
            txs.append(tx)
        fees_before = state.total_value_sat()
        state.apply_block(next_block(state, txs, w["miner"]))
        # Payments move coins; the only new coins are the block subsidy.
        assert state.total_value_sat() == fees_before + state.rules.subsidy(state.height)
        assert state.total_value_sat() == state.issued_sat()
        assert sum(state.balance_sat(x.pubkey_hash) for x in w.values()) == state.issued_sat()


def test_reorganisation_matches_a_fresh_replay() -> None:
    state, w = funded_state()
    common = next_block(state, [w["alice"].pay(state, w["bob"], 3 * COIN)], w["miner"])
    state.apply_block(common)
    fork_point = state.copy()
    a1 = next_block(state, [w["bob"].pay(state, w["carol"], COIN)], w["miner"])
    state.apply_block(a1)
    # A competing branch of two blocks, built on the fork point.
    b1 = next_block(
        fork_point, [w["alice"].pay(fork_point, w["carol"], 7 * COIN)], w["carol"], time=T0 + 1300
    )
    fork_point.apply_block(b1)
    b2 = next_block(fork_point, [], w["bob"], time=T0 + 1900)
    fork_point.apply_block(b2)
    # Reorg: undo a1, apply b1 and b2.
    assert state.undo_block() is a1
    state.apply_block(b1)
    state.apply_block(b2)
    fresh = ChainState()
    for b in state.blocks:
        fresh.apply_block(b)
    assert state.snapshot() == fresh.snapshot() == fork_point.snapshot()
    assert validate_chain(state.blocks).ok


def _rules_of(blocks: list[Block], **kw) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    return validate_chain(blocks, **kw).rules_by_block()


def test_validate_chain_reports_each_header_rule() -> None:
    chain = make_chain(5, seed=4, bits=EASY_BITS)
    # Blocks out of order: links, times, heights and spends all disagree.
    assert _rules_of([chain[0], chain[2], chain[1]]) == {
        1: ["prev-hash-mismatch", "missing-output"],
        2: ["prev-hash-mismatch", "time-too-early", "bad-cb-height"],
    }
    # Merkle root no longer matches: swap in another block's transactions.
    swapped = list(chain)
    swapped[3] = Block(chain[3].header, chain[2].transactions)
    rules = _rules_of(swapped)
    assert "merkle-root-mismatch" in rules[3]
    # Proof of work: a different nonce.
    bad_nonce = list(chain)
    h = chain[4].header
    n = next(n for n in range(1, 10_000) if not h.replace(nonce=h.nonce + n).check_pow())
    bad_nonce[4] = chain[4].replace_header(nonce=h.nonce + n)
    assert _rules_of(bad_nonce) == {4: ["proof-of-work"]}
    # Required bits.
    assert set(_rules_of(chain, rules=ChainRules(required_bits=0x207FFFFF))) == set(range(5))
    # Pow limit: EASY_BITS is easier than mainnet's limit.
    assert _rules_of(chain[:1], rules=ChainRules(pow_limit_bits=0x1D00FFFF)) == {
        0: ["proof-of-work"]
    }
    # Block size.
    assert 0 in _rules_of(chain[:1], rules=ChainRules(max_block_size_bytes=100))


def test_time_must_pass_the_median_of_the_last_eleven() -> None:
    state, w = funded_state()
    for _ in range(3):
        state.apply_block(next_block(state, [], w["miner"]))
    late = next_block(state, [], w["miner"], time=T0 + 600)  # median of T0..T0+1800
    with pytest.raises(BlockValidationError, match="median past time") as err:
        state.apply_block(late)
    assert err.value.rule == "time-too-early"
    state.apply_block(next_block(state, [], w["miner"], time=T0 + 601 + 600))


def test_merkle_mutated_block_is_rejected() -> None:
    state, w = funded_state()
    t1 = w["alice"].pay(state, w["bob"], COIN)
    view = ChainState(state.rules, dict(state.utxos))
    view.utxos.update({OutPoint(t1.txid, j): o for j, o in enumerate(t1.outputs)})
    t2 = w["bob"].pay(view, w["carol"], COIN // 2)
    honest = next_block(state, [t1, t2], w["miner"])
    # CVE-2012-2459: repeating the last transaction keeps the Merkle root (3 -> 4 leaves).
    forged = Block(honest.header, (*honest.transactions, t2))
    assert forged.compute_merkle_root() == honest.header.merkle_root
    report = validate_chain([*state.blocks, forged])
    assert "merkle-mutated" in report.rules_by_block()[1]
    assert "merkle-root-mismatch" not in report.rules_by_block()[1]
    state.apply_block(honest)


def test_coinbase_rules() -> None:
    state, w = funded_state()
    miner = w["miner"]

    def with_coinbase(cb: Transaction, extra: tuple = ()) -> Block:  # type: ignore[type-arg]
        txs = (cb, *extra)
        from chainsim.ledger import BlockHeader

        header = BlockHeader(
            1, state.tip_hash, merkle_root([t.txid for t in txs]), T0 + 600, EASY_BITS, 0
        )
        return Block(mine(header).header, txs)

    cases = {
        "coinbase-too-large": with_coinbase(make_coinbase(1, miner.pubkey_hash, 50 * COIN + 1)),
        "bad-cb-height": with_coinbase(make_coinbase(7, miner.pubkey_hash, COIN)),
        "missing-coinbase": with_coinbase(w["alice"].pay(state, w["bob"], COIN)),
        "misplaced-coinbase": with_coinbase(
            make_coinbase(1, miner.pubkey_hash, COIN), (make_coinbase(1, miner.pubkey_hash, 2),)
        ),
    }
    for rule, block in cases.items():
        with pytest.raises(CoinbaseError) as err:
            state.apply_block(block)
        assert err.value.rule == rule, rule
        assert state.height == 0
    # Taking less than allowed is fine (the rest is never created).
    state.apply_block(with_coinbase(make_coinbase(1, miner.pubkey_hash, COIN)))
    assert state.total_value_sat() == 51 * COIN < state.issued_sat()


def test_chain_rules_validation() -> None:
    with pytest.raises(LedgerError, match="halving_interval_blocks"):
        ChainRules(halving_interval_blocks=0)
    with pytest.raises(LedgerError, match="initial_subsidy_sat"):
        ChainRules(initial_subsidy_sat=-1)
    with pytest.raises(LedgerError, match="pow_limit_bits"):
        ChainRules(pow_limit_bits=-5)


def test_report_views() -> None:
    chain = make_chain(3, seed=5, bits=EASY_BITS)
    from chainsim.ledger import tamper_transaction

    report = validate_chain(tamper_transaction(chain, 1))
    assert not report.ok and report.n_blocks == 3
    assert report.status() == ["ok", "proof-of-work", "prev-hash-mismatch"]
    assert report.first_failure is not None and report.first_failure.block_index == 1
    records = report.to_records()
    assert [r["rule"] for r in records] == ["proof-of-work", "prev-hash-mismatch"]
    assert records[0]["block_hash"] == tamper_transaction(chain, 1)[1].hash_hex()
    assert "2 of 3 blocks broken" in str(report)
    assert str(validate_chain(chain)) == "all 3 blocks valid"
