"""Hypothesis properties over random small valid configurations.

Each example runs both engines and checks the invariants of the model and that the
engines agree (latency jitter > 0, so no two events share a float time).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsim.config import SimConfig
from chainsim.simulation import Simulation


@st.composite
def configs(draw: st.DrawFn) -> SimConfig:
    n = draw(st.integers(3, 12))
    topology = draw(st.sampled_from(["complete", "random-regular", "bitcoin"]))
    degree = 2 if topology != "random-regular" else draw(st.sampled_from([2, 3] if n > 3 else [2]))
    if degree * n % 2:
        degree = 2
    n_miners = draw(st.integers(1, n))
    if draw(st.booleans()):
        raw = np.array(draw(st.lists(st.integers(1, 20), min_size=n_miners, max_size=n_miners)))
        shares = tuple(float(x) for x in raw / raw.sum())
        shares = (*shares[:-1], 1.0 - sum(shares[:-1]))
    else:
        shares = ()
    interval = draw(st.sampled_from([0.3, 1.0, 2.0, 5.0, 30.0]))
    retarget = draw(st.booleans()) and interval >= 2.0
    shocks = draw(
        st.lists(
            st.tuples(st.floats(0.0, 60.0), st.sampled_from([0.25, 0.5, 2.0, 4.0])),
            max_size=2,
        )
    )
    return SimConfig.from_dict(
        {
            "network": {
                "n_nodes": n,
                "topology": topology,
                "degree": degree,
                "latency_jitter": draw(st.floats(0.05, 1.0)),
                "bandwidth_mbps": draw(st.sampled_from([None, 2.0, 50.0, math.inf])),
                "relay": draw(st.sampled_from(["inv", "push", "compact"])),
                "compact_failure_rate": draw(st.sampled_from([0.0, 0.3, 1.0])),
                "processing_ms": draw(st.sampled_from([0.0, 2.0, 20.0])),
                "validation_ms": draw(st.sampled_from([0.0, 15.0])),
            },
            "mining": {
                "n_miners": n_miners,
                "hash_shares": shares,
                "block_interval_s": interval,
                "block_size_bytes": draw(st.sampled_from([1_000, 100_000, 1_000_000])),
                "retarget": retarget,
                "retarget_period_blocks": draw(st.integers(2, 5)),
                "hashrate_shocks": shocks,
            },
            "run": {"n_blocks": draw(st.integers(1, 25)), "drain": draw(st.booleans())},
        }
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cfg=configs(), seed=st.integers(0, 2**32 - 1))
def test_model_invariants_and_engine_agreement(cfg, seed):
    sim = Simulation(cfg, seed=seed, engine="fast")
    res = sim.run()
    blocks, receipts, nodes = res.blocks, res.receipts, res.nodes
    n = cfg.network.n_nodes
    n_blocks = len(blocks) - 1

    # blocks mined: as asked, and the nodes table agrees with the blocks table
    assert n_blocks == cfg.run.n_blocks == res.meta["n_blocks"]
    assert nodes["n_blocks_mined"].sum() == n_blocks
    assert nodes["n_main_chain"].sum() == blocks["main_chain"].sum() - 1
    assert (blocks["block_id"] == np.arange(len(blocks))).all()

    # every parent exists, was mined earlier, and heights grow by one along links
    parent = blocks["parent_id"].to_numpy()[1:]
    assert (parent >= 0).all() and (parent < blocks["block_id"].to_numpy()[1:]).all()
    t = blocks["t_mined_s"].to_numpy()
    h = blocks["height"].to_numpy()
    assert (t[1:] >= t[parent]).all()
    assert (h[1:] == h[parent] + 1).all()

    # the main chain is one block per height, from genesis to the final tip
    main = blocks[blocks["main_chain"]]
    assert main["height"].tolist() == list(range(len(main)))
    assert (main["parent_id"].to_numpy()[1:] == main["block_id"].to_numpy()[:-1]).all()

    # receipts: unique per (block, node), never before mining, miners at delay 0
    assert not receipts.duplicated(["block_id", "node"]).any()
    assert (receipts["delay_s"] >= 0).all()
    own = receipts[receipts["node"].to_numpy() == blocks["miner"].to_numpy()[receipts["block_id"]]]
    assert len(own) == n_blocks and (own["delay_s"] == 0).all()
    if cfg.run.drain:
        assert len(receipts) == n_blocks * n  # the graph is connected
    # a node accepts a block only after its parent
    rt = receipts.set_index(["block_id", "node"])["t_received_s"]
    for (b, v), tb in rt.items():
        p = blocks.at[b, "parent_id"]
        if p > 0:
            assert rt[(p, v)] <= tb

    # each node's tip is the heaviest block it accepted, the first seen on ties
    work = blocks["work"].to_numpy()
    total = np.zeros(len(blocks))
    for b in range(1, len(blocks)):
        total[b] = total[parent[b - 1]] + work[b]
    for v, group in receipts.groupby("node"):
        ids = group["block_id"].to_numpy()
        heaviest = total[ids].max()
        candidates = group[total[ids] == heaviest].sort_values(["t_received_s", "block_id"])
        assert sim.tips[v] == candidates["block_id"].iloc[0]
    for v in set(range(n)) - set(receipts["node"]):
        assert sim.tips[v] == 0

    # the SimPy engine computes exactly the same run
    slow_sim = Simulation(cfg, seed=seed, engine="simpy")
    slow = slow_sim.run()
    for name in ("blocks", "receipts", "nodes", "messages"):
        assert getattr(slow, name).equals(getattr(res, name)), name
    assert slow_sim.tips == sim.tips
