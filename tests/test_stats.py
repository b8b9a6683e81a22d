"""Confidence intervals: defining properties, coverage and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from chainsim.errors import ConfigError
from chainsim.stats import Estimate, Interval, binomial_ci, mean_ci, proportion_test, ratio_ci


@given(n=st.integers(1, 10_000), data=st.data(), level=st.sampled_from([0.8, 0.95, 0.99]))
def test_wilson_ends_invert_the_score_test(n: int, data: st.DataObject, level: float) -> None:
    k = data.draw(st.integers(0, n))
    low, high = binomial_ci(k, n, level)
    p_hat = k / n
    z = stats.norm.ppf(0.5 + level / 2)
    assert 0.0 <= low <= p_hat <= high <= 1.0
    # Each finite end is a probability whose score statistic equals z exactly.
    for end in (low, high):
        if 0.0 < end < 1.0:
            score = abs(p_hat - end) / math.sqrt(end * (1 - end) / n)
            assert score == pytest.approx(z, rel=1e-6)


def test_wilson_known_values() -> None:
    low, high = binomial_ci(30, 100)
    assert (round(low, 4), round(high, 4)) == (0.2189, 0.3958)
    low, high = binomial_ci(0, 50)
    assert low == 0.0 and high == pytest.approx(3.8415 / (50 + 3.8415), rel=1e-4)
    assert binomial_ci(50, 50).high == 1.0
    assert isinstance(binomial_ci(1, 2), Interval)
    assert binomial_ci(30, 100).contains(0.3) and not binomial_ci(30, 100).contains(0.5)
    # Wider at a higher level.
    assert binomial_ci(30, 100, 0.99).low < binomial_ci(30, 100, 0.9).low


def test_wilson_exact_coverage() -> None:
    # Exact coverage (sum of binomial probabilities of the k whose interval holds p):
    # about 95 % on average over p, never far below (Brown, Cai and DasGupta 2001).
    n = 40
    intervals = [binomial_ci(k, n) for k in range(n + 1)]
    coverage = []
    for p in np.linspace(0.05, 0.95, 91):
        pmf = stats.binom.pmf(np.arange(n + 1), n, p)
        coverage.append(sum(w for w, ci in zip(pmf, intervals, strict=True) if ci.contains(p)))
    assert 0.945 <= float(np.mean(coverage)) <= 0.955
    assert min(coverage) > 0.92


def test_mean_ci_matches_student_t() -> None:
    x = np.array([2.1, 3.4, 1.9, 5.0, 4.2, 3.3])
    est, low, high = mean_ci(x, 0.9)
    ref = stats.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert est == pytest.approx(x.mean())
    assert (low, high) == pytest.approx(ref)
    assert isinstance(mean_ci(x), Estimate)
    assert mean_ci([3.0, 3.0, 3.0]) == (3.0, 3.0, 3.0)


def test_ratio_ci_reduces_to_mean_ci_with_equal_denominators() -> None:
    rng = np.random.default_rng(1)
    x = rng.binomial(100, 0.3, size=20).astype(float)
    y = np.full(20, 100.0)
    assert ratio_ci(x, y) == pytest.approx(mean_ci(x / 100.0))


def test_ratio_ci_coverage() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    reps = 1000
    for _ in range(reps):
        y = rng.poisson(200, size=30).astype(float)
        x = rng.binomial(y.astype(int), 0.4).astype(float)
        hits += ratio_ci(x, y).contains(0.4)
    assert 0.92 <= hits / reps <= 0.975


def test_proportion_test() -> None:
    assert proportion_test(50, 100, 0.5) == 1.0
    assert proportion_test(80, 100, 0.5) < 1e-6
    assert proportion_test(3, 10, 0.3) > 0.5


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: binomial_ci(5, 3), "k must be an integer in [0, n=3], got 5"),
        (lambda: binomial_ci(-1, 3), "k must be an integer in [0, n=3], got -1"),
        (lambda: binomial_ci(1, 0), "n must be an integer >= 1, got 0"),
        (lambda: binomial_ci(1, 3, level=1.0), "level must be in (0, 1), got 1.0"),
        (lambda: mean_ci([1.0]), "at least 2 numbers, got 1"),
        (lambda: mean_ci([1.0, math.nan]), "must all be finite"),
        (lambda: ratio_ci([1, 2], [1]), "same length, got 2 and 1"),
        (lambda: ratio_ci([1, 2], [0, 0]), "denominators must sum to > 0"),
        (lambda: proportion_test(1, 2, 1.5), "p0 must be in [0, 1], got 1.5"),
    ],
)
def test_bad_input(call: object, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        call()  # type: ignore[operator]
    assert message in str(info.value)
