"""AttackConfig for lessons, and a 51 % attack's long reorganisation."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from chainsim import metrics
from chainsim.attacks import AttackConfig, PrivateChain, SelfishMining
from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
from chainsim.errors import ConfigError
from chainsim.simulation import Simulation, simulate


def _cfg(n_blocks: int = 10**6, max_time_s: float | None = None) -> SimConfig:
    return SimConfig(
        network=NetworkConfig(
            n_nodes=6, topology="custom", latency_ms=50.0, bandwidth_mbps=float("inf")
        ),
        mining=MiningConfig(block_interval_s=10.0, n_miners=3, hash_shares=(0.55, 0.25, 0.2)),
        run=RunConfig(n_blocks=n_blocks, max_time_s=max_time_s),
    )


def test_majority_private_chain_causes_a_deep_reorganisation():
    attack = PrivateChain(0, release_lead=6)
    sim = Simulation(
        _cfg(max_time_s=600.0),
        1,
        graph=nx.complete_graph(6),
        miner_nodes=[0, 1, 2],
        attack=attack,
    )
    res = sim.run()
    s = res.meta["attack"]
    assert s["released_at_s"] is not None and s["fork_point"] == 0
    reorgs = metrics.reorg_depths(res)
    honest = reorgs[reorgs["node"] != 0]
    assert honest["depth"].max() >= 5  # honest nodes dropped at least 5 blocks at once
    # after the release every honest node follows the attacker's branch
    tree = sim.tree
    released = next(e for e in sim.attack_events.itertuples() if e.event == "release")
    assert all(tree.is_ancestor(released.block, t) for t in sim.tips)


def test_attack_config_builds_and_runs():
    cfg = AttackConfig(kind="selfish-mining", node=0, gamma_nodes=(1,))
    assert cfg.to_dict()["kind"] == "selfish-mining"
    attack, faults = cfg.build(6)
    assert isinstance(attack, SelfishMining) and faults == ()
    res = simulate(
        _cfg(n_blocks=50).override({"mining.hash_shares": (0.4, 0.3, 0.3)}),
        3,
        graph=nx.complete_graph(6),
        attack=AttackConfig(kind="private-chain", node=2, faults=(("crash", 5.0, 4),)),
    )
    assert res.meta["attack"]["name"] == "private-chain"
    assert res.meta["faults"]["events"][0][1] == "crash"
    assert AttackConfig().build() == (None, ())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "selfish"}, "attack.kind must be one of"),
        ({"confirmations": 0}, "attack.confirmations must be >= 1"),
        ({"start_s": 10.0, "release_at_s": 5.0}, "attack.release_at_s must be >= attack.start_s"),
        ({"kind": "double-spend", "node": 1, "merchant": 1}, "attack.merchant must differ"),
        ({"faults": (("loss", 0, 1, 2.0),)}, "rate must be in"),
    ],
)
def test_bad_attack_configs(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        AttackConfig(**kwargs)


def test_attack_config_node_range_is_checked_against_the_network():
    with pytest.raises(ConfigError, match="attack.node must be in 0..5"):
        AttackConfig(kind="selfish-mining", node=9).build(6)


def test_attack_results_save_and_load(tmp_path):
    from chainsim.results import Results

    res = simulate(
        _cfg(n_blocks=30).override({"mining.hash_shares": (0.4, 0.3, 0.3)}),
        2,
        graph=nx.complete_graph(6),
        attack=SelfishMining(0),
        faults=[("delay", 0.0, 50.0, 0.5)],
    )
    events = res.extras["attack_events"]
    assert res.meta["n_attack_events"] == len(events) > 2
    assert list(events.iloc[0][["time_s", "event"]]) == [0.0, "delay-start"]
    res.save(tmp_path / "run")
    back = Results.load(tmp_path / "run")
    assert back.meta["attack"] == res.meta["attack"]
    loaded = back.extras["attack_events"].fillna({"detail": ""})  # CSV: "" reads as NaN
    pd.testing.assert_frame_equal(loaded, events, check_dtype=False)
    assert back.meta["faults"] == res.meta["faults"]
