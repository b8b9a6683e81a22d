"""The peer-to-peer network: topology, regions, latency and bandwidth.

A blockchain network is a graph of nodes (computers running the software) linked by
connections over which they pass blocks. How fast a block spreads depends on the
graph (who talks to whom), on the *latency* of each link (the time a message needs to
cross it, larger between continents) and on *bandwidth* (how many bits per second a
node can send or receive, which matters for big blocks).

:func:`build_network` turns a :class:`~chainsim.config.NetworkConfig` and the run's
random streams into a :class:`Network`, using the measured tables of the SimBlock
simulator (Aoki et al. 2019) for regions, latency, bandwidth and the Bitcoin degree
distribution.

Examples
--------
>>> from chainsim.config import NetworkConfig
>>> from chainsim.rng import RandomStreams
>>> net = build_network(NetworkConfig(n_nodes=100), RandomStreams(3))
>>> net.n_nodes, net.summary()["connected"]
(100, True)
"""

from __future__ import annotations

from chainsim.network.core import DIAMETER_MAX_NODES, Network, build_network, jitter_factors
from chainsim.network.regions import (
    BITCOIN_OUTBOUND_DEGREE_CDF,
    BITCOIN_REGION_SHARES,
    DOGECOIN_REGION_SHARES,
    DOWNLOAD_MBPS_2019,
    LATENCY_MS_2019,
    LITECOIN_REGION_SHARES,
    REGION_NAMES,
    REGIONS,
    UPLOAD_MBPS_2019,
    outbound_degree_mean,
    outbound_degree_pmf,
)
from chainsim.network.topology import (
    COMPLETE_MAX_NODES,
    SMALL_WORLD_REWIRE_P,
    validate_custom_graph,
)

__all__ = [
    "BITCOIN_OUTBOUND_DEGREE_CDF",
    "BITCOIN_REGION_SHARES",
    "COMPLETE_MAX_NODES",
    "DIAMETER_MAX_NODES",
    "DOGECOIN_REGION_SHARES",
    "DOWNLOAD_MBPS_2019",
    "LATENCY_MS_2019",
    "LITECOIN_REGION_SHARES",
    "REGIONS",
    "REGION_NAMES",
    "SMALL_WORLD_REWIRE_P",
    "UPLOAD_MBPS_2019",
    "Network",
    "build_network",
    "jitter_factors",
    "outbound_degree_mean",
    "outbound_degree_pmf",
    "validate_custom_graph",
]
