"""Selfish mining in the network simulator against Eyal and Sirer's formula."""

from __future__ import annotations

import networkx as nx
import pytest

from chainsim.analysis import selfish_mining_revenue, selfish_mining_threshold
from chainsim.attacks import SelfishMining, pool_revenue, selfish_mining_experiment
from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
from chainsim.engine.mining import ScriptedSchedule
from chainsim.errors import ConfigError
from chainsim.simulation import Simulation, simulate


@pytest.mark.parametrize(("alpha", "gamma"), [(0.35, 0.5), (0.4, 0.0), (0.1, 0.0)])
def test_pool_revenue_matches_eyal_sirer_within_ci(alpha, gamma):
    run = selfish_mining_experiment(alpha, gamma, 20_000, seed=0)
    theory = selfish_mining_revenue(alpha, gamma)
    assert run.ci_low < theory < run.ci_high, (run, theory)
    assert run.ci_high - run.ci_low < 0.05  # the interval is informative
    assert run.summary["n_races"] > 0 and run.summary["n_published"] > 0


def test_profit_threshold_direction():
    gamma = 0.5
    threshold = selfish_mining_threshold(gamma)  # 1/4
    below = selfish_mining_experiment(threshold - 0.1, gamma, 10_000, seed=0)
    above = selfish_mining_experiment(threshold + 0.1, gamma, 10_000, seed=0)
    assert below.ci_high < below.alpha  # selfish mining loses below the threshold
    assert above.ci_low > above.alpha  # and pays above it


def _exact(
    n: int, n_blocks: int, shares: tuple[float, ...], latency_ms: float | None = 125.0
) -> SimConfig:
    return SimConfig(
        network=NetworkConfig(
            n_nodes=n,
            topology="custom",
            latency_ms=latency_ms,
            latency_jitter=0.0,
            bandwidth_mbps=float("inf"),
            relay="push",
            processing_ms=0.0,
            validation_ms=0.0,
        ),
        mining=MiningConfig(
            block_interval_s=600.0, n_miners=n, hash_shares=shares, block_size_bytes=1000
        ),
        run=RunConfig(n_blocks=n_blocks),
    )


def test_exact_sequence_of_a_race_the_pool_wins():
    """Pool (node 0) mines at 1 s, honest node 2 at 5 s: a tie race; node 1 prefers the
    pool's block (gamma) and extends it at 9 s; the pool then mines at 20 s and 30 s
    (lead 2) and honest node 2 at 40 s: the pool publishes both and wins."""
    g = nx.complete_graph(3)
    script = [(1.0, 0), (5.0, 2), (9.0, 1), (20.0, 0), (30.0, 0), (40.0, 2)]
    attack = SelfishMining(0, gamma_nodes=[1])
    sim = Simulation(
        _exact(3, len(script), (0.3, 0.35, 0.35)),
        seed=0,
        graph=g,
        miner_nodes=[0, 1, 2],
        schedule=ScriptedSchedule(script),
        attack=attack,
        log=True,
    )
    res = sim.run()
    tree = sim.tree
    assert tree.parents == [-1, 0, 0, 1, 3, 4, 3]
    ev = [(t, e, b) for t, e, _, b, _ in sim.attack_events.itertuples(index=False)]
    assert ev == [
        (1.0, "mine-private", 1),
        (5.125, "race", 1),  # honest block 2 reaches the pool 125 ms later
        (5.125, "publish", 1),
        (9.125, "adopt", 3),  # node 1 had switched to block 1 and built 3 on it
        (20.0, "mine-private", 4),
        (30.0, "mine-private", 5),
        (40.125, "publish", 4),  # honest 6 arrives: lead 2 -> 1, publish all
        (40.125, "publish", 5),
    ]
    assert sim.tips == [5, 5, 5]
    main = res.blocks.set_index("block_id")["main_chain"]
    assert [b for b in range(1, 7) if main[b]] == [1, 3, 4, 5]
    assert pool_revenue(res, [0]) == 0.75
    assert res.meta["attack"]["n_races"] == 1 and res.meta["attack"]["n_adopted"] == 1
    # node 2 (no preference) kept its own block 2 in the race until block 3 arrived
    assert sim.log is not None and (9.125, "accepted", 2, 3) in sim.log


def test_gamma_from_network_position():
    """Two honest miners 200 ms apart, the pool 1 ms from each: the pool's race block
    reaches the honest miner that did not find the block first, so gamma ~ 1/2 arises
    from the network alone (no gamma_nodes)."""
    g = nx.Graph()
    g.add_edge(0, 1, latency_ms=1.0)
    g.add_edge(0, 2, latency_ms=1.0)
    g.add_edge(1, 2, latency_ms=200.0)
    alpha = 0.35
    # latency_ms=None: the graph's link latencies apply
    cfg = _exact(3, 20_000, (alpha, (1 - alpha) / 2, (1 - alpha) / 2), latency_ms=None)
    attack = SelfishMining(0)
    res = Simulation(cfg, 0, graph=g, miner_nodes=[0, 1, 2], attack=attack).run()
    share = pool_revenue(res, [0])
    assert abs(share - selfish_mining_revenue(alpha, 0.5)) < 0.015
    assert share > selfish_mining_revenue(alpha, 0.0) + 0.02


def test_bad_arguments():
    with pytest.raises(ConfigError, match="alpha must be in"):
        selfish_mining_experiment(1.5, 0.5, 1000)
    with pytest.raises(ConfigError, match="n_blocks must be an integer >= 100"):
        selfish_mining_experiment(0.3, 0.5, 10)
    with pytest.raises(ConfigError, match="gamma_nodes must not contain the pool's node 0"):
        SelfishMining(0, gamma_nodes=[0])
    with pytest.raises(ConfigError, match="attack nodes must be in 0..2"):
        simulate(
            _exact(3, 10, (0.3, 0.35, 0.35)),
            seed=0,
            graph=nx.complete_graph(3),
            attack=SelfishMining(7),
        )


@pytest.mark.slow
def test_whole_grid_alpha_01_to_045_and_gamma_0_half_1():
    """The issue's grid: every point's 99 % interval holds the formula, and the pool
    profits exactly where the formula's threshold says (away from the threshold)."""
    from chainsim.attacks import selfish_mining_sweep

    df = selfish_mining_sweep(n_blocks=10_000, seed=0, level=0.99)
    assert len(df) == 21
    assert df["inside"].all(), df[~df["inside"]]
    clear = df[(df["alpha"] - df["threshold"]).abs() > 0.04]
    assert (clear["profitable"] == (clear["alpha"] > clear["threshold"])).all()


@pytest.mark.parametrize(
    ("alpha", "gamma", "seed"), [(0.35, 0.0, 0), (0.25, 0.5, 1), (0.35, 1.0, 2), (0.45, 0.5, 3)]
)
def test_network_run_is_the_race_model_on_its_own_finders(alpha, gamma, seed):
    """The network simulator's main chain holds exactly the blocks the abstract race
    model (Eyal and Sirer's Algorithm 1, as in chainsim.attacks.races) credits when fed
    the run's own sequence of finders: the strategy is implemented without error, so
    any gap to the formula can only come from the finder sequence (i.e. chance)."""
    from chainsim.attacks.selfish import replay_race_model

    run = selfish_mining_experiment(alpha, gamma, 3_000, seed=seed, keep_results=True)
    assert run.results is not None
    b = run.results.blocks
    main = b[b["main_chain"] & (b["block_id"] > 0)]
    rep = replay_race_model(run.results, [0])
    # an open tie at the end: the pool's race block (mined first) is on the main chain
    assert int((main["miner"] == 0).sum()) == rep.pool_blocks + rep.open_tie
    assert int((main["miner"] != 0).sum()) == rep.honest_blocks
    assert rep.final_lead == run.summary["n_private_at_end"]
    assert rep.pool_blocks + rep.honest_blocks > 0.5 * run.n_blocks


def test_replay_counts_a_scripted_sequence():
    """Hand-checked: pool, honest (tie), gamma-node block on the pool's race block
    (pool 1, honest 1); then pool, pool, honest (lead 2: pool publishes, wins 2)."""
    from chainsim.attacks.selfish import replay_race_model

    script = [(1.0, 0), (5.0, 2), (9.0, 1), (20.0, 0), (30.0, 0), (40.0, 2)]
    res = Simulation(
        _exact(3, len(script), (0.3, 0.35, 0.35)),
        seed=0,
        graph=nx.complete_graph(3),
        miner_nodes=[0, 1, 2],
        schedule=ScriptedSchedule(script),
        attack=SelfishMining(0, gamma_nodes=[1]),
    ).run()
    rep = replay_race_model(res, [0])
    assert rep == (3, 1, 0, False)
    assert rep.revenue == pool_revenue(res, [0]) == 0.75


@pytest.mark.slow
@pytest.mark.parametrize(
    ("alpha", "gamma", "n_seeds", "n_blocks"), [(0.35, 0.0, 12, 30_000), (0.25, 0.5, 8, 20_000)]
)
def test_no_bias_over_independent_seeds(alpha, gamma, n_seeds, n_blocks):
    """Seeds 0..n-1 (not chosen) are independent replications: the Student t interval
    of their mean revenue holds the formula and is narrow enough (half-width < 0.006,
    standard error about 0.002) that the apparent +0.006..+0.01 'bias' once read off
    seeds 1 and 2 (whose mining streams give the pool 2-3 standard deviations more
    blocks than alpha, at every alpha) would very likely have been caught."""
    from chainsim.stats import mean_ci

    revenues = [
        selfish_mining_experiment(alpha, gamma, n_blocks, seed=s).revenue for s in range(n_seeds)
    ]
    est = mean_ci(revenues, 0.95)
    theory = selfish_mining_revenue(alpha, gamma)
    assert est.low < theory < est.high, (est, theory, revenues)
    assert est.high - est.low < 0.012
