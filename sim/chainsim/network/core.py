"""The built network: nodes, regions, links, latency and bandwidth.

A :class:`Network` is the fixed stage a simulation plays on. It knows, for every node,
its region and its upload and download bandwidth, and for every link the one-way
latency. Sending a block of ``size`` bytes from ``u`` to ``v`` takes the latency plus
``size * 8 / min(upload(u), download(v))`` seconds of transfer (the engine adds
processing time and queues a sender's block uploads one at a time).

Latency model
-------------
Without ``latency_ms``, the latency of a link between regions ``a`` and ``b`` is the
SimBlock 2019 table entry (Aoki et al. 2019), made symmetric as
``(table[a, b] + table[b, a]) / 2`` so that ``latency(u, v) == latency(v, u)`` (the
published table is already symmetric, so this equals ``table[a, b]``). Each link then
gets its own random factor, drawn once at build time from the ``latency`` stream: a
log-normal factor ``exp(sigma * Z - sigma**2 / 2)`` with ``Z`` standard normal and
``sigma**2 = log(1 + jitter**2)``. Its mean is exactly 1 (the table value is kept on
average) and its coefficient of variation is exactly ``latency_jitter``; jitter 0
gives the table values exactly. With ``latency_ms`` set, every link has exactly that
latency (no jitter): a fixed delay for experiments against theory. A custom graph may
carry its own exact latencies (link attribute ``latency_ms``) and regions (node
attribute ``region``); see :func:`build_network`.

Bandwidth model
---------------
Upload and download bandwidth of a node come from the SimBlock 2019 tables for its
region (Mbit/s, converted to bit/s). ``bandwidth_mbps`` gives every node that upload
and download bandwidth instead; ``inf`` makes transfers free.

Examples
--------
>>> from chainsim.config import NetworkConfig
>>> from chainsim.rng import RandomStreams
>>> net = build_network(NetworkConfig(n_nodes=30), RandomStreams(1))
>>> net.n_nodes, bool(net.latency(0, int(net.neighbors(0)[0])) > 0)
(30, True)
>>> net = build_network(
...     NetworkConfig(n_nodes=4, topology="complete", latency_ms=100, bandwidth_mbps=8),
...     RandomStreams(1))
>>> net.latency(0, 1), net.transfer_time_s(0, 1, 1_000_000)
(0.1, 1.0)
"""

from __future__ import annotations

import gc
import math
from bisect import bisect_left
from typing import Any

import networkx as nx
import numpy as np

from chainsim.config import REGIONS, NetworkConfig
from chainsim.errors import ConfigError
from chainsim.network.regions import DOWNLOAD_MBPS_2019, LATENCY_MS_2019, UPLOAD_MBPS_2019
from chainsim.network.topology import topology_edges, validate_custom_graph
from chainsim.rng import RandomStreams

__all__ = ["DIAMETER_MAX_NODES", "Network", "build_network", "jitter_factors"]

#: :meth:`Network.summary` computes the diameter only up to this many nodes.
DIAMETER_MAX_NODES = 2_000

_FIELDS = (
    "n_nodes",
    "topology",
    "region",
    "upload_bps",
    "download_bps",
    "edges",
    "edge_latency_s",
    "indptr",
    "indices",
    "latency_s",
    "adjacency",
    "adjacency_latency_s",
)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


class Network:
    """An undirected peer-to-peer network with regional latency and bandwidth.

    Build one with :func:`build_network`; the constructor is for tests and custom
    models. The object does not change after construction (its arrays are read-only).

    Parameters
    ----------
    region
        Region index (into :data:`~chainsim.network.REGIONS`) of each node, shape ``(n,)``.
    upload_bps, download_bps
        Bandwidth of each node in bits per second, shape ``(n,)``; may be ``inf``.
    edges
        Undirected links as ``(m, 2)`` pairs ``(u, v)``, ``u < v``, unique.
    edge_latency_s
        One-way latency of each link in seconds, shape ``(m,)``, used both ways.
    topology
        Name of the topology the links came from (for summaries).
    graph
        The links as a networkx graph if one already exists (built lazily otherwise).

    Attributes
    ----------
    n_nodes : int
        Number of nodes, ``0..n_nodes-1``.
    indptr, indices, latency_s : numpy.ndarray
        CSR adjacency: the neighbours of ``u`` are ``indices[indptr[u]:indptr[u+1]]``
        in ascending order, and ``latency_s`` holds the one-way latency to each, in
        seconds.
    adjacency : list of list of int
        The same neighbours as Python lists (fast scalar access in the engine).
    adjacency_latency_s : list of list of float
        Latency in seconds aligned with :attr:`adjacency`.
    edges, edge_latency_s : numpy.ndarray
        Each undirected link once, ``u < v``, with its latency in seconds.

    Examples
    --------
    >>> net = Network(region=np.array([0, 1, 1]), upload_bps=np.array([8e6, 8e6, 8e6]),
    ...               download_bps=np.array([16e6, 4e6, 4e6]),
    ...               edges=np.array([[0, 1], [1, 2]]), edge_latency_s=np.array([0.1, 0.01]))
    >>> net.adjacency, net.adjacency_latency_s
    ([[1], [0, 2], [1]], [[0.1], [0.1, 0.01], [0.01]])
    >>> net.bandwidth_bps(0, 1), net.bandwidth_bps(1, 0)
    (4000000.0, 8000000.0)
    >>> sorted(net.graph.edges())
    [(0, 1), (1, 2)]
    """

    __slots__ = (*_FIELDS, "_download", "_graph", "_upload")

    n_nodes: int
    topology: str
    region: np.ndarray
    upload_bps: np.ndarray
    download_bps: np.ndarray
    edges: np.ndarray
    edge_latency_s: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    latency_s: np.ndarray
    adjacency: list[list[int]]
    adjacency_latency_s: list[list[float]]
    _upload: list[float]
    _download: list[float]
    _graph: nx.Graph | None

    def __init__(
        self,
        *,
        region: np.ndarray,
        upload_bps: np.ndarray,
        download_bps: np.ndarray,
        edges: np.ndarray,
        edge_latency_s: np.ndarray,
        topology: str = "custom",
        graph: nx.Graph | None = None,
    ) -> None:
        set_ = object.__setattr__
        region = np.asarray(region, dtype=np.int64)
        n = int(region.size)
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        edge_latency_s = np.asarray(edge_latency_s, dtype=float)
        upload_bps = np.asarray(upload_bps, dtype=float)
        download_bps = np.asarray(download_bps, dtype=float)
        if upload_bps.shape != (n,) or download_bps.shape != (n,):
            raise ConfigError(
                f"upload_bps and download_bps must have one value per node ({n}), got "
                f"shapes {upload_bps.shape} and {download_bps.shape}"
            )
        if edge_latency_s.shape != (len(edges),):
            raise ConfigError(
                f"edge_latency_s must have one value per link ({len(edges)}), got shape "
                f"{edge_latency_s.shape}"
            )
        if len(edges) and (edges.min() < 0 or edges.max() >= n):
            raise ConfigError(f"edges must name nodes 0..{n - 1}")
        # Store each link once as (low, high), sorted, latencies kept aligned.
        lo, hi = np.minimum(edges[:, 0], edges[:, 1]), np.maximum(edges[:, 0], edges[:, 1])
        if (lo == hi).any():
            raise ConfigError(f"edges must not link a node to itself, got node {lo[lo == hi][0]}")
        keys = lo * np.int64(max(n, 1)) + hi
        key_order = np.argsort(keys, kind="stable")
        if (np.diff(keys[key_order]) == 0).any():
            raise ConfigError("edges must list each link once (u, v and v, u are one link)")
        edges = np.stack((lo, hi), axis=1)[key_order]
        edge_latency_s = edge_latency_s[key_order]
        if (edge_latency_s < 0).any() or np.isnan(edge_latency_s).any():
            raise ConfigError("edge_latency_s must be >= 0 seconds for every link")
        u, v = edges[:, 0], edges[:, 1]
        src = np.concatenate((u, v))
        dst = np.concatenate((v, u))
        lat = np.concatenate((edge_latency_s, edge_latency_s))
        order = np.lexsort((dst, src))
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        indices = dst[order]
        latency_s = lat[order]
        # Millions of small Python objects are made below; they hold no reference
        # cycles, so pausing the cyclic garbage collector only saves its repeated scans.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            ptr = indptr.tolist()
            flat_idx = indices.tolist()
            flat_lat = latency_s.tolist()
            adjacency = [flat_idx[ptr[i] : ptr[i + 1]] for i in range(n)]
            adjacency_latency_s = [flat_lat[ptr[i] : ptr[i + 1]] for i in range(n)]
        finally:
            if gc_was_enabled:
                gc.enable()
        set_(self, "n_nodes", n)
        set_(self, "topology", topology)
        set_(self, "region", _readonly(region))
        set_(self, "upload_bps", _readonly(upload_bps))
        set_(self, "download_bps", _readonly(download_bps))
        set_(self, "edges", _readonly(edges))
        set_(self, "edge_latency_s", _readonly(edge_latency_s))
        set_(self, "indptr", _readonly(indptr))
        set_(self, "indices", _readonly(indices))
        set_(self, "latency_s", _readonly(latency_s))
        set_(self, "adjacency", adjacency)
        set_(self, "adjacency_latency_s", adjacency_latency_s)
        set_(self, "_upload", upload_bps.tolist())
        set_(self, "_download", download_bps.tolist())
        set_(self, "_graph", graph)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Network cannot be changed (tried to set {name!r})")

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild through the constructor (pickling, copying, sending to Dask workers).
        kwargs = {
            "region": self.region,
            "upload_bps": self.upload_bps,
            "download_bps": self.download_bps,
            "edges": self.edges,
            "edge_latency_s": self.edge_latency_s,
            "topology": self.topology,
            "graph": self._graph,
        }
        return (_rebuild_network, (kwargs,))

    def __repr__(self) -> str:
        return (
            f"Network(n_nodes={self.n_nodes}, topology={self.topology!r}, n_links={self.n_links})"
        )

    # --- structure -------------------------------------------------------------
    @property
    def n_links(self) -> int:
        """Number of undirected links."""
        return len(self.edges)

    @property
    def degrees(self) -> np.ndarray:
        """Number of peers of each node, shape ``(n,)``."""
        return np.diff(self.indptr)

    @property
    def graph(self) -> nx.Graph:
        """The links as an undirected :class:`networkx.Graph` on nodes ``0..n-1``.

        Node attribute ``region`` is the region code (e.g. ``"EU"``); edge attribute
        ``latency_s`` is the link latency in seconds. Built on first use and cached.
        """
        graph = self._graph
        if graph is None or "latency_s" not in graph.graph:
            graph = nx.Graph() if graph is None else graph.copy()
            graph.add_nodes_from(range(self.n_nodes))
            codes = [REGIONS[r] for r in self.region.tolist()]
            nx.set_node_attributes(graph, dict(enumerate(codes)), "region")
            graph.add_edges_from(
                (u, v, {"latency_s": lat})
                for (u, v), lat in zip(
                    self.edges.tolist(), self.edge_latency_s.tolist(), strict=True
                )
            )
            graph.graph["latency_s"] = True
            object.__setattr__(self, "_graph", graph)
        return graph

    def neighbors(self, u: int) -> np.ndarray:
        """Peers of node ``u`` in ascending order (a read-only view)."""
        return self.indices[self.indptr[u] : self.indptr[u + 1]]

    def latency(self, u: int, v: int) -> float:
        """One-way latency of the link ``u -> v`` in seconds (equal to ``v -> u``).

        Raises
        ------
        ConfigError
            If ``u`` and ``v`` are not linked.
        """
        row = self.adjacency[u]
        i = bisect_left(row, v)
        if i == len(row) or row[i] != v:
            raise ConfigError(f"nodes {u} and {v} are not linked; latency is defined per link")
        return self.adjacency_latency_s[u][i]

    def bandwidth_bps(self, u: int, v: int) -> float:
        """Bandwidth of a transfer ``u -> v`` in bit/s: ``min(upload[u], download[v])``."""
        up, down = self._upload[u], self._download[v]
        return up if up < down else down

    def transfer_time_s(self, u: int, v: int, size_bytes: float) -> float:
        """Seconds to push ``size_bytes`` from ``u`` to ``v``; 0.0 for infinite bandwidth.

        Examples
        --------
        >>> net = Network(region=np.array([0, 1]), upload_bps=np.array([19.2e6, 20.7e6]),
        ...               download_bps=np.array([52e6, 40e6]), edges=np.array([[0, 1]]),
        ...               edge_latency_s=np.array([0.124]))
        >>> round(net.transfer_time_s(0, 1, 535_000), 6)   # 535 kB at 19.2 Mbit/s
        0.222917
        """
        bandwidth = self.bandwidth_bps(u, v)
        if bandwidth == math.inf:
            return 0.0
        return size_bytes * 8.0 / bandwidth

    def csr_bandwidth_bps(self) -> np.ndarray:
        """Bandwidth of every directed link in CSR order, ``min(upload[u], download[v])``.

        Aligned with :attr:`indices` and :attr:`latency_s` (for vectorised engines).
        """
        src = np.repeat(np.arange(self.n_nodes), self.degrees)
        return np.minimum(self.upload_bps[src], self.download_bps[self.indices])

    # --- description -----------------------------------------------------------
    def region_counts(self) -> dict[str, int]:
        """Number of nodes in each region, keyed by region code, in table order."""
        counts = np.bincount(self.region, minlength=len(REGIONS))
        return {code: int(c) for code, c in zip(REGIONS, counts.tolist(), strict=True)}

    def summary(self) -> dict[str, Any]:
        """Key figures of the network, for printing and tests.

        Returns
        -------
        dict
            ``n_nodes``, ``n_links``, ``topology``, ``mean_degree``, ``min_degree``,
            ``max_degree``, ``connected`` (bool), ``diameter`` (hops; None above
            :data:`DIAMETER_MAX_NODES` nodes), ``mean_latency_ms`` and
            ``median_latency_ms`` over links, ``regions`` (nodes per region code).

        Examples
        --------
        >>> net = Network(region=np.zeros(3, dtype=int), upload_bps=np.ones(3),
        ...               download_bps=np.ones(3), edges=np.array([[0, 1], [1, 2]]),
        ...               edge_latency_s=np.array([0.1, 0.3]))
        >>> s = net.summary()
        >>> s["diameter"], s["mean_degree"], s["mean_latency_ms"], s["connected"]
        (2, 1.3333333333333333, 200.0, True)
        """
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components, shortest_path

        n = self.n_nodes
        degrees = self.degrees
        matrix = csr_matrix((np.ones(len(self.indices)), self.indices, self.indptr), shape=(n, n))
        n_components = int(connected_components(matrix, directed=False)[0])
        diameter: int | None = None
        if n <= DIAMETER_MAX_NODES and n_components == 1:
            hops = shortest_path(matrix, directed=False, unweighted=True)
            diameter = int(hops.max())
        lat_ms = self.edge_latency_s * 1000.0
        return {
            "n_nodes": n,
            "n_links": self.n_links,
            "topology": self.topology,
            "mean_degree": float(degrees.mean()) if n else 0.0,
            "min_degree": int(degrees.min()) if n else 0,
            "max_degree": int(degrees.max()) if n else 0,
            "connected": n_components == 1,
            "diameter": diameter,
            "mean_latency_ms": float(lat_ms.mean()) if lat_ms.size else math.nan,
            "median_latency_ms": float(np.median(lat_ms)) if lat_ms.size else math.nan,
            "regions": self.region_counts(),
        }


def _rebuild_network(kwargs: dict[str, Any]) -> Network:
    return Network(**kwargs)


def jitter_factors(z: np.ndarray, jitter: float) -> np.ndarray:
    """Mean-one log-normal latency factors with coefficient of variation ``jitter``.

    Parameters
    ----------
    z
        Standard normal draws, one per link.
    jitter
        Relative spread (standard deviation / mean) of the factor; 0 gives exactly 1.

    Examples
    --------
    >>> jitter_factors(np.array([0.0, 1.5]), 0.0).tolist()
    [1.0, 1.0]
    >>> f = jitter_factors(np.random.default_rng(0).standard_normal(200_000), 0.5)
    >>> round(float(f.mean()), 2), round(float(f.std() / f.mean()), 2)
    (1.0, 0.5)
    """
    if jitter == 0:
        return np.ones_like(z, dtype=float)
    sigma2 = math.log1p(jitter * jitter)
    return np.exp(math.sqrt(sigma2) * z - sigma2 / 2.0)


def _custom_regions(graph: nx.Graph) -> np.ndarray | None:
    """Regions from the node attribute ``region`` of a custom graph (all or none)."""
    values = [graph.nodes[u].get("region") for u in range(graph.number_of_nodes())]
    given = [v is not None for v in values]
    if not any(given):
        return None
    if not all(given):
        missing = given.index(False)
        raise ConfigError(
            "graph node attribute 'region' must be set on every node or on none; missing "
            f"on node {graph.nodes[missing].get('label', missing)!r}"
        )
    out = np.empty(len(values), dtype=np.int64)
    for u, value in enumerate(values):
        if isinstance(value, str) and value in REGIONS:
            out[u] = REGIONS.index(value)
        elif isinstance(value, int | np.integer) and 0 <= value < len(REGIONS):
            out[u] = int(value)
        else:
            raise ConfigError(
                f"graph node attribute 'region' must be one of {', '.join(REGIONS)} or an "
                f"index 0..{len(REGIONS) - 1}, got {value!r} on node "
                f"{graph.nodes[u].get('label', u)!r}"
            )
    return out


def _custom_latency_s(graph: nx.Graph, edges: np.ndarray) -> np.ndarray | None:
    """Link latencies from the edge attribute ``latency_ms`` of a custom graph (all or none)."""
    values = {
        (min(u, v), max(u, v)): data.get("latency_ms") for u, v, data in graph.edges(data=True)
    }
    given = [v is not None for v in values.values()]
    if not any(given):
        return None
    if not all(given):
        raise ConfigError(
            "graph link attribute 'latency_ms' must be set on every link or on none; "
            f"{given.count(False)} of {len(given)} links lack it"
        )
    out = np.empty(len(edges))
    for i, (u, v) in enumerate(edges.tolist()):
        value = values[(u, v)]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float | np.integer | np.floating)
            or not 0 <= value < math.inf
        ):
            raise ConfigError(
                f"graph link attribute 'latency_ms' must be a finite number >= 0, got "
                f"{value!r} on link ({graph.nodes[u].get('label', u)!r}, "
                f"{graph.nodes[v].get('label', v)!r})"
            )
        out[i] = float(value) / 1000.0
    return out


def build_network(
    config: NetworkConfig, streams: RandomStreams, graph: nx.Graph | None = None
) -> Network:
    """Build the network described by ``config``.

    Uses three random streams and no others: ``streams["topology"]`` for the links,
    ``streams["regions"]`` for placing nodes in regions (each node independently, with
    probabilities ``config.region_shares``), and ``streams["latency"]`` for the
    per-link latency jitter. Changing one part of the config therefore leaves the other
    parts' draws unchanged (e.g. a different ``latency_jitter`` gives the same links
    and regions).

    Parameters
    ----------
    config
        The network section of a :class:`~chainsim.config.SimConfig`.
    streams
        The run's random streams.
    graph
        A networkx graph, required for ``config.topology == "custom"`` and not allowed
        otherwise. It must be undirected, simple, connected and have exactly
        ``config.n_nodes`` nodes; nodes are relabelled ``0..n-1`` in sorted order.
        Optional attributes, each on every node / link or on none: node ``region``
        (a code from :data:`~chainsim.config.REGIONS` such as ``"EU"``, or its index)
        places the nodes instead of the random draw; link ``latency_ms`` (>= 0) gives
        exact link latencies (no jitter) instead of the table. ``config.latency_ms``,
        when set, still overrides every link.

    Returns
    -------
    Network

    Raises
    ------
    ConfigError
        For a missing, unexpected or invalid graph, or a degree that does not suit the
        topology.

    Examples
    --------
    >>> from chainsim.config import NetworkConfig
    >>> net = build_network(NetworkConfig(n_nodes=200), RandomStreams(7))
    >>> net.summary()["connected"], sum(net.region_counts().values())
    (True, 200)
    >>> build_network(NetworkConfig(n_nodes=5), RandomStreams(7), graph=nx.path_graph(5))
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: a graph was given but network.topology is 'bitcoin'; set network.topology='custom' to use it
    """  # noqa: E501
    if not isinstance(config, NetworkConfig):
        raise ConfigError(f"config must be a NetworkConfig, got {type(config).__name__}")
    if config.topology == "custom":
        if graph is None:
            raise ConfigError(
                "network.topology 'custom' needs a graph: pass graph=<networkx.Graph>"
            )
        graph = validate_custom_graph(graph)
        if graph.number_of_nodes() != config.n_nodes:
            raise ConfigError(
                f"network.n_nodes ({config.n_nodes}) must equal the number of nodes in the "
                f"custom graph ({graph.number_of_nodes()}); set "
                f"network.n_nodes={graph.number_of_nodes()}"
            )
    elif graph is not None:
        raise ConfigError(
            f"a graph was given but network.topology is {config.topology!r}; set "
            "network.topology='custom' to use it"
        )
    n = config.n_nodes
    edges, built = topology_edges(config, streams["topology"], graph)

    region = _custom_regions(graph) if graph is not None else None
    if region is None:
        shares = np.asarray(config.region_shares, dtype=float)
        region = streams["regions"].choice(len(REGIONS), size=n, p=shares / shares.sum())

    custom_latency_s = _custom_latency_s(graph, edges) if graph is not None else None
    if config.latency_ms is not None:
        edge_latency_s = np.full(len(edges), config.latency_ms / 1000.0)
    elif custom_latency_s is not None:
        edge_latency_s = custom_latency_s
    else:
        table = (LATENCY_MS_2019 + LATENCY_MS_2019.T) / 2.0
        base_s = table[region[edges[:, 0]], region[edges[:, 1]]] / 1000.0
        z = streams["latency"].standard_normal(len(edges))
        edge_latency_s = base_s * jitter_factors(z, config.latency_jitter)

    if config.bandwidth_mbps is not None:
        upload_bps = np.full(n, config.bandwidth_mbps * 1e6)
        download_bps = upload_bps.copy()
    else:
        upload_bps = UPLOAD_MBPS_2019[region] * 1e6
        download_bps = DOWNLOAD_MBPS_2019[region] * 1e6

    return Network(
        region=region,
        upload_bps=upload_bps,
        download_bps=download_bps,
        edges=edges,
        edge_latency_s=edge_latency_s,
        topology=config.topology,
        graph=built,
    )
