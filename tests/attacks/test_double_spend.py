"""Double-spend races in the network simulator against Rosenfeld's exact value."""

from __future__ import annotations

import pytest

from chainsim.analysis import double_spend_probability, nakamoto_attack_probability
from chainsim.attacks import DoubleSpend, double_spend_experiment, simulate_double_spend
from chainsim.errors import ConfigError


@pytest.mark.parametrize(("q", "z"), [(0.3, 2), (0.1, 1)])
def test_network_success_rate_matches_the_exact_formula(q, z):
    run = double_spend_experiment(q, z, 600, seed=0)
    assert run.n_trials == 600
    assert run.theory == double_spend_probability(q, z)
    assert run.ci_low < run.theory < run.ci_high, run


def test_exact_value_differs_visibly_from_nakamoto_where_they_differ():
    """At q = 0.3, z = 2 Nakamoto's Poisson approximation says 0.4457, the exact value
    is 0.432: the network runs above agree with the exact value; a long race-model
    run (the same race without a network) separates the two."""
    q, z = 0.3, 2
    exact, approx = double_spend_probability(q, z), nakamoto_attack_probability(q, z)
    assert approx - exact > 0.01
    race = simulate_double_spend(q, z, 400_000, seed=0)
    assert race.ci_low < exact < race.ci_high
    assert not race.ci_low < approx < race.ci_high


def test_each_race_is_a_real_reorganisation_at_the_merchant():
    import networkx as nx

    from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
    from chainsim.simulation import Simulation

    cfg = SimConfig(
        network=NetworkConfig(
            n_nodes=3, topology="custom", latency_ms=1.0, latency_jitter=0.0, relay="push"
        ),
        mining=MiningConfig(block_interval_s=600.0, n_miners=2, hash_shares=(0.3, 0.7)),
        run=RunConfig(n_blocks=10**6),
    )
    attack = DoubleSpend(0, 2, 2, n_trials=40)
    sim = Simulation(cfg, 3, graph=nx.complete_graph(3), miner_nodes=[0, 1], attack=attack)
    res = sim.run()
    ev = sim.attack_events
    assert res.meta["attack"]["n_trials"] == 40 == len(attack.outcomes)
    assert len(attack.confirm_times) == 40
    tree = sim.tree
    payments = ev[ev["event"] == "payment"]["block"].tolist()
    wins = ev[ev["event"] == "success"]["block"].tolist()
    assert 0 < len(wins) < 40
    for pay in wins:
        # the payment block the merchant had confirmed is off the final main chain
        assert not res.blocks["main_chain"][pay]
        assert tree.miners[pay] == 1
    assert set(wins) <= set(payments)


def test_bad_arguments():
    with pytest.raises(ConfigError, match="q must be in"):
        double_spend_experiment(0.6, 1, 10)
    with pytest.raises(ConfigError, match="z must be"):
        DoubleSpend(0, 2, 0)
    with pytest.raises(ConfigError, match="merchant must differ"):
        DoubleSpend(1, 1, 3)
