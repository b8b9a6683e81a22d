"""Proof of stake: slot leaders chosen by stake, longest chain, k-deep finality.

The model
---------
Time is cut into *slots* of ``slot_s`` seconds; slot ``s`` (``s = 1, 2, ...``) starts
at ``s * slot_s`` and the genesis block belongs to slot 0. In every slot each
validator ``i`` with relative stake ``alpha_i`` runs a private lottery, as in
Ouroboros Praos (David, Gaži, Kiayias and Russell, "Ouroboros Praos: an
adaptively-secure, semi-synchronous proof-of-stake blockchain", EUROCRYPT 2018): it
is a *slot leader* independently of everyone else with probability

.. math:: \\phi_f(\\alpha_i) = 1 - (1 - f)^{\\alpha_i},

where ``f`` is the *active-slot coefficient*. (Praos evaluates a verifiable random
function and compares its output with ``phi``; here a uniform draw per validator and
slot, from the seeded stream ``"leaders"``, plays the VRF output.) Because
``prod_i (1 - phi(alpha_i)) = (1 - f)^{sum alpha_i} = 1 - f``, a slot is empty with
probability exactly ``1 - f`` however the stake is split, and several leaders in one
slot (a fork at birth) are possible. Cardano mainnet uses ``f = 0.05`` and one-second
slots (Shelley genesis parameters ``activeSlotsCoeff`` and ``slotLength``), the
defaults here.

A leader makes its block at the start of the slot on the tip it follows and relays
it over the :class:`~chainsim.network.Network` exactly as the proof-of-work engine
relays blocks: the SimPy engine of :mod:`chainsim.engine.simpy_engine` with the relay
rules and timing of :mod:`chainsim.engine.relay` (``inv``/``getdata``/``block``,
``push`` or ``compact``; upload queues, bandwidth, latency and processing time).
Every block has work 1, so fork choice is the *longest chain*, and a node keeps the
block it saw first among equally long chains (:func:`chainsim.blocktree.longest`).

Two engines compute this model. ``"simpy"``
(:class:`~chainsim.consensus.pos_engine.PoSEngine`, a subclass of the proof-of-work
SimPy engine with a slot clock instead of the mining process) runs every behaviour.
``"fast"`` handles honest validators on a fault-free network: their leaders do not
depend on what happens in the run, so they are drawn up front and handed to the
proof-of-work fast engine (:func:`chainsim.engine.fast.run_fast`) as a scripted
schedule, and finality is replayed from the acceptance times
(:func:`finality_from_receipts`). On the same seed both give identical tables (the
tests check it); ``"auto"`` picks ``"fast"`` whenever it may.

Finality: k-deep
----------------
A node considers a block *final* once the chain it follows holds the block and at
least ``k = finality_depth`` blocks on top of it (the common-prefix parameter ``k``
of the Ouroboros papers; Cardano mainnet uses ``k = 2160``). Per block the results
give when the first node and when every node first held it that deep, and the
*latency to finality* ``t_final_all_s - t_mined_s``. With a steady rate of ``f``
blocks per slot it is about ``k * slot_s / f`` plus propagation. If a node later
switches to a chain without a block it had considered final, that is a *finality
violation* (recorded in ``finality_violations``); k-deep finality is probabilistic,
and small ``k`` with many forks shows it.

Nothing at stake and slashing
-----------------------------
Making a block costs a validator nothing but a signature, so a validator that only
wants rewards may sign a block on *every* branch it knows instead of only on its
tip: whichever branch wins, it has a block there. With
``validators_sign_all_branches=True`` the first ``round(sign_all_share *
n_validators)`` validators (by index) do this: as a leader they extend every leaf of
their view whose height is at most ``nas_max_depth`` below their tip (their own tip
first, then higher leaves, then older ids; at most ``nas_max_branches`` blocks per
slot). Forks are then not resolved by the next leader, and they persist and multiply.

Two blocks by one validator in one slot are an *equivocation*. With
``slashing=True`` a node other than the signer that accepts both blocks has the
evidence; at that moment (the first such node) the validator loses
``slash_fraction`` of its current stake, the idea of Buterin's "Slasher: a punitive
proof-of-stake algorithm" (Ethereum blog, 2014) and of the slashing conditions of
Casper FFG (Buterin and Griffith, "Casper the Friendly Finality Gadget", 2017).
Slashed stake is burnt: leader probabilities use stake relative to the *initial*
total, so a slashed validator leads less (never, with ``slash_fraction = 1``) from
the next slot on, and the rest do not lead more. (If every validator signs all
branches and is slashed in full, nobody is left to lead and the chain stops:
slashing deters, it does not make blocks.)

The one call is :func:`simulate_pos`; it returns :class:`PoSResults`, the standard
tables of :class:`~chainsim.results.Results` (so :mod:`chainsim.metrics` works on it)
plus ``slots``, ``pos_blocks`` and ``finality_violations``.

Examples
--------
>>> cfg = PoSConfig(n_validators=5, n_slots=200, active_slot_coeff=0.1, finality_depth=3)
>>> res = simulate_pos(cfg, seed=1, network_config=NetworkConfig(n_nodes=20))
>>> res.meta["protocol"], len(res.slots), int(res.slots["n_leaders"].sum()) == len(res.blocks) - 1
('pos', 200, True)
>>> round(float(res.nodes["hash_share"].sum()), 6)  # stake shares
1.0
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import networkx as nx
import numpy as np
import pandas as pd

from chainsim.blocktree import BlockTree, final_tip, longest
from chainsim.config import (
    ENGINES,
    REGIONS,
    ConsensusConfig,
    MiningConfig,
    NetworkConfig,
    RunConfig,
    SimConfig,
    _Validated,
    meta,
)
from chainsim.errors import ConfigError
from chainsim.network import Network, build_network
from chainsim.results import TABLES, Results
from chainsim.rng import RandomStreams, SeedLike

if TYPE_CHECKING:
    from chainsim.consensus.pos_engine import PoSEngine
    from chainsim.engine.relay import RunOutput, RunSetup

# The engine modules are imported inside functions, not here: chainsim.engine imports
# chainsim.consensus (fault records), so the package may export this module eagerly.

__all__ = [
    "POS_TABLES",
    "LeaderLottery",
    "PoSConfig",
    "PoSEngine",
    "PoSResults",
    "empty_slot_probability",
    "finality_from_receipts",
    "leader_probability",
    "multi_leader_probability",
    "pos_config_from_sim",
    "pos_summary",
    "simulate_pos",
]

#: Columns of the extra tables of :class:`PoSResults`.
POS_TABLES: dict[str, tuple[str, ...]] = {
    "slots": ("slot", "t_s", "n_leaders", "n_blocks", "empty"),
    "pos_blocks": (
        "block_id",
        "slot",
        "validator",
        "t_mined_s",
        "main_chain",
        "equivocation",
        "n_nodes_final",
        "t_final_first_s",
        "t_final_all_s",
        "finality_latency_s",
    ),
    "finality_violations": ("node", "t_s", "final_block", "new_tip", "depth"),
}


# ----------------------------------------------------------------------------- config
@dataclass(frozen=True, slots=True)
class PoSConfig(_Validated):
    """A proof-of-stake run: validators, stake, slots, finality, nothing-at-stake.

    See the module docstring for the model. Validator ``i`` sits on a network node
    (placed at random from the seed unless ``validator_nodes`` is given to
    :func:`simulate_pos`).

    Examples
    --------
    >>> PoSConfig().active_slot_coeff, PoSConfig().slot_s
    (0.05, 1.0)
    >>> PoSConfig(n_validators=3).stakes
    (0.3333333333333333, 0.3333333333333333, 0.3333333333333333)
    >>> PoSConfig(active_slot_coeff=0)
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: pos.active_slot_coeff must be > 0, got 0.0
    >>> PoSConfig(n_validators=2, stake_shares=(0.7, 0.2))
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: pos.stake_shares must sum to 1, got 0.9
    """

    _section: ClassVar[str] = "pos"

    n_validators: int = field(default=10, metadata=meta("Validators", min=1, max=100_000, log=True))
    stake_shares: tuple[float, ...] = field(
        default=(),
        metadata=meta("Stake shares", min=0.0, max=1.0, help="Empty: equal stake"),
    )
    slot_s: float = field(
        default=1.0,
        metadata=meta("Slot length", unit="s", min=0.0, min_exclusive=True, max=1e6, log=True),
    )
    active_slot_coeff: float = field(
        default=0.05,
        metadata=meta(
            "Active-slot coefficient f",
            min=0.0,
            min_exclusive=True,
            max=1.0,
            step=0.01,
            help="Probability that a slot has at least one leader (Cardano: 0.05)",
        ),
    )
    n_slots: int = field(default=2_000, metadata=meta("Slots", min=1, max=10**8, log=True))
    finality_depth: int = field(
        default=10,
        metadata=meta("Finality depth k", unit="blocks", min=1, max=100_000, help="Cardano: 2160"),
    )
    block_size_bytes: int = field(
        default=64_000, metadata=meta("Block size", unit="bytes", min=80, max=10**9, log=True)
    )
    validators_sign_all_branches: bool = field(
        default=False,
        metadata=meta("Nothing at stake", help="Validators extend every branch they know"),
    )
    sign_all_share: float = field(
        default=1.0,
        metadata=meta(
            "Share of validators signing all branches",
            min=0.0,
            max=1.0,
            step=0.05,
            help="The first round(share * n_validators) validators",
        ),
    )
    nas_max_depth: int = field(
        default=2,
        metadata=meta("Branches extended: max depth below tip", unit="blocks", min=0, max=1_000),
    )
    nas_max_branches: int = field(
        default=8, metadata=meta("Blocks per leader slot (max)", min=1, max=1_000)
    )
    slashing: bool = field(
        default=False, metadata=meta("Slashing", help="Equivocation costs stake")
    )
    slash_fraction: float = field(
        default=1.0,
        metadata=meta(
            "Stake slashed per equivocation", min=0.0, min_exclusive=True, max=1.0, step=0.05
        ),
    )

    def _check(self) -> None:
        if self.stake_shares:
            if len(self.stake_shares) != self.n_validators:
                raise ConfigError(
                    f"pos.stake_shares must have n_validators ({self.n_validators}) entries, "
                    f"got {len(self.stake_shares)}"
                )
            total = sum(self.stake_shares)
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise ConfigError(f"pos.stake_shares must sum to 1, got {total:g}")

    @property
    def stakes(self) -> tuple[float, ...]:
        """Stake share of each validator (equal shares when none are given)."""
        return self.stake_shares or (1.0 / self.n_validators,) * self.n_validators

    @property
    def n_sign_all(self) -> int:
        """How many validators (the first ones) sign on every branch."""
        if not self.validators_sign_all_branches:
            return 0
        return round(self.sign_all_share * self.n_validators)


def leader_probability(stake_share: Any, f: float) -> Any:
    """Praos's ``phi_f(alpha) = 1 - (1 - f) ** alpha``: chance to lead one slot.

    Parameters
    ----------
    stake_share
        Relative stake ``alpha`` in [0, 1] (a number or an array).
    f
        Active-slot coefficient in (0, 1].

    >>> round(leader_probability(1.0, 0.05), 6), round(leader_probability(0.5, 0.05), 6)
    (0.05, 0.025321)
    >>> float(leader_probability(0.0, 0.05))
    0.0
    """
    alpha = np.asarray(stake_share, dtype=float)
    out = np.where(alpha > 0, 1.0, 0.0) if f >= 1.0 else -np.expm1(alpha * math.log1p(-f))
    return float(out) if out.ndim == 0 else out


def empty_slot_probability(stakes: Sequence[float] | np.ndarray, f: float) -> float:
    """Probability that no validator leads a slot: ``prod (1 - phi(alpha_i))``.

    With shares summing to 1 this is ``1 - f`` (Praos's independent aggregation).

    >>> round(empty_slot_probability([0.5, 0.3, 0.2], 0.05), 12)
    0.95
    """
    p = leader_probability(np.asarray(stakes, dtype=float), f)
    return float(np.prod(1.0 - np.atleast_1d(p)))


def multi_leader_probability(stakes: Sequence[float] | np.ndarray, f: float) -> float:
    """Probability that two or more validators lead the same slot.

    ``1 - P(no leader) - sum_i phi_i prod_{j != i} (1 - phi_j)``.

    >>> round(multi_leader_probability([0.5, 0.5], 0.2), 6)  # phi = 1 - 0.8 ** 0.5
    0.011146
    """
    p = np.atleast_1d(leader_probability(np.asarray(stakes, dtype=float), f))
    q = 1.0 - p
    none = float(np.prod(q))
    with np.errstate(divide="ignore", invalid="ignore"):
        one = float(np.sum(np.where(q > 0, p / q, 0.0)) * none)
    if (q == 0).any():  # a sure leader: exactly one leader iff nobody else leads
        sure = np.flatnonzero(q == 0)
        one = float(np.prod(np.delete(q, sure[0]))) if len(sure) == 1 else 0.0
    return max(0.0, 1.0 - none - one)


# ---------------------------------------------------------------------------- lottery
class LeaderLottery:
    """Per-slot private lotteries: validator ``i`` leads slot ``s`` if ``u[s, i] < phi_i``.

    The uniforms ``u`` (the stand-in for Praos's VRF outputs) come from one generator,
    one row of ``n_validators`` per slot in slot order, drawn ``chunk`` slots at a
    time (the rows do not depend on the chunk size). They do not depend on stake, so
    a slashed validator's lower threshold leaves everyone else's draws unchanged.
    Thresholds may only go down during a run (:meth:`set_thresholds`): a slot found
    empty stays empty, which lets :meth:`next_active` skip empty slots in bulk.

    Parameters
    ----------
    rng
        The generator (``RandomStreams(seed)["leaders"]`` in :func:`simulate_pos`).
    thresholds
        ``phi(alpha_i)`` of each validator.
    chunk
        Slots drawn at once.

    Examples
    --------
    >>> lot = LeaderLottery(np.random.default_rng(3), leader_probability(np.full(4, 0.25), 1.0))
    >>> lot.leaders(1)  # f = 1: everybody with stake leads
    [0, 1, 2, 3]
    >>> lot = LeaderLottery(np.random.default_rng(3), leader_probability(np.full(4, 0.25), 0.1))
    >>> slot, who = lot.next_active(1, 1000)
    >>> who == lot.leaders(slot), all(not lot.leaders(s) for s in range(1, slot))
    (True, True)
    """

    def __init__(self, rng: np.random.Generator, thresholds: np.ndarray, chunk: int = 256) -> None:
        self.rng = rng
        self.thresholds = np.asarray(thresholds, dtype=float)
        self.n = len(self.thresholds)
        self.chunk = max(1, int(chunk))
        self._block = np.empty((0, self.n))
        self._first = 1  # slot of the first row of _block
        self._active: np.ndarray | None = None  # rows with a leader, at these thresholds

    def set_thresholds(self, thresholds: np.ndarray) -> None:
        """New (never higher) thresholds, e.g. after slashing."""
        self.thresholds = np.asarray(thresholds, dtype=float)
        self._active = None

    def _row(self, slot: int) -> int:
        if slot < self._first:
            raise ConfigError(f"slots must be drawn in order; slot {slot} is already past")
        while slot >= self._first + len(self._block):
            self._first += len(self._block)
            self._block = self.rng.random((self.chunk, self.n))
            self._active = None
        return slot - self._first

    def leaders(self, slot: int) -> list[int]:
        """Validators (ascending) who lead ``slot``; ask for slots in increasing order."""
        row = self._row(slot)  # may draw a new chunk: before reading _block
        return np.flatnonzero(self._block[row] < self.thresholds).tolist()

    def next_active(self, start: int, last: int) -> tuple[int, list[int]] | None:
        """The first slot in ``start..last`` with a leader, and its leaders (or None)."""
        s = start
        while s <= last:
            row = self._row(s)
            active = self._active
            if active is None:
                active = np.asarray((self._block < self.thresholds).any(axis=1), dtype=bool)
                self._active = active
            hits = np.flatnonzero(active[row:])
            if hits.size:
                found = s + int(hits[0])
                return (found, self.leaders(found)) if found <= last else None
            s = self._first + len(self._block)
        return None


def __getattr__(name: str) -> Any:
    """``PoSEngine`` and ``PoSNode`` live in :mod:`chainsim.consensus.pos_engine`."""
    if name in ("PoSEngine", "PoSNode"):
        from chainsim.consensus import pos_engine

        return getattr(pos_engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------------ fast engine
@dataclass
class _FastRun:
    """What :func:`_results` reads from a run of the fast engine (as from a PoSEngine)."""

    setup: RunSetup
    final: list[list[float]]
    violations: list[tuple[int, float, int, int, int]]
    slot_rows: list[tuple[int, float, int, int]]
    block_slot: list[int]
    block_validator: list[int]
    stake: np.ndarray
    equivocating: set[tuple[int, int]] = field(default_factory=set)
    detections: list[tuple[int, int, int, float]] = field(default_factory=list)


def finality_from_receipts(
    tree: BlockTree, accepted: list[list[float]], k: int
) -> tuple[list[list[float]], list[tuple[int, float, int, int, int]]]:
    """k-deep finality times and violations, replayed from acceptance times.

    Each node's accepted blocks are replayed in time order (ties: lower id first, so
    a parent comes before the children that waited for it), following the longest
    chain with the first-seen block kept on ties; whenever the tip moves, the blocks
    now ``k`` deep become final at that node, as
    :meth:`~chainsim.consensus.pos_engine.PoSEngine.tip_changed` does during a run.

    Parameters
    ----------
    tree
        The run's block tree.
    accepted
        ``accepted[b][v]``: when node ``v`` accepted block ``b`` (``inf``: never).
    k
        Finality depth in blocks.

    Returns
    -------
    final, violations
        ``final[b][v]`` (``inf``: never) and ``(node, t_s, final_block, new_tip,
        depth)`` tuples.

    >>> tree = BlockTree(); tree.add(1, 0, 0, 1.0); tree.add(2, 1, 0, 2.0)
    >>> inf = math.inf
    >>> final, viol = finality_from_receipts(tree, [[0.0, 0.0], [1.0, 3.0], [2.0, inf]], 1)
    >>> final[1], viol
    ([2.0, inf], [])
    """
    n_blocks = len(tree)
    n = len(accepted[0]) if accepted else 0
    final = [[math.inf] * n for _ in range(n_blocks)]
    if n_blocks:
        final[0] = [0.0] * n
    violations: list[tuple[int, float, int, int, int]] = []
    if n_blocks <= 1:
        return final, violations
    heights = tree.heights
    parents = tree.parents
    acc = np.asarray(accepted[1:], dtype=float)
    ids = np.arange(1, n_blocks)
    for v in range(n):
        col = acc[:, v]
        have = np.flatnonzero(col < math.inf)
        order = have[np.lexsort((ids[have], col[have]))]
        tip = head = 0
        for j in order.tolist():
            b = j + 1
            if heights[b] <= heights[tip]:
                continue
            tip = b
            t = float(col[j])
            if not tree.is_ancestor(head, tip):
                depth = heights[head] - heights[tree.common_ancestor(head, tip)]
                violations.append((v, t, head, tip, depth))
            h = heights[tip] - k
            if h < 0:
                continue
            c = tree.ancestor_at(tip, h)
            x = c
            while final[x][v] == math.inf:
                final[x][v] = t
                x = parents[x]
            head = c
    violations.sort(key=lambda r: (r[1], r[0]))
    return final, violations


def _run_fast(
    setup: RunSetup, pos: PoSConfig, leader_schedule: Mapping[int, Sequence[int]] | None
) -> tuple[_FastRun, RunOutput]:
    """Honest validators only: leaders drawn up front, the fast engine relays the blocks."""
    from chainsim.engine.fast import run_fast
    from chainsim.engine.mining import ScriptedSchedule

    stake = np.asarray(pos.stakes, dtype=float)
    if leader_schedule is None:
        lottery = LeaderLottery(
            setup.streams["leaders"], leader_probability(stake, pos.active_slot_coeff)
        )
        found_all = []
        s = 0
        while (found := lottery.next_active(s + 1, pos.n_slots)) is not None:
            s = found[0]
            found_all.append(found)
    else:
        found_all = [
            (int(s), sorted(int(i) for i in who))
            for s, who in sorted(leader_schedule.items())
            if len(who)
        ]
    script: list[tuple[float, int]] = []
    slot_rows: list[tuple[int, float, int, int]] = []
    block_slot, block_validator = [0], [-1]
    for s, who in found_all:
        t = s * pos.slot_s
        script.extend((t, i) for i in who)
        slot_rows.append((s, t, len(who), len(who)))
        block_slot.extend([s] * len(who))
        block_validator.extend(who)
    setup.schedule = ScriptedSchedule(script)
    out = run_fast(setup)
    final, violations = finality_from_receipts(setup.tree, out.accepted, pos.finality_depth)
    run = _FastRun(
        setup=setup,
        final=final,
        violations=violations,
        slot_rows=slot_rows,
        block_slot=block_slot,
        block_validator=block_validator,
        stake=stake,
    )
    return run, out


# ---------------------------------------------------------------------------- results
def _empty_table(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in POS_TABLES[name]})


@dataclass
class PoSResults(Results):
    """:class:`~chainsim.results.Results` of a proof-of-stake run, with three more tables.

    The standard tables mean what they mean for proof of work, with ``miner`` the
    slot leader's node, ``work`` 1.0 per block and ``nodes.hash_share`` the node's
    *initial stake share* (0 for nodes without a validator), so
    :func:`chainsim.metrics.revenue_shares` compares main-chain blocks with stake.

    Attributes
    ----------
    slots : pandas.DataFrame
        One row per slot: ``slot``, ``t_s`` (start), ``n_leaders``, ``n_blocks``
        (more than ``n_leaders`` when validators sign several branches, fewer when a
        leader has crashed), ``empty``.
    pos_blocks : pandas.DataFrame
        One row per block except genesis: ``block_id``, ``slot``, ``validator``,
        ``t_mined_s``, ``main_chain``, ``equivocation`` (its signer made another
        block in the same slot), ``n_nodes_final`` (nodes that held it ``k`` deep),
        ``t_final_first_s``, ``t_final_all_s`` (NaN unless every node did) and
        ``finality_latency_s = t_final_all_s - t_mined_s``.
    finality_violations : pandas.DataFrame
        Nodes that switched away from a block they held final: ``node``, ``t_s``,
        ``final_block``, ``new_tip``, ``depth`` (final blocks abandoned).

    ``meta`` adds ``protocol`` (``"pos"``), ``pos_config``, ``validator_nodes``,
    ``stake_shares``, ``final_stake``, ``n_slots``, ``empty_slot_rate``,
    ``multi_leader_rate``, ``n_equivocations``, ``equivocation_detections``
    (``[validator, slot, node, t_s]`` lists), ``finality_depth``,
    ``finality_latency_s_median`` (main-chain blocks final everywhere) and
    ``n_finality_violations``. The three tables are also in ``extras``, so
    :meth:`save` writes them as ``extra_<name>.csv``.
    """

    slots: pd.DataFrame = field(default_factory=lambda: _empty_table("slots"))
    pos_blocks: pd.DataFrame = field(default_factory=lambda: _empty_table("pos_blocks"))
    finality_violations: pd.DataFrame = field(
        default_factory=lambda: _empty_table("finality_violations")
    )

    def __post_init__(self) -> None:
        self.extras = {
            **self.extras,
            "slots": self.slots,
            "pos_blocks": self.pos_blocks,
            "finality_violations": self.finality_violations,
        }


def _results(
    engine: PoSEngine | _FastRun,
    out: RunOutput,
    sim_config: SimConfig,
    pos: PoSConfig,
    network: Network,
    seed: int,
    wall_time_s: float,
    engine_name: str,
) -> PoSResults:
    tree = engine.setup.tree
    validator_nodes = engine.setup.miner_nodes
    n = network.n_nodes
    n_blocks = len(tree)
    from chainsim.simulation import blocks_table, receipts_table

    tip = final_tip(tree, longest)
    blocks = blocks_table(tree, tip)
    main = blocks["main_chain"].to_numpy()
    miners = blocks["miner"].to_numpy()
    t_mined = blocks["t_mined_s"].to_numpy()
    receipts, last = receipts_table(out.accepted, t_mined)
    fin = np.array(engine.final[1:], dtype=float) if n_blocks > 1 else np.zeros((0, n))
    sim_time = out.mining_end_s
    if sim_config.run.drain:
        sim_time = max(last, sim_time)
    share = np.zeros(n)
    share[validator_nodes] = pos.stakes
    mined_by = miners[1:]
    nodes = pd.DataFrame(
        {
            "node": np.arange(n, dtype=np.int64),
            "region": np.asarray(REGIONS, dtype=object)[np.asarray(network.region)],
            "hash_share": share,
            "n_blocks_mined": np.bincount(mined_by, minlength=n).astype(np.int64),
            "n_main_chain": np.bincount(mined_by[main[1:]], minlength=n).astype(np.int64),
        },
        columns=list(TABLES["nodes"]),
    )
    messages = pd.DataFrame(
        {
            "kind": np.array(list(out.messages), dtype=object),
            "n_messages": np.array([c for c, _ in out.messages.values()], dtype=np.int64),
            "n_bytes": np.array([b for _, b in out.messages.values()], dtype=np.int64),
        },
        columns=list(TABLES["messages"]),
    )
    n_slots = pos.n_slots
    n_leaders = np.zeros(n_slots, dtype=np.int64)
    n_made = np.zeros(n_slots, dtype=np.int64)
    for s, _t, k, made in engine.slot_rows:
        n_leaders[s - 1] = k
        n_made[s - 1] = made
    slot_ids = np.arange(1, n_slots + 1, dtype=np.int64)
    slots = pd.DataFrame(
        {
            "slot": slot_ids,
            "t_s": slot_ids * pos.slot_s,
            "n_leaders": n_leaders,
            "n_blocks": n_made,
            "empty": n_leaders == 0,
        },
        columns=list(POS_TABLES["slots"]),
    )
    finite = np.isfinite(fin)
    n_final = finite.sum(axis=1).astype(np.int64)
    with np.errstate(invalid="ignore"):
        first = np.where(n_final > 0, np.where(finite, fin, np.inf).min(axis=1), np.nan)
        all_final = np.where(n_final == n, np.where(finite, fin, -np.inf).max(axis=1), np.nan)
    bslot = np.asarray(engine.block_slot[1:], dtype=np.int64)
    bval = np.asarray(engine.block_validator[1:], dtype=np.int64)
    equiv = np.array(
        [(int(i), int(s)) in engine.equivocating for i, s in zip(bval, bslot, strict=True)],
        dtype=bool,
    )
    pos_blocks = pd.DataFrame(
        {
            "block_id": np.arange(1, n_blocks, dtype=np.int64),
            "slot": bslot,
            "validator": bval,
            "t_mined_s": t_mined[1:],
            "main_chain": main[1:],
            "equivocation": equiv,
            "n_nodes_final": n_final,
            "t_final_first_s": first,
            "t_final_all_s": all_final,
            "finality_latency_s": all_final - t_mined[1:],
        },
        columns=list(POS_TABLES["pos_blocks"]),
    )
    viol = engine.violations
    violations = pd.DataFrame(
        {
            "node": np.array([r[0] for r in viol], dtype=np.int64),
            "t_s": np.array([r[1] for r in viol], dtype=float),
            "final_block": np.array([r[2] for r in viol], dtype=np.int64),
            "new_tip": np.array([r[3] for r in viol], dtype=np.int64),
            "depth": np.array([r[4] for r in viol], dtype=np.int64),
        },
        columns=list(POS_TABLES["finality_violations"]),
    )
    lat_main = pos_blocks.loc[pos_blocks["main_chain"], "finality_latency_s"].dropna()
    from chainsim.simulation import _version

    meta_: dict[str, Any] = {
        "seed": seed,
        "config": sim_config.to_dict(),
        "engine": engine_name,
        "chainsim_version": _version(),
        "sim_time_s": float(sim_time),
        "wall_time_s": wall_time_s,
        "n_events": int(out.n_events),
        "n_nodes": n,
        "n_blocks": n_blocks - 1,
        "miner_nodes": list(validator_nodes),
        "fork_choice": "longest",
        "final_tip": tip,
        "protocol": "pos",
        "pos_config": pos.to_dict(),
        "validator_nodes": list(validator_nodes),
        "stake_shares": list(pos.stakes),
        "final_stake": [float(x) for x in engine.stake],
        "n_slots": n_slots,
        "empty_slot_rate": float(slots["empty"].mean()) if n_slots else math.nan,
        "multi_leader_rate": float((slots["n_leaders"] > 1).mean()) if n_slots else math.nan,
        "n_equivocations": len(engine.equivocating),
        "equivocation_detections": [list(d) for d in engine.detections],
        "finality_depth": pos.finality_depth,
        "finality_latency_s_median": float(lat_main.median()) if len(lat_main) else math.nan,
        "n_finality_violations": len(viol),
    }
    return PoSResults(
        blocks=blocks,
        receipts=receipts,
        nodes=nodes,
        messages=messages,
        meta=meta_,
        slots=slots,
        pos_blocks=pos_blocks,
        finality_violations=violations,
    )


def pos_summary(results: PoSResults) -> dict[str, float]:
    """The proof-of-stake numbers of a run beside their closed forms.

    Returns
    -------
    dict
        ``n_slots``, ``n_blocks``, ``empty_slot_rate`` and ``empty_slot_theory``
        (``prod (1 - phi(alpha_i))`` at the initial stake, ``1 - f``),
        ``multi_leader_rate`` and ``multi_leader_theory``
        (:func:`multi_leader_probability`), ``stale_rate``,
        ``finality_latency_s_median`` (main-chain blocks final at every node) beside
        ``finality_latency_s_rough = k * slot_s / f`` (the wait for ``k`` more
        blocks at one block per ``slot_s / f``, forks and propagation ignored),
        ``n_equivocations``, ``n_detected``, ``slashed_stake`` (share of the initial
        stake burnt) and ``n_finality_violations``.

    Examples
    --------
    >>> res = simulate_pos(PoSConfig(n_slots=500, active_slot_coeff=0.2), seed=2)
    >>> s = pos_summary(res)
    >>> s["empty_slot_theory"], s["finality_latency_s_rough"]
    (0.8, 50.0)
    >>> abs(s["empty_slot_rate"] - 0.8) < 0.06
    True
    """
    from chainsim.metrics import stale_rate

    pos = PoSConfig(**_unplain_pos(results.meta["pos_config"]))
    f = pos.active_slot_coeff
    final_stake = results.meta.get("final_stake", list(pos.stakes))
    return {
        "n_slots": float(results.meta["n_slots"]),
        "n_blocks": float(results.meta["n_blocks"]),
        "empty_slot_rate": float(results.meta["empty_slot_rate"]),
        "empty_slot_theory": round(empty_slot_probability(pos.stakes, f), 12),
        "multi_leader_rate": float(results.meta["multi_leader_rate"]),
        "multi_leader_theory": multi_leader_probability(pos.stakes, f),
        "stale_rate": stale_rate(results),
        "finality_latency_s_median": float(results.meta["finality_latency_s_median"]),
        "finality_latency_s_rough": pos.finality_depth * pos.slot_s / f,
        "n_equivocations": float(results.meta["n_equivocations"]),
        "n_detected": float(len(results.meta["equivocation_detections"])),
        "slashed_stake": max(0.0, round(float(sum(pos.stakes)) - float(sum(final_stake)), 12)),
        "n_finality_violations": float(results.meta["n_finality_violations"]),
    }


def _unplain_pos(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items()}


# -------------------------------------------------------------------------------- API
def pos_config_from_sim(config: SimConfig, **changes: Any) -> PoSConfig:
    """A :class:`PoSConfig` matching a :class:`~chainsim.config.SimConfig`'s mining part.

    Validators are the miners (``n_validators = mining.n_miners``, stake shares =
    hash shares), blocks keep their size, slots last 1 s with ``f = 1 s /
    mining.block_interval_s`` (capped at 1), so a block comes on average every
    ``block_interval_s``; ``n_slots = ceil(run.n_blocks / f)``. ``changes`` override
    any field.

    >>> cfg = SimConfig().override({"mining.block_interval_s": 20, "run.n_blocks": 50})
    >>> p = pos_config_from_sim(cfg)
    >>> p.n_validators, p.active_slot_coeff, p.n_slots
    (10, 0.05, 1000)
    """
    if not isinstance(config, SimConfig):
        raise ConfigError(f"config must be a SimConfig, got {type(config).__name__}")
    f = min(1.0, 1.0 / config.mining.block_interval_s)
    values: dict[str, Any] = {
        "n_validators": config.mining.n_miners,
        "stake_shares": config.mining.hash_shares,
        "slot_s": 1.0,
        "active_slot_coeff": f,
        "n_slots": max(1, math.ceil(config.run.n_blocks / f - 1e-9)),
        "block_size_bytes": config.mining.block_size_bytes,
    }
    values.update(changes)
    return PoSConfig(**values)


def simulate_pos(
    config: PoSConfig | SimConfig | None = None,
    seed: SeedLike = None,
    *,
    network_config: NetworkConfig | None = None,
    network: Network | None = None,
    graph: nx.Graph | None = None,
    validator_nodes: Sequence[int] | None = None,
    leader_schedule: Mapping[int, Sequence[int]] | None = None,
    drain: bool = True,
    engine: str = "auto",
    faults: Any = None,
    log: bool = False,
) -> PoSResults:
    """Simulate proof of stake on a peer-to-peer network; return the result tables.

    Parameters
    ----------
    config
        A :class:`PoSConfig` (default ``PoSConfig()``), or a
        :class:`~chainsim.config.SimConfig` with ``consensus.protocol == "pos"``,
        turned into one by :func:`pos_config_from_sim` (its ``network`` section is then
        the network, its ``run.drain`` the drain flag and its ``run.engine`` the
        engine unless ``engine`` is given).
    seed
        Non-negative int, SeedSequence or None; stored as ``meta["seed"]``. Streams:
        the network's own, ``"placement"`` (validator nodes) and ``"leaders"``.
    network_config
        The network (default: ``NetworkConfig(n_nodes=max(100, n_validators))``).
    network
        An already built network instead (its size must match ``network_config``
        when both are given).
    graph
        A networkx graph for ``network_config.topology == "custom"``.
    validator_nodes
        Node of each validator (distinct), instead of a random placement.
    leader_schedule
        ``{slot: [validator, ...]}``: scripted leaders (unlisted slots are empty),
        for exact tests; stake then plays no part in who leads.
    drain
        Keep relaying after the last slot until every block has reached every node.
    engine
        ``"simpy"``: the SimPy engine with slot leaders
        (:class:`~chainsim.consensus.pos_engine.PoSEngine`), which runs every
        behaviour; ``"fast"``: honest validators on a fault-free network only (no
        ``validators_sign_all_branches``, no faults, no log): the leaders are drawn
        up front and :func:`chainsim.engine.fast.run_fast` relays the blocks, with
        finality replayed afterwards (:func:`finality_from_receipts`); same tables,
        many times faster. ``"auto"`` (default): ``"fast"`` when allowed.
    faults
        A fault schedule for the network: crashes, restarts, partitions and heals,
        eclipses, delays and losses, in the forms of
        :func:`chainsim.attacks.faults.parse_schedule` (SimPy engine). A crashed
        validator makes no block in the slots it leads. ``meta["faults"]`` then
        holds the messages dropped by kind, the fault events and ``n_lost_blocks``.
    log
        Keep the engine's ``(time_s, event, node, block)`` log in ``meta["log"]``.

    Returns
    -------
    PoSResults

    Raises
    ------
    ConfigError
        For a bad config, more validators than nodes, bad validator nodes or a bad
        leader schedule.

    Examples
    --------
    Two validators on a 3-node line with 1 s links; validator 0 (node 0) leads slot 1,
    validator 1 (node 2) slot 2:

    >>> net = NetworkConfig(n_nodes=3, topology="custom", latency_ms=1000,
    ...                     bandwidth_mbps=math.inf, processing_ms=0)
    >>> res = simulate_pos(PoSConfig(n_validators=2, n_slots=3, slot_s=10, finality_depth=1),
    ...                    seed=0, network_config=net, graph=nx.path_graph(3),
    ...                    validator_nodes=[0, 2], leader_schedule={1: [0], 2: [1]},
    ...                    )
    >>> res.receipts["t_received_s"].tolist()
    [10.0, 13.0, 16.0, 26.0, 23.0, 20.0]
    >>> res.pos_blocks["t_final_all_s"].tolist()[:1]
    [26.0]
    """
    from chainsim.consensus.pos_engine import PoSEngine
    from chainsim.engine.mining import Difficulty, ScriptedSchedule, place_miners
    from chainsim.engine.relay import RunSetup

    if isinstance(config, SimConfig):
        if config.consensus.protocol != "pos":
            raise ConfigError(
                f"consensus.protocol must be 'pos' for simulate_pos, got "
                f"{config.consensus.protocol!r}"
            )
        if network_config is None:
            network_config = config.network
        drain = config.run.drain
        if engine == "auto":
            engine = config.run.engine
        config = pos_config_from_sim(config)
    if config is None:
        config = PoSConfig()
    if not isinstance(config, PoSConfig):
        raise ConfigError(f"config must be a PoSConfig or SimConfig, got {config!r}")
    pos = config
    streams = RandomStreams(seed)
    if network_config is None:
        n_nodes = network.n_nodes if network is not None else max(100, pos.n_validators)
        network_config = NetworkConfig(n_nodes=n_nodes)
    if not isinstance(network_config, NetworkConfig):
        raise ConfigError(f"network_config must be a NetworkConfig, got {network_config!r}")
    if pos.n_validators > network_config.n_nodes:
        raise ConfigError(
            f"pos.n_validators must be <= network.n_nodes ({network_config.n_nodes}), "
            f"got {pos.n_validators}"
        )
    if network is None:
        network = build_network(network_config, streams, graph)
    elif network.n_nodes != network_config.n_nodes:
        raise ConfigError(
            f"network has {network.n_nodes} nodes but network.n_nodes is {network_config.n_nodes}"
        )
    n = network.n_nodes
    m = pos.n_validators
    if validator_nodes is None:
        nodes_of = place_miners(n, m, streams["placement"])
    else:
        nodes_of = [int(v) for v in validator_nodes]
        if len(nodes_of) != m or len(set(nodes_of)) != m or not all(0 <= v < n for v in nodes_of):
            raise ConfigError(
                f"validator_nodes must be {m} distinct node ids in 0..{n - 1} "
                f"(pos.n_validators), got {list(validator_nodes)}"
            )
    if leader_schedule is not None:
        for slot, who in leader_schedule.items():
            bad = [i for i in who if not 0 <= int(i) < m]
            if not 1 <= int(slot) <= pos.n_slots or bad or len(set(who)) != len(who):
                raise ConfigError(
                    f"leader_schedule must map slots 1..{pos.n_slots} to distinct validators "
                    f"in 0..{m - 1}, got {slot!r}: {list(who)!r}"
                )
    if engine not in ENGINES:
        raise ConfigError(
            f"engine must be one of {', '.join(repr(e) for e in ENGINES)}, got {engine!r}"
        )
    fault_records: tuple[Any, ...] = ()
    if faults is not None:
        from chainsim.attacks.faults import parse_schedule

        fault_records = parse_schedule(faults, n)
    fast_ok = pos.n_sign_all == 0 and not log and not fault_records
    if engine == "fast" and not fast_ok:
        raise ConfigError(
            "engine='fast' runs honest validators on a fault-free network only: it needs "
            "validators_sign_all_branches=False (or sign_all_share=0), no faults and "
            "log=False; use engine='simpy' or 'auto'"
        )
    use_fast = fast_ok if engine == "auto" else engine == "fast"
    f = pos.active_slot_coeff
    sim_config = SimConfig(
        network=network_config,
        mining=MiningConfig(
            n_miners=m,
            block_interval_s=min(1e7, pos.slot_s / f),
            block_size_bytes=pos.block_size_bytes,
        ),
        consensus=ConsensusConfig(protocol="pos", fork_choice="longest"),
        run=RunConfig(
            n_blocks=max(1, round(pos.n_slots * f)),
            engine="fast" if use_fast else "simpy",
            drain=drain,
        ),
    )
    tree = BlockTree()
    setup = RunSetup(
        config=sim_config,
        streams=streams,
        network=network,
        miner_nodes=nodes_of,
        shares=list(pos.stakes),
        tree=tree,
        difficulty=Difficulty(tree, retarget=False, period=2, block_interval_s=1.0),
        schedule=ScriptedSchedule([]),
        fork_choice=longest,
    )
    t0 = time.perf_counter()
    run: PoSEngine | _FastRun
    if use_fast:
        # mining stops when the script of leaders runs out, at the last slot
        setup.config = sim_config.replace(
            run=RunConfig(n_blocks=10**7, max_time_s=pos.n_slots * pos.slot_s, drain=drain)
        )
        run, out = _run_fast(setup, pos, leader_schedule)
        setup.config = sim_config
    else:
        run = PoSEngine(setup, pos, leader_schedule=leader_schedule, log=log, faults=fault_records)
        out = run.run()
    wall = time.perf_counter() - t0
    name = "fast" if use_fast else "simpy"
    res = _results(run, out, sim_config, pos, network, streams.entropy, wall, name)
    if log:
        res.meta["log"] = out.log
    if "dropped" in out.extra:
        res.meta["faults"] = {
            "dropped": out.extra["dropped"],
            "events": [list(r) for r in out.extra["fault_log"]],
            "n_lost_blocks": out.extra["n_lost_blocks"],
        }
    return res
