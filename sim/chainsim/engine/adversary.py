"""Hooks for attacks and faults in the SimPy engine.

Two kinds of misbehaviour plug into :class:`~chainsim.engine.simpy_engine.SimPyEngine`:

* an :class:`Adversary` controls some nodes (an attacker's miners): which block they
  mine on, whether they keep a new block private, when they publish it, whether they
  relay other blocks, and how honest nodes break ties (for selfish mining's
  ``gamma``). The strategies live in :mod:`chainsim.attacks`.
* a fault schedule of timed records changes the network: :class:`Crash` and
  :class:`Restart` (a node stops and comes back), :class:`Partition` and
  :class:`Heal`, :class:`Eclipse` (an attacker owns all of a victim's links),
  :class:`Delay` and :class:`Loss` (extra delay or random loss of messages in a time
  window). ``Crash``, ``Restart``, ``Partition`` and ``Heal`` are the records of
  :mod:`chainsim.consensus.faults`, shared with PBFT and Raft;
  :func:`chainsim.attacks.faults.parse_schedule` reads the tuple forms.

Fault rules (the engine applies them when a message is *sent*):

* a crashed node handles nothing, sends nothing and mines nothing (its share of the
  hash rate is lost: the engine drops its blocks from the Poisson schedule, which is
  exactly a Poisson process of the remaining miners); uploads it had queued are
  dropped; it keeps the blocks it accepted (they are on disk);
* during a partition a message between nodes of different groups is dropped;
* while a victim is eclipsed, the victim's messages reach only the attacker's nodes
  (and only requests, unless ``relay_honest``), and it hears only from the attacker's
  nodes, which pass on the attacker's branch: blocks mined by attacker nodes and
  their ancestors (or every block, if ``relay_honest``);
* :class:`Delay` adds ``extra_s`` seconds to the latency of messages sent by or to
  the listed nodes (all nodes when ``nodes`` is None); :class:`Loss` drops each such
  message with probability ``rate``, drawn from the ``faults`` random stream.

Re-synchronisation. Without faults a node only hears about new blocks; after a heal, a
restart or the end of an eclipse the nodes on each restored link announce their tips
to each other (Bitcoin peers exchange headers when they connect), and whenever faults
are present a node that receives a block whose parent it lacks asks the sender for the
parent (``getdata``), block by block back to the fork point.

Lost messages are not sent again: as in the honest model there are no time-outs, so
a node whose ``getdata`` or ``block`` was lost does not ask another peer for that
block. It catches up when a later block arrives (its missing parent is fetched) or at
the next re-synchronisation; after the last block of a run with message loss some
nodes may therefore stay behind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from chainsim.consensus.faults import Crash, Heal, Partition, Restart

if TYPE_CHECKING:
    from chainsim.engine.simpy_engine import PeerNode, SimPyEngine

__all__ = [
    "Adversary",
    "Crash",
    "Delay",
    "Eclipse",
    "FaultState",
    "Heal",
    "Loss",
    "NetworkFault",
    "Partition",
    "Restart",
]

_REQUESTS = frozenset({"getdata", "getblocktxn"})


@dataclass(frozen=True, slots=True)
class Eclipse:
    """From ``t_s`` until ``until_s`` (seconds), ``victim`` talks only to ``attackers``.

    Attributes
    ----------
    t_s, until_s : float
        Start and end of the eclipse (``until_s`` may be ``inf``).
    victim : int
        The eclipsed node.
    attackers : tuple of int
        The attacker's nodes; they should be the victim's neighbours.
    relay_honest : bool
        Whether the attacker's nodes pass honest blocks to the victim and the victim's
        blocks to the network (default False: the victim hears only attacker blocks).
    """

    t_s: float
    victim: int
    attackers: tuple[int, ...]
    until_s: float = math.inf
    relay_honest: bool = False


@dataclass(frozen=True, slots=True)
class Delay:
    """``extra_s`` seconds more latency for messages sent from ``t_s`` to ``until_s``.

    Only messages sent by or to ``nodes`` are affected (all when ``nodes`` is None).
    """

    t_s: float
    until_s: float
    extra_s: float
    nodes: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Loss:
    """Messages sent from ``t_s`` to ``until_s`` are lost with probability ``rate``.

    Only messages sent by or to ``nodes`` are affected (all when ``nodes`` is None).
    """

    t_s: float
    until_s: float
    rate: float
    nodes: tuple[int, ...] | None = None


NetworkFault: TypeAlias = Crash | Restart | Partition | Heal | Eclipse | Delay | Loss


class Adversary:
    """An attacker controlling ``nodes``; the base class behaves honestly.

    Subclasses override the hooks. The engine calls :meth:`attach` before the run
    and :meth:`finish` after it; the controlled node's methods
    :meth:`~chainsim.engine.simpy_engine.PeerNode.keep_private` and
    :meth:`~chainsim.engine.simpy_engine.PeerNode.publish` carry out decisions, and
    :meth:`record` writes the attack's event log.

    Attributes
    ----------
    nodes : tuple of int
        Node ids the attacker controls.
    events : list of tuple
        ``(time_s, event, node, block, detail)`` rows recorded with :meth:`record`.
    """

    name = "honest"

    def __init__(self, nodes: tuple[int, ...] = ()) -> None:
        self.nodes: tuple[int, ...] = tuple(int(v) for v in nodes)
        self.engine: SimPyEngine | None = None
        self.events: list[tuple[float, str, int, int, str]] = []

    # --- life cycle --------------------------------------------------------------
    def attach(self, engine: SimPyEngine) -> None:
        """Called once before the run."""
        self.engine = engine
        self.events = []

    def finish(self) -> None:
        """Called once after the run."""

    def summary(self) -> dict[str, Any]:
        """JSON-friendly figures for ``results.meta["attack"]``."""
        return {"name": self.name, "nodes": list(self.nodes), "n_events": len(self.events)}

    # --- hooks -------------------------------------------------------------------
    def mining_parent(self, node: PeerNode) -> int:
        """The block a controlled node mines on (honest: its tip)."""
        return node.tip

    def on_mined(self, node: PeerNode, block: int) -> None:
        """A controlled node mined ``block`` (honest: accept and relay at once)."""
        node.accept(block, -1)

    def on_accepted(self, node: PeerNode, block: int, sender: int) -> None:
        """A controlled node accepted ``block`` from the network."""

    def relays(self, node: PeerNode, block: int) -> bool:
        """Whether a controlled node relays a block it accepted (honest: yes)."""
        return True

    def prefer(self, node: int, current_tip: int, candidate: int, chosen: int) -> int:
        """Tie rule at *every* node: the tip ``node`` follows after its rule chose
        ``chosen`` (honest: unchanged)."""
        return chosen

    # --- helpers -----------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulated time, seconds."""
        assert self.engine is not None
        return float(self.engine.env.now)

    def record(self, event: str, node: int, block: int, detail: str = "") -> None:
        """Add a row to :attr:`events`."""
        self.events.append((self.now, event, node, block, detail))


class FaultState:
    """The faults in force during a run (see the module docstring).

    Parameters
    ----------
    n_nodes
        Nodes in the network.
    rng
        The ``faults`` random stream (message loss).
    adversary_nodes
        Nodes of the attacker (their blocks pass an eclipse).
    miners
        The block tree's list of miners (grows during the run).
    parents
        The block tree's list of parents.
    """

    def __init__(
        self,
        n_nodes: int,
        rng: np.random.Generator,
        adversary_nodes: frozenset[int],
        miners: list[int] | None = None,
        parents: list[int] | None = None,
    ) -> None:
        self.n = n_nodes
        self._miners = miners if miners is not None else []
        self._parents = parents if parents is not None else []
        self._branch: set[int] = set()  # blocks on the attacker's branches
        self._scanned = 1
        self.rng = rng
        self.adversary_nodes = adversary_nodes
        self.crashed = [False] * n_nodes
        self.group: list[int] | None = None
        self.eclipses: dict[int, Eclipse] = {}
        self.delays: list[Delay] = []
        self.losses: list[Loss] = []
        self.dropped: dict[str, int] = {}

    def drop(self, kind: str) -> None:
        """Count a dropped message."""
        self.dropped[kind] = self.dropped.get(kind, 0) + 1

    def on_attacker_branch(self, block: int) -> bool:
        """Whether ``block`` was mined by an attacker node or is an ancestor of one."""
        miners, parents, branch = self._miners, self._parents, self._branch
        adv = self.adversary_nodes
        for b in range(self._scanned, len(miners)):
            if miners[b] in adv:
                x = b
                while x > 0 and x not in branch:
                    branch.add(x)
                    x = parents[x]
        self._scanned = len(miners)
        return block in branch

    def check(self, kind: str, block: int, u: int, v: int, miner: int) -> float | None:
        """Extra delay (s) of a message ``u -> v`` about ``block`` (mined by ``miner``),
        or None if it is dropped."""
        if self.crashed[u] or self.crashed[v]:
            return None
        g = self.group
        if g is not None and g[u] != g[v]:
            return None
        if self.eclipses:
            e = self.eclipses.get(v)
            if e is not None:
                if u not in e.attackers:
                    return None
                if not (
                    e.relay_honest
                    or kind in _REQUESTS
                    or miner in self.adversary_nodes
                    or self.on_attacker_branch(block)
                ):
                    return None
            e = self.eclipses.get(u)
            if e is not None:
                if v not in e.attackers:
                    return None
                if not (e.relay_honest or kind in _REQUESTS):
                    return None
        extra = 0.0
        for d in self.delays:
            if d.nodes is None or u in d.nodes or v in d.nodes:
                extra += d.extra_s
        for loss in self.losses:
            if (loss.nodes is None or u in loss.nodes or v in loss.nodes) and (
                self.rng.random() < loss.rate
            ):
                return None
        return extra
