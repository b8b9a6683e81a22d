"""Ledger benchmarks: block validation, Merkle roots and the nonce-search hash rate.

Run with ``python benchmarks/bench_ledger.py``. Targets (issue 3): validate a block of
2,000 signed transactions in under 2 s; Merkle root of 10,000 txids in under 0.1 s;
report the nonce-search hash rate (bounded by hashlib's SHA-256).
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np

from chainsim.ledger import (
    EASY_BITS,
    POW_LIMIT_BITS,
    BlockHeader,
    ChainState,
    Transaction,
    TxIn,
    TxOut,
    Wallet,
    merkle_root,
    mine,
    new_block,
    sign_transaction,
)

T0 = 1_700_000_000


def _best_of(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def block_of_signed_transactions(n_txs: int = 2_000, n_wallets: int = 50):  # type: ignore[no-untyped-def]
    """A chain state and a mined block of ``n_txs`` signed one-input payments."""
    wallets = [Wallet.from_seed(f"w{i}", 1) for i in range(n_wallets)]
    miner = Wallet.from_seed("miner", 1)
    state = ChainState()
    state.apply_block(new_block(state, [], miner=wallets[0], time=T0, bits=EASY_BITS))
    # Fan the genesis reward out into n_txs coins, one per future payment.
    (op, coin), *_ = state.utxos_of(wallets[0].pubkey_hash)
    value = (coin.value_sat - 10_000) // n_txs
    fan = Transaction(
        (TxIn(op.txid, op.index),),
        tuple(TxOut(value, wallets[i % n_wallets].pubkey_hash) for i in range(n_txs)),
    )
    fan = sign_transaction(fan, [wallets[0].key], state.utxos)
    state.apply_block(new_block(state, [fan], miner=miner, time=T0 + 600, bits=EASY_BITS))
    keys = {w.pubkey_hash: w.key for w in wallets}
    txs = []
    for j, out in enumerate(fan.outputs):
        to = wallets[(j + 1) % n_wallets].pubkey_hash
        tx = Transaction(
            (TxIn(fan.txid, j),),
            (TxOut(value // 2, to), TxOut(value - value // 2 - 500, out.pubkey_hash)),
        )
        txs.append(sign_transaction(tx, keys, {tx.inputs[0].outpoint: out}))
    block = new_block(state, txs, miner=miner, time=T0 + 1200, bits=EASY_BITS)
    return state, block


def main() -> None:
    print(
        f"chainsim ledger benchmarks on {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    )

    # 1. Validate a block of 2,000 signed transactions (header, Merkle root, every
    #    input's existence, value and signature, coinbase), then apply it.
    t = time.perf_counter()
    state, block = block_of_signed_transactions(2_000)
    build_s = time.perf_counter() - t
    n_txs = len(block.transactions)
    size_kb = block.size_bytes / 1000
    # Transactions arrive fresh (as parsed from the network): no cached bytes or txids.
    raw = block.serialize()

    def validate() -> None:
        from chainsim.ledger import Block

        fresh = Block.from_bytes(raw)
        state.copy().apply_block(fresh)

    def parse() -> None:
        from chainsim.ledger import Block

        Block.from_bytes(raw)

    v = _best_of(validate, 3)
    p = _best_of(parse, 3)
    print(f"\n[1] validate a block of {n_txs:,} transactions ({size_kb:,.0f} kB), target < 2 s")
    print(
        f"    parse + full validation + apply: {v:.3f} s "
        f"({v / n_txs * 1e6:.0f} us per tx); of which parsing {p:.3f} s"
    )
    print(f"    (building and signing the block took {build_s:.2f} s)")

    # 2. Merkle root of 10,000 txids.
    rng = np.random.default_rng(0)
    txids = [rng.bytes(32).hex() for _ in range(10_000)]
    m = _best_of(lambda: merkle_root(txids), 7)
    print(f"\n[2] Merkle root of {len(txids):,} txids, target < 0.1 s: {m * 1000:.1f} ms")

    # 3. Nonce search hash rate at an impossible target (so it never stops early).
    header = BlockHeader(1, "00" * 32, "11" * 32, T0, POW_LIMIT_BITS, 0)
    rates = [mine(header, max_hashes=500_000).hash_rate for _ in range(3)]
    print(
        f"\n[3] nonce search: {statistics.median(rates) / 1e6:.2f} MH/s "
        f"(median of 3 runs of 500,000 double SHA-256 hashes, one core)"
    )
    teach = header.replace(bits=0x1F00FFFF)
    results = [mine(teach.replace(time=T0 + i)) for i in range(20)]
    mean_hashes = statistics.mean(r.hashes_tried for r in results)
    mean_s = statistics.mean(r.elapsed_s for r in results)
    print(
        f"    teaching difficulty 0x1f00ffff: mean {mean_hashes:,.0f} hashes "
        f"(expected 65,537), {mean_s * 1000:.0f} ms per block over 20 blocks"
    )


if __name__ == "__main__":
    main()
