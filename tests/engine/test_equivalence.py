"""The fast engine gives exactly the SimPy engine's results on the same seed.

Small networks with short block intervals, so that forks (stale blocks) and orphans
(blocks that arrive before their parent) really happen; latency jitter > 0 so that no
two events fall on the same float time (the only case the engines may order
differently).
"""

from __future__ import annotations

import pytest

from chainsim.config import SimConfig
from chainsim.engine.mining import MiningSchedule
from chainsim.simulation import Simulation


def small_config(relay: str, **changes: object) -> SimConfig:
    base = {
        "network.n_nodes": 30,
        "network.topology": "random-regular",
        "network.degree": 4,
        "network.latency_jitter": 0.5,
        "network.bandwidth_mbps": 20.0,
        "network.validation_ms": 10.0,
        "network.relay": relay,
        "mining.n_miners": 10,
        "mining.block_interval_s": 2.0,
        "mining.block_size_bytes": 200_000,
        "run.n_blocks": 120,
    }
    base.update(changes)
    return SimConfig().override(base)


def run_both(cfg: SimConfig, seed: int = 11):
    fast_sim = Simulation(cfg, seed=seed, engine="fast")
    fast = fast_sim.run()
    simpy_sim = Simulation(cfg, seed=seed, engine="simpy")
    slow = simpy_sim.run()
    return fast, slow, fast_sim, simpy_sim


def n_orphans(res) -> int:
    """Receipts of a block at the very time its parent was accepted (not by its miner)."""
    r = res.receipts.set_index(["block_id", "node"])["t_received_s"]
    b = res.blocks.set_index("block_id")
    count = 0
    for (block, node), t in r.items():
        parent = b.at[block, "parent_id"]
        if parent > 0 and node != b.at[block, "miner"] and r.get((parent, node)) == t:
            count += 1
    return count


CASES = [
    ("inv", {}),
    ("push", {}),
    ("compact", {}),
    ("compact", {"network.compact_failure_rate": 0.4}),
    (
        "inv",
        {
            "mining.retarget": True,
            "mining.retarget_period_blocks": 8,
            "mining.hashrate_shocks": ((30.0, 0.5), (120.0, 3.0)),
        },
    ),
]


@pytest.mark.parametrize(("relay", "changes"), CASES)
def test_fast_engine_equals_simpy_engine(relay, changes, monkeypatch):
    redraws = []
    set_work = MiningSchedule.set_work

    def counting_set_work(self, miner, work, now):
        changed = set_work(self, miner, work, now)
        redraws.append(changed)
        return changed

    monkeypatch.setattr(MiningSchedule, "set_work", counting_set_work)
    cfg = small_config(relay, **changes)
    fast, slow, fast_sim, simpy_sim = run_both(cfg)
    assert fast.meta["engine"] == "fast" and slow.meta["engine"] == "simpy"
    for name in ("blocks", "receipts", "nodes", "messages"):
        assert getattr(fast, name).equals(getattr(slow, name)), name
    assert fast_sim.tips == simpy_sim.tips
    assert fast.meta["sim_time_s"] == slow.meta["sim_time_s"]
    # the comparison is not vacuous: forks happened, every node got every block
    assert (~fast.blocks["main_chain"]).sum() >= 5
    assert len(fast.receipts) == cfg.run.n_blocks * cfg.network.n_nodes
    if relay == "inv":
        assert n_orphans(fast) > 0
    if changes.get("mining.retarget"):
        assert fast.blocks["work"].nunique() > 2  # difficulty really changed
        assert sum(redraws) > 20  # and the schedule was redrawn mid-interval


def test_engines_agree_without_draining():
    cfg = small_config("inv", **{"run.drain": False})
    fast, slow, _, _ = run_both(cfg, seed=5)
    for name in ("blocks", "receipts", "nodes", "messages"):
        assert getattr(fast, name).equals(getattr(slow, name)), name
    t_last = fast.blocks["t_mined_s"].max()
    assert fast.meta["sim_time_s"] == slow.meta["sim_time_s"] == t_last
    assert (fast.receipts["t_received_s"] <= t_last).all()
    # the run stops when the last block is mined: only its miner has it
    assert (fast.receipts["block_id"] == cfg.run.n_blocks).sum() == 1


def test_engines_agree_with_a_time_limit():
    cfg = small_config("push", **{"run.max_time_s": 100.0, "run.n_blocks": 10_000})
    fast, slow, _, _ = run_both(cfg, seed=5)
    for name in ("blocks", "receipts", "nodes", "messages"):
        assert getattr(fast, name).equals(getattr(slow, name)), name
    assert 20 < len(fast.blocks) < 100
    assert fast.blocks["t_mined_s"].max() <= 100.0
    # drained: every block reached every node, after the time limit if need be
    assert len(fast.receipts) == (len(fast.blocks) - 1) * cfg.network.n_nodes
    last = fast.receipts["t_received_s"].max()
    assert fast.meta["sim_time_s"] == slow.meta["sim_time_s"] == max(100.0, last)


def test_engines_agree_on_the_bitcoin_topology_with_regional_tables():
    cfg = SimConfig().override(
        {
            "network.n_nodes": 60,
            "mining.n_miners": 12,
            "mining.block_interval_s": 5.0,
            "run.n_blocks": 40,
        }
    )
    fast, slow, _, _ = run_both(cfg, seed=2)
    for name in ("blocks", "receipts", "nodes", "messages"):
        assert getattr(fast, name).equals(getattr(slow, name)), name
    assert (~fast.blocks["main_chain"]).sum() >= 1
