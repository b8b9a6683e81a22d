"""The transaction workload driven by a network simulation's main chain."""

from __future__ import annotations

import numpy as np
import pytest

import chainsim
from chainsim.config import WorkloadConfig
from chainsim.errors import ConfigError
from chainsim.workload import workload_on_chain


@pytest.fixture(scope="module")
def forky_run():
    # 2 s blocks over a 1 s-delay network: many stale blocks that confirm nothing.
    cfg = chainsim.get_scenario("teaching").override(
        {
            "mining.block_interval_s": 2.0,
            "network.latency_ms": 1000.0,
            "run.n_blocks": 200,
            "mining.block_size_bytes": 25_000,
        }
    )
    return chainsim.simulate(cfg, seed=11)


def test_only_main_chain_blocks_confirm_transactions(forky_run):
    res = forky_run
    run = workload_on_chain(res, WorkloadConfig(tx_rate_per_s=500.0, tx_size_bytes=250))
    main = res.blocks[res.blocks["main_chain"] & (res.blocks["block_id"] != 0)]
    assert len(run.blocks) == len(main) < (res.blocks["block_id"] != 0).sum()
    assert np.allclose([b["t_s"] for b in run.blocks], np.sort(main["t_mined_s"]))
    # Demand (500 tx/s) far above capacity (100 tx per block): blocks are full, the
    # mempool grows, and throughput is capped by main-chain blocks, not mined blocks.
    assert all(b["n_txs"] == 100 for b in run.blocks)
    summary = run.summary()
    assert summary["n_confirmed"] == 100 * len(main)
    assert summary["mempool_n_txs_final"] > 10_000


def test_same_run_same_workload_and_seed_is_recorded(forky_run):
    a = workload_on_chain(forky_run, WorkloadConfig(tx_rate_per_s=5.0)).to_frames()[0]
    b = workload_on_chain(forky_run, WorkloadConfig(tx_rate_per_s=5.0)).to_frames()[0]
    c = workload_on_chain(forky_run, WorkloadConfig(tx_rate_per_s=5.0), seed=99).to_frames()[0]
    assert a.equals(b)
    assert not a.equals(c)


def test_zero_rate_is_a_clear_error(forky_run):
    with pytest.raises(ConfigError, match=r"workload.tx_rate_per_s must be > 0"):
        workload_on_chain(forky_run)
