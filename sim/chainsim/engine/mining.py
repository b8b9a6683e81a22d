"""Who finds the next block, and when: the mining schedule shared by both engines.

Proof-of-work mining is a race of lottery tickets: every hash a miner computes wins
with a tiny probability, so the time until miner ``i`` finds a block is exponential
with rate

    rate_i = s_i * H(t) / (W_i * T)

where ``s_i`` is its share of the hash rate, ``H(t)`` the product of the hash-rate
shock factors in force at time ``t`` (1.0 without shocks), ``W_i`` the relative work
(difficulty) of the block miner ``i`` would mine next and ``T`` the block interval.
The network as a whole finds the next block after an ``Exp(sum of rates)`` time, and
miner ``i`` is the finder with probability ``rate_i / sum``. When any rate changes (a
shock passes, or with retargeting a miner moves to a chain with another difficulty)
the pending draw is thrown away and drawn again from *now*: because the exponential
distribution is memoryless this is exact, not an approximation.

Both engines use this module and the same ``mining`` stream, so on the same seed they
draw the same random numbers in the same order.

Difficulty retargeting follows Bitcoin's rule (see :class:`Difficulty`).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Protocol

import numpy as np

from chainsim.blocktree import BlockTree
from chainsim.errors import ConfigError
from chainsim.ledger import next_bits
from chainsim.ledger.pow import POW_LIMIT_BITS, block_work

__all__ = [
    "INITIAL_BITS",
    "Difficulty",
    "MiningSchedule",
    "Schedule",
    "ScriptedSchedule",
    "place_miners",
]

#: Difficulty of the first block of every run (compact bits); relative work 1.0.
#: Its target is 16 times smaller than Bitcoin's proof-of-work limit
#: (``0x1d00ffff``), so retargeting can lower the difficulty up to 16-fold (after a
#: hash-rate drop) before the limit caps it, and raise it without bound.
INITIAL_BITS = 0x1C0FFFFF


def place_miners(n_nodes: int, n_miners: int, rng: np.random.Generator) -> list[int]:
    """Pick ``n_miners`` distinct nodes to be miners; miner ``i`` is node ``result[i]``.

    >>> a = place_miners(10, 3, np.random.default_rng(1))
    >>> a == place_miners(10, 3, np.random.default_rng(1)), len(a)
    (True, 3)
    >>> len(set(place_miners(10, 10, np.random.default_rng(1))))
    10
    """
    if not 1 <= n_miners <= n_nodes:
        raise ConfigError(f"mining.n_miners must be in 1..{n_nodes}, got {n_miners}")
    return [int(x) for x in rng.choice(n_nodes, size=n_miners, replace=False)]


class Difficulty:
    """The difficulty (compact bits) of every block and of the next block on each.

    Without retargeting every block has relative work 1.0. With it, a block at a
    height that is a multiple of ``period`` gets new bits from
    :func:`next_bits`: the time between the first and the last block of the
    previous period (``period - 1`` intervals, Bitcoin's off-by-one), in whole
    seconds (floor), against a target timespan of ``period * T`` seconds, clamped to a
    factor of 4 and capped at the proof-of-work limit ``0x1d00ffff``. The first
    block's bits are :data:`INITIAL_BITS`; relative work is ``block_work(bits) /
    block_work(INITIAL_BITS)``.

    Parameters
    ----------
    tree
        The run's block tree (read only).
    retarget
        Whether difficulty changes at all.
    period
        Retarget period in blocks.
    block_interval_s
        Target block interval ``T`` in seconds.

    Examples
    --------
    >>> tree = BlockTree()
    >>> d = Difficulty(tree, retarget=True, period=2, block_interval_s=10.0)
    >>> d.child_work[0]
    1.0
    >>> tree.add(1, 0, 0, 40.0, work=d.child_work[0]); d.block_added(1)
    >>> round(d.child_work[1], 3)  # 1 interval of 40 s against a 2 * 10 s target
    0.5
    """

    __slots__ = ("bits", "child_bits", "child_work", "period", "retarget", "timespan_s", "tree")

    def __init__(
        self, tree: BlockTree, *, retarget: bool, period: int, block_interval_s: float
    ) -> None:
        self.tree = tree
        self.retarget = bool(retarget)
        self.period = int(period)
        self.timespan_s = round(period * block_interval_s)
        if self.retarget and self.timespan_s < 4:
            raise ConfigError(
                "mining.retarget_period_blocks * mining.block_interval_s must be at least "
                f"4 s with retargeting (the clamp works in whole seconds), got "
                f"{period} * {block_interval_s:g} s"
            )
        self.bits: list[int] = [INITIAL_BITS]
        self.child_bits: list[int] = [INITIAL_BITS]
        self.child_work: list[float] = [1.0]

    def block_added(self, block_id: int) -> None:
        """Record the bits of ``block_id`` (just added to the tree) and of its children."""
        tree = self.tree
        bits = self.child_bits[tree.parents[block_id]]
        self.bits.append(bits)
        nxt = bits
        if self.retarget and (tree.heights[block_id] + 1) % self.period == 0:
            first = tree.ancestor_at(block_id, tree.heights[block_id] + 1 - self.period)
            nxt = next_bits(
                bits,
                math.floor(tree.t_mined_s[first]),
                math.floor(tree.t_mined_s[block_id]),
                target_timespan_s=self.timespan_s,
                pow_limit_bits=POW_LIMIT_BITS,
            )
        self.child_bits.append(nxt)
        self.child_work.append(
            1.0 if nxt == INITIAL_BITS else block_work(nxt) / block_work(INITIAL_BITS)
        )


class Schedule(Protocol):
    """What an engine needs from a mining schedule.

    The pending event happens at ``draw_time + delay`` (engines compute exactly this
    sum, so both get the same float). ``version`` changes with every new draw, so an
    engine can drop a wake-up that was scheduled for an older draw.
    """

    version: int
    draw_time: float
    delay: float

    def start(self, now: float) -> None: ...
    def draw(self, now: float) -> None: ...
    def fire(self, now: float) -> int: ...
    def set_work(self, miner: int, work: float, now: float) -> bool: ...
    def stop(self) -> None: ...


class MiningSchedule:
    """The global Poisson mining schedule (see the module docstring).

    Parameters
    ----------
    shares
        Hash-rate share of each miner (sums to 1).
    block_interval_s
        Target block interval ``T`` in seconds.
    shocks
        ``(time_s, factor)`` pairs, sorted by time: from ``time_s`` on the total hash
        rate is multiplied by ``factor``.
    rng
        The ``mining`` stream.

    Examples
    --------
    >>> s = MiningSchedule([0.5, 0.5], 600.0, (), np.random.default_rng(3))
    >>> s.start(0.0)
    >>> t = s.draw_time + s.delay
    >>> s.fire(t) in (0, 1)
    True
    """

    __slots__ = (
        "_cum",
        "_hash_factor",
        "_next_shock",
        "_shocks",
        "_total",
        "block_interval_s",
        "delay",
        "draw_time",
        "miner",
        "rng",
        "shares",
        "version",
        "works",
    )

    def __init__(
        self,
        shares: Sequence[float],
        block_interval_s: float,
        shocks: Sequence[tuple[float, float]],
        rng: np.random.Generator,
    ) -> None:
        self.shares = [float(s) for s in shares]
        self.block_interval_s = float(block_interval_s)
        self._shocks = [(float(t), float(f)) for t, f in shocks]
        self._next_shock = 0
        self._hash_factor = 1.0
        self.rng = rng
        self.works = [1.0] * len(self.shares)
        self._cum: list[float] = []
        self._total = 0.0
        self.version = 0
        self.draw_time = 0.0
        self.delay = math.inf
        self.miner = -1  # pending finder; -1: the pending event is a hash-rate shock
        self._rates_changed()

    @property
    def hash_factor(self) -> float:
        """``H``: the product of the shock factors applied so far."""
        return self._hash_factor

    def _rates_changed(self) -> None:
        scale = self._hash_factor / self.block_interval_s
        rates = [s * scale / w for s, w in zip(self.shares, self.works, strict=True)]
        self._cum = list(accumulate(rates))
        self._total = self._cum[-1]

    def start(self, now: float) -> None:
        """Apply shocks at or before ``now`` and draw the first event."""
        changed = False
        while self._next_shock < len(self._shocks) and self._shocks[self._next_shock][0] <= now:
            self._hash_factor *= self._shocks[self._next_shock][1]
            self._next_shock += 1
            changed = True
        if changed:
            self._rates_changed()
        self.draw(now)

    def draw(self, now: float) -> None:
        """Draw the next block (time and finder) from ``now``."""
        rng = self.rng
        total = self._total
        dt = rng.standard_exponential() / total
        u = rng.random() * total
        i = bisect_right(self._cum, u)
        self.miner = min(i, len(self._cum) - 1)
        self.delay = dt
        if self._next_shock < len(self._shocks):
            t_shock = self._shocks[self._next_shock][0]
            if t_shock < now + dt:
                self.miner = -1
                self.delay = t_shock - now
        self.draw_time = now
        self.version += 1

    def fire(self, now: float) -> int:
        """The pending event happens at ``now``: the finder's index, or -1 for a shock.

        After a shock the next event is drawn at once. After a block nothing is
        pending until the engine calls :meth:`draw` (it first lets the finder adopt
        its new block, which may change the finder's difficulty).
        """
        miner = self.miner
        if miner < 0:
            self._hash_factor *= self._shocks[self._next_shock][1]
            self._next_shock += 1
            self._rates_changed()
            self.draw(now)
            return -1
        self.delay = math.inf
        self.version += 1
        return miner

    def set_work(self, miner: int, work: float, now: float) -> bool:
        """Miner ``miner`` now mines blocks of relative work ``work``.

        Returns True if that changed the pending draw (drawn again from ``now``).
        """
        if work == self.works[miner]:
            return False
        self.works[miner] = work
        self._rates_changed()
        if self.delay < math.inf:
            self.draw(now)
            return True
        return False

    def stop(self) -> None:
        """Nothing more is pending."""
        self.delay = math.inf
        self.version += 1


class ScriptedSchedule:
    """A fixed list of ``(time_s, miner_index)`` blocks, for exact scenario tests.

    It has the interface of :class:`MiningSchedule` and draws no random numbers;
    difficulty changes do not move the scripted times.

    >>> s = ScriptedSchedule([(1.0, 0), (2.5, 1)])
    >>> s.start(0.0); s.draw_time + s.delay
    1.0
    >>> s.fire(1.0), s.draw(1.0), s.draw_time + s.delay
    (0, None, 2.5)
    """

    __slots__ = ("_i", "_script", "delay", "draw_time", "version")

    def __init__(self, script: Sequence[tuple[float, int]]) -> None:
        self._script = [(float(t), int(m)) for t, m in script]
        times = [t for t, _ in self._script]
        if times != sorted(times) or (times and times[0] < 0):
            raise ConfigError(f"schedule times must be >= 0 and sorted, got {times}")
        self._i = 0
        self.version = 0
        self.draw_time = 0.0
        self.delay = math.inf

    def start(self, now: float) -> None:
        self.draw(now)

    def draw(self, now: float) -> None:
        self.draw_time = now
        self.delay = self._script[self._i][0] - now if self._i < len(self._script) else math.inf
        self.version += 1

    def fire(self, now: float) -> int:
        miner = self._script[self._i][1]
        self._i += 1
        self.delay = math.inf
        self.version += 1
        return miner

    def set_work(self, miner: int, work: float, now: float) -> bool:
        return False

    def stop(self) -> None:
        self.delay = math.inf
        self.version += 1
