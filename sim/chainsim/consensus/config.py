"""Validated, frozen configurations of the PBFT and Raft simulations.

Both protocols run on a complete graph of replicas (PBFT) or servers (Raft) plus
``n_clients`` client nodes, built with :func:`chainsim.network.build_network`
(topology ``"complete"``): replicas are nodes ``0..n-1`` and clients ``n..n+c-1``.
Without ``latency_ms`` link latencies come from the SimBlock 2019 regional table
(Aoki et al. 2019) with ``latency_jitter``; with it every link has exactly that
one-way latency, which the exact-sequence tests use. Every message costs the
receiver ``processing_ms`` before it acts on it. Message sizes are counted (bytes by
message kind) but cost no transfer time: these are small control messages.

Examples
--------
>>> PBFTConfig().n_replicas, RaftConfig().election_timeout_min_ms
(4, 1000.0)
>>> PBFTConfig(n_replicas=4, faults=[("byzantine", 0, "silent")]).faults
(Byzantine(node=0, behaviour='silent'),)
>>> RaftConfig(election_timeout_min_ms=300, election_timeout_max_ms=200)
Traceback (most recent call last):
...
chainsim.errors.ConfigError: raft.election_timeout_max_ms must be >= the minimum (300), got 200.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from chainsim.config import NetworkConfig, _Validated, meta
from chainsim.consensus.faults import Fault, check_supported, parse_faults
from chainsim.errors import ConfigError

__all__ = ["ARRIVALS", "PBFTConfig", "RaftConfig"]

#: How client requests are spread in time: evenly spaced or a Poisson process.
ARRIVALS: tuple[str, ...] = ("fixed", "poisson")


def _network(n: int, latency_ms: float | None, jitter: float) -> NetworkConfig:
    return NetworkConfig(
        n_nodes=n, topology="complete", latency_ms=latency_ms, latency_jitter=jitter
    )


@dataclass(frozen=True, slots=True)
class PBFTConfig(_Validated):
    """Practical Byzantine fault tolerance (Castro and Liskov 1999).

    ``n_replicas = 3f + 1`` replicas order requests from ``n_clients`` clients. The
    clients together issue ``n_requests`` requests, one every ``request_interval_s``
    (evenly or as a Poisson process), round-robin over the clients. The timers
    default to 5 s: with the SimBlock latencies (up to about 0.33 s one way) a
    request whose quorums must include the farthest replicas takes over a second,
    and a shorter timer would start needless view changes. Byzantine
    replicas, crashes and partitions come from ``faults`` (see
    :mod:`chainsim.consensus.faults`; PBFT supports ``crash``, ``partition``, ``heal``
    and ``byzantine``; messages held up by a partition arrive after the heal).
    """

    _section: ClassVar[str] = "pbft"

    n_replicas: int = field(default=4, metadata=meta("Replicas (3f + 1)", min=1, max=1_000))
    n_clients: int = field(default=1, metadata=meta("Clients", min=1, max=10_000))
    n_requests: int = field(default=10, metadata=meta("Requests", min=0, max=10**7, log=True))
    request_interval_s: float = field(
        default=0.1,
        metadata=meta("Time between requests", unit="s", min=0.0, max=1e6, help="All clients"),
    )
    arrivals: str = field(default="fixed", metadata=meta("Request arrivals", choices=ARRIVALS))
    latency_ms: float | None = field(
        default=None,
        metadata=meta(
            "Fixed latency", unit="ms", min=0.0, max=600_000.0, help="None: SimBlock 2019 table"
        ),
    )
    latency_jitter: float = field(default=0.1, metadata=meta("Latency jitter", min=0.0, max=2.0))
    processing_ms: float = field(
        default=1.0, metadata=meta("Processing time per message", unit="ms", min=0.0, max=1e6)
    )
    checkpoint_interval: int = field(
        default=16, metadata=meta("Checkpoint every K requests", min=1, max=10**6)
    )
    log_window: int = field(
        default=64,
        metadata=meta(
            "Log window H - h", min=1, max=10**7, help="Primary assigns sequence numbers <= h + L"
        ),
    )
    view_change_timeout_s: float = field(
        default=5.0,
        metadata=meta(
            "Request timer",
            unit="s",
            min=0.0,
            min_exclusive=True,
            max=1e6,
            help="A backup starts a view change when a request waits this long",
        ),
    )
    client_timeout_s: float = field(
        default=5.0,
        metadata=meta(
            "Client retransmission timeout",
            unit="s",
            min=0.0,
            min_exclusive=True,
            max=1e6,
            help="Then the client sends the request to every replica",
        ),
    )
    byzantine_delay_s: float = field(
        default=0.5,
        metadata=meta("Delay added by a 'delay' replica", unit="s", min=0.0, max=1e6),
    )
    request_bytes: int = field(
        default=256, metadata=meta("Request size", unit="bytes", min=1, max=10**8)
    )
    vote_bytes: int = field(
        default=128,
        metadata=meta(
            "Pre-prepare / prepare / commit / checkpoint / reply size",
            unit="bytes",
            min=1,
            max=10**6,
        ),
    )
    max_time_s: float = field(
        default=600.0,
        metadata=meta("Time limit", unit="s", min=0.0, min_exclusive=True, max=1e9),
    )
    faults: tuple[Fault, ...] = field(default=())

    def _check(self) -> None:
        parsed = parse_faults(self.faults, n_nodes=self.n_replicas)
        check_supported(parsed, ("crash", "partition", "heal", "byzantine"), "pbft")
        object.__setattr__(self, "faults", parsed)

    @property
    def f(self) -> int:
        """Byzantine replicas tolerated: ``(n_replicas - 1) // 3``."""
        return (self.n_replicas - 1) // 3

    def network_config(self) -> NetworkConfig:
        """The complete network of replicas and clients this run uses."""
        return _network(self.n_replicas + self.n_clients, self.latency_ms, self.latency_jitter)

    def to_dict(self) -> dict[str, Any]:
        """Plain values; faults as tuples of their fields."""
        return _with_faults(self)


@dataclass(frozen=True, slots=True)
class RaftConfig(_Validated):
    """Raft (Ongaro and Ousterhout 2014): leader election and log replication.

    Election timeouts are drawn uniformly from ``[election_timeout_min_ms,
    election_timeout_max_ms]`` every time a server resets its timer. Raft needs the
    message round trip to be well below the timeout. The paper's 150-300 ms suits a
    data centre (set ``latency_ms`` to a few ms); the defaults follow etcd (heartbeat
    100 ms, election timeout 1000 ms, drawn up to twice that), which suits the
    wide-area SimBlock latencies used when ``latency_ms`` is None. Clients
    send each request to the server they believe leads and retry after
    ``client_timeout_s``. Faults: crash, restart, partition, heal; every message is
    also lost with probability ``loss_probability``.
    """

    _section: ClassVar[str] = "raft"

    n_servers: int = field(default=5, metadata=meta("Servers (2f + 1)", min=1, max=1_000))
    n_clients: int = field(default=1, metadata=meta("Clients", min=1, max=10_000))
    n_requests: int = field(default=10, metadata=meta("Requests", min=0, max=10**7, log=True))
    request_interval_s: float = field(
        default=0.1, metadata=meta("Time between requests", unit="s", min=0.0, max=1e6)
    )
    first_request_s: float = field(
        default=3.0,
        metadata=meta(
            "First request at", unit="s", min=0.0, max=1e6, help="Leave time for the first election"
        ),
    )
    arrivals: str = field(default="fixed", metadata=meta("Request arrivals", choices=ARRIVALS))
    election_timeout_min_ms: float = field(
        default=1000.0,
        metadata=meta("Election timeout, min", unit="ms", min=0.0, min_exclusive=True, max=1e7),
    )
    election_timeout_max_ms: float = field(
        default=2000.0,
        metadata=meta("Election timeout, max", unit="ms", min=0.0, min_exclusive=True, max=1e7),
    )
    heartbeat_ms: float = field(
        default=100.0,
        metadata=meta("Heartbeat interval", unit="ms", min=0.0, min_exclusive=True, max=1e7),
    )
    leader_noop: bool = field(
        default=True,
        metadata=meta(
            "New leader appends a no-op entry",
            help="Lets it commit entries of earlier terms at once",
        ),
    )
    latency_ms: float | None = field(
        default=None,
        metadata=meta(
            "Fixed latency", unit="ms", min=0.0, max=600_000.0, help="None: SimBlock 2019 table"
        ),
    )
    latency_jitter: float = field(default=0.1, metadata=meta("Latency jitter", min=0.0, max=2.0))
    processing_ms: float = field(
        default=1.0, metadata=meta("Processing time per message", unit="ms", min=0.0, max=1e6)
    )
    loss_probability: float = field(
        default=0.0, metadata=meta("Message loss probability", min=0.0, max=1.0, step=0.01)
    )
    client_timeout_s: float = field(
        default=1.0,
        metadata=meta("Client retry timeout", unit="s", min=0.0, min_exclusive=True, max=1e6),
    )
    request_bytes: int = field(
        default=256, metadata=meta("Request / entry size", unit="bytes", min=1, max=10**8)
    )
    header_bytes: int = field(
        default=64, metadata=meta("Message header size", unit="bytes", min=1, max=10**6)
    )
    max_time_s: float = field(
        default=600.0,
        metadata=meta("Time limit", unit="s", min=0.0, min_exclusive=True, max=1e9),
    )
    faults: tuple[Fault, ...] = field(default=())

    def _check(self) -> None:
        if self.election_timeout_max_ms < self.election_timeout_min_ms:
            raise ConfigError(
                f"raft.election_timeout_max_ms must be >= the minimum "
                f"({self.election_timeout_min_ms:g}), got {self.election_timeout_max_ms!r}"
            )
        parsed = parse_faults(self.faults, n_nodes=self.n_servers)
        check_supported(parsed, ("crash", "restart", "partition", "heal"), "raft")
        object.__setattr__(self, "faults", parsed)

    def network_config(self) -> NetworkConfig:
        """The complete network of servers and clients this run uses."""
        return _network(self.n_servers + self.n_clients, self.latency_ms, self.latency_jitter)

    def to_dict(self) -> dict[str, Any]:
        """Plain values; faults as tuples of their fields."""
        return _with_faults(self)


def _with_faults(cfg: Any) -> dict[str, Any]:
    from dataclasses import fields

    from chainsim.consensus.faults import fault_kind

    out: dict[str, Any] = {}
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if f.name == "faults":
            rows = []
            for fault in value:
                vals = [getattr(fault, s) for s in type(fault).__slots__]
                rows.append([fault_kind(fault), *[_plainv(v) for v in vals]])
            value = rows
        elif isinstance(value, float) and math.isinf(value):
            value = "inf"
        out[f.name] = value
    return out


def _plainv(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_plainv(x) for x in v]
    return v
