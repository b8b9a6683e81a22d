"""Topologies: the Bitcoin degree distribution, connectivity and custom graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from chainsim.config import NetworkConfig
from chainsim.errors import ConfigError
from chainsim.network import (
    BITCOIN_OUTBOUND_DEGREE_CDF,
    build_network,
    outbound_degree_mean,
    outbound_degree_pmf,
)
from chainsim.network.topology import (
    bitcoin_edges,
    bitcoin_outbound,
    component_labels,
    join_components,
    normalize_edges,
    validate_custom_graph,
)
from chainsim.rng import RandomStreams

SEED = 20261128


def test_outbound_degree_pmf_matches_published_cdf() -> None:
    pmf = outbound_degree_pmf()
    assert pmf.shape == (20,)
    np.testing.assert_allclose(np.cumsum(pmf), BITCOIN_OUTBOUND_DEGREE_CDF, atol=1e-12)
    assert pmf[15] == 0.0  # the CDF is flat between degree 15 and 16
    assert outbound_degree_mean() == pytest.approx(8.645)


def test_bitcoin_outbound_degrees_follow_the_cdf() -> None:
    """Chi-square goodness of fit of 20,000 outbound degrees (seeded)."""
    degrees, _ = bitcoin_outbound(20_000, np.random.default_rng(SEED))
    counts = np.bincount(degrees, minlength=21)[1:]
    pmf = outbound_degree_pmf()
    observed = counts[pmf > 0]
    expected = pmf[pmf > 0] * degrees.size
    assert counts[15] == 0
    p_value = stats.chisquare(observed, expected).pvalue
    assert p_value > 1e-3
    empirical_cdf = np.cumsum(counts) / degrees.size
    np.testing.assert_allclose(empirical_cdf, BITCOIN_OUTBOUND_DEGREE_CDF, atol=0.01)


def test_bitcoin_outbound_peers_distinct_and_not_self() -> None:
    n = 300
    degrees, peers = bitcoin_outbound(n, np.random.default_rng(1))
    for u in range(n):
        chosen = peers[u, : degrees[u]]
        assert len(set(chosen.tolist())) == degrees[u]
        assert u not in chosen
        assert ((chosen >= 0) & (chosen < n)).all()
        assert (peers[u, degrees[u] :] == -1).all()


def test_bitcoin_outbound_degree_capped_in_tiny_networks() -> None:
    for n in (2, 3, 5, 21):
        degrees, peers = bitcoin_outbound(n, np.random.default_rng(n))
        assert degrees.max() <= n - 1
        for u in range(n):
            assert len(set(peers[u, : degrees[u]].tolist())) == degrees[u]


def test_bitcoin_edges_are_the_union_of_outbound_choices() -> None:
    n = 500
    degrees, peers = bitcoin_outbound(n, np.random.default_rng(4))
    edges = bitcoin_edges(n, np.random.default_rng(4))
    expected = {(min(u, v), max(u, v)) for u in range(n) for v in peers[u, : degrees[u]].tolist()}
    assert {tuple(e) for e in edges.tolist()} == expected


def test_bitcoin_total_degree_is_about_twice_the_outbound_mean() -> None:
    net = build_network(NetworkConfig(n_nodes=10_000), RandomStreams(SEED))
    mean = float(net.degrees.mean())
    # inbound mean equals outbound mean; mutual picks (rare at 10,000 nodes) merge.
    assert 2 * outbound_degree_mean() - 0.15 < mean <= 2 * outbound_degree_mean() + 0.1
    assert net.degrees.min() >= 1


def test_normalize_edges_sorts_dedups_and_drops_self_links() -> None:
    pairs = np.array([[3, 1], [1, 3], [2, 2], [0, 4], [4, 0], [0, 1]])
    assert normalize_edges(5, pairs).tolist() == [[0, 1], [0, 4], [1, 3]]


def test_join_components_adds_k_minus_one_links_and_keeps_old_ones() -> None:
    edges = normalize_edges(9, np.array([[0, 1], [2, 3], [4, 5], [6, 7]]))  # 5 components
    joined = join_components(9, edges, np.random.default_rng(0))
    assert len(joined) == len(edges) + 4
    assert {tuple(e) for e in edges.tolist()} <= {tuple(e) for e in joined.tolist()}
    assert component_labels(9, joined)[0] == 1
    again = join_components(9, edges, np.random.default_rng(0))
    np.testing.assert_array_equal(joined, again)


def test_join_components_leaves_a_connected_graph_alone() -> None:
    edges = normalize_edges(3, np.array([[0, 1], [1, 2]]))
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    assert join_components(3, edges, rng) is edges
    assert rng.bit_generator.state == state  # no draws consumed


@pytest.mark.parametrize(
    ("topology", "degree"),
    [
        ("bitcoin", 8),
        ("random-regular", 1),
        ("random-regular", 2),
        ("random-regular", 8),
        ("small-world", 2),
        ("small-world", 6),
        ("scale-free", 1),
        ("scale-free", 8),
        ("complete", 8),
    ],
)
def test_every_topology_is_connected(topology: str, degree: int) -> None:
    for seed in range(5):
        cfg = NetworkConfig(n_nodes=60, topology=topology, degree=degree)
        net = build_network(cfg, RandomStreams(seed))
        assert nx.is_connected(net.graph)
        assert net.n_nodes == 60


def test_random_regular_degree_is_exact_when_connected() -> None:
    net = build_network(
        NetworkConfig(n_nodes=200, topology="random-regular", degree=6), RandomStreams(2)
    )
    assert set(net.degrees.tolist()) == {6}


def test_small_world_and_scale_free_mean_degree() -> None:
    sw = build_network(
        NetworkConfig(n_nodes=400, topology="small-world", degree=8), RandomStreams(2)
    )
    assert sw.degrees.mean() == pytest.approx(8.0)
    sf = build_network(
        NetworkConfig(n_nodes=400, topology="scale-free", degree=8), RandomStreams(2)
    )
    # Barabasi-Albert with m = 4: (n - m) * m links.
    assert sf.n_links == (400 - 4) * 4
    assert sf.degrees.max() > 3 * sf.degrees.mean()  # hubs


def test_complete_topology() -> None:
    net = build_network(NetworkConfig(n_nodes=12, topology="complete"), RandomStreams(0))
    assert net.n_links == 66
    assert set(net.degrees.tolist()) == {11}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"topology": "small-world", "degree": 1}, "network.degree must be between 2"),
        ({"topology": "small-world", "degree": 10, "n_nodes": 10}, "network.degree"),
        ({"topology": "scale-free", "degree": 40, "n_nodes": 10}, "network.degree // 2"),
        ({"topology": "complete", "n_nodes": 1001}, "network.n_nodes must be <= 1000"),
    ],
)
def test_degree_and_size_errors_name_the_parameter(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_network(NetworkConfig(**changes), RandomStreams(0))


# --- custom graphs -----------------------------------------------------------


def test_custom_graph_relabelled_in_sorted_order() -> None:
    graph = nx.Graph([("carol", "alice"), ("alice", "bob"), ("bob", "dave")])
    net = build_network(NetworkConfig(n_nodes=4, topology="custom"), RandomStreams(0), graph=graph)
    # alice=0, bob=1, carol=2, dave=3
    assert net.edges.tolist() == [[0, 1], [0, 2], [1, 3]]
    assert net.adjacency == [[1, 2], [0, 3], [0], [1]]


def test_custom_graph_keeps_attributes_and_labels() -> None:
    graph = nx.Graph()
    graph.add_edge(10, 20, weight=3)
    out = validate_custom_graph(graph)
    assert out.nodes[0]["label"] == 10
    assert out.edges[0, 1]["weight"] == 3
    assert 10 in graph and 0 not in graph  # the user's graph is not changed


def test_custom_graph_uses_no_topology_draws() -> None:
    graph = nx.karate_club_graph()
    cfg = NetworkConfig(n_nodes=34, topology="custom")
    a = build_network(cfg, RandomStreams(1), graph=graph)
    b = build_network(cfg, RandomStreams(2), graph=graph)
    np.testing.assert_array_equal(a.edges, b.edges)
    assert a.n_links == graph.number_of_edges()


def _two_components() -> nx.Graph:
    return nx.Graph([(0, 1), (2, 3)])


def _self_loop() -> nx.Graph:
    g = nx.path_graph(3)
    g.add_edge(1, 1)
    return g


def _mixed_labels() -> nx.Graph:
    return nx.Graph([(1, "a"), ("a", 2)])


@pytest.mark.parametrize(
    ("graph", "n_nodes", "message"),
    [
        ("not a graph", 3, "graph must be a networkx.Graph, got str"),
        (nx.DiGraph([(0, 1), (1, 2)]), 3, "graph must be undirected"),
        (nx.MultiGraph([(0, 1), (0, 1)]), 2, "without parallel links"),
        (nx.empty_graph(1), 2, "graph must have at least 2 nodes, got 1"),
        (nx.empty_graph(0), 2, "graph must have at least 2 nodes, got 0"),
        (_self_loop(), 3, "no self-loops"),
        (_two_components(), 4, "graph must be connected .* got 2 components"),
        (_mixed_labels(), 3, "node labels must be sortable"),
        (nx.path_graph(5), 4, r"network.n_nodes \(4\) must equal .* \(5\)"),
    ],
)
def test_bad_custom_graphs(graph: object, n_nodes: int, message: str) -> None:
    cfg = NetworkConfig(n_nodes=n_nodes, topology="custom")
    with pytest.raises(ConfigError, match=message):
        build_network(cfg, RandomStreams(0), graph=graph)  # type: ignore[arg-type]


def test_custom_topology_requires_a_graph() -> None:
    with pytest.raises(ConfigError, match="'custom' needs a graph"):
        build_network(NetworkConfig(n_nodes=5, topology="custom"), RandomStreams(0))


def test_graph_with_other_topology_is_an_error() -> None:
    with pytest.raises(ConfigError, match="set network.topology='custom'"):
        build_network(
            NetworkConfig(n_nodes=5, topology="complete"), RandomStreams(0), graph=nx.path_graph(5)
        )


@settings(max_examples=40, deadline=None)
@given(
    n_nodes=st.integers(2, 80),
    topology=st.sampled_from(["bitcoin", "small-world", "scale-free", "complete"]),
    degree=st.integers(2, 10),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_built_graphs_are_simple_connected_and_symmetric(
    n_nodes: int, topology: str, degree: int, seed: int
) -> None:
    degree = min(degree, n_nodes - 1)
    if topology == "small-world" and degree < 2:
        topology = "complete"
    net = build_network(
        NetworkConfig(n_nodes=n_nodes, topology=topology, degree=max(degree, 1)),
        RandomStreams(seed),
    )
    assert component_labels(n_nodes, net.edges)[0] == 1
    assert (net.edges[:, 0] < net.edges[:, 1]).all()
    assert len({tuple(e) for e in net.edges.tolist()}) == net.n_links
    for u in range(n_nodes):
        for v, lat in zip(net.adjacency[u], net.adjacency_latency_s[u], strict=True):
            assert net.latency(v, u) == lat
            assert lat > 0


def test_custom_graph_latency_and_region_attributes() -> None:
    graph = nx.Graph()
    graph.add_node("x", region="JP")
    graph.add_node("y", region=1)
    graph.add_node("z", region="AU")
    graph.add_edge("x", "y", latency_ms=5)
    graph.add_edge("z", "y", latency_ms=0.5)
    cfg = NetworkConfig(n_nodes=3, topology="custom", latency_jitter=1.0)
    net = build_network(cfg, RandomStreams(0), graph=graph)
    assert net.region.tolist() == [4, 1, 5]
    assert net.latency(0, 1) == 0.005 and net.latency(2, 1) == 0.0005
    # Bandwidth still follows the regions' table values.
    assert net.upload_bps.tolist() == [10.2e6, 20.7e6, 11.3e6]
    # network.latency_ms overrides the graph's latencies.
    fixed = build_network(cfg.replace(latency_ms=40.0), RandomStreams(0), graph=graph)
    assert set(fixed.latency_s.tolist()) == {0.04}


def _graph_with(node_attrs: dict, edge_attrs: list) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from((u, attrs) for u, attrs in node_attrs.items())
    for u, v, attrs in edge_attrs:
        graph.add_edge(u, v, **attrs)
    return graph


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        (
            _graph_with({0: {"region": "EU"}, 1: {}}, [(0, 1, {})]),
            "'region' must be set on every node or on none; missing on node 1",
        ),
        (
            _graph_with({0: {"region": "XX"}, 1: {"region": 0}}, [(0, 1, {})]),
            "'region' must be one of NA, EU, SA, AP, JP, AU or an index 0..5, got 'XX'",
        ),
        (
            _graph_with({0: {"region": 6}, 1: {"region": 0}}, [(0, 1, {})]),
            "got 6 on node 0",
        ),
        (
            _graph_with({}, [(0, 1, {"latency_ms": 3}), (1, 2, {})]),
            "'latency_ms' must be set on every link or on none; 1 of 2 links lack it",
        ),
        (
            _graph_with({}, [(0, 1, {"latency_ms": -3}), (1, 2, {"latency_ms": 1})]),
            r"'latency_ms' must be a finite number >= 0, got -3 on link \(0, 1\)",
        ),
        (
            _graph_with({}, [(0, 1, {"latency_ms": "fast"}), (1, 2, {"latency_ms": 1})]),
            "got 'fast'",
        ),
        (
            _graph_with({}, [(0, 1, {"latency_ms": float("nan")}), (1, 2, {"latency_ms": 1})]),
            "got nan",
        ),
    ],
)
def test_bad_custom_graph_attributes(graph: nx.Graph, message: str) -> None:
    cfg = NetworkConfig(n_nodes=graph.number_of_nodes(), topology="custom")
    with pytest.raises(ConfigError, match=message):
        build_network(cfg, RandomStreams(0), graph=graph)
