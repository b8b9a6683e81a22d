"""Who is connected to whom: the peer-to-peer graph.

A *topology* says which pairs of nodes hold a connection. Every connection relays
blocks both ways, so the graph is undirected. The builders here return the links as
an ``(m, 2)`` integer array of node pairs ``(u, v)`` with ``u < v``, each pair once,
sorted by ``u`` then ``v``; :func:`chainsim.network.build_network` turns that into a
:class:`~chainsim.network.Network`.

Topologies
----------
``bitcoin``
    Each node draws its number of *outbound* connections from the measured Bitcoin
    outbound-degree distribution (SimBlock 2019, Aoki et al. 2019; degrees 1 to 20,
    mean 8.645) and connects to that many distinct peers chosen uniformly at
    random. Inbound connections are whatever the other nodes chose, so a node's total
    degree is its outbound degree plus its inbound count (mean about 17 for large
    networks). When two nodes pick each other, that is one connection. In networks
    with fewer than 21 nodes a node's outbound degree is capped at ``n - 1``.
``random-regular``
    Every node has exactly ``degree`` peers (networkx ``random_regular_graph``).
``small-world``
    Watts-Strogatz ring: each node is linked to its ``degree`` nearest ring
    neighbours (``degree // 2`` on each side, so an odd degree acts as the even number
    below it) and every link is rewired with probability :data:`SMALL_WORLD_REWIRE_P`.
``scale-free``
    Barabasi-Albert preferential attachment, each new node bringing
    ``m = max(1, degree // 2)`` links, so the mean degree is about ``2 m``, i.e. about
    ``degree`` for an even degree.
``complete``
    Every pair linked (at most :data:`COMPLETE_MAX_NODES` nodes: the link count grows
    as ``n^2 / 2``).
``custom``
    A user-supplied networkx graph: undirected, simple (no self-loops, no parallel
    links), connected, at least two nodes; nodes are relabelled ``0..n-1`` in sorted
    order of their labels.

Connectivity
------------
A block must be able to reach every node, so every generated topology is made
connected. If the random draw leaves several components, they are joined
deterministically from the ``topology`` stream: components are ordered by their
smallest node, and each component after the first gets one extra link between a
uniformly random node of it and a uniformly random node of the components before it.
``k`` components cost ``k - 1`` extra links. This is rare for ``bitcoin``,
``scale-free`` and ``random-regular`` with degree >= 3, but a small-world ring with
degree 2 or a random-regular graph with degree 1 or 2 usually needs it (those nodes
then have one peer more than ``degree``). A *custom* graph is never changed: a
disconnected one is an error.

Examples
--------
>>> import numpy as np
>>> edges = bitcoin_edges(50, np.random.default_rng(1))
>>> edges.shape[1], bool((edges[:, 0] < edges[:, 1]).all())
(2, True)
>>> complete_edges(4).tolist()
[[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from chainsim.config import NetworkConfig
from chainsim.errors import ConfigError
from chainsim.network.regions import outbound_degree_pmf

__all__ = [
    "COMPLETE_MAX_NODES",
    "SMALL_WORLD_REWIRE_P",
    "bitcoin_edges",
    "bitcoin_outbound",
    "complete_edges",
    "component_labels",
    "join_components",
    "normalize_edges",
    "topology_edges",
    "validate_custom_graph",
]

#: Rewiring probability of the ``small-world`` (Watts-Strogatz) topology.
SMALL_WORLD_REWIRE_P = 0.1

#: Largest network for the ``complete`` topology (about 500,000 links).
COMPLETE_MAX_NODES = 1_000


def normalize_edges(n_nodes: int, pairs: np.ndarray) -> np.ndarray:
    """Undirected links as sorted unique ``(u, v)`` rows with ``u < v``.

    Parameters
    ----------
    n_nodes
        Number of nodes; every id must be in ``0..n_nodes-1``.
    pairs
        Integer array of shape ``(k, 2)``; order within a pair and repeats do not
        matter. Self-links ``(u, u)`` are dropped.

    Returns
    -------
    numpy.ndarray
        ``int64`` array of shape ``(m, 2)``, sorted by ``u`` then ``v``.

    Examples
    --------
    >>> normalize_edges(3, np.array([[2, 0], [0, 2], [1, 1], [1, 2]])).tolist()
    [[0, 2], [1, 2]]
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    lo = np.minimum(pairs[:, 0], pairs[:, 1])
    hi = np.maximum(pairs[:, 0], pairs[:, 1])
    keep = lo != hi
    keys = np.sort(lo[keep] * np.int64(n_nodes) + hi[keep])
    if keys.size:  # unique by sort (faster here than numpy's hash-based np.unique)
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    return np.stack((keys // n_nodes, keys % n_nodes), axis=1)


def component_labels(n_nodes: int, edges: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of an undirected graph given by its links.

    Returns
    -------
    tuple
        ``(n_components, labels)``; ``labels[u]`` is the component of node ``u``.

    Examples
    --------
    >>> k, labels = component_labels(4, np.array([[0, 1], [2, 3]]))
    >>> k, labels.tolist()
    (2, [0, 0, 1, 1])
    """
    m = len(edges)
    matrix = coo_matrix(
        (np.ones(m, dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n_nodes, n_nodes)
    )
    k, labels = connected_components(matrix, directed=False)
    return int(k), labels


def join_components(n_nodes: int, edges: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Add the fewest links (``k - 1`` for ``k`` components) that make the graph connected.

    Components are ordered by their smallest node; each one after the first is linked
    from a uniformly random node of it to a uniformly random node of the components
    before it. Draws from ``rng`` only when the graph is not connected.

    Parameters
    ----------
    n_nodes
        Number of nodes.
    edges
        Normalised links (see :func:`normalize_edges`).
    rng
        The ``topology`` stream.

    Returns
    -------
    numpy.ndarray
        Normalised links of a connected graph (``edges`` itself when already connected).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> joined = join_components(4, np.array([[0, 1], [2, 3]]), rng)
    >>> len(joined), component_labels(4, joined)[0]
    (3, 1)
    """
    k, labels = component_labels(n_nodes, edges)
    if k == 1:
        return edges
    # Rank components by their smallest node (independent of scipy's label order).
    first_node = np.full(k, n_nodes, dtype=np.int64)
    np.minimum.at(first_node, labels, np.arange(n_nodes))
    rank = np.empty(k, dtype=np.int64)
    rank[np.argsort(first_node, kind="stable")] = np.arange(k)
    node_rank = rank[labels]
    order = np.argsort(node_rank, kind="stable")
    sizes = np.bincount(node_rank, minlength=k)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    inside = order[starts[1:] + rng.integers(0, sizes[1:])]
    before = order[rng.integers(0, starts[1:])]
    extra = np.stack((inside, before), axis=1)
    return normalize_edges(n_nodes, np.concatenate((edges, extra)))


def bitcoin_outbound(n_nodes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Outbound connections of a Bitcoin-like network, before merging into links.

    Each node draws an outbound degree ``d`` from
    :data:`~chainsim.network.regions.BITCOIN_OUTBOUND_DEGREE_CDF` (capped at
    ``n_nodes - 1``) and picks ``d`` distinct peers other than itself, uniformly at
    random.

    Parameters
    ----------
    n_nodes
        Number of nodes (>= 2).
    rng
        The ``topology`` stream.

    Returns
    -------
    tuple of numpy.ndarray
        ``(degrees, peers)``: ``degrees[u]`` is the outbound degree of ``u``;
        ``peers`` has shape ``(n_nodes, max(degrees))`` and row ``u`` holds the chosen
        peers of ``u`` in its first ``degrees[u]`` entries (the rest is ``-1``).

    Examples
    --------
    >>> degrees, peers = bitcoin_outbound(3, np.random.default_rng(5))
    >>> degrees.tolist(), bool((peers[:, :2] != np.arange(3)[:, None]).all())
    ([2, 2, 2], True)
    """
    if n_nodes < 2:
        raise ConfigError(f"network.n_nodes must be >= 2, got {n_nodes}")
    pmf = outbound_degree_pmf()
    degrees = rng.choice(np.arange(1, pmf.size + 1), size=n_nodes, p=pmf)
    degrees = np.minimum(degrees, n_nodes - 1)
    width = int(degrees.max())
    # Peers are drawn from the n-1 other nodes: draw from 0..n-2 and skip the node itself.
    own = np.arange(n_nodes)[:, None]
    peers = rng.integers(0, n_nodes - 1, size=(n_nodes, width))
    peers += peers >= own
    active = np.arange(width)[None, :] < degrees[:, None]
    # Redraw repeated peers within a row until every row's active peers are distinct.
    # Inactive slots get distinct negative placeholders so they never count as repeats.
    placeholder = -1 - np.arange(width)[None, :].repeat(n_nodes, axis=0)
    rows = np.arange(n_nodes)
    while True:
        values = np.where(active, peers, placeholder)
        order = np.argsort(values, axis=1, kind="stable")
        ordered = np.take_along_axis(values, order, axis=1)
        repeat = np.zeros_like(active)
        repeat[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
        if not repeat.any():
            break
        r, c = np.nonzero(repeat)
        cols = order[r, c]
        redraw = rng.integers(0, n_nodes - 1, size=r.size)
        peers[r, cols] = redraw + (redraw >= rows[r])
    peers[~active] = -1
    return degrees.astype(np.int64), peers


def bitcoin_edges(n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    """Links of a Bitcoin-like network: random outbound peers, measured degree distribution.

    The outbound connections of :func:`bitcoin_outbound`, merged into undirected links
    (when two nodes pick each other, that is one link). The result is not yet
    guaranteed to be connected (see :func:`join_components`).

    Parameters
    ----------
    n_nodes
        Number of nodes (>= 2).
    rng
        The ``topology`` stream.

    Returns
    -------
    numpy.ndarray
        Normalised links, shape ``(m, 2)``.

    Examples
    --------
    >>> bitcoin_edges(2, np.random.default_rng(0)).tolist()
    [[0, 1]]
    """
    _, peers = bitcoin_outbound(n_nodes, rng)
    active = peers >= 0
    src = np.broadcast_to(np.arange(n_nodes)[:, None], peers.shape)[active]
    return normalize_edges(n_nodes, np.stack((src, peers[active]), axis=1))


def complete_edges(n_nodes: int) -> np.ndarray:
    """Every pair ``(u, v)``, ``u < v``, as normalised links.

    Examples
    --------
    >>> len(complete_edges(10))
    45
    """
    u, v = np.triu_indices(n_nodes, k=1)
    return np.stack((u, v), axis=1).astype(np.int64)


def _graph_edges(graph: nx.Graph, n_nodes: int) -> np.ndarray:
    count = 2 * graph.number_of_edges()
    pairs = np.fromiter((x for edge in graph.edges() for x in edge), dtype=np.int64, count=count)
    return normalize_edges(n_nodes, pairs.reshape(-1, 2))


def validate_custom_graph(graph: Any) -> nx.Graph:
    """Check a user-supplied graph and relabel its nodes ``0..n-1`` in sorted order.

    Parameters
    ----------
    graph
        An undirected, simple, connected :class:`networkx.Graph` with at least two
        nodes whose labels can be sorted (all numbers or all strings, say).

    Returns
    -------
    networkx.Graph
        A new graph with integer nodes ``0..n-1``; node ``i`` is the ``i``-th smallest
        original label, and the original label is kept in the node attribute ``label``.

    Raises
    ------
    ConfigError
        If the graph is not a networkx graph, is directed, a multigraph, has fewer
        than two nodes, self-loops, unsortable labels or is not connected.

    Examples
    --------
    >>> g = validate_custom_graph(nx.Graph([("b", "c"), ("a", "b")]))
    >>> sorted(g.edges()), g.nodes[0]["label"]
    ([(0, 1), (1, 2)], 'a')
    >>> validate_custom_graph(nx.Graph([(1, 2), (3, 4)]))
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: graph must be connected (every block must be able to reach every node), got 2 components
    """  # noqa: E501
    if not isinstance(graph, nx.Graph):
        raise ConfigError(f"graph must be a networkx.Graph, got {type(graph).__name__}")
    if graph.is_directed():
        raise ConfigError(
            "graph must be undirected (every connection relays both ways), got a "
            f"{type(graph).__name__}; use graph.to_undirected()"
        )
    if graph.is_multigraph():
        raise ConfigError(
            f"graph must be a simple networkx.Graph without parallel links, got a "
            f"{type(graph).__name__}; use networkx.Graph(graph)"
        )
    n = graph.number_of_nodes()
    if n < 2:
        raise ConfigError(f"graph must have at least 2 nodes, got {n}")
    loops = nx.number_of_selfloops(graph)
    if loops:
        raise ConfigError(
            f"graph must have no self-loops (a node linked to itself), got {loops}; "
            "remove them with graph.remove_edges_from(networkx.selfloop_edges(graph))"
        )
    try:
        labels = sorted(graph.nodes())
    except TypeError:
        raise ConfigError(
            "graph node labels must be sortable (for example all integers or all strings), "
            f"got types {sorted({type(x).__name__ for x in graph.nodes()})}"
        ) from None
    k = nx.number_connected_components(graph)
    if k != 1:
        raise ConfigError(
            "graph must be connected (every block must be able to reach every node), "
            f"got {k} components"
        )
    mapping = {label: i for i, label in enumerate(labels)}
    out = nx.Graph()
    out.add_nodes_from((i, {**graph.nodes[label], "label": label}) for label, i in mapping.items())
    out.add_edges_from((mapping[u], mapping[v], data) for u, v, data in graph.edges(data=True))
    return out


def topology_edges(
    config: NetworkConfig, rng: np.random.Generator, graph: nx.Graph | None = None
) -> tuple[np.ndarray, nx.Graph | None]:
    """Links of the topology named by ``config.topology``, connected.

    Parameters
    ----------
    config
        Network configuration (``topology``, ``n_nodes``, ``degree``).
    rng
        The ``topology`` stream; the only source of randomness.
    graph
        The validated, relabelled graph for ``topology="custom"`` (see
        :func:`validate_custom_graph`), else None.

    Returns
    -------
    tuple
        ``(edges, graph)``: normalised links of a connected graph, and the networkx
        graph when one was built on the way (None for ``bitcoin`` and ``complete``,
        which are built with numpy for speed).

    Raises
    ------
    ConfigError
        If ``degree`` does not suit the topology and network size.
    """
    n, topology, degree = config.n_nodes, config.topology, config.degree
    built: nx.Graph | None = None
    if topology == "custom":
        if graph is None:
            raise ConfigError('network.topology "custom" needs a graph: pass graph=...')
        return _graph_edges(graph, graph.number_of_nodes()), graph
    if topology == "bitcoin":
        edges = bitcoin_edges(n, rng)
    elif topology == "complete":
        if n > COMPLETE_MAX_NODES:
            raise ConfigError(
                f"network.n_nodes must be <= {COMPLETE_MAX_NODES} for a complete topology "
                f"(links grow as n^2/2), got {n}"
            )
        edges = complete_edges(n)
    else:
        seed = int(rng.integers(0, 2**32))
        if topology == "random-regular":
            built = nx.random_regular_graph(degree, n, seed=seed)
        elif topology == "small-world":
            if not 2 <= degree < n:
                raise ConfigError(
                    f"network.degree must be between 2 and n_nodes - 1 ({n - 1}) for a "
                    f"small-world topology, got {degree}"
                )
            built = nx.watts_strogatz_graph(n, degree, SMALL_WORLD_REWIRE_P, seed=seed)
        elif topology == "scale-free":
            m = max(1, degree // 2)
            if m >= n:
                raise ConfigError(
                    f"network.degree // 2 must be < n_nodes ({n}) for a scale-free "
                    f"topology, got degree {degree}"
                )
            built = nx.barabasi_albert_graph(n, m, seed=seed)
        else:  # pragma: no cover - NetworkConfig already checks the choices
            raise ConfigError(f"network.topology {topology!r} is not known")
        edges = _graph_edges(built, n)
    joined = join_components(n, edges, rng)
    if built is not None and len(joined) != len(edges):
        built = None  # the networkx graph lacks the joining links; rebuild lazily
    return joined, built
