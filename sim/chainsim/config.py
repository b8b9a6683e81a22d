"""Validated, frozen configuration for a simulation.

A :class:`SimConfig` bundles five parts: the peer-to-peer ``network``, ``mining``,
``consensus``, the transaction ``workload`` and the ``run`` length. Every field has a
teaching-friendly default and metadata (label, unit, min, max, allowed choices) that
widgets read to build sliders. Values are checked when a config is made, so a bad
value fails before a run starts, with a message that names the field, the bad value
and what is allowed.

Examples
--------
>>> cfg = SimConfig()
>>> cfg.network.n_nodes, cfg.mining.block_interval_s
(100, 600.0)
>>> cfg.override({"network.n_nodes": 500}).network.n_nodes
500
>>> MiningConfig(block_interval_s=-5)
Traceback (most recent call last):
...
chainsim.errors.ConfigError: mining.block_interval_s must be > 0, got -5.0
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from chainsim.errors import ConfigError

__all__ = [
    "REGIONS",
    "ConsensusConfig",
    "MiningConfig",
    "NetworkConfig",
    "RunConfig",
    "SimConfig",
    "WorkloadConfig",
    "describe_fields",
]

#: Regions of the SimBlock 2019 tables, in table order (Aoki et al. 2019).
REGIONS: tuple[str, ...] = ("NA", "EU", "SA", "AP", "JP", "AU")

#: Share of Bitcoin nodes by region in 2019 (SimBlock, Aoki et al. 2019).
BITCOIN_REGION_SHARES: tuple[float, ...] = (0.3316, 0.4998, 0.0090, 0.1177, 0.0224, 0.0195)

TOPOLOGIES = ("bitcoin", "random-regular", "small-world", "scale-free", "complete", "custom")
RELAYS = ("inv", "push", "compact")
PROTOCOLS = ("nakamoto", "ghost", "pos", "pbft", "raft")
ENGINES = ("auto", "simpy", "fast")


def meta(
    label: str,
    *,
    unit: str = "",
    min: float | None = None,
    max: float | None = None,
    min_exclusive: bool = False,
    choices: tuple[str, ...] | None = None,
    step: float | None = None,
    log: bool = False,
    help: str = "",
) -> dict[str, Any]:
    """Field metadata: what a widget needs to offer the field to a learner."""
    return {
        "label": label,
        "unit": unit,
        "min": min,
        "max": max,
        "min_exclusive": min_exclusive,
        "choices": choices,
        "step": step,
        "log": log,
        "help": help,
    }


_C = TypeVar("_C", bound="_Validated")


class _Validated:
    """Mixin: check every field against its metadata after construction."""

    _section: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            m = f.metadata
            if not m:
                continue
            value = getattr(self, f.name)
            name = f"{self._section}.{f.name}" if self._section else f.name
            value = _check_field(name, value, f.type, m)
            object.__setattr__(self, f.name, value)
        self._check()

    def _check(self) -> None:
        """Cross-field checks; subclasses override."""

    def replace(self: _C, **changes: Any) -> _C:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-friendly values (tuples become lists)."""
        return _plain(dataclasses.asdict(self))  # type: ignore[call-overload]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return value


def _fail(name: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"{name} must be {allowed}, got {value!r}")


def _check_field(name: str, value: Any, typ: Any, m: Mapping[str, Any]) -> Any:
    typ = str(typ)
    optional = "None" in typ
    if value is None:
        if optional:
            return None
        raise _fail(name, value, "given (not None)")
    if m.get("choices") is not None:
        choices = m["choices"]
        if value not in choices:
            raise ConfigError(
                f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}"
            )
        return value
    if typ.startswith("tuple"):
        if isinstance(value, str) or not hasattr(value, "__iter__"):
            raise _fail(name, value, "a sequence of numbers")
        items = tuple(value)
        out = []
        for i, item in enumerate(items):
            out.append(_check_number(f"{name}[{i}]", item, "float", m))
        return tuple(out)
    if typ.startswith("bool"):
        if not isinstance(value, bool):
            raise _fail(name, value, "True or False")
        return value
    if typ.startswith(("int", "float")):
        return _check_number(name, value, typ, m)
    return value


def _check_number(name: str, value: Any, typ: str, m: Mapping[str, Any]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:  # numpy scalars
            import numpy as np

            if isinstance(value, np.integer):
                value = int(value)
            elif isinstance(value, np.floating):
                value = float(value)
            else:
                raise TypeError
        except TypeError:
            raise _fail(name, value, "a number") from None
    if typ.startswith("int"):
        if isinstance(value, float):
            if not value.is_integer():
                raise _fail(name, value, "a whole number")
            value = int(value)
    else:
        value = float(value)
        if math.isnan(value):
            raise _fail(name, value, "a number (not NaN)")
    lo, hi = m.get("min"), m.get("max")
    if lo is not None:
        if m.get("min_exclusive") and not value > lo:
            raise ConfigError(f"{name} must be > {lo:g}, got {value!r}")
        if not m.get("min_exclusive") and not value >= lo:
            raise ConfigError(f"{name} must be >= {lo:g}, got {value!r}")
    if hi is not None and not value <= hi:
        raise ConfigError(f"{name} must be <= {hi:g}, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class NetworkConfig(_Validated):
    """The peer-to-peer network: nodes, links, regions and block relay.

    Link delay for a message of ``size`` bytes from ``u`` to ``v`` is
    ``latency(u, v) + size * 8 / min(upload(u), download(v))``; a node uploads one
    block at a time. Latencies and bandwidths come from the SimBlock 2019 tables
    (Aoki et al. 2019) unless ``latency_ms`` / ``bandwidth_mbps`` fix them.
    """

    _section: ClassVar[str] = "network"

    n_nodes: int = field(default=100, metadata=meta("Nodes", min=2, max=100_000, log=True))
    topology: str = field(
        default="bitcoin",
        metadata=meta(
            "Topology",
            choices=TOPOLOGIES,
            help="'bitcoin': random outbound peers with the measured degree distribution",
        ),
    )
    degree: int = field(
        default=8,
        metadata=meta("Degree", min=1, max=1_000, help="Peers per node (non-bitcoin topologies)"),
    )
    region_shares: tuple[float, ...] = field(
        default=BITCOIN_REGION_SHARES,
        metadata=meta("Node share by region", min=0.0, max=1.0, help="NA, EU, SA, AP, JP, AU"),
    )
    latency_ms: float | None = field(
        default=None,
        metadata=meta(
            "Fixed latency", unit="ms", min=0.0, max=600_000.0, help="None: SimBlock 2019 table"
        ),
    )
    bandwidth_mbps: float | None = field(
        default=None,
        metadata=meta(
            "Fixed bandwidth",
            unit="Mbit/s",
            min=0.0,
            min_exclusive=True,
            max=math.inf,
            help="None: SimBlock 2019 table; inf: size costs no time",
        ),
    )
    latency_jitter: float = field(
        default=0.1,
        metadata=meta("Latency jitter", min=0.0, max=2.0, help="Relative spread of link latency"),
    )
    relay: str = field(
        default="inv",
        metadata=meta("Block relay", choices=RELAYS, help="inv/getdata, push, compact"),
    )
    compact_block_bytes: int = field(
        default=18_000, metadata=meta("Compact block size", unit="bytes", min=0, max=10**8)
    )
    compact_failure_rate: float = field(
        default=0.0,
        metadata=meta("Compact block failure rate", min=0.0, max=1.0, step=0.01),
    )
    inv_bytes: int = field(
        default=61, metadata=meta("inv / getdata message size", unit="bytes", min=0, max=10**6)
    )
    processing_ms: float = field(
        default=2.0, metadata=meta("Processing time per message", unit="ms", min=0.0, max=10**6)
    )
    validation_ms: float = field(
        default=0.0,
        metadata=meta("Extra block validation time", unit="ms", min=0.0, max=10**7),
    )

    def _check(self) -> None:
        if len(self.region_shares) != len(REGIONS):
            raise ConfigError(
                f"network.region_shares must have {len(REGIONS)} entries "
                f"({', '.join(REGIONS)}), got {len(self.region_shares)}"
            )
        total = sum(self.region_shares)
        if not math.isclose(total, 1.0, abs_tol=1e-3):
            raise ConfigError(f"network.region_shares must sum to 1, got {total:g}")
        if self.topology in ("random-regular",) and self.degree >= self.n_nodes:
            raise ConfigError(
                f"network.degree must be < n_nodes ({self.n_nodes}) for a random-regular "
                f"topology, got {self.degree}"
            )
        if self.topology == "random-regular" and (self.degree * self.n_nodes) % 2:
            raise ConfigError(
                f"network.degree * n_nodes must be even for a random-regular topology, "
                f"got {self.degree} * {self.n_nodes}"
            )


@dataclass(frozen=True, slots=True)
class MiningConfig(_Validated):
    """Miners, their hash-rate shares, block interval, size and difficulty.

    Each miner finds blocks as a Poisson process whose rate is its hash-rate share
    divided by ``block_interval_s``. With ``retarget=True`` the difficulty follows
    Bitcoin's rule every ``retarget_period_blocks`` blocks, so a hash-rate shock
    (``hashrate_shocks``: pairs of time in seconds and a factor on the total hash
    rate) shows up in block times until the next retarget.
    """

    _section: ClassVar[str] = "mining"

    block_interval_s: float = field(
        default=600.0,
        metadata=meta("Block interval", unit="s", min=0.0, min_exclusive=True, max=1e7, log=True),
    )
    n_miners: int = field(default=10, metadata=meta("Miners", min=1, max=100_000))
    hash_shares: tuple[float, ...] = field(
        default=(),
        metadata=meta("Hash-rate shares", min=0.0, max=1.0, help="Empty: equal shares"),
    )
    block_size_bytes: int = field(
        default=535_000,
        metadata=meta("Block size", unit="bytes", min=80, max=10**9, log=True),
    )
    retarget: bool = field(default=False, metadata=meta("Difficulty retargeting"))
    retarget_period_blocks: int = field(
        default=2016, metadata=meta("Retarget period", unit="blocks", min=2, max=10**6)
    )
    hashrate_shocks: tuple[tuple[float, float], ...] = field(default=())

    def _check(self) -> None:
        if self.hash_shares:
            if len(self.hash_shares) != self.n_miners:
                raise ConfigError(
                    f"mining.hash_shares must have n_miners ({self.n_miners}) entries, "
                    f"got {len(self.hash_shares)}"
                )
            total = sum(self.hash_shares)
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise ConfigError(f"mining.hash_shares must sum to 1, got {total:g}")
        shocks = []
        for i, shock in enumerate(self.hashrate_shocks):
            try:
                t, factor = (float(x) for x in shock)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"mining.hashrate_shocks[{i}] must be a (time_s, factor) pair, got {shock!r}"
                ) from None
            if not t >= 0 or not factor > 0 or math.isinf(factor) or math.isinf(t):
                raise ConfigError(
                    f"mining.hashrate_shocks[{i}] needs time_s >= 0 and 0 < factor < inf, "
                    f"got {shock!r}"
                )
            shocks.append((t, factor))
        object.__setattr__(self, "hashrate_shocks", tuple(sorted(shocks)))

    @property
    def shares(self) -> tuple[float, ...]:
        """Hash-rate share of each miner (equal shares when none are given)."""
        return self.hash_shares or (1.0 / self.n_miners,) * self.n_miners


@dataclass(frozen=True, slots=True)
class ConsensusConfig(_Validated):
    """Which consensus protocol runs and its fork-choice rule."""

    _section: ClassVar[str] = "consensus"

    protocol: str = field(default="nakamoto", metadata=meta("Protocol", choices=PROTOCOLS))
    fork_choice: str = field(
        default="most-work",
        metadata=meta(
            "Fork choice",
            choices=("most-work", "longest", "ghost"),
            help="A custom rule is passed to simulate(fork_choice=...)",
        ),
    )


@dataclass(frozen=True, slots=True)
class WorkloadConfig(_Validated):
    """Transactions arriving at the network (0 tx/s: blocks carry no transactions)."""

    _section: ClassVar[str] = "workload"

    tx_rate_per_s: float = field(
        default=0.0, metadata=meta("Transaction rate", unit="tx/s", min=0.0, max=1e6)
    )
    tx_size_bytes: int = field(
        default=250, metadata=meta("Transaction size", unit="bytes", min=1, max=10**6)
    )
    fee_rate_median_sat_per_byte: float = field(
        default=10.0, metadata=meta("Median fee rate", unit="sat/byte", min=0.0, max=1e6)
    )
    fee_rate_sigma: float = field(
        default=1.0, metadata=meta("Fee-rate spread (log-normal sigma)", min=0.0, max=10.0)
    )


@dataclass(frozen=True, slots=True)
class RunConfig(_Validated):
    """How long to run and which engine to use."""

    _section: ClassVar[str] = "run"

    n_blocks: int = field(default=100, metadata=meta("Blocks to mine", min=1, max=10**7, log=True))
    max_time_s: float | None = field(
        default=None,
        metadata=meta("Time limit", unit="s", min=0.0, min_exclusive=True, max=math.inf),
    )
    engine: str = field(
        default="auto",
        metadata=meta(
            "Engine",
            choices=ENGINES,
            help="'simpy': message by message; 'fast': per-block arrival times; 'auto' picks",
        ),
    )
    drain: bool = field(
        default=True,
        metadata=meta("Let the last block reach every node", help="Relay continues after mining"),
    )


_SECTIONS = ("network", "mining", "consensus", "workload", "run")


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Everything one simulation needs, except the seed.

    Examples
    --------
    >>> SimConfig.from_dict({"mining": {"block_interval_s": 60}}).mining.block_interval_s
    60.0
    >>> SimConfig().override({"network.n_nodes": 0})
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: network.n_nodes must be >= 2, got 0
    """

    network: NetworkConfig = field(default_factory=NetworkConfig)
    mining: MiningConfig = field(default_factory=MiningConfig)
    consensus: ConsensusConfig = field(default_factory=ConsensusConfig)
    workload: WorkloadConfig = field(default_factory=WorkloadConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        expected = {
            "network": NetworkConfig,
            "mining": MiningConfig,
            "consensus": ConsensusConfig,
            "workload": WorkloadConfig,
            "run": RunConfig,
        }
        for name, cls in expected.items():
            if not isinstance(getattr(self, name), cls):
                raise ConfigError(f"{name} must be a {cls.__name__}, got {getattr(self, name)!r}")
        if self.mining.n_miners > self.network.n_nodes:
            raise ConfigError(
                f"mining.n_miners must be <= network.n_nodes ({self.network.n_nodes}), "
                f"got {self.mining.n_miners}"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimConfig:
        """Build from nested dicts ``{"network": {...}, ...}`` (unknown keys are errors)."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"a config must be a mapping of sections, got {data!r}")
        unknown = set(data) - set(_SECTIONS)
        if unknown:
            raise ConfigError(
                f"unknown config section {sorted(unknown)[0]!r}; allowed: {', '.join(_SECTIONS)}"
            )
        parts: dict[str, Any] = {}
        for name in _SECTIONS:
            section_cls = type(getattr(cls(), name))
            values = data.get(name, {})
            if isinstance(values, section_cls):
                parts[name] = values
                continue
            if not isinstance(values, Mapping):
                raise ConfigError(f"config section {name!r} must be a mapping, got {values!r}")
            names = {f.name for f in dataclasses.fields(section_cls)}
            for key in values:
                if key not in names:
                    raise ConfigError(
                        f"unknown parameter {name}.{key}; allowed: {', '.join(sorted(names))}"
                    )
            parts[name] = section_cls(**_unplain(dict(values)))
        return cls(**parts)

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dicts, the inverse of :meth:`from_dict`."""
        return {name: getattr(self, name).to_dict() for name in _SECTIONS}

    def override(self, changes: Mapping[str, Any]) -> SimConfig:
        """A copy with dotted-path changes, e.g. ``{"network.n_nodes": 500}``."""
        data = self.to_dict()
        for path, value in changes.items():
            section, _, key = path.partition(".")
            if section not in _SECTIONS or not key:
                raise ConfigError(
                    f"parameter paths look like 'section.name' with section one of "
                    f"{', '.join(_SECTIONS)}; got {path!r}"
                )
            data[section][key] = value
        return SimConfig.from_dict(data)

    def replace(self, **changes: Any) -> SimConfig:
        """A copy with whole sections replaced."""
        return dataclasses.replace(self, **changes)


def _unplain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (math.inf if v == "inf" else v) for k, v in values.items()}


def describe_fields(section: Any) -> list[dict[str, Any]]:
    """Field descriptions (name, default, and metadata) of a config class or instance.

    >>> [d["name"] for d in describe_fields(RunConfig)][:2]
    ['n_blocks', 'max_time_s']
    """
    out = []
    for f in dataclasses.fields(section):
        if not f.metadata:
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        out.append({"name": f.name, "default": default, **f.metadata})
    return out
