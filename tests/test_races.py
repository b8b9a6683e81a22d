"""Monte-Carlo races against the closed forms (seeded, so deterministic).

Tolerances are confidence intervals: the theory value must lie in the simulated
interval (95 % where a single point is checked, 99 % on grids of many points so that
a seed change rarely trips a correct model), and a value the model should reject
must lie far outside it.
"""

from __future__ import annotations

import numpy as np
import pytest

from chainsim.analysis import (
    double_spend_probability,
    nakamoto_attack_probability,
    selfish_mining_revenue,
    selfish_mining_threshold,
)
from chainsim.attacks import simulate_double_spend, simulate_selfish_mining
from chainsim.errors import ConfigError
from chainsim.stats import binomial_ci, proportion_test

SEED = 20261128


@pytest.mark.parametrize(
    ("q", "z"), [(0.1, 1), (0.1, 3), (0.2, 2), (0.3, 1), (0.3, 4), (0.4, 3), (0.45, 6)]
)
def test_double_spend_matches_rosenfeld(q: float, z: int) -> None:
    race = simulate_double_spend(q, z, 100_000, seed=SEED, level=0.99)
    exact = double_spend_probability(q, z)
    assert race.ci_low <= exact <= race.ci_high
    assert race.n_trials == 100_000 and race.estimate == race.successes / race.n_trials


@pytest.mark.parametrize(("q", "z"), [(0.3, 10), (0.45, 2)])
def test_double_spend_rejects_nakamoto_approximation(q: float, z: int) -> None:
    # q=0.3, z=10: exact 0.0651, Nakamoto 0.0417; q=0.45, z=2: exact 0.8505,
    # Nakamoto 0.8777 (the approximation errs on both sides).
    race = simulate_double_spend(q, z, 200_000, seed=SEED)
    exact = double_spend_probability(q, z)
    nakamoto = nakamoto_attack_probability(q, z)
    assert race.ci_low <= exact <= race.ci_high
    assert not race.ci_low <= nakamoto <= race.ci_high
    assert proportion_test(race.successes, race.n_trials, nakamoto) < 1e-9
    assert proportion_test(race.successes, race.n_trials, exact) > 1e-3


def _naive_race(q: float, z: int, rng: np.random.Generator, give_up: int) -> bool:
    """One race, block by block, straight from the story (no shortcuts)."""
    honest = attacker = 0
    while honest < z:  # the merchant waits for z blocks on the payment branch
        if rng.random() < q:
            attacker += 1
        else:
            honest += 1
    while True:
        if attacker >= honest:
            return True
        if honest - attacker >= give_up:
            return False
        if rng.random() < q:
            attacker += 1
        else:
            honest += 1


def test_vectorised_race_agrees_with_block_by_block_story() -> None:
    q, z, trials = 0.35, 3, 20_000
    rng = np.random.default_rng(SEED)
    wins = sum(_naive_race(q, z, rng, give_up=z + 50) for _ in range(trials))
    naive = binomial_ci(wins, trials, 0.99)
    fast = simulate_double_spend(q, z, trials, seed=SEED)
    exact = double_spend_probability(q, z)
    assert naive.contains(exact)
    # Two independent estimates of one probability: their difference is small.
    se = np.sqrt(2 * exact * (1 - exact) / trials)
    assert abs(fast.estimate - wins / trials) < 4 * se


def test_double_spend_edges_and_bias_bound() -> None:
    assert simulate_double_spend(0.3, 0, 100, seed=1).successes == 100
    assert simulate_double_spend(0.0, 2, 100, seed=1).successes == 0
    assert simulate_double_spend(1.0, 2, 100, seed=1).successes == 100
    race = simulate_double_spend(0.3, 2, 1000, seed=1)
    assert race.bias_bound == pytest.approx((0.3 / 0.7) ** 52)
    # At q = 1/2 the walk is recurrent: giving up costs at most z / (z + max_deficit).
    even = simulate_double_spend(0.5, 2, 20_000, seed=1, max_deficit=50)
    assert even.bias_bound == pytest.approx(2 / 52)
    assert even.ci_high >= 1 - even.bias_bound
    assert simulate_double_spend(0.6, 3, 20_000, seed=1).estimate > 0.999


def test_double_spend_is_seeded() -> None:
    a = simulate_double_spend(0.3, 3, 5000, seed=42)
    b = simulate_double_spend(0.3, 3, 5000, seed=42)
    c = simulate_double_spend(0.3, 3, 5000, seed=43)
    assert a == b
    assert a.seed == 42
    assert a.successes != c.successes


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"q": 1.5, "z": 1}, "q must be in [0, 1], got 1.5"),
        ({"q": 0.3, "z": -1}, "z must be a non-negative integer, got -1"),
        ({"q": 0.3, "z": 1, "n_trials": 0}, "n_trials must be an integer >= 1, got 0"),
        ({"q": 0.3, "z": 1, "max_deficit": 0}, "max_deficit must be an integer >= 1, got 0"),
        ({"q": 0.3, "z": 1, "seed": -3}, "seed must be a non-negative integer"),
    ],
)
def test_double_spend_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        simulate_double_spend(**kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)


ALPHAS = [0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45]


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("alpha", ALPHAS)
def test_selfish_mining_matches_eyal_sirer(alpha: float, gamma: float) -> None:
    est = simulate_selfish_mining(alpha, gamma, 100_000, seed=SEED, level=0.99)
    theory = selfish_mining_revenue(alpha, gamma)
    assert est.ci_low <= theory <= est.ci_high
    assert est.ci_high - est.ci_low < 0.04  # and the interval is informative
    assert est.main_chain_length + est.orphaned_blocks == est.n_blocks


@pytest.mark.parametrize(("gamma", "below", "above"), [(0.0, 0.28, 0.39), (0.5, 0.2, 0.3)])
def test_selfish_mining_threshold_shows_up(gamma: float, below: float, above: float) -> None:
    threshold = selfish_mining_threshold(gamma)
    assert below < threshold < above
    low = simulate_selfish_mining(below, gamma, 200_000, seed=SEED)
    high = simulate_selfish_mining(above, gamma, 200_000, seed=SEED)
    assert low.ci_high < below  # selfish mining loses below the threshold
    assert high.ci_low > above  # and pays above it


def test_selfish_mining_degenerate_pools() -> None:
    none = simulate_selfish_mining(0.0, 0.5, 1000, seed=1)
    assert (none.pool_blocks, none.honest_blocks, none.estimate) == (0, 1000, 0.0)
    everything = simulate_selfish_mining(1.0, 0.5, 1000, seed=1)
    assert (everything.pool_blocks, everything.honest_blocks) == (1000, 0)
    assert everything.estimate == 1.0


def test_selfish_mining_is_seeded() -> None:
    a = simulate_selfish_mining(0.3, 0.5, 10_000, seed=5)
    assert a == simulate_selfish_mining(0.3, 0.5, 10_000, seed=5)
    assert a != simulate_selfish_mining(0.3, 0.5, 10_000, seed=6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": -0.1, "gamma": 0.5}, "alpha must be in [0, 1], got -0.1"),
        ({"alpha": 0.3, "gamma": 1.5}, "gamma must be in [0, 1], got 1.5"),
        ({"alpha": 0.3, "gamma": 0.5, "n_blocks": 10}, "n_blocks must be an integer >= 50"),
        ({"alpha": 0.3, "gamma": 0.5, "n_batches": 1}, "n_batches must be an integer >= 2"),
        ({"alpha": 0.3, "gamma": 0.5, "level": 95}, "level must be in (0, 1), got 95"),
    ],
)
def test_selfish_mining_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        simulate_selfish_mining(**kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)
