"""Proof of stake (chainsim.consensus.pos): exact sequences, lottery statistics,
stake-proportional revenue, determinism, nothing-at-stake and slashing, bad input,
and the standard metrics on PoS results."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from chainsim import metrics
from chainsim.config import NetworkConfig, SimConfig
from chainsim.consensus.pos import (
    POS_TABLES,
    LeaderLottery,
    PoSConfig,
    PoSResults,
    empty_slot_probability,
    leader_probability,
    multi_leader_probability,
    pos_config_from_sim,
    pos_summary,
    simulate_pos,
)
from chainsim.errors import ConfigError
from chainsim.results import TABLES, Results
from chainsim.stats import binomial_ci

# --------------------------------------------------------------------------- helpers


def line_network() -> tuple[NetworkConfig, nx.Graph]:
    """Nodes 0 - 1 - 2; links of exactly 1 s and 2 s; no transfer or processing time."""
    g = nx.Graph()
    g.add_edge(0, 1, latency_ms=1000.0)
    g.add_edge(1, 2, latency_ms=2000.0)
    cfg = NetworkConfig(
        n_nodes=3,
        topology="custom",
        bandwidth_mbps=math.inf,
        processing_ms=0.0,
        relay="inv",
    )
    return cfg, g


def run_line(k: int, **kw: object) -> PoSResults:
    """Validator i on node i. Slot 1: validators 0 and 2 (a fork); slot 2: 1; slot 3: 2."""
    net, g = line_network()
    return simulate_pos(
        PoSConfig(n_validators=3, n_slots=4, slot_s=10.0, finality_depth=k),
        seed=0,
        network_config=net,
        graph=g,
        validator_nodes=[0, 1, 2],
        leader_schedule={1: [0, 2], 2: [1], 3: [2]},
        **kw,  # type: ignore[arg-type]
    )


def small_net(n: int = 20) -> NetworkConfig:
    return NetworkConfig(n_nodes=n, topology="random-regular", degree=4)


# --------------------------------------------------------------------- exact sequence


ENGINES = ("simpy", "fast")


@pytest.mark.parametrize("engine", ENGINES)
def test_exact_sequence_receipts_tips_and_finality(engine: str) -> None:
    """inv/getdata/block costs 3 link latencies per hop; ties keep the first seen.

    Block 1 (node 0) and block 2 (node 2) are both made at t = 10. Block 1 reaches
    node 1 at 10 + 3*1 = 13, node 2 at 13 + 3*2 = 19; block 2 reaches node 1 at 16
    (node 1 stays on block 1, seen first) and node 0 at 19. Node 1 builds block 3 on
    block 1 at 20: node 0 at 23, node 2 at 26 (node 2 reorganises from 2 to 3).
    Node 2 builds block 4 at 30: node 1 at 36, node 0 at 39.
    """
    res = run_line(k=1, engine=engine)
    assert res.meta["engine"] == engine
    got = {
        (int(b), int(v)): t
        for b, v, t in res.receipts[["block_id", "node", "t_received_s"]].itertuples(index=False)
    }
    expected = {
        (1, 0): 10.0, (1, 1): 13.0, (1, 2): 19.0,
        (2, 0): 19.0, (2, 1): 16.0, (2, 2): 10.0,
        (3, 0): 23.0, (3, 1): 20.0, (3, 2): 26.0,
        (4, 0): 39.0, (4, 1): 36.0, (4, 2): 30.0,
    }  # fmt: skip
    assert got == expected
    blocks = res.blocks.set_index("block_id")
    assert blocks["parent_id"].tolist() == [-1, 0, 0, 1, 3]
    assert blocks["miner"].tolist() == [-1, 0, 2, 1, 2]
    assert blocks["main_chain"].tolist() == [True, True, False, True, True]
    assert res.meta["final_tip"] == 4
    # slots: the fork slot, two single-leader slots, one empty slot
    assert res.slots["n_leaders"].tolist() == [2, 1, 1, 0]
    assert res.slots["empty"].tolist() == [False, False, False, True]
    assert res.slots["t_s"].tolist() == [10.0, 20.0, 30.0, 40.0]
    # k = 1: block 1 is final at a node when block 3 is on its chain (20, 23, 26);
    # block 3 when block 4 is (30, 36, 39); block 2 and block 4 never.
    pb = res.pos_blocks.set_index("block_id")
    assert pb.loc[1, "t_final_first_s"] == 20.0
    assert pb.loc[1, "t_final_all_s"] == 26.0
    assert pb.loc[1, "finality_latency_s"] == 16.0
    assert pb.loc[3, "t_final_all_s"] == 39.0
    assert pb.loc[3, "finality_latency_s"] == 19.0
    assert pb["n_nodes_final"].tolist() == [3, 0, 3, 0]
    assert pb.loc[[2, 4], ["t_final_first_s", "t_final_all_s"]].isna().all().all()
    assert pb["slot"].tolist() == [1, 1, 2, 3]
    assert pb["validator"].tolist() == [0, 2, 1, 2]
    assert res.meta["finality_latency_s_median"] == 17.5
    assert len(res.finality_violations) == 0
    # node 2 is the only one to reorganise: from block 2 to block 3 at 26 s
    reorgs = metrics.reorg_depths(res)
    assert reorgs.to_dict("records") == [
        {"node": 2, "t_received_s": 26.0, "old_tip": 2, "new_tip": 3, "depth": 1}
    ]
    # inv + getdata per hop and direction used, one block per delivery
    msgs = res.messages.set_index("kind")["n_messages"].to_dict()
    assert msgs == {"inv": 8, "getdata": 8, "block": 8}


@pytest.mark.parametrize("engine", ENGINES)
def test_exact_sequence_deeper_finality(engine: str) -> None:
    """k = 2: block 1 is final once block 4 is on a node's chain: 30, 36, 39."""
    pb = run_line(k=2, engine=engine).pos_blocks.set_index("block_id")
    assert pb.loc[1, "t_final_first_s"] == 30.0
    assert pb.loc[1, "t_final_all_s"] == 39.0
    assert pb["n_nodes_final"].tolist() == [3, 0, 0, 0]


def test_exact_sequence_log_and_no_drain() -> None:
    res = run_line(k=1, log=True)
    log = res.meta["log"]
    assert log[:2] == [(10.0, "mined", 0, 1), (10.0, "accepted", 0, 1)]
    assert (39.0, "accepted", 0, 4) in log
    short = run_line(k=1, drain=False)
    # without draining the run stops after the last slot (40 s): every receipt is there
    assert short.meta["sim_time_s"] == 40.0
    assert len(short.receipts) == 12


@pytest.mark.parametrize("engine", ENGINES)
def test_finality_violation_is_recorded(engine: str) -> None:
    """Node 2 holds block 2 one deep (k = 1), then a longer chain without it wins."""
    net, g = line_network()
    res = simulate_pos(
        PoSConfig(n_validators=3, n_slots=3, slot_s=10.0, finality_depth=1),
        seed=0,
        network_config=net,
        graph=g,
        validator_nodes=[0, 1, 2],
        # slot 1: 0 and 2 fork (blocks 1, 2); slot 2: node 0 builds 3 on 1, node 2
        # builds 4 on 2; slot 3: node 0 builds 5 on 3, the longest chain
        leader_schedule={1: [0, 2], 2: [0, 2], 3: [0]},
        engine=engine,
    )
    # node 2: block 4 (on its own block 2) at 20 s makes block 2 final there; block 5
    # (0 <- 1 <- 3 <- 5, made by node 0 at 30 s) reaches it at 39 s
    v = res.finality_violations
    assert v.to_dict("records") == [
        {"node": 2, "t_s": 39.0, "final_block": 2, "new_tip": 5, "depth": 1}
    ]
    assert res.meta["n_finality_violations"] == len(v)


# ---------------------------------------------------------------- engine equivalence


@pytest.mark.parametrize(
    ("relay", "seed", "drain"),
    [("inv", 1, True), ("push", 1, True), ("compact", 2, True), ("inv", 3, False)],
)
def test_fast_engine_equals_simpy(relay: str, seed: int, drain: bool) -> None:
    """Honest runs: the fast engine (leaders drawn up front, finality replayed from
    the receipts) gives the SimPy engine's tables exactly, forks and finality
    violations included (f = 0.5: many multi-leader slots)."""
    net = NetworkConfig(n_nodes=25, relay=relay, compact_failure_rate=0.3)
    cfg = PoSConfig(n_validators=10, n_slots=120, active_slot_coeff=0.5, finality_depth=2)
    a = simulate_pos(cfg, seed=seed, network_config=net, engine="simpy", drain=drain)
    b = simulate_pos(cfg, seed=seed, network_config=net, engine="fast", drain=drain)
    assert (a.meta["engine"], b.meta["engine"]) == ("simpy", "fast")
    assert int((a.slots["n_leaders"] > 1).sum()) > 5
    for name in (*TABLES, *POS_TABLES):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.meta["sim_time_s"] == b.meta["sim_time_s"]


def test_engine_choice() -> None:
    net = NetworkConfig(n_nodes=8, topology="complete")
    nas = PoSConfig(n_validators=4, n_slots=20, validators_sign_all_branches=True)
    assert simulate_pos(nas, seed=1, network_config=net).meta["engine"] == "simpy"
    assert simulate_pos(PoSConfig(n_slots=20), seed=1).meta["engine"] == "fast"
    with pytest.raises(ConfigError, match="engine='fast' runs honest validators on a fault-free"):
        simulate_pos(nas, seed=1, network_config=net, engine="fast")
    with pytest.raises(ConfigError, match="engine must be one of 'auto', 'simpy', 'fast'"):
        simulate_pos(PoSConfig(), seed=1, engine="quick")


# ------------------------------------------------------------------ lottery statistics


def test_leader_probability_closed_forms() -> None:
    stakes = [0.4, 0.3, 0.2, 0.1]
    for f in (0.05, 0.3, 0.9):
        assert empty_slot_probability(stakes, f) == pytest.approx(1 - f, abs=1e-12)
        p = leader_probability(np.asarray(stakes), f)
        q = 1 - p
        exact_one = sum(p[i] * np.prod(np.delete(q, i)) for i in range(4))
        assert multi_leader_probability(stakes, f) == pytest.approx(f - exact_one, abs=1e-12)
    assert leader_probability(1.0, 0.05) == pytest.approx(0.05)
    # splitting stake never changes P(some leader) but raises P(several leaders)
    assert multi_leader_probability([1.0], 0.5) == 0.0
    assert multi_leader_probability([0.5, 0.5], 0.5) > 0
    assert multi_leader_probability([1.0, 0.0], 1.0) == 0.0
    assert multi_leader_probability([0.5, 0.5], 1.0) == 1.0


def test_lottery_frequencies_match_closed_forms() -> None:
    stakes = np.array([0.4, 0.3, 0.2, 0.07, 0.03])
    f, n = 0.25, 40_000
    thr = leader_probability(stakes, f)
    lot = LeaderLottery(np.random.default_rng(11), thr)
    counts = np.zeros(len(stakes), dtype=int)
    n_empty = n_multi = 0
    for s in range(1, n + 1):
        who = lot.leaders(s)
        counts[who] += 1
        n_empty += not who
        n_multi += len(who) > 1
    lo, hi = binomial_ci(n_empty, n, level=0.999)
    assert lo <= empty_slot_probability(stakes, f) <= hi
    lo, hi = binomial_ci(n_multi, n, level=0.999)
    assert lo <= multi_leader_probability(stakes, f) <= hi
    for i in range(len(stakes)):
        lo, hi = binomial_ci(int(counts[i]), n, level=0.999)
        assert lo <= thr[i] <= hi


def test_lottery_independent_of_chunking_and_skipping() -> None:
    thr = leader_probability(np.full(6, 1 / 6), 0.1)
    a = LeaderLottery(np.random.default_rng(5), thr, chunk=1)
    b = LeaderLottery(np.random.default_rng(5), thr, chunk=64)
    per_slot = [a.leaders(s) for s in range(1, 500)]
    assert per_slot == [b.leaders(s) for s in range(1, 500)]
    # skipping empty slots finds exactly the non-empty ones
    c = LeaderLottery(np.random.default_rng(5), thr, chunk=7)
    found, s = [], 0
    while (nxt := c.next_active(s + 1, 499)) is not None:
        s, who = nxt
        found.append((s, who))
    assert found == [(i + 1, w) for i, w in enumerate(per_slot) if w]
    # lower thresholds (slashing) mid-way: later slots use them
    d = LeaderLottery(np.random.default_rng(5), thr, chunk=7)
    d.next_active(1, 499)
    d.set_thresholds(np.where(np.arange(6) == 0, 0.0, thr))
    rest = [d.leaders(s) for s in range(100, 500)]
    assert rest == [[i for i in w if i != 0] for w in per_slot[99:]]
    with pytest.raises(ConfigError, match="slots must be drawn in order"):
        d.leaders(3)


def test_simulated_slot_frequencies_match_closed_forms() -> None:
    stakes = (0.5, 0.25, 0.125, 0.125)
    f, n_slots = 0.3, 3_000
    net = NetworkConfig(n_nodes=6, topology="complete", relay="push", bandwidth_mbps=1000.0)
    res = simulate_pos(
        PoSConfig(n_validators=4, stake_shares=stakes, n_slots=n_slots, active_slot_coeff=f),
        seed=3,
        network_config=net,
    )
    slots = res.slots
    assert len(slots) == n_slots and slots["slot"].tolist() == list(range(1, n_slots + 1))
    lo, hi = binomial_ci(int(slots["empty"].sum()), n_slots, level=0.999)
    assert lo <= 1 - f <= hi
    lo, hi = binomial_ci(int((slots["n_leaders"] > 1).sum()), n_slots, level=0.999)
    assert lo <= multi_leader_probability(stakes, f) <= hi
    # honest leaders make exactly one block each
    assert (slots["n_blocks"] == slots["n_leaders"]).all()
    assert int(slots["n_leaders"].sum()) == len(res.blocks) - 1
    assert res.meta["empty_slot_rate"] == pytest.approx(float(slots["empty"].mean()))


# --------------------------------------------------------------------- revenue vs stake


def test_revenue_proportional_to_stake() -> None:
    stakes = (0.5, 0.3, 0.15, 0.05)
    f = 0.05
    net = NetworkConfig(n_nodes=4, topology="complete", relay="push", bandwidth_mbps=100.0)
    res = simulate_pos(
        PoSConfig(n_validators=4, stake_shares=stakes, n_slots=20_000, active_slot_coeff=f),
        seed=1,
        network_config=net,
    )
    rev = metrics.revenue_shares(res).sort_values("hash_share")
    assert rev["hash_share"].tolist() == sorted(stakes)
    n_main = int(rev["n_main_chain"].sum())
    assert n_main > 800
    # expected share of slots led: phi(alpha) / sum phi (close to alpha for small f)
    phi = leader_probability(np.asarray(sorted(stakes)), f)
    for (_, row), expect in zip(rev.iterrows(), phi / phi.sum(), strict=True):
        lo, hi = binomial_ci(int(row["n_main_chain"]), n_main, level=0.999)
        assert lo <= expect <= hi
        assert abs(row["revenue_share"] - row["hash_share"]) < 0.03


# -------------------------------------------------------------------------- determinism


def test_same_seed_same_tables_other_seed_differs() -> None:
    cfg = PoSConfig(n_validators=8, n_slots=300, active_slot_coeff=0.2)
    a = simulate_pos(cfg, seed=42, network_config=small_net())
    b = simulate_pos(cfg, seed=42, network_config=small_net())
    c = simulate_pos(cfg, seed=43, network_config=small_net())
    for name in (*TABLES, *POS_TABLES):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.meta["seed"] == 42 and a.meta["validator_nodes"] == b.meta["validator_nodes"]
    assert not a.blocks.equals(c.blocks)


# ------------------------------------------------------------ nothing at stake, slashing


@pytest.fixture(scope="module")
def nas_runs() -> dict[str, PoSResults]:
    """Same seed (same network, placement and lottery) under three behaviours."""
    base = {"n_validators": 10, "n_slots": 400, "active_slot_coeff": 0.3, "finality_depth": 3}
    runs = {}
    for name, extra in {
        "honest": {},
        "nas": {"validators_sign_all_branches": True, "sign_all_share": 0.5},
        "slash": {"validators_sign_all_branches": True, "sign_all_share": 0.5, "slashing": True},
    }.items():
        runs[name] = simulate_pos(
            PoSConfig(**base, **extra),  # type: ignore[arg-type]
            seed=2,
            network_config=small_net(),
        )
    return runs


def test_honest_validators_never_equivocate(nas_runs: dict[str, PoSResults]) -> None:
    honest = nas_runs["honest"]
    assert honest.meta["n_equivocations"] == 0
    assert not honest.pos_blocks["equivocation"].any()
    assert honest.meta["final_stake"] == pytest.approx([0.1] * 10)


def test_nothing_at_stake_multiplies_forks(nas_runs: dict[str, PoSResults]) -> None:
    honest, nas = nas_runs["honest"], nas_runs["nas"]
    assert metrics.stale_rate(nas) > 1.5 * metrics.stale_rate(honest)
    assert metrics.fork_lengths(nas)["length"].max() > metrics.fork_lengths(honest)["length"].max()
    # only the signing half equivocates, and every equivocation is caught by a peer
    eq = nas.pos_blocks[nas.pos_blocks["equivocation"]]
    assert len(eq) > 0 and set(eq["validator"]) <= set(range(5))
    assert len(nas.meta["equivocation_detections"]) == nas.meta["n_equivocations"]
    assert (nas.slots["n_blocks"] >= nas.slots["n_leaders"]).all()
    assert (nas.slots["n_blocks"] > nas.slots["n_leaders"]).any()
    # without slashing nobody loses stake
    assert nas.meta["final_stake"] == pytest.approx([0.1] * 10)


def test_slashing_restores_order(nas_runs: dict[str, PoSResults]) -> None:
    nas, slash = nas_runs["nas"], nas_runs["slash"]
    assert metrics.stale_rate(slash) < metrics.stale_rate(nas)
    assert slash.meta["n_equivocations"] < nas.meta["n_equivocations"]
    stake = slash.meta["final_stake"]
    assert stake[:5] == [0.0] * 5 and stake[5:] == pytest.approx([0.1] * 5)
    # a slashed validator (slash_fraction = 1) makes no block after its detection
    detected: dict[int, float] = {}
    for i, _slot, node, t in slash.meta["equivocation_detections"]:
        assert node != slash.meta["validator_nodes"][i]  # evidence comes from a peer
        detected.setdefault(i, t)
    pb = slash.pos_blocks
    for i, t in detected.items():
        assert not ((pb["validator"] == i) & (pb["t_mined_s"] > t)).any()
    # late in the run only honest validators remain: no equivocations, few forks
    late = pb[pb["t_mined_s"] > max(detected.values())]
    assert len(late) >= 5 and not late["equivocation"].any()


def test_pos_summary(nas_runs: dict[str, PoSResults]) -> None:
    honest, nas, slash = (pos_summary(nas_runs[k]) for k in ("honest", "nas", "slash"))
    assert honest["empty_slot_theory"] == pytest.approx(0.7)
    assert honest["finality_latency_s_rough"] == pytest.approx(10.0)  # 3 * 1 s / 0.3
    assert honest["n_equivocations"] == 0 and honest["slashed_stake"] == 0
    assert nas["stale_rate"] > honest["stale_rate"]
    assert nas["n_detected"] == nas["n_equivocations"] > 0 and nas["slashed_stake"] == 0
    assert slash["slashed_stake"] == pytest.approx(0.5)
    for s in (honest, nas):  # the same lottery draws: the same slots
        assert s["empty_slot_rate"] == honest["empty_slot_rate"]
        assert s["n_slots"] == 400


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_invariants_seeded_sweep(seed: int) -> None:
    """Whatever the behaviour: a child's slot is after its parent's, every block
    reaches every node no earlier than it was made, finality comes after receipt and
    after k blocks were built on top, and first finality precedes finality everywhere."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 4))
    cfg = PoSConfig(
        n_validators=int(rng.integers(2, 9)),
        n_slots=150,
        active_slot_coeff=float(rng.uniform(0.1, 0.7)),
        finality_depth=k,
        validators_sign_all_branches=bool(seed % 2),
        sign_all_share=float(rng.uniform(0.2, 1.0)),
        slashing=seed == 3,
    )
    net = NetworkConfig(n_nodes=12, topology="random-regular", degree=3, relay="push")
    res = simulate_pos(cfg, seed=seed, network_config=net)
    b = res.blocks.set_index("block_id")
    pb = res.pos_blocks.set_index("block_id")
    slot = pd.concat([pd.Series({0: 0}), pb["slot"]])
    parents = b["parent_id"].iloc[1:]
    assert (slot.loc[parents.index].to_numpy() > slot.loc[parents.to_numpy()].to_numpy()).all()
    assert (pb["t_mined_s"] == pb["slot"] * cfg.slot_s).all()
    counts = res.receipts.groupby("block_id").size()
    assert (counts == 12).all() and len(counts) == len(b) - 1
    assert (res.receipts["delay_s"] >= 0).all()
    last_receipt = res.receipts.groupby("block_id")["t_received_s"].max()
    final = pb.dropna(subset=["t_final_all_s"])
    assert (final["t_final_all_s"] >= last_receipt.loc[final.index]).all()
    assert (final["t_final_first_s"] <= final["t_final_all_s"]).all()
    # a block is final somewhere only once some block k higher exists
    ok = pb["n_nodes_final"] > 0
    for block_id in pb.index[ok]:
        higher = b[b["height"] >= b.loc[block_id, "height"] + k]
        assert len(higher) and higher["t_mined_s"].min() <= pb.loc[block_id, "t_final_first_s"]
    assert int(res.slots["n_blocks"].sum()) == len(b) - 1


# ------------------------------------------------------------------------------ faults


def test_partition_breaks_k_deep_finality() -> None:
    """Two halves with equal stake build separate chains for 150 s; at the heal the
    losing side abandons blocks it held final (k = 3): finality violations that the
    same run without the partition does not have."""
    net = small_net()
    cfg = PoSConfig(n_validators=10, n_slots=300, active_slot_coeff=0.3, finality_depth=3)
    nodes = list(range(0, 20, 2))  # validators 0-4 on nodes 0-8, 5-9 on nodes 10-18
    halves = [list(range(10)), list(range(10, 20))]
    calm = simulate_pos(cfg, seed=2, network_config=net, validator_nodes=nodes)
    split = simulate_pos(
        cfg,
        seed=2,
        network_config=net,
        validator_nodes=nodes,
        faults=[("partition", 50, halves), ("heal", 200)],
    )
    assert split.meta["engine"] == "simpy"
    assert len(calm.finality_violations) == 0
    v = split.finality_violations
    assert len(v) > 0 and v["depth"].max() >= 3
    assert (v["t_s"] >= 200).all()
    assert metrics.stale_rate(split) > metrics.stale_rate(calm)
    assert split.meta["faults"]["dropped"]["inv"] > 0
    # after the heal every node ends on one chain
    assert metrics.reorg_depths(split)["depth"].max() >= 3


def test_crashed_leader_makes_no_blocks() -> None:
    cfg = PoSConfig(n_validators=4, n_slots=200, active_slot_coeff=0.5)
    net = NetworkConfig(n_nodes=8, topology="complete")
    res = simulate_pos(
        cfg,
        seed=4,
        network_config=net,
        validator_nodes=[0, 1, 2, 3],
        faults=[("crash", 20, 0), ("restart", 120, 0)],
    )
    pb = res.pos_blocks
    mine = pb[pb["validator"] == 0]
    assert not ((mine["t_mined_s"] > 20) & (mine["t_mined_s"] < 120)).any()
    assert (mine["t_mined_s"] >= 120).any()  # back after the restart
    lost = res.meta["faults"]["n_lost_blocks"]
    assert lost > 0
    assert int(res.slots["n_leaders"].sum() - res.slots["n_blocks"].sum()) == lost
    with pytest.raises(ConfigError, match="engine='fast' runs honest validators on a fault-free"):
        simulate_pos(cfg, seed=4, network_config=net, engine="fast", faults=[("crash", 1, 0)])


# ------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"n_validators": 0}, "pos.n_validators must be >= 1, got 0"),
        ({"active_slot_coeff": 1.5}, "pos.active_slot_coeff must be <= 1, got 1.5"),
        ({"active_slot_coeff": 0.0}, "pos.active_slot_coeff must be > 0, got 0.0"),
        ({"slot_s": -1}, "pos.slot_s must be > 0, got -1.0"),
        ({"n_slots": 0}, "pos.n_slots must be >= 1, got 0"),
        ({"finality_depth": 0}, "pos.finality_depth must be >= 1, got 0"),
        ({"slash_fraction": 0}, "pos.slash_fraction must be > 0, got 0.0"),
        ({"sign_all_share": 2}, "pos.sign_all_share must be <= 1, got 2.0"),
        ({"validators_sign_all_branches": "yes"}, "must be True or False, got 'yes'"),
        ({"stake_shares": (0.5, 0.5)}, "must have n_validators (10) entries, got 2"),
        ({"n_validators": 2, "stake_shares": (0.9, 0.3)}, "stake_shares must sum to 1, got 1.2"),
        ({"n_validators": 2, "stake_shares": (1.5, -0.5)}, "stake_shares[0] must be <= 1"),
    ],
)
def test_bad_config_values(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        PoSConfig(**kwargs)  # type: ignore[arg-type]
    assert fragment in str(err.value)


def test_bad_run_arguments() -> None:
    net = NetworkConfig(n_nodes=5, topology="complete")
    with pytest.raises(ConfigError, match=r"pos.n_validators must be <= network.n_nodes \(5\)"):
        simulate_pos(PoSConfig(n_validators=6), seed=1, network_config=net)
    with pytest.raises(ConfigError, match=r"validator_nodes must be 2 distinct node ids in 0..4"):
        simulate_pos(PoSConfig(n_validators=2), seed=1, network_config=net, validator_nodes=[1, 1])
    with pytest.raises(ConfigError, match=r"leader_schedule must map slots 1..10 to distinct"):
        simulate_pos(
            PoSConfig(n_validators=2, n_slots=10),
            seed=1,
            network_config=net,
            leader_schedule={3: [0, 5]},
        )
    with pytest.raises(ConfigError, match="consensus.protocol must be 'pos'"):
        simulate_pos(SimConfig(), seed=1)
    with pytest.raises(ConfigError, match="seed must be a non-negative integer"):
        simulate_pos(PoSConfig(), seed=-3)
    with pytest.raises(ConfigError, match="config must be a PoSConfig or SimConfig"):
        simulate_pos({"n_validators": 3}, seed=1)  # type: ignore[arg-type]


# ------------------------------------------------------------- standard tables, metrics


def test_standard_tables_and_metrics(tmp_path: object) -> None:
    res = simulate_pos(
        PoSConfig(n_validators=6, n_slots=300, active_slot_coeff=0.2, finality_depth=3),
        seed=9,
        network_config=small_net(),
    )
    assert isinstance(res, Results)
    for name, cols in TABLES.items():
        assert tuple(getattr(res, name).columns) == cols
    for name, cols in POS_TABLES.items():
        assert tuple(getattr(res, name).columns) == cols
    for key in ("seed", "config", "engine", "chainsim_version", "sim_time_s", "wall_time_s"):
        assert key in res.meta
    assert res.meta["config"]["consensus"]["protocol"] == "pos"
    assert (res.blocks["work"].iloc[1:] == 1.0).all()
    # receipts: every block reaches all 20 nodes; the leader has it at once
    assert len(res.receipts) == 20 * (len(res.blocks) - 1)
    assert (res.receipts["delay_s"] >= 0).all()
    # nodes: hash_share is the stake share of validator nodes
    nodes = res.nodes.set_index("node")
    assert nodes.loc[res.meta["validator_nodes"], "hash_share"].tolist() == [1 / 6] * 6
    assert nodes["hash_share"].sum() == pytest.approx(1.0)
    summary = metrics.summary(res)
    assert summary["n_blocks"] == len(res.blocks) - 1
    assert 0 <= summary["stale_rate"] < 0.5
    assert summary["t100_s_median"] > 0
    prop = metrics.propagation_times(res)
    assert len(prop) == len(res.blocks) - 1 and (prop["t100_s"] >= prop["t50_s"]).all()
    assert len(metrics.time_to_consistency(res)) > 0
    assert metrics.chain_growth_rate(res) > 0
    # finality: main-chain blocks below the last k are final everywhere; latency
    # is at least the time until k more blocks came, about k * slot_s / f
    pb = res.pos_blocks
    main = pb[pb["main_chain"]]
    assert main["finality_latency_s"].iloc[:-3].notna().all()
    assert (main["finality_latency_s"].dropna() > 0).all()
    assert 0.5 * 3 / 0.2 < res.meta["finality_latency_s_median"] < 3 * 3 / 0.2
    loaded = Results.load(res.save(tmp_path / "pos"))  # type: ignore[operator]
    assert len(loaded.blocks) == len(res.blocks)


def test_from_sim_config_dispatch() -> None:
    cfg = SimConfig().override(
        {
            "consensus.protocol": "pos",
            "network.n_nodes": 15,
            "network.topology": "random-regular",
            "network.degree": 4,
            "mining.n_miners": 3,
            "mining.block_interval_s": 5,
            "run.n_blocks": 20,
        }
    )
    pos = pos_config_from_sim(cfg)
    assert (pos.n_validators, pos.active_slot_coeff, pos.n_slots) == (3, 0.2, 100)
    res = simulate_pos(cfg, seed=4)
    assert res.meta["n_nodes"] == 15 and res.meta["n_slots"] == 100
    assert pos_config_from_sim(cfg, finality_depth=4).finality_depth == 4
