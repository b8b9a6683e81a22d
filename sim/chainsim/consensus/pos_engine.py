"""The SimPy engine of the proof-of-stake model (see :mod:`chainsim.consensus.pos`).

:class:`PoSEngine` is the proof-of-work SimPy engine
(:class:`~chainsim.engine.simpy_engine.SimPyEngine`) with a slot clock instead of the
mining process: at every slot with a leader, each leader makes its block (or, when
it signs all branches, one block per branch) and its node accepts and relays it with
the proof-of-work relay rules. :class:`PoSNode` adds equivocation evidence to the
peer's relay step; the engine tracks k-deep finality on every tip change and applies
slashing. Use :func:`chainsim.consensus.pos.simulate_pos` rather than these classes.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping, Sequence
from typing import Any

import numpy as np
import simpy

from chainsim.consensus.pos import LeaderLottery, PoSConfig, leader_probability
from chainsim.engine.relay import RunSetup
from chainsim.engine.simpy_engine import PeerNode, SimPyEngine

__all__ = ["PoSEngine", "PoSNode"]


class PoSNode(PeerNode):
    """A peer that also notices equivocations among the blocks it accepts."""

    engine: PoSEngine

    def relay(self, b: int, sender: int) -> None:
        """Check ``b`` for equivocation evidence, then relay it as a PoW peer would."""
        engine = self.engine
        if engine.equivocating:
            key = (engine.block_validator[b], engine.block_slot[b])
            if key in engine.equivocating:
                engine.saw_equivocation(self.id, key)
        super().relay(b, sender)

    def branch_tips(self, max_depth: int, max_branches: int) -> list[int]:
        """Leaves of this node's view at most ``max_depth`` below its tip; tip first."""
        engine = self.engine
        accepted = engine.accepted
        tree = engine.setup.tree
        v = self.id
        top = tree.heights[self.tip]
        leaves = []
        for h in range(top, max(-1, top - max_depth - 1), -1):
            for b in engine.by_height[h]:
                if b == self.tip or accepted[b][v] == math.inf:
                    continue
                if any(accepted[c][v] < math.inf for c in tree.children(b)):
                    continue
                leaves.append(b)
        return [self.tip, *leaves][:max_branches]


class PoSEngine(SimPyEngine):
    """The SimPy engine with slot leaders instead of miners (see the module docstring).

    Parameters
    ----------
    setup
        The run set-up (its ``miner_nodes`` are the validators' nodes).
    pos
        The proof-of-stake configuration.
    leader_schedule
        ``{slot: [validator, ...]}`` to script the leaders (slots not listed are
        empty); None draws them by stake.
    log
        Keep the ``(time_s, event, node, block)`` log.
    faults
        Parsed fault records (:func:`chainsim.attacks.faults.parse_schedule`); a
        crashed validator's leader slots pass without its block.
    """

    nodes: list[PoSNode]  # type: ignore[assignment]

    def __init__(
        self,
        setup: RunSetup,
        pos: PoSConfig,
        *,
        leader_schedule: Mapping[int, Sequence[int]] | None = None,
        log: bool = False,
        faults: tuple[Any, ...] = (),
    ) -> None:
        super().__init__(setup, log=log, faults=faults)
        self.nodes = [PoSNode(self, v) for v in range(self.n)]
        self.pos = pos
        self.k = pos.finality_depth
        self.stake = np.asarray(pos.stakes, dtype=float).copy()
        self.thresholds = leader_probability(self.stake, pos.active_slot_coeff)
        self.lottery = LeaderLottery(setup.streams["leaders"], self.thresholds)
        self.leader_schedule = leader_schedule
        n_all = pos.n_sign_all
        self.signs_all = [i < n_all for i in range(pos.n_validators)]
        self.block_slot: list[int] = [0]
        self.block_validator: list[int] = [-1]
        self.by_height: list[list[int]] = [[0]]
        self.slot_rows: list[tuple[int, float, int, int]] = []
        self.final: list[list[float]] = [[0.0] * self.n]
        self.final_head = [0] * self.n
        self.violations: list[tuple[int, float, int, int, int]] = []
        self.equivocating: set[tuple[int, int]] = set()
        self._equiv_seen: dict[tuple[int, int, int], int] = {}
        self.detections: list[tuple[int, int, int, float]] = []
        self._detected: set[tuple[int, int]] = set()

    # --- slots and leaders ------------------------------------------------------
    def leaders(self, slot: int) -> list[int]:
        """The validators who lead ``slot`` (scripted or drawn by current stake)."""
        if self.leader_schedule is not None:
            return sorted(int(i) for i in self.leader_schedule.get(slot, ()))
        return self.lottery.leaders(slot)

    def _next_active(self, start: int) -> int | None:
        """The first slot from ``start`` on that may have a leader (None: no more)."""
        last = self.pos.n_slots
        if self.leader_schedule is not None:
            later = [s for s, who in self.leader_schedule.items() if s >= start and len(who)]
            return min(later) if later else None
        found = self.lottery.next_active(start, last)
        return None if found is None else found[0]

    def _mining(self) -> Generator[simpy.Event, Any, None]:
        """The slot clock: at each slot with a leader, every leader makes its block(s).

        Empty slots pass without an event; the clock still ends at the last slot.
        """
        env = self.env
        slot_s = self.pos.slot_s
        s = 0
        while True:
            nxt = self._next_active(s + 1)
            if nxt is None:
                break
            s = nxt
            yield env.timeout(s * slot_s - env.now)
            leaders = self.leaders(s)  # again: a slashing may have happened meanwhile
            if not leaders:
                continue
            made = 0
            for i in leaders:
                made += self._lead(i, s)
            self.slot_rows.append((s, env.now, len(leaders), made))
        end = self.pos.n_slots * slot_s
        if end > env.now:
            yield env.timeout(end - env.now)
        self._end_time = env.now

    def _lead(self, i: int, slot: int) -> int:
        """Validator ``i`` leads ``slot``: make its block(s), return how many."""
        setup = self.setup
        tree = setup.tree
        v = setup.miner_nodes[i]
        if self.faults is not None and self.faults.crashed[v]:
            self.n_lost_blocks += 1  # a crashed leader makes nothing
            return 0
        node = self.nodes[v]
        if self.signs_all[i]:
            parents = node.branch_tips(self.pos.nas_max_depth, self.pos.nas_max_branches)
        else:
            parents = [node.tip]
        if len(parents) > 1:
            self.equivocating.add((i, slot))
        now = self.env.now
        for p in parents:
            b = len(tree)
            tree.add(b, p, v, now, self.block_size_bytes, 1.0)
            self.block_slot.append(slot)
            self.block_validator.append(i)
            h = tree.heights[b]
            if h == len(self.by_height):
                self.by_height.append([])
            self.by_height[h].append(b)
            self.accepted.append([math.inf] * self.n)
            self.final.append([math.inf] * self.n)
            node.known.add(b)
            node.have.add(b)
            if self.log is not None:
                self.log.append((now, "mined", v, b))
            self.n_mined += 1
            node.accept(b, -1)
            if setup.on_block is not None:
                setup.on_block()
        return len(parents)

    # --- equivocation and slashing ------------------------------------------------
    def saw_equivocation(self, node: int, key: tuple[int, int]) -> None:
        """Node ``node`` accepted a block of the equivocation ``key = (validator, slot)``."""
        i, slot = key
        if node == self.setup.miner_nodes[i]:
            return  # the signer's own copies are no evidence
        seen = self._equiv_seen.get((node, i, slot), 0) + 1
        self._equiv_seen[(node, i, slot)] = seen
        if seen == 2 and key not in self._detected:
            self._detected.add(key)
            self.detections.append((i, slot, node, self.env.now))
            if self.pos.slashing:
                self.stake[i] *= 1.0 - self.pos.slash_fraction
                self.thresholds = leader_probability(self.stake, self.pos.active_slot_coeff)
                self.lottery.set_thresholds(self.thresholds)

    # --- finality -------------------------------------------------------------------
    def tip_changed(self, v: int, tip: int) -> None:
        """Node ``v`` follows ``tip``: mark blocks now ``k`` deep final at ``v``."""
        tree = self.setup.tree
        now = self.env.now
        head = self.final_head[v]
        if not tree.is_ancestor(head, tip):
            depth = tree.heights[head] - tree.heights[tree.common_ancestor(head, tip)]
            self.violations.append((v, now, head, tip, depth))
        h = tree.heights[tip] - self.k
        if h < 0:
            return
        c = tree.ancestor_at(tip, h)
        final = self.final
        parents = tree.parents
        b = c
        while final[b][v] == math.inf:
            final[b][v] = now
            b = parents[b]
        self.final_head[v] = c
