"""Closed forms: published tables, independent re-derivations and bad input."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from chainsim.analysis import (
    decker_wattenhofer_stale_rate,
    double_spend_probability,
    double_spend_probability_beta,
    longest_chain_attack_threshold,
    longest_chain_growth_rate,
    nakamoto_attack_probability,
    pbft_quorums,
    raft_majority,
    selfish_mining_revenue,
    selfish_mining_threshold,
    stale_rate_estimate,
)
from chainsim.errors import ChainSimError, ConfigError

# Nakamoto (2008), section 11, as listed in FACTS.md.
WHITEPAPER_Q01 = [
    1.0000000,
    0.2045873,
    0.0509779,
    0.0131722,
    0.0034552,
    0.0009137,
    0.0002428,
    0.0000647,
    0.0000173,
    0.0000046,
    0.0000012,
]
WHITEPAPER_Q03 = [
    1.0000000,
    0.1773523,
    0.0416605,
    0.0101008,
    0.0024804,
    0.0006132,
    0.0001522,
    0.0000379,
    0.0000095,
    0.0000024,
    0.0000006,
]


@pytest.mark.parametrize(
    ("q", "z", "expected"),
    [(0.1, z, v) for z, v in enumerate(WHITEPAPER_Q01)]
    + [(0.3, 5 * i, v) for i, v in enumerate(WHITEPAPER_Q03)],
)
def test_nakamoto_reproduces_whitepaper_table(q: float, z: int, expected: float) -> None:
    assert round(nakamoto_attack_probability(q, z), 7) == expected


def test_nakamoto_edges() -> None:
    assert nakamoto_attack_probability(0.0, 3) == 0.0
    assert nakamoto_attack_probability(0.5, 3) == 1.0
    assert nakamoto_attack_probability(0.7, 3) == 1.0
    assert nakamoto_attack_probability(0.2, 0) == 1.0


def _rosenfeld_by_conditioning(q: float, z: int) -> float:
    """Independent derivation: negative-binomial attacker count x gambler's ruin."""
    p = 1.0 - q
    m = np.arange(0, 4000)
    pmf = stats.nbinom.pmf(m, z, p)  # attacker blocks before the z-th honest block
    catch_up = np.where(m >= z, 1.0, (q / p) ** np.maximum(z - m, 0))
    return float(np.sum(pmf * catch_up))


@pytest.mark.parametrize("q", [0.01, 0.1, 0.25, 0.3, 0.4, 0.45, 0.49])
@pytest.mark.parametrize("z", [1, 2, 3, 6, 10, 24, 60])
def test_rosenfeld_equals_beta_form_and_conditioning(q: float, z: int) -> None:
    exact = double_spend_probability(q, z)
    assert exact == pytest.approx(double_spend_probability_beta(q, z), rel=1e-9, abs=1e-15)
    assert exact == pytest.approx(_rosenfeld_by_conditioning(q, z), rel=1e-8, abs=1e-15)


@given(q=st.floats(0.0, 1.0), z=st.integers(0, 200))
def test_double_spend_forms_agree_everywhere(q: float, z: int) -> None:
    a = double_spend_probability(q, z)
    b = double_spend_probability_beta(q, z)
    assert 0.0 <= a <= 1.0
    assert a == pytest.approx(b, rel=1e-7, abs=1e-12)


def test_double_spend_known_values_and_shape() -> None:
    for q in (0.05, 0.1, 0.3, 0.45):
        assert double_spend_probability(q, 1) == pytest.approx(2 * q)  # r(q, 1) = 2q
    assert double_spend_probability(0.0, 5) == 0.0
    assert double_spend_probability(0.5, 50) == 1.0
    assert double_spend_probability(0.6, 50) == 1.0
    assert double_spend_probability(0.3, 0) == 1.0
    values = [double_spend_probability(0.3, z) for z in range(1, 40)]
    assert all(a > b for a, b in itertools.pairwise(values))


def test_rosenfeld_differs_from_nakamoto() -> None:
    # Nakamoto's Poisson step underestimates the risk for many confirmations
    # and overestimates it for few.
    assert double_spend_probability(0.1, 10) > 5 * nakamoto_attack_probability(0.1, 10)
    assert double_spend_probability(0.3, 10) > 1.5 * nakamoto_attack_probability(0.3, 10)
    assert double_spend_probability(0.45, 2) < nakamoto_attack_probability(0.45, 2) - 0.02


GAMMAS = [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("gamma", GAMMAS)
def test_selfish_revenue_breaks_even_at_threshold(gamma: float) -> None:
    t = selfish_mining_threshold(gamma)
    if t > 0:
        assert selfish_mining_revenue(t, gamma) == pytest.approx(t, abs=1e-12)
    for alpha in np.linspace(0.01, 0.49, 49):
        gain = selfish_mining_revenue(float(alpha), gamma) - alpha
        if alpha < t - 1e-9:
            assert gain < 0
        elif alpha > t + 1e-9:
            assert gain > 0


def test_selfish_threshold_values() -> None:
    assert selfish_mining_threshold(0.0) == pytest.approx(1 / 3)
    assert selfish_mining_threshold(0.5) == 0.25
    assert selfish_mining_threshold(1.0) == 0.0


def test_selfish_revenue_edges_and_monotonicity() -> None:
    assert selfish_mining_revenue(0.0, 0.7) == 0.0
    assert selfish_mining_revenue(0.5, 0.0) == 1.0
    assert selfish_mining_revenue(0.8, 0.3) == 1.0
    # Just below one half the formula approaches 1 continuously.
    assert 0.998 < selfish_mining_revenue(0.4999, 0.0) < 1.0
    for alpha in (0.1, 0.3, 0.45):
        revs = [selfish_mining_revenue(alpha, g) for g in GAMMAS]
        assert revs == sorted(revs)


def test_stale_rate_estimate() -> None:
    assert stale_rate_estimate(10.0, 600.0) == pytest.approx(1 - math.exp(-1 / 60))
    assert stale_rate_estimate(0.0, 1.0) == 0.0
    assert stale_rate_estimate(1e-9, 600.0) == pytest.approx(1e-9 / 600, rel=1e-6)
    assert stale_rate_estimate(600.0, 600.0) == pytest.approx(1 - math.exp(-1))


def test_decker_wattenhofer_curves() -> None:
    t_interval = 600.0
    step = decker_wattenhofer_stale_rate([0.0, 10.0, 10.0, 20.0], [0, 0, 1, 1], t_interval)
    assert step == pytest.approx(stale_rate_estimate(10.0, t_interval), rel=1e-12)
    # A linear ramp to full knowledge at D leaves D/2 uninformed-seconds.
    ramp = decker_wattenhofer_stale_rate(np.linspace(0, 10, 101), np.linspace(0, 1, 101), 600)
    assert ramp == pytest.approx(1 - math.exp(-5.0 / 600), rel=1e-12)
    # The curve starting late: 4 s with nobody informed before the first sample.
    late = decker_wattenhofer_stale_rate([4.0, 4.0], [0.0, 1.0], 60.0)
    assert late == pytest.approx(stale_rate_estimate(4.0, 60.0))
    assert decker_wattenhofer_stale_rate([0.0], [1.0], 60.0) == 0.0


def test_longest_chain_growth_and_threshold() -> None:
    assert longest_chain_growth_rate(2.0, 0.0) == 2.0
    assert longest_chain_growth_rate(1 / 600, 10.0) == pytest.approx(1 / 610)
    assert longest_chain_attack_threshold(1.0, 0.0) == 0.5
    for lam, d in [(1 / 600, 10.0), (1.0, 0.5), (1.0, 2.0), (10.0, 5.0)]:
        q = longest_chain_attack_threshold(lam, d)
        # At the threshold the attacker's private rate equals the honest growth rate.
        assert q * lam == pytest.approx(longest_chain_growth_rate((1 - q) * lam, d), rel=1e-12)
        assert 0 < q < 0.5
    qs = [longest_chain_attack_threshold(1.0, d) for d in (0.01, 0.1, 1.0, 10.0, 100.0)]
    assert qs == sorted(qs, reverse=True)
    assert longest_chain_attack_threshold(1.0, 1000.0) == pytest.approx(1 / 1000, rel=1e-2)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 10, 31, 64, 100])
def test_pbft_quorums_intersect(n: int) -> None:
    qu = pbft_quorums(n)
    assert qu.n == n and 3 * qu.f + 1 <= n < 3 * qu.f + 4
    assert (qu.prepare, qu.commit, qu.reply) == (2 * qu.f, 2 * qu.f + 1, qu.f + 1)
    if n == 3 * qu.f + 1:
        # Two commit quorums share at least f + 1 replicas, so one honest replica.
        assert 2 * qu.commit - n >= qu.f + 1


def test_pbft_table() -> None:
    assert tuple(pbft_quorums(4)) == (4, 1, 2, 3, 2)
    assert tuple(pbft_quorums(7)) == (7, 2, 4, 5, 3)
    assert tuple(pbft_quorums(64)) == (64, 21, 42, 43, 22)


@pytest.mark.parametrize("n", range(1, 12))
def test_raft_majorities_intersect(n: int) -> None:
    m = raft_majority(n)
    assert 2 * m > n >= 2 * (m - 1)
    assert n - m == (n - 1) // 2  # crashes tolerated


BAD_INPUTS = [
    (nakamoto_attack_probability, (1.5, 3), "q must be in [0, 1], got 1.5"),
    (nakamoto_attack_probability, (-0.1, 3), "q must be in [0, 1], got -0.1"),
    (nakamoto_attack_probability, (float("nan"), 3), "q must be in [0, 1], got nan"),
    (nakamoto_attack_probability, ("0.3", 3), "q must be a number in [0, 1], got '0.3'"),
    (nakamoto_attack_probability, (0.3, -1), "z must be a non-negative integer, got -1"),
    (double_spend_probability, (0.3, -1), "z must be a non-negative integer, got -1"),
    (double_spend_probability, (0.3, 2.5), "z must be a non-negative integer, got 2.5"),
    (double_spend_probability, (0.3, True), "z must be a non-negative integer, got True"),
    (double_spend_probability, (2, 3), "q must be in [0, 1], got 2"),
    (double_spend_probability_beta, (0.3, -2), "z must be a non-negative integer, got -2"),
    (selfish_mining_revenue, (1.2, 0.5), "alpha must be in [0, 1], got 1.2"),
    (selfish_mining_revenue, (0.3, -0.5), "gamma must be in [0, 1], got -0.5"),
    (selfish_mining_threshold, (2.0,), "gamma must be in [0, 1], got 2.0"),
    (stale_rate_estimate, (-1.0, 600.0), "delay_s must be a finite number >= 0, got -1.0"),
    (stale_rate_estimate, (1.0, 0.0), "block_interval_s must be a finite number > 0, got 0.0"),
    (stale_rate_estimate, (1.0, math.inf), "block_interval_s must be a finite number > 0"),
    (longest_chain_growth_rate, (0.0, 1.0), "block_rate_per_s must be a finite number > 0"),
    (longest_chain_attack_threshold, (1.0, -1.0), "delay_s must be a finite number >= 0"),
    (pbft_quorums, (0,), "n must be an integer >= 1, got 0"),
    (raft_majority, (3.0,), "n must be an integer >= 1, got 3.0"),
    (decker_wattenhofer_stale_rate, ([0, 1], [0], 600.0), "same length as times_s"),
    (decker_wattenhofer_stale_rate, ([1, 0], [0, 1], 600.0), "non-decreasing"),
    (decker_wattenhofer_stale_rate, ([0, 1], [0, 1.5], 600.0), "in [0, 1], got 1.5"),
    (decker_wattenhofer_stale_rate, ([], [], 600.0), "non-empty"),
]


@pytest.mark.parametrize(("func", "args", "message"), BAD_INPUTS)
def test_bad_input_raises_config_error(
    func: Callable[..., object], args: tuple[object, ...], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        func(*args)
    assert message in str(info.value)
    assert isinstance(info.value, ChainSimError)
