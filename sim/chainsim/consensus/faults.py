"""A small, explicit fault schedule shared by the consensus protocols.

A schedule is a tuple of faults, each a tiny frozen record. In a config it may also be
written as plain tuples, which :func:`parse_faults` turns into records:

=========================================  ============================================
tuple form                                  meaning
=========================================  ============================================
``("crash", t_s, node)``                    ``node`` stops at ``t_s``: it sends and
                                            handles nothing; its timers stop
``("restart", t_s, node)``                  ``node`` comes back at ``t_s`` with its
                                            persistent state (Raft: term, vote, log)
``("partition", t_s, groups)``              from ``t_s`` on, messages between nodes of
                                            different groups are dropped; ``groups`` is
                                            a sequence of node sequences; nodes listed
                                            in no group form one more group together
``("heal", t_s)``                           the partition ends at ``t_s``
``("byzantine", node, behaviour)``          ``node`` misbehaves for the whole run (PBFT:
                                            ``"silent"``, ``"equivocate"``, ``"delay"``,
                                            ``"conflict"``)
=========================================  ============================================

Times are simulated seconds. The schedule is sorted by time (Byzantine entries, which
hold for the whole run, first) and checked when it is parsed, so a bad entry fails
before a run starts. Each protocol says which kinds it supports
(:func:`check_supported`); the attacks toolbox can reuse the same records.

Examples
--------
>>> parse_faults([("restart", 2.0, 1), ("crash", 1.0, 1), ("byzantine", 3, "silent")])
(Byzantine(node=3, behaviour='silent'), Crash(t_s=1.0, node=1), Restart(t_s=2.0, node=1))
>>> partition_groups(Partition(0.5, ((0, 1),)), 4)
[0, 0, 1, 1]
>>> parse_faults([("crash", -1, 0)])
Traceback (most recent call last):
...
chainsim.errors.ConfigError: faults[0] ('crash', -1, 0): t_s must be a finite time >= 0 s, got -1
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

from chainsim.errors import ConfigError

__all__ = [
    "BYZANTINE_BEHAVIOURS",
    "FAULT_KINDS",
    "Byzantine",
    "Crash",
    "Fault",
    "Heal",
    "Partition",
    "PartitionTimeline",
    "Restart",
    "check_supported",
    "fault_kind",
    "parse_faults",
    "partition_groups",
]

#: PBFT misbehaviours: send nothing; give conflicting pre-prepares as primary; add a
#: delay to every message; vote (prepare, commit, checkpoint, reply) against the
#: honest replicas.
BYZANTINE_BEHAVIOURS: tuple[str, ...] = ("silent", "equivocate", "delay", "conflict")

FAULT_KINDS: tuple[str, ...] = ("crash", "restart", "partition", "heal", "byzantine")


@dataclass(frozen=True, slots=True)
class Crash:
    """``node`` stops at ``t_s`` (seconds)."""

    t_s: float
    node: int


@dataclass(frozen=True, slots=True)
class Restart:
    """``node`` restarts at ``t_s`` (seconds) with its persistent state."""

    t_s: float
    node: int


@dataclass(frozen=True, slots=True)
class Partition:
    """From ``t_s`` on, only nodes of the same group can talk to each other."""

    t_s: float
    groups: tuple[tuple[int, ...], ...]


@dataclass(frozen=True, slots=True)
class Heal:
    """The partition ends at ``t_s`` (seconds)."""

    t_s: float


@dataclass(frozen=True, slots=True)
class Byzantine:
    """``node`` misbehaves for the whole run (see :data:`BYZANTINE_BEHAVIOURS`)."""

    node: int
    behaviour: str


Fault: TypeAlias = Crash | Restart | Partition | Heal | Byzantine


def fault_kind(fault: Fault) -> str:
    """The kind name of a fault record.

    >>> fault_kind(Heal(3.0))
    'heal'
    """
    return type(fault).__name__.lower()


def _time(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: t_s must be a finite time >= 0 s, got {value!r}")
    t = float(value)
    if not (t >= 0 and math.isfinite(t)):
        raise ConfigError(f"{where}: t_s must be a finite time >= 0 s, got {value!r}")
    return t


def _node(where: str, value: Any, n_nodes: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            import numpy as np

            if isinstance(value, np.integer):
                value = int(value)
            else:
                raise TypeError
        except TypeError:
            raise ConfigError(f"{where}: node must be a node index, got {value!r}") from None
    hi = f"0..{n_nodes - 1}" if n_nodes is not None else ">= 0"
    if value < 0 or (n_nodes is not None and value >= n_nodes):
        raise ConfigError(f"{where}: node must be in {hi}, got {value!r}")
    return int(value)


def _one(where: str, item: Any, n_nodes: int | None) -> Fault:
    if isinstance(item, Crash | Restart):
        return type(item)(_time(where, item.t_s), _node(where, item.node, n_nodes))
    if isinstance(item, Heal):
        return Heal(_time(where, item.t_s))
    if isinstance(item, Byzantine):
        item = ("byzantine", item.node, item.behaviour)
    elif isinstance(item, Partition):
        item = ("partition", item.t_s, item.groups)
    if isinstance(item, str) or not isinstance(item, Sequence) or not item:
        raise ConfigError(
            f"{where} must be a fault record or a tuple such as ('crash', t_s, node), got {item!r}"
        )
    kind, *args = item
    shapes = {
        "crash": "('crash', t_s, node)",
        "restart": "('restart', t_s, node)",
        "partition": "('partition', t_s, groups)",
        "heal": "('heal', t_s)",
        "byzantine": "('byzantine', node, behaviour)",
    }
    if kind not in shapes:
        raise ConfigError(
            f"{where}: fault kind must be one of {', '.join(FAULT_KINDS)}, got {kind!r}"
        )
    n_args = 1 if kind == "heal" else 2
    if len(args) != n_args:
        raise ConfigError(f"{where} must look like {shapes[kind]}, got {item!r}")
    if kind == "crash":
        return Crash(_time(where, args[0]), _node(where, args[1], n_nodes))
    if kind == "restart":
        return Restart(_time(where, args[0]), _node(where, args[1], n_nodes))
    if kind == "heal":
        return Heal(_time(where, args[0]))
    if kind == "byzantine":
        node = _node(where, args[0], n_nodes)
        if args[1] not in BYZANTINE_BEHAVIOURS:
            raise ConfigError(
                f"{where}: behaviour must be one of "
                f"{', '.join(repr(b) for b in BYZANTINE_BEHAVIOURS)}, got {args[1]!r}"
            )
        return Byzantine(node, str(args[1]))
    t = _time(where, args[0])
    groups_in = args[1]
    if isinstance(groups_in, str) or not isinstance(groups_in, Iterable):
        raise ConfigError(
            f"{where}: groups must be a sequence of node sequences, got {groups_in!r}"
        )
    groups: list[tuple[int, ...]] = []
    seen: set[int] = set()
    for g in groups_in:
        if isinstance(g, str) or not isinstance(g, Iterable):
            raise ConfigError(f"{where}: each group must be a sequence of nodes, got {g!r}")
        members = tuple(sorted(_node(where, v, n_nodes) for v in g))
        if seen.intersection(members):
            raise ConfigError(f"{where}: a node may be in one group only, got {groups_in!r}")
        seen.update(members)
        groups.append(members)
    return Partition(t, tuple(groups))


def _order(fault: Fault) -> tuple[float, int]:
    if isinstance(fault, Byzantine):
        return (-1.0, fault.node)
    return (fault.t_s, FAULT_KINDS.index(fault_kind(fault)))


def parse_faults(items: Iterable[Any], n_nodes: int | None = None) -> tuple[Fault, ...]:
    """Check a fault schedule and return it as records sorted by time.

    Parameters
    ----------
    items
        Fault records or the tuple forms in the module docstring.
    n_nodes
        When given, node indices must be in ``0..n_nodes-1``.

    Returns
    -------
    tuple of Fault
        Byzantine entries first, then the timed faults in time order (a stable sort,
        so entries at the same time keep crash, restart, partition, heal order).

    Raises
    ------
    ConfigError
        Naming the entry, the bad value and what is allowed.

    Examples
    --------
    >>> parse_faults([("heal", 2), ("partition", 1, [[0], [1, 2]])])
    (Partition(t_s=1.0, groups=((0,), (1, 2))), Heal(t_s=2.0))
    >>> parse_faults([("byzantine", 5, "sneaky")], n_nodes=4)
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: faults[0] ('byzantine', 5, 'sneaky'): node must be in 0..3, got 5
    """
    if isinstance(items, str) or not isinstance(items, Iterable):
        raise ConfigError(f"faults must be a sequence of fault entries, got {items!r}")
    out = [_one(f"faults[{i}] {item!r}", item, n_nodes) for i, item in enumerate(items)]
    byz = [f.node for f in out if isinstance(f, Byzantine)]
    if len(byz) != len(set(byz)):
        raise ConfigError(f"faults: a node may have one Byzantine behaviour only, got nodes {byz}")
    return tuple(sorted(out, key=_order))


def check_supported(faults: Iterable[Fault], supported: Iterable[str], protocol: str) -> None:
    """Raise :class:`ConfigError` if a fault kind is not supported by ``protocol``.

    >>> check_supported([Heal(1.0)], ("crash",), "pbft")
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: pbft.faults: fault kind 'heal' is not supported; allowed: crash
    """
    allowed = tuple(supported)
    for fault in faults:
        kind = fault_kind(fault)
        if kind not in allowed:
            raise ConfigError(
                f"{protocol}.faults: fault kind {kind!r} is not supported; "
                f"allowed: {', '.join(allowed)}"
            )


def partition_groups(partition: Partition | None, n_nodes: int) -> list[int]:
    """Group index of every node under ``partition`` (all 0 when there is none).

    Nodes listed in no group share the group after the listed ones.

    >>> partition_groups(None, 3)
    [0, 0, 0]
    >>> partition_groups(Partition(0.0, ((2,), (0,))), 4)
    [1, 2, 0, 2]
    """
    if partition is None:
        return [0] * n_nodes
    rest = len(partition.groups)
    group = [rest] * n_nodes
    for i, members in enumerate(partition.groups):
        for v in members:
            if v < n_nodes:
                group[v] = i
    return group


class PartitionTimeline:
    """Which group every node is in over time, from a schedule's partitions and heals.

    Parameters
    ----------
    faults
        A parsed schedule (:func:`parse_faults`); entries other than
        :class:`Partition` and :class:`Heal` are ignored.
    n_nodes
        Number of nodes covered.

    Examples
    --------
    >>> tl = PartitionTimeline(parse_faults([("partition", 1, [[0]]), ("heal", 3)]), 3)
    >>> tl.groups_at(2.0).tolist(), tl.groups_at(3.0).tolist()
    ([0, 1, 1], [0, 0, 0])
    >>> tl.reunion_s(1.5, 0, 2), tl.reunion_s(0.5, 0, 2), tl.reunion_s(1.5, 1, 2)
    (3.0, 0.5, 1.5)
    >>> tl.reunion_row(2.0, 0).tolist()
    [2.0, 3.0, 3.0]
    """

    def __init__(self, faults: Iterable[Fault], n_nodes: int) -> None:
        self.n_nodes = n_nodes
        self.times: list[float] = [0.0]
        self.groups: list[np.ndarray] = [np.zeros(n_nodes, dtype=np.int64)]
        for fault in faults:
            if isinstance(fault, Partition):
                groups = np.array(partition_groups(fault, n_nodes), dtype=np.int64)
            elif isinstance(fault, Heal):
                groups = np.zeros(n_nodes, dtype=np.int64)
            else:
                continue
            self.times.append(fault.t_s)
            self.groups.append(groups)

    @property
    def has_partitions(self) -> bool:
        """True when the schedule ever splits the nodes."""
        return any(int(g.max()) > 0 for g in self.groups)

    def _index(self, t: float) -> int:
        return bisect_right(self.times, t) - 1

    def groups_at(self, t: float) -> np.ndarray:
        """Group index of every node at time ``t`` (seconds)."""
        return self.groups[self._index(t)]

    def reunion_s(self, t: float, a: int, b: int) -> float:
        """Earliest time ``>= t`` at which ``a`` and ``b`` are in one group (inf: never)."""
        for k in range(self._index(t), len(self.times)):
            g = self.groups[k]
            if g[a] == g[b]:
                return max(t, self.times[k])
        return math.inf

    def reunion_row(self, t: float, a: int) -> np.ndarray:
        """:meth:`reunion_s` from ``a`` to every node, as an array."""
        out = np.full(self.n_nodes, np.inf)
        for k in range(self._index(t), len(self.times)):
            g = self.groups[k]
            same = (g == g[a]) & np.isinf(out)
            out[same] = max(t, self.times[k])
            if not np.isinf(out).any():
                break
        return out
