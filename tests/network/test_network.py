"""The built Network: regions, latency, bandwidth, CSR/list consistency, determinism."""

from __future__ import annotations

import copy
import math
import pickle

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from chainsim.config import REGIONS, NetworkConfig
from chainsim.errors import ConfigError
from chainsim.network import (
    BITCOIN_REGION_SHARES,
    DOWNLOAD_MBPS_2019,
    LATENCY_MS_2019,
    UPLOAD_MBPS_2019,
    Network,
    build_network,
    jitter_factors,
)
from chainsim.rng import RandomStreams

SEED = 20261128


@pytest.fixture(scope="module")
def big_exact() -> Network:
    """3,000 Bitcoin-like nodes with exact table latencies (jitter 0)."""
    return build_network(NetworkConfig(n_nodes=3_000, latency_jitter=0.0), RandomStreams(SEED))


def _source_nodes(net: Network) -> np.ndarray:
    return np.repeat(np.arange(net.n_nodes), net.degrees)


def test_tables_have_the_published_values() -> None:
    assert REGIONS == ("NA", "EU", "SA", "AP", "JP", "AU")
    np.testing.assert_array_equal(LATENCY_MS_2019, LATENCY_MS_2019.T)
    assert LATENCY_MS_2019[0].tolist() == [32, 124, 184, 198, 151, 189]
    assert LATENCY_MS_2019[5].tolist() == [189, 294, 322, 198, 126, 16]
    assert DOWNLOAD_MBPS_2019.tolist() == [52.0, 40.0, 18.0, 22.8, 22.8, 29.9]
    assert UPLOAD_MBPS_2019.tolist() == [19.2, 20.7, 5.8, 15.7, 10.2, 11.3]
    with pytest.raises(ValueError):
        LATENCY_MS_2019[0, 0] = 1.0  # read-only


def test_region_shares_match_config() -> None:
    net = build_network(NetworkConfig(n_nodes=20_000), RandomStreams(SEED))
    counts = np.bincount(net.region, minlength=6)
    expected = np.array(BITCOIN_REGION_SHARES) / sum(BITCOIN_REGION_SHARES) * net.n_nodes
    assert stats.chisquare(counts, expected).pvalue > 1e-3
    assert net.region_counts() == dict(zip(REGIONS, counts.tolist(), strict=True))


def test_zero_share_regions_get_no_nodes() -> None:
    shares = (0.0, 1.0, 0.0, 0.0, 0.0, 0.0)
    net = build_network(NetworkConfig(n_nodes=300, region_shares=shares), RandomStreams(1))
    assert set(net.region.tolist()) == {1}
    assert net.upload_bps.tolist() == [20.7e6] * 300
    assert net.download_bps.tolist() == [40.0e6] * 300


def test_latency_equals_table_without_jitter(big_exact: Network) -> None:
    net = big_exact
    src = _source_nodes(net)
    expected = LATENCY_MS_2019[net.region[src], net.region[net.indices]] / 1000.0
    np.testing.assert_array_equal(net.latency_s, expected)
    ru, rv = net.region[net.edges[:, 0]], net.region[net.edges[:, 1]]
    np.testing.assert_array_equal(net.edge_latency_s, LATENCY_MS_2019[ru, rv] / 1000.0)


def test_latency_is_symmetric(big_exact: Network) -> None:
    jittered = build_network(NetworkConfig(n_nodes=500, latency_jitter=0.5), RandomStreams(3))
    for net in (big_exact, jittered):
        src = _source_nodes(net)
        lookup = dict(
            zip(
                zip(src.tolist(), net.indices.tolist(), strict=True),
                net.latency_s.tolist(),
                strict=True,
            )
        )
        for (u, v), lat in lookup.items():
            assert lookup[(v, u)] == lat
        u, v = net.edges[0].tolist()
        assert net.latency(u, v) == net.latency(v, u) == net.edge_latency_s[0]


def test_jitter_is_mean_preserving_with_the_requested_spread() -> None:
    cfg = NetworkConfig(n_nodes=5_000, latency_jitter=0.3)
    net = build_network(cfg, RandomStreams(SEED))
    ru, rv = net.region[net.edges[:, 0]], net.region[net.edges[:, 1]]
    ratio = net.edge_latency_s / (LATENCY_MS_2019[ru, rv] / 1000.0)
    assert ratio.mean() == pytest.approx(1.0, abs=0.01)
    assert ratio.std() == pytest.approx(0.3, abs=0.01)
    assert (ratio > 0).all()
    assert not np.allclose(ratio, 1.0)


def test_jitter_factors_closed_form() -> None:
    z = np.array([-1.0, 0.0, 2.0])
    sigma2 = math.log1p(0.25)
    np.testing.assert_allclose(jitter_factors(z, 0.5), np.exp(math.sqrt(sigma2) * z - sigma2 / 2))
    assert jitter_factors(z, 0.0).tolist() == [1.0, 1.0, 1.0]


def test_fixed_latency_overrides_table_and_jitter() -> None:
    cfg = NetworkConfig(n_nodes=200, latency_ms=250.0, latency_jitter=1.0)
    net = build_network(cfg, RandomStreams(0))
    assert set(net.latency_s.tolist()) == {0.25}
    assert set(net.edge_latency_s.tolist()) == {0.25}
    zero = build_network(NetworkConfig(n_nodes=20, latency_ms=0.0), RandomStreams(0))
    assert set(zero.latency_s.tolist()) == {0.0}


def test_fixed_bandwidth_overrides_table() -> None:
    net = build_network(NetworkConfig(n_nodes=50, bandwidth_mbps=8.0), RandomStreams(0))
    assert set(net.upload_bps.tolist()) == {8e6}
    assert set(net.download_bps.tolist()) == {8e6}
    u, v = net.edges[0].tolist()
    assert net.bandwidth_bps(u, v) == 8e6
    assert net.transfer_time_s(u, v, 1_000_000) == pytest.approx(1.0)


def test_infinite_bandwidth_costs_no_transfer_time() -> None:
    net = build_network(NetworkConfig(n_nodes=50, bandwidth_mbps=math.inf), RandomStreams(0))
    u, v = net.edges[0].tolist()
    assert net.bandwidth_bps(u, v) == math.inf
    assert net.transfer_time_s(u, v, 535_000) == 0.0
    assert np.isinf(net.csr_bandwidth_bps()).all()


def test_table_bandwidth_per_region(big_exact: Network) -> None:
    net = big_exact
    np.testing.assert_array_equal(net.upload_bps, UPLOAD_MBPS_2019[net.region] * 1e6)
    np.testing.assert_array_equal(net.download_bps, DOWNLOAD_MBPS_2019[net.region] * 1e6)
    src = _source_nodes(net)
    np.testing.assert_array_equal(
        net.csr_bandwidth_bps(), np.minimum(net.upload_bps[src], net.download_bps[net.indices])
    )


def _two_node(r_u: int, r_v: int) -> Network:
    region = np.array([r_u, r_v])
    return Network(
        region=region,
        upload_bps=UPLOAD_MBPS_2019[region] * 1e6,
        download_bps=DOWNLOAD_MBPS_2019[region] * 1e6,
        edges=np.array([[0, 1]]),
        edge_latency_s=np.array([LATENCY_MS_2019[r_u, r_v] / 1000]),
    )


def test_transfer_time_arithmetic() -> None:
    na_na = _two_node(0, 0)
    # 535 kB at min(19.2 up, 52.0 down) = 19.2 Mbit/s.
    assert na_na.transfer_time_s(0, 1, 535_000) == pytest.approx(535_000 * 8 / 19.2e6)
    assert na_na.transfer_time_s(0, 1, 535_000) == pytest.approx(0.22291667, rel=1e-7)
    eu_sa = _two_node(1, 2)
    # EU -> SA: min(20.7 up, 18.0 down) = 18.0; SA -> EU: min(5.8 up, 40.0 down) = 5.8.
    assert eu_sa.bandwidth_bps(0, 1) == 18.0e6
    assert eu_sa.bandwidth_bps(1, 0) == 5.8e6
    assert eu_sa.transfer_time_s(0, 1, 1_000_000) == pytest.approx(8 / 18)
    assert eu_sa.transfer_time_s(1, 0, 1_000_000) == pytest.approx(8 / 5.8)
    assert eu_sa.transfer_time_s(1, 0, 0) == 0.0
    assert eu_sa.latency(0, 1) == eu_sa.latency(1, 0) == 0.227


def test_csr_lists_and_graph_agree(big_exact: Network) -> None:
    net = big_exact
    assert net.indptr[0] == 0 and net.indptr[-1] == len(net.indices) == 2 * net.n_links
    assert len(net.adjacency) == len(net.adjacency_latency_s) == net.n_nodes
    graph = net.graph
    assert graph.number_of_nodes() == net.n_nodes
    assert graph.number_of_edges() == net.n_links
    for u in range(0, net.n_nodes, 7):
        row = net.neighbors(u)
        assert row.tolist() == net.adjacency[u] == sorted(graph.neighbors(u))
        assert (np.diff(row) > 0).all()
        lat = net.latency_s[net.indptr[u] : net.indptr[u + 1]]
        assert lat.tolist() == net.adjacency_latency_s[u]
        for v, latency in zip(row.tolist(), lat.tolist(), strict=True):
            assert graph.edges[u, v]["latency_s"] == latency
        assert graph.nodes[u]["region"] == REGIONS[net.region[u]]
    assert dict(graph.degree()) == dict(enumerate(net.degrees.tolist()))


def test_latency_of_unlinked_nodes_is_an_error() -> None:
    net = _two_node(0, 1)
    with pytest.raises(ConfigError, match="nodes 0 and 0 are not linked"):
        net.latency(0, 0)


def test_network_is_immutable(big_exact: Network) -> None:
    with pytest.raises(AttributeError):
        big_exact.n_nodes = 3  # type: ignore[misc]
    for array in (big_exact.indices, big_exact.latency_s, big_exact.region, big_exact.upload_bps):
        with pytest.raises(ValueError):
            array[0] = 0


def test_pickle_and_deepcopy_round_trip() -> None:
    net = build_network(NetworkConfig(n_nodes=80, latency_jitter=0.3), RandomStreams(4))
    for other in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert isinstance(other, Network)
        for name in (
            "region",
            "upload_bps",
            "download_bps",
            "edges",
            "edge_latency_s",
            "indptr",
            "indices",
            "latency_s",
        ):
            np.testing.assert_array_equal(getattr(other, name), getattr(net, name))
        assert other.adjacency == net.adjacency
        assert other.adjacency_latency_s == net.adjacency_latency_s
        assert other.topology == "bitcoin"


def test_same_seed_same_network_other_seed_differs() -> None:
    cfg = NetworkConfig(n_nodes=400)
    a = build_network(cfg, RandomStreams(11))
    b = build_network(cfg, RandomStreams(11))
    c = build_network(cfg, RandomStreams(12))
    for name in ("edges", "region", "edge_latency_s", "indptr", "indices", "latency_s"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.region, c.region)
    assert a.n_links != c.n_links or not np.array_equal(a.edges, c.edges)


def test_streams_are_independent() -> None:
    base = NetworkConfig(n_nodes=400, latency_jitter=0.1)
    a = build_network(base, RandomStreams(5))
    # Jitter only changes latencies: same links and regions.
    b = build_network(base.replace(latency_jitter=0.5), RandomStreams(5))
    np.testing.assert_array_equal(a.edges, b.edges)
    np.testing.assert_array_equal(a.region, b.region)
    assert not np.array_equal(a.edge_latency_s, b.edge_latency_s)
    # Same normal draws, other spread (common random numbers): the standard normal
    # behind each link's factor is the same in both builds.
    ru, rv = a.region[a.edges[:, 0]], a.region[a.edges[:, 1]]
    table_s = LATENCY_MS_2019[ru, rv] / 1000.0

    def normals(net: Network, jitter: float) -> np.ndarray:
        s2 = math.log1p(jitter**2)
        return (np.log(net.edge_latency_s / table_s) + s2 / 2) / math.sqrt(s2)

    np.testing.assert_allclose(normals(a, 0.1), normals(b, 0.5), atol=1e-9)
    # Region shares only change regions (and so latencies and bandwidths), not links.
    shares = (0.2, 0.2, 0.2, 0.2, 0.1, 0.1)
    c = build_network(base.replace(region_shares=shares), RandomStreams(5))
    np.testing.assert_array_equal(a.edges, c.edges)
    # Fixed latency or bandwidth change neither links nor regions.
    d = build_network(base.replace(latency_ms=50.0, bandwidth_mbps=100.0), RandomStreams(5))
    np.testing.assert_array_equal(a.edges, d.edges)
    np.testing.assert_array_equal(a.region, d.region)


def test_build_uses_only_the_three_network_streams() -> None:
    streams = RandomStreams(9)
    build_network(NetworkConfig(n_nodes=100), streams)
    assert set(streams._generators) == {"topology", "regions", "latency"}
    fixed = RandomStreams(9)
    build_network(NetworkConfig(n_nodes=100, latency_ms=10.0), fixed)
    assert "latency" not in fixed._generators


def test_build_does_not_touch_other_streams() -> None:
    a, b = RandomStreams(9), RandomStreams(9)
    build_network(NetworkConfig(n_nodes=100), a)
    assert a["mining"].random() == b["mining"].random()


def test_summary() -> None:
    net = build_network(NetworkConfig(n_nodes=1_000), RandomStreams(SEED))
    s = net.summary()
    assert s["n_nodes"] == 1_000
    assert s["n_links"] == net.n_links
    assert s["connected"] is True
    assert s["mean_degree"] == pytest.approx(2 * net.n_links / 1_000)
    assert s["diameter"] == nx.diameter(net.graph)
    assert 3 <= s["diameter"] <= 6
    assert sum(s["regions"].values()) == 1_000
    assert 11 <= s["median_latency_ms"] <= 325
    small = build_network(NetworkConfig(n_nodes=6, topology="complete"), RandomStreams(0))
    assert small.summary()["diameter"] == 1
    path = build_network(
        NetworkConfig(n_nodes=5, topology="custom"), RandomStreams(0), graph=nx.path_graph(5)
    )
    assert path.summary()["diameter"] == 4
    assert path.summary()["min_degree"] == 1


def test_summary_skips_diameter_for_big_networks() -> None:
    net = build_network(NetworkConfig(n_nodes=2_500, topology="random-regular"), RandomStreams(0))
    assert net.summary()["diameter"] is None


def test_constructor_checks_shapes() -> None:
    with pytest.raises(ConfigError, match="one value per node"):
        Network(
            region=np.zeros(3, dtype=int),
            upload_bps=np.ones(2),
            download_bps=np.ones(3),
            edges=np.array([[0, 1]]),
            edge_latency_s=np.array([0.1]),
        )
    with pytest.raises(ConfigError, match="one value per link"):
        Network(
            region=np.zeros(3, dtype=int),
            upload_bps=np.ones(3),
            download_bps=np.ones(3),
            edges=np.array([[0, 1]]),
            edge_latency_s=np.array([0.1, 0.2]),
        )
    with pytest.raises(ConfigError, match="edges must name nodes 0..2"):
        Network(
            region=np.zeros(3, dtype=int),
            upload_bps=np.ones(3),
            download_bps=np.ones(3),
            edges=np.array([[0, 3]]),
            edge_latency_s=np.array([0.1]),
        )


def test_constructor_normalises_links_and_rejects_bad_ones() -> None:
    ones = np.ones(3)
    net = Network(
        region=np.zeros(3, dtype=int),
        upload_bps=ones,
        download_bps=ones,
        edges=np.array([[2, 1], [1, 0]]),
        edge_latency_s=np.array([0.2, 0.1]),
    )
    assert net.edges.tolist() == [[0, 1], [1, 2]]
    assert net.edge_latency_s.tolist() == [0.1, 0.2]
    assert net.latency(2, 1) == 0.2
    with pytest.raises(ConfigError, match="each link once"):
        Network(
            region=np.zeros(3, dtype=int),
            upload_bps=ones,
            download_bps=ones,
            edges=np.array([[0, 1], [1, 0]]),
            edge_latency_s=np.array([0.1, 0.1]),
        )
    with pytest.raises(ConfigError, match="to itself, got node 2"):
        Network(
            region=np.zeros(3, dtype=int),
            upload_bps=ones,
            download_bps=ones,
            edges=np.array([[0, 1], [2, 2]]),
            edge_latency_s=np.array([0.1, 0.1]),
        )
    with pytest.raises(ConfigError, match="edge_latency_s must be >= 0"):
        Network(
            region=np.zeros(3, dtype=int),
            upload_bps=ones,
            download_bps=ones,
            edges=np.array([[0, 1]]),
            edge_latency_s=np.array([-0.1]),
        )


def test_build_network_rejects_a_non_config() -> None:
    with pytest.raises(ConfigError, match="config must be a NetworkConfig"):
        build_network({"n_nodes": 5}, RandomStreams(0))  # type: ignore[arg-type]
