"""Fault schedules for the proof-of-work network: one list of timed events.

A schedule is a sequence of records (or their tuple forms) that
:func:`chainsim.simulate` applies at their times (``faults=`` argument; SimPy engine).
Crashes, restarts, partitions and heals are the records PBFT and Raft use
(:mod:`chainsim.consensus.faults`); eclipses, delays and losses are added here. What
each one does to messages is described in :mod:`chainsim.engine.adversary`.

=====================================================  =================================
tuple form                                             meaning
=====================================================  =================================
``("crash", t_s, node)``                               ``node`` stops at ``t_s``
``("restart", t_s, node)`` or ``("recover", ...)``     ``node`` comes back and
                                                       re-synchronises with its peers
``("partition", t_s, groups)``                         only nodes in the same group talk
``("heal", t_s)``                                      the partition ends; the sides
                                                       exchange tips
``("eclipse", t_s, victim, attackers[, until_s])``     the victim talks only to the
                                                       attacker's nodes
``("delay", t_s, until_s, extra_s[, nodes])``          ``extra_s`` more latency
``("loss", t_s, until_s, rate[, nodes])``              each message lost with ``rate``
=====================================================  =================================

Times are simulated seconds; ``until_s`` may be ``math.inf``.

Examples
--------
>>> parse_schedule([("heal", 20), ("partition", 5, [[0, 1], [2, 3]]), ("crash", 1, 2)])
(Crash(t_s=1.0, node=2), Partition(t_s=5.0, groups=((0, 1), (2, 3))), Heal(t_s=20.0))
>>> parse_schedule([("loss", 0, 10, 0.2)])
(Loss(t_s=0.0, until_s=10.0, rate=0.2, nodes=None),)
>>> parse_schedule([("delay", 5, 1, 0.5)])
Traceback (most recent call last):
...
chainsim.errors.ConfigError: faults[0] ('delay', 5, 1, 0.5): until_s must be >= t_s (5 s), got 1
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from chainsim.consensus.faults import Byzantine, Crash, Heal, Partition, Restart, parse_faults
from chainsim.engine.adversary import Delay, Eclipse, Loss, NetworkFault
from chainsim.errors import ConfigError

__all__ = [
    "Crash",
    "Delay",
    "Eclipse",
    "Heal",
    "Loss",
    "NetworkFault",
    "Partition",
    "Restart",
    "parse_schedule",
]

_SHAPES = {
    "eclipse": "('eclipse', t_s, victim, attackers[, until_s])",
    "delay": "('delay', t_s, until_s, extra_s[, nodes])",
    "loss": "('loss', t_s, until_s, rate[, nodes])",
}


def _num(where: str, name: str, value: Any, lo: float, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {name} must be a number, got {value!r}")
    x = float(value)
    if not lo <= x <= hi or math.isnan(x):
        raise ConfigError(f"{where}: {name} must be in [{lo:g}, {hi:g}], got {value!r}")
    return x


def _node(where: str, name: str, value: Any, n_nodes: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: {name} must be a node index, got {value!r}")
    if value < 0 or (n_nodes is not None and value >= n_nodes):
        hi = f"0..{n_nodes - 1}" if n_nodes is not None else ">= 0"
        raise ConfigError(f"{where}: {name} must be in {hi}, got {value!r}")
    return int(value)


def _nodes(where: str, value: Any, n_nodes: int | None) -> tuple[int, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigError(f"{where}: nodes must be a sequence of node indices, got {value!r}")
    return tuple(sorted({_node(where, "node", v, n_nodes) for v in value}))


def _window(where: str, t: Any, until: Any) -> tuple[float, float]:
    t_s = _num(where, "t_s", t, 0.0)
    if not math.isfinite(t_s):
        raise ConfigError(f"{where}: t_s must be a finite time >= 0 s, got {t!r}")
    until_s = _num(where, "until_s", until, 0.0)
    if until_s < t_s:
        raise ConfigError(f"{where}: until_s must be >= t_s ({t_s:g} s), got {until!r}")
    return t_s, until_s


def _network_fault(where: str, item: Any, n_nodes: int | None) -> NetworkFault:
    if isinstance(item, Eclipse):
        item = ("eclipse", item.t_s, item.victim, item.attackers, item.until_s, item.relay_honest)
    elif isinstance(item, Delay):
        item = ("delay", item.t_s, item.until_s, item.extra_s, item.nodes)
    elif isinstance(item, Loss):
        item = ("loss", item.t_s, item.until_s, item.rate, item.nodes)
    kind, *args = item
    shape = _SHAPES[kind]
    if kind == "eclipse":
        if not 3 <= len(args) <= 5:
            raise ConfigError(f"{where} must look like {shape}, got {item!r}")
        until = args[3] if len(args) > 3 else math.inf
        t_s, until_s = _window(where, args[0], until)
        victim = _node(where, "victim", args[1], n_nodes)
        attackers = _nodes(where, args[2], n_nodes)
        if not attackers or victim in attackers:
            raise ConfigError(
                f"{where}: attackers must be one or more nodes other than the victim, "
                f"got {args[2]!r}"
            )
        relay_honest = bool(args[4]) if len(args) > 4 else False
        return Eclipse(t_s, victim, attackers, until_s, relay_honest)
    if not 3 <= len(args) <= 4:
        raise ConfigError(f"{where} must look like {shape}, got {item!r}")
    t_s, until_s = _window(where, args[0], args[1])
    nodes = None if len(args) < 4 or args[3] is None else _nodes(where, args[3], n_nodes)
    if kind == "delay":
        return Delay(t_s, until_s, _num(where, "extra_s", args[2], 0.0, 1e9), nodes)
    return Loss(t_s, until_s, _num(where, "rate", args[2], 0.0, 1.0), nodes)


def parse_schedule(items: Iterable[Any], n_nodes: int | None = None) -> tuple[NetworkFault, ...]:
    """Check a fault schedule and return its records sorted by start time.

    Parameters
    ----------
    items
        Records or the tuple forms in the module docstring.
    n_nodes
        When given, node indices must be in ``0..n_nodes-1``.

    Returns
    -------
    tuple
        The records, sorted by start time (stable, so equal times keep their order).

    Raises
    ------
    ConfigError
        Naming the entry, the bad value and what is allowed.

    Examples
    --------
    >>> parse_schedule([("eclipse", 0, 4, [1, 2])], n_nodes=5)
    (Eclipse(t_s=0.0, victim=4, attackers=(1, 2), until_s=inf, relay_honest=False),)
    >>> parse_schedule([("byzantine", 1, "silent")])
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: faults[0]: Byzantine behaviour is for PBFT; proof-of-work attacks are attack=... objects (chainsim.attacks)
    """  # noqa: E501
    if isinstance(items, str) or not isinstance(items, Iterable):
        raise ConfigError(f"faults must be a sequence of fault entries, got {items!r}")
    out: list[NetworkFault] = []
    for i, item in enumerate(items):
        where = f"faults[{i}] {item!r}"
        if isinstance(item, Eclipse | Delay | Loss) or (
            isinstance(item, Sequence) and not isinstance(item, str) and item and item[0] in _SHAPES
        ):
            out.append(_network_fault(where, item, n_nodes))
            continue
        if (
            isinstance(item, Sequence)
            and not isinstance(item, str)
            and item
            and item[0] == "recover"
        ):
            item = ("restart", *item[1:])
        (rec,) = parse_faults([item], n_nodes)
        if isinstance(rec, Byzantine):
            raise ConfigError(
                f"faults[{i}]: Byzantine behaviour is for PBFT; proof-of-work attacks are "
                f"attack=... objects (chainsim.attacks)"
            )
        out.append(rec)
    return tuple(sorted(out, key=lambda f: f.t_s))
