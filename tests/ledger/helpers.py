"""Small builders shared by the ledger tests."""

from __future__ import annotations

from chainsim.ledger import (
    EASY_BITS,
    Block,
    ChainRules,
    ChainState,
    Transaction,
    Wallet,
    new_block,
)

SEED = 20261128
T0 = 1_700_000_000


def wallets(seed: int = SEED) -> dict[str, Wallet]:
    return {n: Wallet.from_seed(n, seed) for n in ("alice", "bob", "carol", "miner")}


def funded_state(seed: int = SEED, rules: ChainRules | None = None) -> tuple[ChainState, dict]:
    """A chain state whose genesis reward (50 BTC) belongs to alice."""
    w = wallets(seed)
    state = ChainState(rules or ChainRules())
    state.apply_block(new_block(state, [], miner=w["alice"], time=T0, bits=EASY_BITS))
    return state, w


def next_block(state: ChainState, txs: list[Transaction], miner: Wallet, **kw) -> Block:  # type: ignore[no-untyped-def]
    kw.setdefault("time", T0 + 600 * (state.height + 1))
    kw.setdefault("bits", EASY_BITS)
    return new_block(state, txs, miner=miner, **kw)
