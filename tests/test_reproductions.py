"""Reproductions of published results: data, tiny runs, statements that match the tables."""

from __future__ import annotations

import concurrent.futures as cf
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from chainsim import analysis
from chainsim import reproductions as rp
from chainsim.errors import ConfigError

TINY: dict[str, Any] = {"n_nodes": 40, "n_blocks": 10, "scale": 0.1, "seed": 3}


def test_published_data_as_in_the_sources() -> None:
    by_interval = rp.BITCOIN_SIMULATOR_BY_INTERVAL
    assert by_interval["block_interval_s"].tolist() == [600.0, 60.0, 10.0, 1.0]
    assert by_interval["stale_rate"].tolist() == [0.0151, 0.0215, 0.0477, 0.2674]
    by_size = rp.BITCOIN_SIMULATOR_BY_SIZE
    assert by_size["median_propagation_s"].tolist() == [3.18, 13.62, 27.67, 57.79]
    assert rp.DECKER_WATTENHOFER_PERCENTILES["delay_s"].tolist() == [3.3, 6.4, 13.5, 25.0, 100.5]
    for table in (by_interval, by_size, rp.NAKAMOTO_TABLE, rp.DECKER_WATTENHOFER_PERCENTILES):
        assert set(table["source"]) <= set(rp.SOURCES)


def test_nakamoto_formula_reproduces_the_whitepaper_table() -> None:
    t = rp.NAKAMOTO_TABLE
    for q, z, p in zip(t["q"], t["z"], t["probability"], strict=True):
        computed = analysis.nakamoto_attack_probability(float(q), int(z))
        assert abs(computed - float(p)) < 6e-8, (q, z)


def test_double_spend_exact_inside_nakamoto_outside() -> None:
    rep = rp.double_spend_vs_confirmations(q=(0.3,), z=(1, 2, 6), scale=0.5, seed=4)
    t = rep.table
    assert list(t.columns[:6]) == ["q", "z", "published", "nakamoto", "exact", "simulated"]
    assert t["n_trials"].tolist() == [50_000] * 3
    assert t["exact_in_ci"].all()
    assert not t["nakamoto_in_ci"].any()  # 0.628 vs 0.600, 0.446 vs 0.432, 0.132 vs 0.156
    assert np.isnan(t["published"]).all()  # the whitepaper gives q = 0.3 at z = 0, 5, 10
    assert "at 3 of 3 points; Nakamoto's Poisson approximation at 0" in rep.statement
    again = rp.double_spend_vs_confirmations(q=(0.3,), z=(1, 2, 6), scale=0.5, seed=4)
    pd.testing.assert_frame_equal(again.table, t)


def test_selfish_mining_curve() -> None:
    rep = rp.selfish_mining_revenue(
        alphas=(0.0, 0.2, 0.3, 0.4), gammas=(0.0, 1.0), scale=0.25, seed=2
    )
    t = rep.table
    assert len(t) == 8
    assert t["theory"].tolist() == pytest.approx(
        [analysis.selfish_mining_revenue(a, g) for g in (0.0, 1.0) for a in (0.0, 0.2, 0.3, 0.4)]
    )
    # Profitable above (1 - gamma) / (3 - 2 gamma): 1/3 at gamma 0, 0 at gamma 1.
    assert t["profitable_theory"].tolist() == [False, False, False, True, False, True, True, True]
    assert t["threshold"].iloc[:4].tolist() == pytest.approx([1 / 3] * 4)
    assert ((t["simulated"] - t["theory"]).abs() < 0.02).all()
    k = int(t["in_ci"].sum())
    assert f"at {k} of 8 points" in rep.statement
    assert rep.settings["n_blocks_per_race"] == 50_000


def test_stale_rate_vs_interval_tiny() -> None:
    rep = rp.stale_rate_vs_interval(**TINY)
    t = rep.table
    assert t["block_interval_s"].tolist() == [600.0, 60.0, 10.0, 1.0]
    assert t["block_size_bytes"].tolist() == [534_800, 53_480, 8_913, 891]
    assert (t["n_blocks"] == 2 * 5).all()  # 2 replications x 5 blocks (the minimum)
    assert t["sim_stale_rate"].tolist() == (t["n_stale"] / t["n_blocks"]).tolist()
    assert (t["sim_stale_ci_low"] <= t["sim_stale_rate"]).all()
    assert (t["sim_stale_rate"] <= t["sim_stale_ci_high"]).all()
    assert t["propagation_ratio"].tolist() == pytest.approx(
        (t["sim_t50_s"] / t["published_median_propagation_s"]).tolist()
    )
    assert ((t["dw_stale_rate"] >= 0) & (t["dw_stale_rate"] < 1)).all()
    assert t["dw_stale_rate"].iloc[3] > t["dw_stale_rate"].iloc[0]
    ratios = re.search(r"figure and the simulated stale rate ([\d.]+)x to ([\d.]+)x", rep.statement)
    assert ratios is not None
    assert float(ratios.group(2)) == pytest.approx(t["stale_ratio"].max(), abs=0.006)
    fixed = rp.stale_rate_vs_interval(**TINY, constant_throughput=False)
    assert (fixed.table["block_size_bytes"] == 534_800).all()


def test_stale_rate_vs_block_size_same_on_a_process_pool() -> None:
    rep = rp.stale_rate_vs_block_size(**TINY)
    t = rep.table
    assert t["block_size_bytes"].tolist() == [100_000, 500_000, 1_000_000, 2_000_000]
    assert "block_size_bytes" not in t.columns[1:]
    assert t["sim_t50_s"].is_monotonic_increasing  # bigger blocks travel slower
    with cf.ProcessPoolExecutor(2) as pool:
        pooled = rp.stale_rate_vs_block_size(**TINY, executor=pool)
    pd.testing.assert_frame_equal(pooled.table, t)
    assert rep.statement == pooled.statement
    assert rp.SOURCES["gervais2016"] in rep.sources


def test_propagation_percentiles_tiny() -> None:
    rep = rp.propagation_percentiles(n_nodes=80, n_blocks=6, scale=0.1, seed=5)
    t = rep.table
    assert t["quantity"].tolist() == ["p50", "p75", "p90", "p95", "p99", "median", "mean"]
    assert t["measured_s"].tolist() == [3.3, 6.4, 13.5, 25.0, 100.5, 6.5, 12.6]
    assert t["simulated_s"].iloc[:5].is_monotonic_increasing
    assert t["simulated_s"].iloc[0] == t["simulated_s"].iloc[5]  # p50 is the median
    assert t["ratio"].tolist() == pytest.approx((t["simulated_s"] / t["measured_s"]).tolist())
    assert f"{t['ratio'].iloc[0]:.2f}x the 2014 measurement" in rep.statement
    assert rep.settings["replications"] == 2


def test_bad_scale_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="scale must be a number > 0, got 0"):
        rp.double_spend_vs_confirmations(scale=0)
    with pytest.raises(ConfigError, match="scale must be finite"):
        rp.selfish_mining_revenue(scale=float("inf"))


def test_reproduction_prints_title_table_and_statement() -> None:
    rep = rp.double_spend_vs_confirmations(q=(0.1,), z=(1,), scale=0.01, seed=1)
    text = str(rep)
    assert text.startswith(rep.title)
    assert "nakamoto" in text and text.endswith(rep.statement)
