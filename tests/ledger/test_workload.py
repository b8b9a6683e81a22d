"""Transaction workload: arrivals, fee rates, the mempool and its metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from chainsim.config import WorkloadConfig
from chainsim.errors import ConfigError
from chainsim.rng import RandomStreams
from chainsim.workload import (
    Mempool,
    block_times,
    confirmation_times,
    generate_arrivals,
    simulate_workload,
    throughput_tx_per_s,
)

CFG = WorkloadConfig(tx_rate_per_s=3.0, tx_size_bytes=250, fee_rate_median_sat_per_byte=12.0)


def test_arrivals_are_poisson_with_lognormal_fee_rates() -> None:
    arr = generate_arrivals(CFG, 20_000.0, seed=7)
    n = len(arr)
    assert abs(n - 60_000) < 4 * math.sqrt(60_000)
    gaps = np.diff(arr.t_arrival_s)
    # Exponential gaps of mean 1/3 s (Kolmogorov-Smirnov at the 0.1 % level).
    assert stats.kstest(gaps, "expon", args=(0, 1 / 3.0)).pvalue > 1e-3
    logs = np.log(arr.fee_rate_sat_per_byte)
    assert abs(np.median(arr.fee_rate_sat_per_byte) / 12.0 - 1) < 0.03
    assert abs(logs.std() - CFG.fee_rate_sigma) < 0.02
    assert np.all(arr.size_bytes == 250)
    assert np.array_equal(arr.fee_sat, np.rint(arr.fee_rate_sat_per_byte * 250).astype(np.int64))
    assert list(arr.arrived_between(0.0, float(arr.t_arrival_s[9]))) == list(range(10))


def test_arrivals_are_seeded() -> None:
    a = generate_arrivals(CFG, 100.0, seed=1)
    b = generate_arrivals(CFG, 100.0, seed=1)
    c = generate_arrivals(CFG, 100.0, rng=RandomStreams(1)["workload"])
    d = generate_arrivals(CFG, 100.0, rng=RandomStreams(1)["workload"])
    assert np.array_equal(a.t_arrival_s, b.t_arrival_s)
    assert np.array_equal(c.fee_rate_sat_per_byte, d.fee_rate_sat_per_byte)
    assert not np.array_equal(
        a.t_arrival_s[:5], generate_arrivals(CFG, 100.0, seed=2).t_arrival_s[:5]
    )
    assert len(generate_arrivals(WorkloadConfig(), 1e6, seed=1)) == 0
    free = generate_arrivals(
        WorkloadConfig(tx_rate_per_s=1, fee_rate_median_sat_per_byte=0), 50, seed=1
    )
    assert np.all(free.fee_rate_sat_per_byte == 0)


def test_bad_arguments_name_the_parameter() -> None:
    with pytest.raises(ConfigError, match="duration_s must be finite and >= 0, got -1"):
        generate_arrivals(CFG, -1.0)
    with pytest.raises(ConfigError, match="config must be a WorkloadConfig"):
        generate_arrivals({"tx_rate_per_s": 1}, 10.0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="rng must be a numpy Generator"):
        generate_arrivals(CFG, 10.0, rng=np.random.RandomState(0))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="block_interval_s must be finite and > 0"):
        block_times(0.0, 100.0)
    with pytest.raises(ConfigError, match="block_size_bytes must be >= 0"):
        simulate_workload(CFG, block_size_bytes=-1, block_interval_s=600, duration_s=10)
    with pytest.raises(ConfigError, match="block_times_s must be a sorted"):
        simulate_workload(
            CFG, block_size_bytes=1000, block_interval_s=600, duration_s=10, block_times_s=[5, 1]
        )
    with pytest.raises(ConfigError, match="duration_s must be"):
        throughput_tx_per_s(5, 0.0)


def test_mempool_orders_by_fee_rate_then_arrival() -> None:
    pool = Mempool()
    pool.add([0, 1, 2, 3], fee_rates=[10.0, 30.0, 10.0, 30.0], sizes=[100, 100, 100, 100])
    assert pool.fill_block(300).tx_ids == (1, 3, 0)
    assert len(pool) == 1 and 2 in pool and pool.size_bytes == 100


def test_mempool_skips_what_does_not_fit() -> None:
    pool = Mempool()
    pool.add([0, 1, 2], fee_rates=[50.0, 40.0, 30.0], sizes=[300, 900, 200])
    fill = pool.fill_block(600)
    assert fill.tx_ids == (0, 2) and fill.size_bytes == 500
    assert fill.fees_sat == pytest.approx(50 * 300 + 30 * 200)
    # A template that is not removed leaves the pool as it was.
    preview = pool.fill_block(10_000, remove=False)
    assert preview.tx_ids == (1,) and len(pool) == 1
    pool.remove([1, 99])
    assert len(pool) == 0 and pool.size_bytes == 0 and pool.fill_block(1000).tx_ids == ()


def test_mempool_rejects_bad_entries() -> None:
    pool = Mempool()
    pool.add([1], fee_rates=[1.0], sizes=[10])
    with pytest.raises(ConfigError, match="already in the mempool"):
        pool.add([1], fee_rates=[1.0], sizes=[10])
    with pytest.raises(ConfigError, match="size must be > 0"):
        pool.add([2], fee_rates=[1.0], sizes=[0])
    with pytest.raises(ConfigError, match="max_size_bytes"):
        pool.fill_block(-1)


@given(
    st.lists(
        st.tuples(st.floats(0, 1000, allow_nan=False), st.integers(1, 500)),
        max_size=60,
    ),
    st.integers(0, 5000),
    st.lists(st.integers(0, 59), max_size=10),
)
def test_fill_block_is_greedy_by_fee_rate_within_the_limit(
    entries: list[tuple[float, int]], limit: int, removed: list[int]
) -> None:
    pool = Mempool()
    pool.add(range(len(entries)), fee_rates=[e[0] for e in entries], sizes=[e[1] for e in entries])
    pool.remove(removed)
    waiting = [i for i in range(len(entries)) if i not in set(removed)]
    n_before = len(pool)
    fill = pool.fill_block(limit)
    chosen = set(fill.tx_ids)
    assert fill.size_bytes == sum(entries[i][1] for i in chosen) <= limit
    assert chosen <= set(waiting) and len(pool) == n_before - len(chosen)
    room = limit - fill.size_bytes
    rates = [entries[i][0] for i in fill.tx_ids]
    assert rates == sorted(rates, reverse=True)
    for i in waiting:
        if i not in chosen:
            # Left out only if it did not fit when its turn came: in particular it
            # cannot fit in the room that is left now.
            assert entries[i][1] > room


def test_throughput_saturates_at_block_capacity() -> None:
    cfg = WorkloadConfig(tx_rate_per_s=2.0, tx_size_bytes=250)
    under = simulate_workload(
        cfg, block_size_bytes=1_000_000, block_interval_s=600.0, duration_s=60_000.0, seed=3
    )
    over = simulate_workload(
        cfg, block_size_bytes=125_000, block_interval_s=600.0, duration_s=60_000.0, seed=3
    )
    su, so = under.summary(), over.summary()
    # Same seed: same transactions and block times (separate streams).
    assert su["n_arrived"] == so["n_arrived"] and su["n_blocks"] == so["n_blocks"]
    assert su["throughput_tx_per_s"] == pytest.approx(2.0, rel=0.05)
    capacity = 500 * so["n_blocks"] / 60_000.0
    assert so["throughput_tx_per_s"] == pytest.approx(capacity, rel=1e-9)
    assert so["mempool_n_txs_final"] > 50_000 and su["mempool_n_txs_final"] < 3_000
    assert so["confirmation_time_median_s"] > su["confirmation_time_median_s"]
    # Under capacity every transaction goes into the first block after it arrives,
    # so waits are exponential-ish with mean about one block interval.
    assert 400 < su["confirmation_time_mean_s"] < 800
    # Congested: higher fee rates wait less.
    txs, blocks = over.to_frames()
    done = txs.dropna(subset=["t_confirmed_s"])
    rho = stats.spearmanr(done["fee_rate_sat_per_byte"], done["confirmation_time_s"])[0]
    assert rho < -0.3
    assert blocks["n_txs"].max() == 500 and (blocks["size_bytes"] <= 125_000).all()
    assert so["fees_paid_sat"] == pytest.approx(blocks["fees_sat"].sum(), rel=1e-6)


def test_given_block_times_and_confirmation_bookkeeping() -> None:
    run = simulate_workload(
        CFG,
        block_size_bytes=10**6,
        block_interval_s=600.0,
        duration_s=1000.0,
        seed=4,
        block_times_s=[100.0, 500.0, 900.0],
    )
    t_arr, t_conf = run.arrivals.t_arrival_s, run.t_confirmed_s
    for b, t in enumerate([100.0, 500.0, 900.0]):
        in_block = run.block_index == b
        assert np.all(t_conf[in_block] == t)
        prev = [-np.inf, 100.0, 500.0][b]
        assert np.all((t_arr[in_block] > prev) & (t_arr[in_block] <= t))
    assert np.all(np.isnan(t_conf[t_arr > 900.0]))
    waits = run.confirmation_times()
    assert waits.size == int((t_arr <= 900.0).sum()) and np.all(waits >= 0)
    assert [r["block_index"] for r in run.blocks] == [0, 1, 2]


def test_metric_helpers() -> None:
    assert throughput_tx_per_s(0, 10.0) == 0.0
    waits = confirmation_times(np.array([1.0, 2.0]), np.array([np.nan, np.nan]))
    assert waits.size == 0
    empty = simulate_workload(
        WorkloadConfig(),
        block_size_bytes=1000,
        block_interval_s=600,
        duration_s=100,
        seed=1,
        block_times_s=[],
    ).summary()
    assert empty["n_arrived"] == 0 and math.isnan(empty["confirmation_time_median_s"])
