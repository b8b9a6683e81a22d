"""Selfish mining (Eyal and Sirer 2014) as a miner in the simulated network.

The pool mines on its own private branch and releases blocks by the rules of
Eyal and Sirer's *Selfish-Mine* algorithm ("Majority is not enough", 2014,
Algorithm 1), here written in terms of what the pool's node sees. Let ``lead`` be the
height of the pool's private tip minus the height of the highest block the pool has
heard from the network:

* the pool finds a block: it keeps it private, unless a tie race is on (it published
  a branch as long as the honest one); then it publishes at once and wins the race;
* an honest block raises the public height:

  - ``lead < 0``: the honest chain is ahead; the pool adopts it;
  - ``lead == 0`` (it was 1): publish the private branch: a tie race;
  - ``lead == 1`` (it was 2): publish everything; the pool's branch is longer;
  - ``lead >= 2``: publish the private blocks up to the honest height.

``gamma``, the share of honest mining power that builds on the pool's block in a tie
race, is either *given* — honest nodes listed in ``gamma_nodes`` switch to the block
the pool publishes to start a tie race (:meth:`SelfishMining.prefer`), so ``gamma``
is their share of the honest hash rate — or *arises from the network*: when the pool
is closer to the honest miners than they are to each other, its block reaches some
of them first and the first-seen rule does the rest.

The preference applies to the race block only, as in Eyal and Sirer's model, where
``gamma`` is defined for the race state alone. (If ``gamma_nodes`` also switched to
the blocks the pool publishes while it is two or more blocks ahead, the honest
miners would split over two branches of equal height, two honest blocks could then
shorten the pool's lead by only one, and the pool would earn about one percentage
point more than the formula: a real network effect, but not the formula's model.)

:func:`selfish_mining_experiment` builds the small network of the validation (a
complete graph, 1 ms links, 600 s blocks, so honest forks are negligible) and measures
the pool's share of the main chain with a batch-means confidence interval;
:func:`chainsim.analysis.selfish_mining_revenue` is the formula it should match.

Examples
--------
>>> run = selfish_mining_experiment(0.35, 0.5, 600, seed=3)
>>> run.n_blocks, run.n_main_chain < 600  # selfish mining orphans blocks
(600, True)
>>> run.ci_low < run.revenue < run.ci_high
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from chainsim.analysis import _share
from chainsim.engine.adversary import Adversary
from chainsim.errors import ConfigError
from chainsim.rng import SeedLike
from chainsim.stats import mean_ci

if TYPE_CHECKING:
    from chainsim.engine.simpy_engine import PeerNode
    from chainsim.results import Results

__all__ = [
    "RaceReplay",
    "SelfishMining",
    "SelfishMiningRun",
    "pool_revenue",
    "replay_race_model",
    "selfish_mining_experiment",
    "selfish_mining_sweep",
]


class SelfishMining(Adversary):
    """The Eyal-Sirer selfish-mining pool on node ``node`` (see the module docstring).

    Parameters
    ----------
    node
        The pool's node; it must be a miner (its share is the pool's ``alpha``).
    gamma_nodes
        Honest nodes that prefer the pool's block on a tie ("given" gamma).
    relay_honest
        Whether the pool's node relays honest blocks (default False: it does not help).

    Attributes
    ----------
    n_published, n_races, n_races_won, n_adopted : int
        Blocks published, tie races started, races the pool won by finding the next
        block itself, times the pool gave up its branch.
    """

    name = "selfish-mining"

    def __init__(
        self, node: int, *, gamma_nodes: Sequence[int] = (), relay_honest: bool = False
    ) -> None:
        if isinstance(node, bool) or not isinstance(node, int | np.integer) or node < 0:
            raise ConfigError(f"node must be a node index >= 0, got {node!r}")
        super().__init__((int(node),))
        self.node = int(node)
        self.gamma_nodes = frozenset(int(v) for v in gamma_nodes)
        if self.node in self.gamma_nodes:
            raise ConfigError(f"gamma_nodes must not contain the pool's node {node}")
        self.relay_honest = bool(relay_honest)
        self._reset()

    def _reset(self) -> None:
        self.private_tip = 0
        self.unpublished: list[int] = []
        self.public_height = 0
        self.racing = False
        self.race_blocks: set[int] = set()
        self.n_published = self.n_races = self.n_races_won = self.n_adopted = 0

    def attach(self, engine: Any) -> None:
        super().attach(engine)
        self._reset()

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out.update(
            gamma_nodes=sorted(self.gamma_nodes),
            n_published=self.n_published,
            n_races=self.n_races,
            n_races_won=self.n_races_won,
            n_adopted=self.n_adopted,
            n_private_at_end=len(self.unpublished),
        )
        return out

    # --- decisions ---------------------------------------------------------------
    def _publish_up_to(self, node: PeerNode, height: int | None) -> None:
        tree = node.engine.setup.tree
        while self.unpublished and (height is None or tree.heights[self.unpublished[0]] <= height):
            b = self.unpublished.pop(0)
            node.publish(b)
            self.n_published += 1
            self.record("publish", node.id, b)

    def mining_parent(self, node: PeerNode) -> int:
        return self.private_tip

    def on_mined(self, node: PeerNode, block: int) -> None:
        node.keep_private(block)
        self.private_tip = block
        self.unpublished.append(block)
        self.record("mine-private", node.id, block)
        if self.racing:
            self.racing = False
            self.n_races_won += 1
            self._publish_up_to(node, None)

    def relays(self, node: PeerNode, block: int) -> bool:
        return self.relay_honest

    def on_accepted(self, node: PeerNode, block: int, sender: int) -> None:
        tree = node.engine.setup.tree
        h = tree.heights[block]
        if tree.miners[block] in self.nodes or h <= self.public_height:
            return
        self.public_height = h
        lead = tree.heights[self.private_tip] - h
        if lead < 0:
            self.private_tip = node.tip
            self.unpublished.clear()
            self.racing = False
            self.n_adopted += 1
            self.record("adopt", node.id, node.tip)
        elif lead == 0:
            self.racing = True
            self.n_races += 1
            self.race_blocks.add(self.private_tip)
            self.record("race", node.id, self.private_tip)
            self._publish_up_to(node, None)
        elif lead == 1:
            self.racing = False
            self._publish_up_to(node, None)
        else:
            self._publish_up_to(node, h)

    def prefer(self, node: int, current_tip: int, candidate: int, chosen: int) -> int:
        if (
            chosen != current_tip
            or node not in self.gamma_nodes
            or candidate not in self.race_blocks
        ):
            return chosen
        assert self.engine is not None
        tree = self.engine.setup.tree
        if (
            tree.miners[candidate] in self.nodes
            and tree.miners[current_tip] not in self.nodes
            and tree.total_works[candidate] == tree.total_works[current_tip]
        ):
            return candidate
        return chosen


def pool_revenue(results: Results, pool_nodes: Sequence[int]) -> float:
    """Share of the main chain's blocks (genesis excluded) mined by ``pool_nodes``.

    >>> from chainsim.config import SimConfig
    >>> from chainsim.simulation import simulate
    >>> res = simulate(SimConfig().override({"network.n_nodes": 10, "run.n_blocks": 10}), 1)
    >>> 0.0 <= pool_revenue(res, [0, 1]) <= 1.0
    True
    """
    b = results.blocks
    main = b[b["main_chain"] & (b["block_id"] > 0)]
    if len(main) == 0:
        return 0.0
    return float(main["miner"].isin(list(pool_nodes)).mean())


class RaceReplay(NamedTuple):
    """Outcome of :func:`replay_race_model`.

    Attributes
    ----------
    pool_blocks, honest_blocks : int
        Blocks of each side the race model puts in the main chain (the pool's final
        private lead counted for the pool, an open tie for neither side).
    final_lead : int
        The pool's private lead after the last block.
    open_tie : bool
        Whether the run ended in a tie race.
    """

    pool_blocks: int
    honest_blocks: int
    final_lead: int
    open_tie: bool

    @property
    def revenue(self) -> float:
        """``pool_blocks / (pool_blocks + honest_blocks)`` (NaN if both are 0)."""
        total = self.pool_blocks + self.honest_blocks
        return self.pool_blocks / total if total else float("nan")


def replay_race_model(results: Results, pool_nodes: Sequence[int] = (0,)) -> RaceReplay:
    """Replay a run's block finders through the abstract race model.

    The blocks of ``results`` are taken in mining order (``block_id``); each is the
    pool's if its ``miner`` is in ``pool_nodes``. They drive the transition rules of
    :func:`chainsim.attacks.races.simulate_selfish_mining` (Eyal and Sirer 2014,
    Algorithm 1), except that the coin deciding a tie race is read from the run
    itself: an honest block that ends a tie is "on the pool's branch" (the ``gamma``
    case) when its parent is the pool's race block. If the network simulator
    implements the strategy exactly, the counts equal those of the run's main chain
    (:func:`pool_revenue`) up to the end of the run: the run's main chain also holds
    the pool's block of a tie still open at the end (mined first, it wins the tie
    in :func:`chainsim.blocktree.final_tip`), which the race model credits to
    neither side.

    Parameters
    ----------
    results : Results
        A run with a selfish-mining pool (uses ``blocks``: ``block_id``,
        ``parent_id``, ``miner``).
    pool_nodes : sequence of int
        The pool's nodes.

    Returns
    -------
    RaceReplay

    Examples
    --------
    >>> run = selfish_mining_experiment(0.35, 0.5, 300, seed=2, keep_results=True)
    >>> rep = replay_race_model(run.results)
    >>> rep.pool_blocks + rep.open_tie == round(run.revenue * run.n_main_chain)
    True
    >>> rep.honest_blocks + rep.pool_blocks + rep.open_tie == run.n_main_chain
    True
    """
    b = results.blocks.sort_values("block_id")
    b = b[b["block_id"] > 0]
    pool_set = {int(v) for v in pool_nodes}
    ids = b["block_id"].to_numpy().tolist()
    parents = b["parent_id"].to_numpy().tolist()
    miners = b["miner"].to_numpy().tolist()
    pool = honest = lead = 0
    tie = False
    last_pool_block = race_block = -1
    for block, parent, miner in zip(ids, parents, miners, strict=True):
        if miner in pool_set:
            last_pool_block = block
            if tie:
                pool += 2
                tie = False
            else:
                lead += 1
        elif tie:
            if parent == race_block:
                pool += 1
                honest += 1
            else:
                honest += 2
            tie = False
        elif lead == 0:
            honest += 1
        elif lead == 1:
            lead = 0
            tie = True
            race_block = last_pool_block
        elif lead == 2:
            pool += 2
            lead = 0
        else:
            pool += 1
            lead -= 1
    return RaceReplay(pool + lead, honest, lead, tie)


@dataclass(frozen=True, slots=True)
class SelfishMiningRun:
    """Outcome of :func:`selfish_mining_experiment`.

    Attributes
    ----------
    alpha, gamma : float
        Pool share and tie share.
    n_blocks, n_main_chain : int
        Blocks mined and blocks on the final main chain.
    revenue, ci_low, ci_high : float
        Pool share of main-chain blocks and a batch-means confidence interval (20
        batches of consecutive main-chain blocks; Student t at ``level``).
    level : float
    seed : int
    wall_time_s : float
    summary : dict
        The attack's counters (:meth:`SelfishMining.summary`).
    results : Results or None
        The run's tables, kept only with ``keep_results=True``.
    """

    alpha: float
    gamma: float
    n_blocks: int
    n_main_chain: int
    revenue: float
    ci_low: float
    ci_high: float
    level: float
    seed: int
    wall_time_s: float
    summary: dict[str, Any]
    results: Results | None = None


def selfish_mining_experiment(
    alpha: float,
    gamma: float,
    n_blocks: int = 10_000,
    *,
    seed: SeedLike = None,
    latency_ms: float = 1.0,
    n_batches: int = 20,
    level: float = 0.95,
    keep_results: bool = False,
) -> SelfishMiningRun:
    """Selfish mining in the network simulator with a given ``gamma``.

    Nodes: 0 is the pool (share ``alpha``); node 1 is an honest miner with share
    ``gamma (1 - alpha)`` that prefers the pool's block on a tie; node 2 an honest
    miner with share ``(1 - gamma)(1 - alpha)`` that keeps the first block it saw
    (nodes with a zero share are left out). They form a complete graph with
    ``latency_ms`` links, infinite bandwidth, push relay and 600 s blocks.

    Parameters
    ----------
    alpha : float
        Pool share of the hash rate, in (0, 1).
    gamma : float
        Share of honest mining power that mines on the pool's block in a tie, [0, 1].
    n_blocks : int
        Blocks to mine, >= 100.
    seed : int, SeedSequence or None
        Seed (stored in ``seed`` of the result).
    latency_ms : float
        Link latency; much smaller than the block interval.
    n_batches : int
        Batches for the confidence interval, >= 2.
    level : float
        Confidence level.
    keep_results : bool
        Keep the run's tables in ``results`` (e.g. for :func:`replay_race_model`).

    Returns
    -------
    SelfishMiningRun

    Notes
    -----
    The finders of successive blocks are independent draws (the pool's with
    probability ``alpha``) from the seed's ``mining`` stream, and the same seed gives
    the same uniform numbers for every ``(alpha, gamma)``. A seed whose stream gives
    the pool more blocks than ``alpha`` at one point of a grid therefore does so at
    every point: compare with the formula over several seeds, not over one seed
    reused across settings.
    """
    import time

    import networkx as nx

    from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
    from chainsim.simulation import Simulation

    alpha = _share("alpha", alpha)
    gamma = _share("gamma", gamma)
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha!r}")
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or n_blocks < 100:
        raise ConfigError(f"n_blocks must be an integer >= 100, got {n_blocks!r}")
    if isinstance(n_batches, bool) or not isinstance(n_batches, int) or n_batches < 2:
        raise ConfigError(f"n_batches must be an integer >= 2, got {n_batches!r}")
    shares = [alpha]
    gamma_nodes: list[int] = []
    if gamma > 0:
        gamma_nodes.append(len(shares))
        shares.append(gamma * (1 - alpha))
    if gamma < 1:
        shares.append((1 - gamma) * (1 - alpha))
    n = len(shares)
    cfg = SimConfig(
        network=NetworkConfig(
            n_nodes=n,
            topology="custom",
            latency_ms=latency_ms,
            latency_jitter=0.0,
            bandwidth_mbps=float("inf"),
            relay="push",
            processing_ms=0.0,
            validation_ms=0.0,
        ),
        mining=MiningConfig(
            block_interval_s=600.0, n_miners=n, hash_shares=tuple(shares), block_size_bytes=1000
        ),
        run=RunConfig(n_blocks=n_blocks, engine="simpy"),
    )
    attack = SelfishMining(0, gamma_nodes=gamma_nodes)
    t0 = time.perf_counter()
    sim = Simulation(
        cfg, seed, graph=nx.complete_graph(n), miner_nodes=list(range(n)), attack=attack
    )
    res = sim.run()
    wall = time.perf_counter() - t0
    b = res.blocks
    main = b[b["main_chain"] & (b["block_id"] > 0)].sort_values("height")
    pool = (main["miner"].to_numpy() == 0).astype(float)
    batches = [float(x.mean()) for x in np.array_split(pool, n_batches) if len(x)]
    est = mean_ci(batches, level)
    return SelfishMiningRun(
        alpha=alpha,
        gamma=gamma,
        n_blocks=n_blocks,
        n_main_chain=len(main),
        revenue=float(pool.mean()) if len(pool) else 0.0,
        ci_low=float(est.low),
        ci_high=float(est.high),
        level=float(level),
        seed=sim.seed,
        wall_time_s=wall,
        summary=attack.summary(),
        results=res if keep_results else None,
    )


def selfish_mining_sweep(
    alphas: Sequence[float] = (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45),
    gammas: Sequence[float] = (0.0, 0.5, 1.0),
    n_blocks: int = 20_000,
    *,
    seed: int = 0,
    level: float = 0.95,
) -> Any:
    """Theory beside the network simulation over a grid of ``(alpha, gamma)``.

    Point ``k`` (gammas outer, alphas inner) runs :func:`selfish_mining_experiment`
    with seed ``1000 * seed + k``; the race model is not involved. This is the table
    the book prints to show that the network simulator agrees with Eyal and Sirer.

    Returns
    -------
    pandas.DataFrame
        One row per point: ``alpha, gamma, theory, revenue, ci_low, ci_high,
        inside`` (theory within the interval), ``profitable`` (revenue > alpha) and
        ``threshold`` (:func:`chainsim.analysis.selfish_mining_threshold`).

    Examples
    --------
    >>> df = selfish_mining_sweep((0.3,), (0.0, 1.0), 2_000, seed=1)
    >>> list(df.columns)[:4], len(df)
    (['alpha', 'gamma', 'theory', 'revenue'], 2)
    """
    import pandas as pd

    from chainsim.analysis import selfish_mining_revenue, selfish_mining_threshold

    rows = []
    k = 0
    for gamma in gammas:
        for alpha in alphas:
            run = selfish_mining_experiment(
                alpha, gamma, n_blocks, seed=seed * 1000 + k, level=level
            )
            k += 1
            theory = selfish_mining_revenue(alpha, gamma)
            rows.append(
                {
                    "alpha": alpha,
                    "gamma": gamma,
                    "theory": theory,
                    "revenue": run.revenue,
                    "ci_low": run.ci_low,
                    "ci_high": run.ci_high,
                    "inside": run.ci_low <= theory <= run.ci_high,
                    "profitable": run.revenue > alpha,
                    "threshold": selfish_mining_threshold(gamma),
                }
            )
    return pd.DataFrame(rows)
