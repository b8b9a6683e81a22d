"""Metrics on hand-built result tables with known answers, plus replay properties.

The main fixture is a small run worked out by hand (three nodes, eight blocks):

    0 - 1 - 2 - 4 - 6 - 8        main chain (miners 0, 1, 0, 0, 0)
         \\       \\
          3 - 5   7              stale: a fork of length 2 (node 2) and one of length 1

Node 2 follows its own branch 3 - 5 until block 6 arrives at 62 s and abandons two
blocks; node 1 mines 7 on 4 and abandons it when 8 arrives at 71.5 s.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim import metrics
from chainsim.errors import ConfigError
from chainsim.results import TABLES, Results

BLOCKS = pd.DataFrame(
    {
        "block_id": [0, 1, 2, 3, 4, 5, 6, 7, 8],
        "parent_id": [-1, 0, 1, 1, 2, 3, 4, 4, 6],
        "height": [0, 1, 2, 2, 3, 3, 4, 4, 5],
        "miner": [-1, 0, 1, 2, 0, 2, 0, 1, 0],
        "t_mined_s": [0.0, 10.0, 20.0, 21.0, 40.0, 35.0, 60.0, 60.5, 70.0],
        "size_bytes": [0] + [1000] * 8,
        "work": [1.0] * 9,
        "main_chain": [True, True, True, False, True, False, True, False, True],
    }
)

# (block, node, t_received_s)
RECEIPTS = [
    (1, 0, 10.0), (2, 0, 21.0), (3, 0, 23.0), (4, 0, 40.0),
    (5, 0, 41.0), (6, 0, 60.0), (7, 0, 61.0), (8, 0, 70.0),
    (1, 1, 11.0), (2, 1, 20.0), (3, 1, 22.0), (4, 1, 42.0),
    (5, 1, 45.0), (7, 1, 60.5), (6, 1, 61.0), (8, 1, 71.5),
    (1, 2, 12.0), (3, 2, 21.0), (2, 2, 22.0), (5, 2, 35.0),
    (4, 2, 41.0), (6, 2, 62.0), (7, 2, 63.0), (8, 2, 72.0),
]  # fmt: skip


def make_results(blocks: pd.DataFrame, receipts: list[tuple[int, int, float]], n_nodes: int,
                 hash_share: list[float] | None = None) -> Results:  # fmt: skip
    t_mined = blocks.set_index("block_id")["t_mined_s"]
    r = pd.DataFrame(receipts, columns=["block_id", "node", "t_received_s"])
    r["delay_s"] = r["t_received_s"] - t_mined.reindex(r["block_id"]).to_numpy()
    shares = hash_share if hash_share is not None else [1.0 / n_nodes] * n_nodes
    nodes = pd.DataFrame(
        {
            "node": range(n_nodes),
            "region": 0,
            "hash_share": shares,
            "n_blocks_mined": 0,
            "n_main_chain": 0,
        }
    )
    return Results(blocks=blocks, receipts=r[list(TABLES["receipts"])], nodes=nodes)


@pytest.fixture
def run() -> Results:
    return make_results(BLOCKS, RECEIPTS, 3, [0.5, 0.3, 0.2])


def test_stale_rate_counts_mined_blocks_only(run: Results) -> None:
    assert metrics.stale_rate(run) == 3 / 8


def test_chain_growth_rate(run: Results) -> None:
    assert metrics.chain_growth_rate(run) == pytest.approx(5 / 70)


def test_fork_lengths(run: Results) -> None:
    forks = metrics.fork_lengths(run)
    assert forks.to_dict("list") == {
        "root_id": [3, 7],
        "fork_point_id": [1, 4],
        "height": [2, 4],
        "t_mined_s": [21.0, 60.5],
        "length": [2, 1],
        "n_blocks": [2, 1],
    }


def test_propagation_times_by_hand(run: Results) -> None:
    prop = metrics.propagation_times(run)
    assert list(prop.columns) == ["block_id", "t50_s", "t90_s", "t100_s", "n_received"]
    assert prop["block_id"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    # With 3 nodes, 50 % is the 2nd node (ceil 1.5), 90 % and 100 % the 3rd.
    assert prop["t50_s"].tolist() == [1.0, 1.0, 1.0, 1.0, 6.0, 1.0, 0.5, 1.5]
    assert prop["t90_s"].tolist() == prop["t100_s"].tolist()
    assert prop["t100_s"].tolist() == [2.0, 2.0, 2.0, 2.0, 10.0, 2.0, 2.5, 2.0]
    assert prop["n_received"].tolist() == [3] * 8


def test_propagation_summary_by_hand(run: Results) -> None:
    s = metrics.propagation_summary(run)
    assert s["t50_s_median"] == 1.0
    assert s["t50_s_mean"] == pytest.approx((1 + 1 + 1 + 1 + 6 + 1 + 0.5 + 1.5) / 8)
    assert s["t100_s_median"] == 2.0
    assert s["n_blocks"] == 8 and s["fully_propagated"] == 1.0
    # Receipts other than the miner's own: 16 delays summing to 37.5 s.
    assert s["delay_s_mean"] == pytest.approx(37.5 / 16)
    assert s["delay_s_median"] == 2.0


def test_propagation_share_rounding_and_missing_nodes() -> None:
    # 0.9 * 10 is 9.000000000000002 in floating point; the 9th node is meant.
    blocks = pd.DataFrame({"block_id": [0, 1, 2, 3], "t_mined_s": [0.0, 1.0, 2.0, 3.0]})
    rows = [(1, n, 1.0 + n) for n in range(10)] + [(2, n, 2.0 + n) for n in range(5)]
    res = make_results(blocks, rows, 10)
    prop = metrics.propagation_times(res, fractions=(0.1, 0.5, 0.9, 0.95, 1.0))
    assert list(prop.columns[1:-1]) == ["t10_s", "t50_s", "t90_s", "t95_s", "t100_s"]
    first = prop.iloc[0]
    assert (first["t10_s"], first["t50_s"], first["t90_s"], first["t100_s"]) == (0, 4, 8, 9)
    assert first["t95_s"] == 9.0
    second = prop.iloc[1]  # reached 5 of 10 nodes only
    assert second["t50_s"] == 4.0 and math.isnan(second["t90_s"])
    third = prop.iloc[2]  # no receipts at all
    assert third["n_received"] == 0 and math.isnan(third["t10_s"])
    s = metrics.propagation_summary(res)
    assert s["fully_propagated"] == pytest.approx(1 / 3)
    assert s["t100_s_median"] == 9.0  # over blocks that got there


def test_informed_fraction_by_hand(run: Results) -> None:
    # 8 blocks x 3 nodes = 24 pairs; 8 miner receipts at 0 s, 14 pairs by 1 s,
    # every pair by 10 s (block 5 reaches node 1 last).
    f = metrics.informed_fraction(run, [0.0, 1.0, 9.99, 10.0, 100.0])
    assert f.tolist() == [8 / 24, 14 / 24, 23 / 24, 1.0, 1.0]
    # The area above the curve is the mean delay over all pairs (37.5 s / 24).
    times = np.linspace(0.0, 10.0, 200_001)
    area = float(np.sum(1.0 - metrics.informed_fraction(run, times[:-1])) * (times[1] - times[0]))
    assert area == pytest.approx(37.5 / 24, abs=1e-3)


def test_reorg_depths_by_hand(run: Results) -> None:
    reorgs = metrics.reorg_depths(run)
    assert reorgs.to_dict("records") == [
        {"node": 1, "t_received_s": 71.5, "old_tip": 7, "new_tip": 8, "depth": 1},
        {"node": 2, "t_received_s": 62.0, "old_tip": 5, "new_tip": 6, "depth": 2},
    ]


def test_revenue_shares(run: Results) -> None:
    rev = metrics.revenue_shares(run)
    assert rev.to_dict("list") == {
        "node": [0, 1, 2],
        "hash_share": [0.5, 0.3, 0.2],
        "revenue_share": [0.8, 0.2, 0.0],
        "n_blocks_mined": [4, 2, 2],
        "n_main_chain": [4, 1, 0],
    }


def test_time_to_consistency_by_hand(run: Results) -> None:
    ttc = metrics.time_to_consistency(run)
    assert ttc["block_id"].tolist() == [1, 2, 4, 6, 8]
    assert ttc["t_consistent_s"].tolist() == [12.0, 62.0, 62.0, 71.5, 72.0]
    assert ttc["time_to_consistency_s"].tolist() == [2.0, 42.0, 22.0, 11.5, 2.0]


def test_time_to_consistency_is_nan_when_a_node_never_settles(run: Results) -> None:
    # Node 2 never hears of block 8: it stays consistent about 1..6 only.
    rows = [r for r in RECEIPTS if not (r[0] == 8 and r[1] == 2)]
    ttc = metrics.time_to_consistency(make_results(BLOCKS, rows, 3))
    assert ttc["t_consistent_s"].tolist()[:4] == [12.0, 62.0, 62.0, 71.5]
    assert math.isnan(ttc["t_consistent_s"].iloc[4])


def test_summary(run: Results) -> None:
    s = metrics.summary(run)
    assert s["n_nodes"] == 3
    assert s["n_blocks"] == 8 and s["n_main_chain"] == 5 and s["n_stale"] == 3
    assert s["stale_rate"] == 3 / 8
    assert s["mean_block_interval_s"] == 70.0 / 8
    assert s["chain_growth_rate_per_s"] == pytest.approx(5 / 70)
    assert (s["t50_s_median"], s["t90_s_median"], s["t100_s_median"]) == (1.0, 2.0, 2.0)
    assert (s["max_fork_length"], s["n_reorgs"], s["max_reorg_depth"]) == (2, 2, 2)
    assert s["time_to_consistency_s_median"] == 11.5


def test_empty_results() -> None:
    empty = Results()
    assert math.isnan(metrics.stale_rate(empty))
    assert math.isnan(metrics.chain_growth_rate(empty))
    assert metrics.summary(empty)["n_blocks"] == 0
    assert len(metrics.propagation_times(empty)) == 0
    assert len(metrics.fork_lengths(empty)) == 0
    only_genesis = Results(blocks=BLOCKS.iloc[:1])
    assert len(metrics.reorg_depths(only_genesis)) == 0
    assert len(metrics.time_to_consistency(only_genesis)) == 0


def test_most_work_beats_height() -> None:
    # Block 3 (height 1, work 3) outweighs 1 <- 2 (work 2): the node reorganises
    # two blocks deep onto a *shorter* chain.
    blocks = pd.DataFrame(
        {
            "block_id": [0, 1, 2, 3],
            "parent_id": [-1, 0, 1, 0],
            "height": [0, 1, 2, 1],
            "miner": [-1, 0, 0, 1],
            "t_mined_s": [0.0, 1.0, 2.0, 3.0],
            "work": [1.0, 1.0, 1.0, 3.0],
            "main_chain": [True, False, False, True],
        }
    )
    res = make_results(blocks, [(1, 0, 1.0), (2, 0, 2.0), (3, 0, 3.0)], 1)
    assert metrics.reorg_depths(res)[["old_tip", "new_tip", "depth"]].values.tolist() == [[2, 3, 2]]
    assert metrics.fork_lengths(res)[["root_id", "length"]].values.tolist() == [[1, 2]]


def test_first_seen_wins_ties_including_same_time() -> None:
    blocks = BLOCKS.iloc[:4]  # 0 - 1 - 2 and 1 - 3
    # Node 0 gets 3 and 2 at the same instant: the row recorded first wins.
    res = make_results(blocks, [(1, 0, 1.0), (3, 0, 25.0), (2, 0, 25.0)], 1)
    changes = metrics.reorg_depths(res)
    assert len(changes) == 0
    ttc = metrics.time_to_consistency(res)  # node 0 ends on 3, not on main block 2
    assert math.isnan(ttc.loc[ttc["block_id"] == 2, "t_consistent_s"].iloc[0])


def test_bad_fractions(run: Results) -> None:
    with pytest.raises(ConfigError, match=r"fractions must be in \(0, 1\], got 1.5"):
        metrics.propagation_times(run, fractions=(0.5, 1.5))
    with pytest.raises(ConfigError, match="fractions must not be empty"):
        metrics.propagation_summary(run, fractions=())


# ----------------------------------------------------------------- properties


@st.composite
def random_runs(draw: st.DrawFn) -> Results:
    """A random block tree and random, causally ordered receipts at a few nodes."""
    n_blocks = draw(st.integers(1, 25))
    n_nodes = draw(st.integers(1, 5))
    parents = [-1] + [draw(st.integers(0, i - 1)) for i in range(1, n_blocks + 1)]
    works = [1.0] + [draw(st.sampled_from([1.0, 1.0, 2.0])) for _ in range(n_blocks)]
    heights = [0]
    total = [works[0]]
    t_mined = [0.0]
    for i in range(1, n_blocks + 1):
        p = parents[i]
        heights.append(heights[p] + 1)
        total.append(total[p] + works[i])
        t_mined.append(t_mined[p] + draw(st.floats(0.5, 10.0)))
    tip = max(range(n_blocks + 1), key=lambda b: (total[b], -b))
    main = set()
    b = tip
    while b >= 0:
        main.add(b)
        b = parents[b]
    blocks = pd.DataFrame(
        {
            "block_id": range(n_blocks + 1),
            "parent_id": parents,
            "height": heights,
            "miner": [-1] + [draw(st.integers(0, n_nodes - 1)) for _ in range(n_blocks)],
            "t_mined_s": t_mined,
            "size_bytes": 1000,
            "work": works,
            "main_chain": [i in main for i in range(n_blocks + 1)],
        }
    )
    rows = []
    for node in range(n_nodes):
        got: dict[int, float] = {0: 0.0}
        for i in range(1, n_blocks + 1):
            if parents[i] not in got or draw(st.integers(0, 9)) == 0:
                continue  # some nodes miss a block (and then its descendants)
            delay = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 5.0]))
            got[i] = max(t_mined[i] + delay, got[parents[i]])
            rows.append((i, node, got[i]))
    rows.sort(key=lambda r: (r[1], r[2], r[0]))  # causal recording order
    order = draw(st.permutations(range(len(rows))))  # table row order is irrelevant...
    if draw(st.booleans()):
        rows = [rows[k] for k in order]
        # ...except for time ties, which keep recording order: re-sort stably by time.
        rows.sort(key=lambda r: (r[1], r[2], r[0]))
    return make_results(blocks, rows, n_nodes)


def naive_replay(res: Results) -> tuple[list[tuple[int, float, int, int, int]], dict]:
    """Per node, one receipt at a time: reorganisations and tip histories."""
    b = res.blocks.set_index("block_id")
    parent = b["parent_id"].to_dict()
    height = b["height"].to_dict()
    work = b["work"].to_dict()
    total: dict[int, float] = {}
    for bid in sorted(parent, key=lambda x: height[x]):
        total[bid] = work[bid] + (total[parent[bid]] if parent[bid] >= 0 else 0.0)

    def ancestors(x: int) -> list[int]:
        out = []
        while x >= 0:
            out.append(x)
            x = parent[x]
        return out

    reorgs = []
    history: dict[int, list[tuple[float, int]]] = {}
    for node, group in res.receipts.groupby("node", sort=True):
        tip = 0
        hist = []
        for bid, t in group.sort_values("t_received_s", kind="stable")[
            ["block_id", "t_received_s"]
        ].itertuples(index=False):
            if total[bid] > total[tip]:
                anc = set(ancestors(bid))
                if tip not in anc:
                    lca = next(a for a in ancestors(tip) if a in anc)
                    reorgs.append((int(node), float(t), tip, int(bid), height[tip] - height[lca]))
                tip = int(bid)
                hist.append((float(t), tip))
        history[int(node)] = hist
    return reorgs, {"history": history, "ancestors": ancestors}


@settings(max_examples=150, deadline=None)
@given(res=random_runs())
def test_reorg_depths_match_naive_replay(res: Results) -> None:
    expected, _ = naive_replay(res)
    got = metrics.reorg_depths(res)
    assert [tuple(r) for r in got.itertuples(index=False)] == sorted(
        expected, key=lambda r: (r[0], r[1])
    )
    assert (got["depth"] >= 1).all()


@settings(max_examples=150, deadline=None)
@given(res=random_runs())
def test_time_to_consistency_matches_naive_definition(res: Results) -> None:
    _, info = naive_replay(res)
    history, ancestors = info["history"], info["ancestors"]
    got = metrics.time_to_consistency(res).set_index("block_id")
    for bid in got.index:
        times = []
        for node in range(len(res.nodes)):
            hist = history.get(node, [])
            contains = [bid in ancestors(tip) for _, tip in hist]
            if not hist or not contains[-1]:
                times.append(math.nan)
                continue
            k = len(contains)
            while k > 0 and contains[k - 1]:
                k -= 1
            times.append(hist[k][0])
        expected = math.nan if any(math.isnan(x) for x in times) else max(times)
        value = got.loc[bid, "t_consistent_s"]
        assert (math.isnan(expected) and math.isnan(value)) or value == expected


@settings(max_examples=100, deadline=None)
@given(res=random_runs())
def test_metric_invariants(res: Results) -> None:
    assert 0.0 <= metrics.stale_rate(res) <= 1.0
    prop = metrics.propagation_times(res)
    ok = prop.dropna()
    assert (ok["t50_s"] <= ok["t90_s"]).all() and (ok["t90_s"] <= ok["t100_s"]).all()
    assert (prop["t50_s"].isna() | (prop["t50_s"] >= 0)).all()
    # A share that was reached implies every smaller share was reached.
    assert (prop["t100_s"].isna() | prop["t50_s"].notna()).all()
    forks = metrics.fork_lengths(res)
    n_stale = int((~res.blocks["main_chain"]).sum())
    assert forks["n_blocks"].sum() == n_stale
    assert (forks["length"] <= forks["n_blocks"]).all()
    rev = metrics.revenue_shares(res)
    if res.blocks["main_chain"].sum() > 1:
        assert rev["revenue_share"].sum() == pytest.approx(1.0)
    s = metrics.summary(res)
    assert s["n_main_chain"] + s["n_stale"] == s["n_blocks"] == len(res.blocks) - 1


@given(
    delays=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=40),
    fractions=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=4),
)
def test_propagation_matches_sorted_order_statistic(
    delays: list[float], fractions: list[float]
) -> None:
    blocks = pd.DataFrame({"block_id": [0, 1], "t_mined_s": [0.0, 0.0]})
    rows = [(1, n, d) for n, d in enumerate(delays)]
    res = make_results(blocks, rows, len(delays))
    prop = metrics.propagation_times(res, fractions=fractions).iloc[0]
    ordered = sorted(delays)
    for f in fractions:
        k = max(1, math.ceil(round(f * len(delays), 9)))
        col = f"t{round(f * 100, 6):g}_s"
        assert prop[col] == ordered[k - 1]


def test_large_tables_are_vectorised() -> None:
    # 200,000 receipts: a smoke test that nothing loops per receipt in Python
    # (speed itself is measured in benchmarks/, not here).
    rng = np.random.default_rng(3)
    n_nodes, n_blocks = 2000, 100
    blocks = pd.DataFrame(
        {
            "block_id": np.arange(n_blocks + 1),
            "parent_id": np.arange(-1, n_blocks),
            "height": np.arange(n_blocks + 1),
            "miner": np.r_[-1, rng.integers(0, n_nodes, n_blocks)],
            "t_mined_s": np.arange(n_blocks + 1) * 600.0,
            "size_bytes": 1000,
            "work": 1.0,
            "main_chain": True,
        }
    )
    delay = rng.exponential(5.0, n_nodes * n_blocks)
    bid = np.repeat(np.arange(1, n_blocks + 1), n_nodes)
    receipts = pd.DataFrame(
        {
            "block_id": bid,
            "node": np.tile(np.arange(n_nodes), n_blocks),
            "t_received_s": bid * 600.0 + delay,
            "delay_s": delay,
        }
    )
    nodes = pd.DataFrame({"node": np.arange(n_nodes), "hash_share": 1 / n_nodes})
    res = Results(blocks=blocks, receipts=receipts, nodes=nodes)
    prop = metrics.propagation_times(res)
    expected = np.sort(delay.reshape(n_blocks, n_nodes), axis=1)[:, n_nodes // 2 - 1]
    np.testing.assert_array_equal(prop["t50_s"].to_numpy(), expected)
    assert len(metrics.reorg_depths(res)) == 0
    ttc = metrics.time_to_consistency(res)["time_to_consistency_s"].to_numpy()
    np.testing.assert_allclose(ttc, delay.reshape(n_blocks, n_nodes).max(axis=1))
