"""GHOST: heaviest subtree on each node's own view, uncles, and security at high rates."""

from __future__ import annotations

import networkx as nx
import pytest

from chainsim.attacks import ghost_vs_longest, honest_chain_growth
from chainsim.blocktree import BlockTree, Ghost, block_rewards, ghost_tip, most_work
from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
from chainsim.engine.mining import ScriptedSchedule
from chainsim.errors import ConfigError
from chainsim.simulation import Simulation


@pytest.mark.parametrize("seed", [0, 1])
def test_minority_attacker_overtakes_longest_chain_but_not_ghost(seed):
    out = ghost_vs_longest(0.4, seed=seed)
    lc, gh = out["longest"], out["ghost"]
    assert lc["lambda_d"] == 4.0
    # the same blocks were mined in both runs (same seed): only the rule differs
    assert lc["attacker_blocks"] == gh["attacker_blocks"]
    assert lc["honest_blocks"] == gh["honest_blocks"]
    # delay wastes honest blocks: the honest longest chain is shorter than the
    # attacker's private chain although the honest miners found more blocks
    assert lc["honest_height"] < lc["attacker_blocks"] < lc["honest_blocks"]
    assert lc["attacker_wins"] and lc["n_honest_on_attacker"] == 8
    assert not gh["attacker_wins"] and gh["n_honest_on_attacker"] == 0


def test_honest_chain_growth_formula_and_measured_growth():
    assert honest_chain_growth(1.2, 2.0) == pytest.approx(1.2 / 3.4)
    assert honest_chain_growth(1.0, 0.0) == 1.0
    with pytest.raises(ConfigError, match="must be >= 0"):
        honest_chain_growth(-1.0, 1.0)
    out = ghost_vs_longest(0.4, seed=0)["longest"]
    rate = out["honest_height"] / 60.0
    # Sompolinsky-Zohar: growth >= lambda_h / (1 + lambda_h D), well below lambda_h
    assert out["theory_longest_rate"] <= rate < 0.8 * 1.2


def test_ghost_uses_each_nodes_own_view():
    """Blocks a node has not accepted do not weigh in its choice."""
    tree = BlockTree()
    for b, p in [(1, 0), (2, 0), (3, 2), (4, 2)]:
        tree.add(b, p, 0, float(b))
    rule = Ghost()
    rule.attach(tree, n_nodes=2)
    # node 0 sees everything: the subtree of 2 (3 blocks) beats 1
    tip0 = 0
    for b in (1, 2, 3, 4):
        tip0 = rule.accept(0, b, tip0)
    assert tip0 == 3
    # node 1 has only 1 and 2: a tie, the first accepted (1) wins
    tip1 = rule.accept(1, 1, 0)
    tip1 = rule.accept(1, 2, tip1)
    assert tip1 == 1 and rule.weight(1, 2) == 1.0 and rule.weight(0, 2) == 3.0
    # the longest chain rule would keep 3 as well, but GHOST over the whole tree
    # differs from most work when a heavy subtree has a short chain:
    tree.add(5, 1, 0, 5.0)
    tree.add(6, 5, 0, 6.0)
    tree.add(7, 6, 0, 7.0)  # chain 1-5-6-7 (4 blocks) vs subtree of 2 (3 blocks)
    assert ghost_tip(tree) == 7
    tree.add(8, 3, 0, 8.0)
    tree.add(9, 4, 0, 9.0)  # subtree of 2 now has 5 blocks, height 3 only
    assert ghost_tip(tree) == 8
    tip = 0
    for b in range(1, 10):
        tip = most_work(tree, tip, b)
    assert tip == 7


def test_uncles_and_rewards_follow_ethereum_numbers():
    tree = BlockTree()
    tree.add(1, 0, 10, 1.0)
    tree.add(2, 0, 11, 1.1)  # sibling of 1: uncle candidate
    tree.add(3, 1, 10, 2.0)
    rule = Ghost()
    rule.attach(tree, 1)
    tip = 0
    for b in (1, 2, 3):
        tip = rule.accept(0, b, tip)
    assert rule.uncles_for(0, 3) == (2,)  # height 3 block: uncle 2 is 2 generations back
    tree.add(4, 3, 10, 3.0, uncles=(2,))
    rule.accept(0, 4, tip)
    assert rule.uncles_for(0, 4) == ()  # already referenced by an ancestor
    rewards = {b: (status, r) for b, _, status, r in block_rewards(tree, 4)}
    assert rewards[2] == ("uncle", 6 / 8)  # (8 - 2) / 8
    assert rewards[4] == ("main", 1 + 1 / 32)
    assert rewards[1] == rewards[3] == ("main", 1.0)
    none = Ghost(max_uncles=0)
    none.attach(tree, 1)
    assert none.uncles_for(0, 3) == ()
    with pytest.raises(ConfigError, match="max_uncles must be an integer >= 0"):
        Ghost(max_uncles=-1)


def _line_run(rule: str) -> Simulation:
    g = nx.path_graph(3)
    cfg = SimConfig(
        network=NetworkConfig(
            n_nodes=3,
            topology="custom",
            latency_ms=1000.0,
            latency_jitter=0.0,
            bandwidth_mbps=float("inf"),
            relay="push",
            processing_ms=0.0,
            validation_ms=0.0,
        ),
        mining=MiningConfig(block_interval_s=600.0, n_miners=3, block_size_bytes=1000),
        run=RunConfig(n_blocks=9),
    ).override({"consensus.fork_choice": rule})
    script = [
        (10.0, 0),  # 1 by node 0 on genesis
        (10.1, 2),  # 2 by node 2 on genesis: a fork
        (11.5, 1),  # 3 by node 1 on 1 (it saw 1 first)
        (11.6, 0),  # 4 by node 0 on 1: a sibling of 3
        (11.7, 2),  # 5, 6, 7 by node 2: a chain of four on 2
        (11.8, 2),
        (11.9, 2),
        (12.2, 1),  # 8 by node 1 on 3
        (12.3, 0),  # 9 by node 0 on 4
    ]
    sim = Simulation(
        cfg, 0, graph=g, miner_nodes=[0, 1, 2], schedule=ScriptedSchedule(script), log=True
    )
    sim.run()
    return sim


def test_exact_run_where_ghost_and_longest_chain_disagree():
    """Line 0 - 1 - 2 with 1 s links. Nodes 0 and 1 build a bushy subtree on block 1
    (5 blocks, height 3); node 2 a chain of 4 blocks on block 2 (height 4)."""
    ghost, longest = _line_run("ghost"), _line_run("longest")
    assert ghost.tree.parents == longest.tree.parents == [-1, 0, 0, 1, 1, 2, 5, 6, 3, 4]
    assert longest.tips == [7, 7, 7]  # the longest chain wins everywhere
    # GHOST: the subtree of 1 is heavier; 3 and 4 tie (2 blocks each), and each node
    # keeps the child it accepted first: node 0 its own 4, nodes 1 and 2 block 3
    assert ghost.tips == [9, 8, 8]
    # uncles: block 2 reached node 1 at 11.1 s, so node 1's block 3 (11.5 s) references
    # it; node 1's later block 8 may not (an ancestor did); node 0 got 2 at 12.1 s
    # and references it in 9 (12.3 s), whose chain 4 - 1 has not
    assert ghost.tree.uncles == [(), (), (), (2,), (), (), (), (), (), (2,)]
    assert (12.1, "accepted", 0, 2) in ghost.log and (11.1, "accepted", 1, 2) in ghost.log
    rewards = ghost.rewards().set_index("block_id")
    assert list(rewards.index[rewards["status"] == "main"]) == [1, 3, 8]
    assert rewards.loc[3, "reward"] == 1 + 1 / 32  # nephew bonus
    assert rewards.loc[2, "status"] == "uncle" and rewards.loc[2, "reward"] == 7 / 8
    assert rewards.loc[9, "status"] == "stale" and rewards.loc[9, "reward"] == 0.0
    assert longest.tree.uncles[8] == ()


@pytest.mark.parametrize("seed", [3, 4])
def test_every_nodes_tip_is_ghost_over_its_own_view(seed):
    """Recompute GHOST per node from the order in which it accepted blocks."""
    cfg = SimConfig().override(
        {
            "network.n_nodes": 12,
            "network.topology": "random-regular",
            "network.degree": 3,
            "network.latency_ms": None,
            "mining.n_miners": 6,
            "mining.block_interval_s": 0.5,  # many forks
            "run.n_blocks": 80,
            "consensus.fork_choice": "ghost",
        }
    )
    sim = Simulation(cfg, seed, log=True)
    res = sim.run()
    tree = sim.tree
    assert res.meta["forks"]["n_fork_points"] > 5
    order: dict[int, dict[int, int]] = {v: {0: 0} for v in range(12)}
    for _, what, v, b in sim.log:
        if what == "accepted":
            order[v][b] = len(order[v])
    for v in range(12):
        seen = order[v]
        weight = dict.fromkeys(seen, 0)
        for b in seen:
            x = b
            while x > 0:
                weight[x] += 1
                x = tree.parents[x]
        x = 0
        while True:
            kids = [c for c in tree.children(x) if c in seen]
            if not kids:
                break
            x = max(kids, key=lambda c: (weight[c], -seen[c]))
        assert sim.tips[v] == x, v


def test_longest_chain_bound_erodes_with_lambda_d_but_ghost_holds():
    from chainsim.attacks import ghost_security_sweep

    df = ghost_security_sweep((0.4,), (0.25, 4.0), seed=0)
    low, high = df.iloc[0], df.iloc[1]
    assert low["lambda_d"] == 0.25 and high["lambda_d"] == 4.0
    assert not low["longest_attacker_wins"] and high["longest_attacker_wins"]
    assert not df["ghost_attacker_wins"].any()
    # the honest longest chain keeps most of its blocks at low lambda D, few at high
    assert low["honest_height"] / low["honest_blocks"] > 0.75
    assert high["honest_height"] / high["honest_blocks"] < 0.5
