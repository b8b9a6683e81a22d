"""What both engines share: the run set-up, its output, and the relay rules.

Relay protocols (``config.network.relay``)
-----------------------------------------
``inv``
    Bitcoin's announce-then-fetch exchange. A node that accepts a block sends an
    ``inv`` to each neighbour except the one it got the block from and those that
    announced it to it. A node handling its first ``inv`` for an unknown block sends
    ``getdata`` back to that announcer (later ``inv`` messages for the block are
    ignored; there are no time-outs), and the announcer queues the ``block`` upload.
``push``
    A node that accepts a block queues the full ``block`` to every neighbour except
    the one it came from; receivers that already have it ignore it.
``compact``
    BIP 152 high-bandwidth mode: a ``cmpctblock`` of ``compact_block_bytes`` is queued
    to every neighbour except the sender. The first one a node handles for a block
    rebuilds the block, unless it fails (probability ``compact_failure_rate``); then
    the node sends ``getblocktxn`` to that sender, who queues a ``blocktxn`` with the
    full block. Later ``cmpctblock`` messages for the block are ignored. Whether
    node ``v`` fails on block ``b`` is drawn from a generator seeded by
    ``("compact", b)`` alone (:func:`compact_failures`), so it does not depend on the
    order in which events happen.

Timing rules (identical floating-point arithmetic in both engines)
-----------------------------------------------------------------
Small messages (``inv``, ``getdata``, ``getblocktxn``) skip the upload queue:
``handled = (sent + latency) + processing``. Messages that carry a block (``block``,
``cmpctblock``, ``blocktxn``) wait in the sender's upload queue (first in, first out
by enqueue time, one at a time): ``start = max(enqueued, previous end)``,
``end = start + size_bits / min(upload[u], download[v])``,
``handled = (end + latency) + (processing + validation)``. Each node handles every
message after this delay, independently (processing is a delay, not a queue).

A node *accepts* a block once it has handled the block and has accepted its parent.
A block whose parent is missing waits; when the parent is accepted, the waiting
children are accepted at the same instant, in ascending id, each one's own waiting
children right after it (depth first). The miner accepts its block when it mines it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainsim.blocktree import BlockTree, ForkChoice
from chainsim.config import SimConfig
from chainsim.engine.mining import Difficulty, Schedule
from chainsim.errors import SimulationError
from chainsim.network import Network
from chainsim.rng import RandomStreams

__all__ = ["MESSAGE_KINDS", "RunOutput", "RunSetup", "check_tip", "compact_failures"]

#: Message kinds in the order the ``messages`` table lists them.
MESSAGE_KINDS = ("inv", "getdata", "block", "cmpctblock", "getblocktxn", "blocktxn")


@dataclass
class RunSetup:
    """Everything an engine needs, built once by :class:`~chainsim.simulation.Simulation`.

    Attributes
    ----------
    config, streams, network
        The run's configuration, random streams and network.
    miner_nodes
        Node id of each miner (miner ``i`` has share ``shares[i]``).
    shares
        Hash-rate share of each miner.
    tree, difficulty, schedule
        The (empty) block tree, its difficulty book-keeping and the mining schedule.
    fork_choice
        The rule every node applies.
    on_block
        Called once per mined block (progress bars), or None.
    """

    config: SimConfig
    streams: RandomStreams
    network: Network
    miner_nodes: list[int]
    shares: list[float]
    tree: BlockTree
    difficulty: Difficulty
    schedule: Schedule
    fork_choice: ForkChoice
    on_block: Callable[[], Any] | None = None

    @property
    def processing_s(self) -> float:
        """Handling delay of every message, in seconds."""
        return self.config.network.processing_ms / 1000.0

    @property
    def block_handling_s(self) -> float:
        """Handling delay of block-carrying messages: processing plus validation, s."""
        return self.processing_s + self.config.network.validation_ms / 1000.0

    @property
    def n_blocks(self) -> int:
        """Blocks to mine (genesis not counted)."""
        return self.config.run.n_blocks

    @property
    def max_time_s(self) -> float:
        """Mining stops at this time (inf: only ``n_blocks`` stops it)."""
        t = self.config.run.max_time_s
        return math.inf if t is None else t


@dataclass
class RunOutput:
    """What an engine hands back.

    Attributes
    ----------
    accepted
        ``accepted[b][v]``: time node ``v`` accepted block ``b`` (``inf``: never).
    tips
        Each node's tip at the end.
    messages
        ``kind -> [count, bytes]`` of messages sent.
    n_events
        Events the engine processed.
    mining_end_s
        When mining stopped: the last block's time, or ``run.max_time_s``.
    log
        ``(time_s, event, node, block)`` tuples if logging was on.
    """

    accepted: list[list[float]]
    tips: list[int]
    messages: dict[str, list[int]]
    n_events: int
    mining_end_s: float
    log: list[tuple[float, str, int, int]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def compact_failures(
    streams: RandomStreams, block_id: int, n_nodes: int, rate: float
) -> list[bool]:
    """Which nodes fail to rebuild block ``block_id`` from its compact form.

    The draw depends only on the seed, the block id and the node, never on event
    order, so both engines agree.

    >>> s = RandomStreams(5)
    >>> compact_failures(s, 3, 4, 0.5) == compact_failures(RandomStreams(5), 3, 4, 0.5)
    True
    >>> compact_failures(s, 3, 4, 0.0), compact_failures(s, 3, 2, 1.0)
    ([False, False, False, False], [True, True])
    """
    if rate <= 0.0:
        return [False] * n_nodes
    if rate >= 1.0:
        return [True] * n_nodes
    rng = np.random.Generator(np.random.PCG64(streams.child("compact", block_id)))
    return (rng.random(n_nodes) < rate).tolist()


def check_tip(
    fork_choice: ForkChoice, tip: Any, accepted: list[list[float]], node: int, current: int, b: int
) -> int:
    """Check what a (user-supplied) fork-choice rule returned: a block the node accepted.

    >>> check_tip(max, 1, [[0.0], [3.0]], 0, 0, 1)
    1
    >>> check_tip(max, 7, [[0.0], [3.0]], 0, 0, 1)
    Traceback (most recent call last):
    ...
    chainsim.errors.SimulationError: fork_choice max(tree, 0, 1) at node 0 returned 7; it must return a block id the node has accepted (e.g. 0 or 1)
    """  # noqa: E501
    ok = isinstance(tip, int | np.integer) and 0 <= tip < len(accepted)
    if not ok or accepted[tip][node] == math.inf:
        name = getattr(fork_choice, "__name__", repr(fork_choice))
        raise SimulationError(
            f"fork_choice {name}(tree, {current}, {b}) at node {node} returned {tip!r}; it "
            f"must return a block id the node has accepted (e.g. {current} or {b})"
        )
    return int(tip)
