"""What the PBFT and Raft simulations share: clock, network, counters, results.

Both protocols run on one :class:`simpy.Environment`. Messages are not SimPy
processes: each delivery is one scheduled callback (:func:`call_at`), and PBFT
aggregates the all-to-all vote phases further (see :mod:`chainsim.consensus.pbft`),
which is what makes 64 replicas and 1,000 requests fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import simpy
from simpy.core import NORMAL
from simpy.events import Event

from chainsim.network import Network, build_network
from chainsim.rng import RandomStreams

__all__ = [
    "ConsensusResults",
    "MessageCounter",
    "arrival_times",
    "call_at",
    "latency_matrix",
    "make_network",
]


def call_at(env: simpy.Environment, delay_s: float, fn: Callable[..., Any], *args: Any) -> None:
    """Call ``fn(*args)`` after ``delay_s`` simulated seconds (one SimPy event).

    >>> env = simpy.Environment()
    >>> log = []
    >>> call_at(env, 2.0, lambda x: log.append((env.now, x)), "a")
    >>> env.run()
    >>> log
    [(2.0, 'a')]
    """
    ev = Event(env)
    ev._ok = True
    ev._value = None
    ev.callbacks.append(lambda _e: fn(*args))
    env.schedule(ev, NORMAL, delay_s)


def make_network(
    net_config: Any, streams: RandomStreams, network: Network | None = None
) -> Network:
    """The run's network: ``network`` if given (checked for size), else built."""
    if network is None:
        return build_network(net_config, streams)
    from chainsim.errors import ConfigError

    if network.n_nodes != net_config.n_nodes:
        raise ConfigError(
            f"network must have {net_config.n_nodes} nodes (replicas + clients), "
            f"got {network.n_nodes}"
        )
    return network


def latency_matrix(network: Network) -> np.ndarray:
    """Dense one-way latency matrix in seconds (``inf`` where there is no link).

    >>> from chainsim.config import NetworkConfig
    >>> net = build_network(NetworkConfig(n_nodes=3, topology="complete", latency_ms=10),
    ...                     RandomStreams(0))
    >>> latency_matrix(net).tolist()
    [[0.0, 0.01, 0.01], [0.01, 0.0, 0.01], [0.01, 0.01, 0.0]]
    """
    n = network.n_nodes
    lat = np.full((n, n), np.inf)
    rows = np.repeat(np.arange(n), np.diff(network.indptr))
    lat[rows, network.indices] = network.latency_s
    np.fill_diagonal(lat, 0.0)
    return lat


def arrival_times(
    n: int, interval_s: float, kind: str, rng: np.random.Generator, start_s: float = 0.0
) -> np.ndarray:
    """Times of ``n`` request arrivals: evenly spaced or Poisson, from ``start_s``.

    >>> arrival_times(3, 0.5, "fixed", np.random.default_rng(0), start_s=1.0).tolist()
    [1.0, 1.5, 2.0]
    """
    if kind == "fixed" or interval_s == 0.0:
        return start_s + interval_s * np.arange(n, dtype=float)
    gaps = rng.exponential(interval_s, size=n)
    gaps[0] = 0.0
    return start_s + np.cumsum(gaps)


class MessageCounter:
    """Messages and bytes sent, by kind (and messages dropped, for lossy links)."""

    __slots__ = ("_bytes", "_count", "_dropped", "kinds")

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds
        self._count = dict.fromkeys(kinds, 0)
        self._bytes = dict.fromkeys(kinds, 0)
        self._dropped = dict.fromkeys(kinds, 0)

    def add(self, kind: str, n_messages: int, size_bytes: int) -> None:
        """Count ``n_messages`` sent messages of ``size_bytes`` each."""
        self._count[kind] += n_messages
        self._bytes[kind] += n_messages * size_bytes

    def drop(self, kind: str, n_messages: int = 1) -> None:
        """Count messages that were sent but never delivered."""
        self._dropped[kind] += n_messages

    def table(self) -> pd.DataFrame:
        """Columns ``kind, n_messages, n_bytes, n_dropped`` (one row per kind)."""
        return pd.DataFrame(
            {
                "kind": list(self.kinds),
                "n_messages": [self._count[k] for k in self.kinds],
                "n_bytes": [self._bytes[k] for k in self.kinds],
                "n_dropped": [self._dropped[k] for k in self.kinds],
            }
        )

    @property
    def total(self) -> int:
        """All messages sent."""
        return sum(self._count.values())


@dataclass
class ConsensusResults:
    """Tidy tables and metadata of one PBFT or Raft run.

    Attributes
    ----------
    protocol : str
        ``"pbft"`` or ``"raft"``.
    tables : dict of str to pandas.DataFrame
        The protocol's tables (see :func:`chainsim.consensus.run_pbft` and
        :func:`chainsim.consensus.run_raft` for the columns).
    meta : dict
        ``seed`` (root entropy), ``config``, ``sim_time_s``, ``wall_time_s``,
        ``n_events`` and protocol counts.
    """

    protocol: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def summary(self) -> dict[str, float]:
        """Throughput and latency of the accepted requests, and message totals.

        Keys: ``n_requests``, ``n_accepted``, ``throughput_rps`` (accepted requests
        per second between the first send and the last acceptance), ``latency_mean_s``,
        ``latency_p50_s``, ``latency_p95_s``, ``latency_p99_s``, ``n_messages``,
        ``n_bytes``.
        """
        req = self.tables["requests"]
        done = req.dropna(subset=["t_accepted_s"])
        lat = done["latency_s"].to_numpy(dtype=float)
        span = float(done["t_accepted_s"].max() - req["t_sent_s"].min()) if len(done) else 0.0
        msgs = self.tables["messages"]

        def pct(q: float) -> float:
            return float(np.percentile(lat, q)) if len(lat) else float("nan")

        return {
            "n_requests": float(len(req)),
            "n_accepted": float(len(done)),
            "throughput_rps": float(len(done) / span) if span > 0 else float("nan"),
            "latency_mean_s": float(lat.mean()) if len(lat) else float("nan"),
            "latency_p50_s": pct(50),
            "latency_p95_s": pct(95),
            "latency_p99_s": pct(99),
            "n_messages": float(msgs["n_messages"].sum()),
            "n_bytes": float(msgs["n_bytes"].sum()),
        }
