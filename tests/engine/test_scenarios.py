"""Exact scenarios on tiny hand-made networks, computed by hand.

Every delay is a sum of powers of two (see conftest.py), so event times are exact
floats. Each scenario runs on the SimPy engine (asserting the event log) and the fast
engine (asserting the same receipts).
"""

from __future__ import annotations

import networkx as nx
import pytest
from engine_testkit import LAT, PROC, TX, VAL, receipt_map, scripted

from chainsim.blocktree import most_work

HBLK = PROC + VAL  # handling delay of a block-carrying message
INV_HOP = (LAT + PROC) + (LAT + PROC) + TX + (LAT + HBLK)  # inv, getdata, block
PUSH_HOP = TX + LAT + HBLK
TXC = TX / 8  # compact block upload time


def both_engines(graph, script, miners, **kw):
    sim = scripted(graph, script, miners, engine="simpy", **kw)
    res = sim.run()
    fast = scripted(graph, script, miners, engine="fast", **kw).run()
    assert fast.receipts.equals(res.receipts)
    assert fast.blocks.equals(res.blocks)
    assert fast.messages.equals(res.messages)
    return sim, res


def test_inv_relay_on_a_line_exact_log():
    sim, res = both_engines(nx.path_graph(3), [(1.0, 0)], [0])
    assert sim.log == [
        (1.0, "mined", 0, 1),
        (1.0, "accepted", 0, 1),
        (1.140625, "inv", 1, 1),  # 1 + LAT + PROC
        (1.28125, "getdata", 0, 1),  # + LAT + PROC
        (1.609375, "block", 1, 1),  # + TX + LAT + PROC + VAL
        (1.609375, "accepted", 1, 1),
        (1.75, "inv", 2, 1),  # node 1 does not announce back to its sender
        (1.890625, "getdata", 1, 1),
        (2.21875, "block", 2, 1),
        (2.21875, "accepted", 2, 1),
    ]
    counts = dict(zip(res.messages["kind"], res.messages["n_messages"], strict=True))
    assert counts == {"inv": 2, "getdata": 2, "block": 2}
    n_bytes = dict(zip(res.messages["kind"], res.messages["n_bytes"], strict=True))
    assert n_bytes == {"inv": 122, "getdata": 122, "block": 250_000}


@pytest.mark.parametrize("n", [2, 4, 6])
def test_inv_relay_arrival_grows_by_one_hop_per_link(n):
    _, res = both_engines(nx.path_graph(n), [(1.0, 0)], [0])
    got = receipt_map(res)
    assert INV_HOP == 0.609375
    assert got == {(1, k): 1.0 + k * INV_HOP for k in range(n)}
    assert res.receipts["delay_s"].tolist() == [k * INV_HOP for k in range(n)]


def test_push_relay_upload_queue_on_a_triangle():
    """Node 0 uploads to 1, then to 2: one block at a time, in neighbour order."""
    sim, res = both_engines(nx.complete_graph(3), [(1.0, 0)], [0], relay="push")
    assert receipt_map(res) == {
        (1, 0): 1.0,
        (1, 1): 1.0 + TX + LAT + HBLK,  # 1.328125
        (1, 2): 1.0 + 2 * TX + LAT + HBLK,  # waited for the upload to node 1
    }
    handled = [(t, kind, v) for t, kind, v, _ in sim.log if kind == "block"]
    assert handled == [
        (1.328125, "block", 1),
        (1.453125, "block", 2),
        (1.65625, "block", 2),  # 1 -> 2, ignored: 2 has it already
        (1.78125, "block", 1),  # 2 -> 1, ignored
    ]
    counts = dict(zip(res.messages["kind"], res.messages["n_messages"], strict=True))
    assert counts == {"block": 4}


def test_push_relay_on_a_line():
    _, res = both_engines(nx.path_graph(4), [(2.0, 0)], [0], relay="push")
    assert receipt_map(res) == {(1, k): 2.0 + k * PUSH_HOP for k in range(4)}


@pytest.mark.parametrize(
    ("rate", "hop"),
    [
        (0.0, TXC + LAT + HBLK),
        (1.0, TXC + LAT + HBLK + (LAT + PROC) + TX + LAT + HBLK),  # extra round trip
    ],
)
def test_compact_relay_with_and_without_failures(rate, hop):
    sim, res = both_engines(
        nx.path_graph(3), [(1.0, 0)], [0], relay="compact", compact_failure_rate=rate
    )
    assert receipt_map(res) == {(1, k): 1.0 + k * hop for k in range(3)}
    kinds = [kind for _, kind, v, _ in sim.log if v == 1]
    if rate == 0.0:
        assert kinds == ["cmpctblock", "accepted"]
    else:
        # node 1 asks node 0 for the block, gets it, accepts, then serves node 2
        assert kinds == ["cmpctblock", "blocktxn", "accepted", "getblocktxn"]
        first_request = next(e for e in sim.log if e[1] == "getblocktxn")
        assert first_request == (1.359375, "getblocktxn", 0, 1)


def test_fork_one_stale_block_and_a_reorganisation():
    """Miners at both ends of a line find blocks 0.25 s apart: a fork, then a reorg.

    Block 1 (node 0, t=1) and block 2 (node 2, t=1.25) both extend genesis. Node 1
    sees block 1 first and keeps it when block 2 arrives (equal work: first seen).
    Block 3 (node 2, t=3, on block 2) then moves nodes 1 and 0 to block 2's branch.
    """
    sim, res = both_engines(nx.path_graph(3), [(1.0, 0), (1.25, 1), (3.0, 1)], [0, 2])
    blocks = res.blocks.set_index("block_id")
    assert blocks["parent_id"].tolist() == [-1, 0, 0, 2]
    assert blocks["height"].tolist() == [0, 1, 1, 2]
    assert blocks["miner"].tolist() == [-1, 0, 2, 2]
    assert blocks["main_chain"].tolist() == [True, False, True, True]
    got = receipt_map(res)
    assert got[(1, 1)] == 1.0 + INV_HOP
    assert got[(2, 1)] == 1.25 + INV_HOP
    assert got[(2, 0)] == 1.25 + 2 * INV_HOP
    assert got[(3, 0)] == 3.0 + 2 * INV_HOP
    assert sim.tips == [3, 3, 3]
    # node 1 kept block 1 on the tie, then reorganised to block 3
    nodes = res.nodes.set_index("node")
    assert nodes["n_blocks_mined"].tolist() == [1, 0, 2]
    assert nodes["n_main_chain"].tolist() == [0, 0, 2]


def test_fork_choice_plug_in_changes_who_builds_on_what():
    """With 'last seen wins ties' node 0 switches to block 2 and builds on it."""

    def last_seen(tree, current, candidate):
        w = tree.total_works
        return candidate if w[candidate] >= w[current] else current

    script = [(1.0, 0), (1.25, 1), (3.0, 0)]
    first_seen = scripted(nx.path_graph(3), script, [0, 2]).run()
    assert first_seen.blocks["parent_id"].tolist() == [-1, 0, 0, 1]
    for engine in ("simpy", "fast"):
        res = scripted(nx.path_graph(3), script, [0, 2], engine=engine, fork_choice=last_seen).run()
        assert res.blocks["parent_id"].tolist() == [-1, 0, 0, 2]
        assert res.blocks["main_chain"].tolist() == [True, False, True, True]
        assert res.meta["fork_choice"] == "last_seen"
    assert scripted(nx.path_graph(3), script, [0, 2], fork_choice=most_work).run().blocks[
        "parent_id"
    ].tolist() == [-1, 0, 0, 1]


def test_orphan_waits_for_its_parent():
    """Node 2 fetches block 1 over a slow link but block 2 over a fast one.

    Links: 0-1 125 ms, 1-2 62.5 ms, 0-2 500 ms. Node 2 asks node 0 for block 1 (its
    inv came first) and gets it at 2.734375; block 2 (mined by node 1 at 1.625 on
    block 1) arrives at 2.046875 and waits. Both are accepted at 2.734375.
    """
    g = nx.Graph()
    g.add_edge(0, 1, latency_ms=125.0)
    g.add_edge(1, 2, latency_ms=62.5)
    g.add_edge(0, 2, latency_ms=500.0)
    sim, res = both_engines(g, [(1.0, 0), (1.625, 1)], [0, 1], latency_ms=None)
    assert receipt_map(res) == {
        (1, 0): 1.0,
        (1, 1): 1.609375,
        (1, 2): 2.734375,
        (2, 1): 1.625,
        (2, 0): 2.234375,
        (2, 2): 2.734375,
    }
    at_node_2 = [(t, kind, b) for t, kind, v, b in sim.log if v == 2]
    assert at_node_2 == [
        (1.515625, "inv", 1),  # from node 0, requested there
        (1.6875, "inv", 1),  # from node 1, ignored
        (1.703125, "inv", 2),
        (2.046875, "block", 2),  # parent missing: waits
        (2.734375, "block", 1),
        (2.734375, "accepted", 1),
        (2.734375, "accepted", 2),
        (2.75, "inv", 2),  # from node 0, ignored
    ]
    counts = dict(zip(res.messages["kind"], res.messages["n_messages"], strict=True))
    assert counts == {"inv": 7, "getdata": 4, "block": 4}
    assert sim.tips == [2, 2, 2]
