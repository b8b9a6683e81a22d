"""Fault schedules: partition and heal, crash and restart, eclipse, delay and loss."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

from chainsim.attacks import Delay, Eclipse, Loss, PrivateChain, parse_schedule
from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
from chainsim.engine.mining import ScriptedSchedule
from chainsim.errors import ConfigError
from chainsim.simulation import Simulation


def _cfg(n: int, n_miners: int, *, max_time_s: float, interval: float = 10.0) -> SimConfig:
    return SimConfig(
        network=NetworkConfig(
            n_nodes=n,
            topology="custom",
            latency_ms=100.0,
            bandwidth_mbps=float("inf"),
            relay="inv",
            processing_ms=1.0,
            validation_ms=0.0,
        ),
        mining=MiningConfig(block_interval_s=interval, n_miners=n_miners, block_size_bytes=1000),
        run=RunConfig(n_blocks=10**6, max_time_s=max_time_s),
    )


def _receipts(res, node: int) -> pd.DataFrame:
    r = res.receipts
    return r[r["node"] == node]


def test_partition_grows_two_chains_and_the_lighter_side_reorganises_on_heal():
    side_a, side_b = [0, 1, 2, 3], [4, 5, 6, 7]
    g = nx.complete_graph(8)
    # side A has three miners, side B one: A's chain grows about three times faster
    sim = Simulation(
        _cfg(8, 4, max_time_s=420.0),
        seed=2,
        graph=g,
        miner_nodes=[0, 1, 2, 4],
        faults=[("partition", 30.0, [side_a, side_b]), ("heal", 330.0)],
    )
    res = sim.run()
    tree = sim.tree
    b = res.blocks.set_index("block_id")
    during = [x for x in range(1, len(tree)) if 30.0 < tree.t_mined_s[x] < 330.0]
    mined_a = [x for x in during if tree.miners[x] in side_a]
    mined_b = [x for x in during if tree.miners[x] in side_b]
    assert len(mined_a) > len(mined_b) > 3
    # separate chains: no block of one side builds on a block the other side mined then
    for x in mined_a:
        assert not any(tree.is_ancestor(y, x) for y in mined_b)
    for x in mined_b:
        assert not any(tree.is_ancestor(y, x) for y in mined_a)
    # nothing crossed the partition while it lasted
    r = res.receipts.merge(res.blocks[["block_id", "miner"]], on="block_id")
    crossed = r[
        (r["t_received_s"] > 30.2)
        & (r["t_received_s"] < 330.0)
        & (r["node"].isin(side_a) != r["miner"].isin(side_a))
    ]
    assert crossed.empty
    # after the heal everybody follows one chain: side A's; side B's blocks are stale
    assert len(set(sim.tips)) == 1
    assert all(b.loc[x, "main_chain"] for x in mined_a if tree.is_ancestor(x, sim.tips[0]))
    assert not any(b.loc[x, "main_chain"] for x in mined_b)
    late = r[(r["node"].isin(side_b)) & (r["block_id"].isin(mined_a))]
    assert (late["t_received_s"] >= 330.0).all() and len(late) == 4 * len(mined_a)
    # the lighter side's nodes reorganised at the heal, dropping side B's branch
    from chainsim import metrics

    reorgs = metrics.reorg_depths(res)
    deep = reorgs[(reorgs["t_received_s"] >= 330.0) & reorgs["node"].isin(side_b)]
    branch_b = (
        max(tree.heights[x] for x in mined_b)
        - tree.heights[tree.common_ancestor(mined_b[-1], sim.tips[0])]
    )
    assert set(deep["node"]) == set(side_b) and (deep["depth"] >= branch_b).all()
    kinds = [e[1] for e in res.meta["faults"]["events"]]
    assert kinds == ["partition", "heal"]
    assert sum(res.meta["faults"]["dropped"].values()) > 0
    assert res.meta["forks"]["n_stale"] >= len(mined_b)


def test_crashed_node_receives_nothing_and_catches_up_after_restart():
    g = nx.random_regular_graph(3, 10, seed=1)
    sim = Simulation(
        _cfg(10, 3, max_time_s=300.0),
        seed=4,
        graph=g,
        miner_nodes=[0, 1, 2],
        faults=[
            ("crash", 50.0, 7),
            ("recover", 200.0, 7),
            ("crash", 50.0, 0),
            ("restart", 200.0, 0),
        ],
    )
    res = sim.run()
    tree = sim.tree
    mine7 = _receipts(res, 7)
    assert mine7[(mine7["t_received_s"] >= 50.0) & (mine7["t_received_s"] < 200.0)].empty
    missed = [x for x in range(1, len(tree)) if 50.0 <= tree.t_mined_s[x] < 199.0]
    assert len(missed) >= 5
    got = mine7.set_index("block_id")["t_received_s"]
    for x in missed:
        if res.blocks["main_chain"][x]:
            assert got[x] >= 200.0  # fetched after the restart
    assert sim.tips[7] == sim.tips[3]  # caught up
    # the crashed miner found nothing while down; its lost blocks are counted
    assert not any(tree.miners[x] == 0 for x in missed)
    assert res.meta["faults"]["n_lost_blocks"] > 0
    events = sim.attack_events
    assert list(events["event"]) == ["crash", "crash", "restart", "restart"]


def test_eclipsed_victim_follows_the_attackers_chain_then_recovers():
    g = nx.complete_graph(6)  # honest core 0..5
    g.add_edges_from((6, v) for v in range(6))  # the attacker talks to everybody
    g.add_edges_from([(7, 6), (7, 0), (7, 1)])  # the victim: one attacker peer, two honest
    attack = PrivateChain(6, publish_each=True)
    cfg = _cfg(8, 4, max_time_s=600.0).override(
        {"mining.hash_shares": (0.3, 0.7 / 3, 0.7 / 3, 0.7 / 3)}
    )
    sim = Simulation(
        cfg,
        seed=5,
        graph=g,
        miner_nodes=[6, 0, 2, 4],
        attack=attack,
        faults=[("eclipse", 0.0, 7, [6], 400.0)],
        log=True,
    )
    res = sim.run()
    tree = sim.tree
    victim = _receipts(res, 7).merge(res.blocks[["block_id", "miner"]], on="block_id")
    during = victim[victim["t_received_s"] < 400.0]
    assert len(during) > 3 and (during["miner"] == 6).all()  # only the attacker's blocks
    # its view diverged: before 400 s it saw only the attacker's branch (a chain
    # ending at the attacker's last block by then), while the honest chain grew higher
    att_last = max(
        x for x in range(1, len(tree)) if tree.miners[x] == 6 and tree.t_mined_s[x] < 399
    )
    assert all(tree.is_ancestor(x, att_last) for x in during["block_id"])
    honest_tip = sim.tips[3]
    assert not tree.is_ancestor(att_last, honest_tip)
    seen_by_victim = during["block_id"].tolist()
    victim_height = max(tree.heights[x] for x in seen_by_victim)
    honest_before = [
        x for x in range(1, len(tree)) if tree.t_mined_s[x] < 390 and tree.miners[x] != 6
    ]
    assert max(tree.heights[x] for x in honest_before) > victim_height
    # after the eclipse the victim re-synchronises and adopts the honest chain
    assert sim.tips[7] == honest_tip
    assert (victim["t_received_s"] >= 400.0).any()
    assert res.meta["attack"]["name"] == "private-chain"
    assert "eclipse" in list(sim.attack_events["event"])


def _line(relay: str = "inv") -> SimConfig:
    return SimConfig(
        network=NetworkConfig(
            n_nodes=3,
            topology="custom",
            latency_ms=125.0,
            latency_jitter=0.0,
            bandwidth_mbps=float("inf"),
            relay=relay,
            processing_ms=15.625,
            validation_ms=62.5,
        ),
        mining=MiningConfig(block_interval_s=600.0, n_miners=1, block_size_bytes=1000),
        run=RunConfig(n_blocks=1),
    )


def _line_run(faults) -> tuple[Simulation, dict[int, float]]:
    sim = Simulation(
        _line(),
        seed=0,
        graph=nx.path_graph(3),
        miner_nodes=[0],
        schedule=ScriptedSchedule([(1.0, 0)]),
        faults=faults,
        log=True,
    )
    res = sim.run()
    r = res.receipts
    return sim, dict(zip(r["node"], r["t_received_s"], strict=True))


def test_exact_delays_with_and_without_extra_delay():
    # per hop: inv (0.125 + 0.015625), getdata (same), block (0.125 + 0.015625 + 0.0625)
    _, plain = _line_run([("loss", 0.0, math.inf, 0.0)])
    assert plain == {0: 1.0, 1: 1.484375, 2: 1.96875}
    sim, slow = _line_run([Delay(0.0, math.inf, 0.25, (2,))])
    assert slow == {0: 1.0, 1: 1.484375, 2: 1.96875 + 3 * 0.25}
    assert [e for e in sim.log if e[2] == 2] == [
        (1.484375 + 0.125 + 0.25 + 0.015625, "inv", 2, 1),
        (2.71875, "block", 2, 1),
        (2.71875, "accepted", 2, 1),
    ]
    # a delay window that ended before the block changes nothing
    _, before = _line_run([("delay", 0.0, 0.5, 10.0)])
    assert before == plain


def test_total_loss_to_a_node_cuts_it_off():
    sim, got = _line_run([Loss(0.0, math.inf, 1.0, (2,))])
    assert got == {0: 1.0, 1: 1.484375}
    assert sim.tips == [1, 1, 0]


def test_schedule_parsing_and_bad_entries():
    recs = parse_schedule(
        [("recover", 9, 1), ("eclipse", 1, 0, [2, 3], 5), ("crash", 2, 1), ("loss", 0, 1, 0.5, [4])]
    )
    assert [type(r).__name__ for r in recs] == ["Loss", "Eclipse", "Crash", "Restart"]
    assert recs[1] == Eclipse(1.0, 0, (2, 3), 5.0, False)
    bad = [
        ([("loss", 0, 1, 1.5)], "rate must be in"),
        ([("eclipse", 0, 1, [1])], "attackers must be one or more nodes other than the victim"),
        ([("crash", 0, 12)], "node must be in 0..9"),
        ([("delay", 0, 1)], "must look like"),
        ([("teleport", 0)], "fault kind must be one of"),
        ("crash", "faults must be a sequence"),
    ]
    for items, message in bad:
        with pytest.raises(ConfigError, match=message):
            parse_schedule(items, n_nodes=10)
    with pytest.raises(ConfigError, match="a fault schedule needs engine='simpy'"):
        Simulation(_line(), 0, graph=nx.path_graph(3), faults=[("heal", 1.0)], engine="fast")


def test_heal_when_one_side_is_still_at_genesis():
    """A side without miners stays at genesis during the partition; after the heal it
    fetches the whole chain, block by block back to genesis."""
    sim = Simulation(
        _cfg(6, 2, max_time_s=200.0),
        seed=1,
        graph=nx.complete_graph(6),
        miner_nodes=[0, 1],
        faults=[("partition", 0.0, [[0, 1, 2]]), ("heal", 150.0)],
    )
    res = sim.run()
    before = [x for x in range(1, len(sim.tree)) if sim.tree.t_mined_s[x] < 150.0]
    assert len(before) >= 5
    assert len(set(sim.tips)) == 1
    far = res.receipts[res.receipts["node"].isin([3, 4, 5])]
    assert (far["t_received_s"] >= 150.0).all() and set(before) <= set(far["block_id"])
