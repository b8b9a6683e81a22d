"""Double-spend races in the simulated network.

A merchant node waits for ``z`` confirmations of a payment; the attacker mines a
conflicting branch in private and publishes it once it is longer than the honest one.
:class:`DoubleSpend` runs such races one after another in one simulation:

1. *Pre-mining.* The attacker mines on the public tip ``P``. When it finds a block
   on ``P`` it keeps it private and sends the payment (if an honest block comes first,
   it starts again on the new tip).
2. *Waiting.* The next honest block on ``P`` carries the payment. The attacker keeps
   mining on its private branch. The merchant hands over the goods once its own tip
   is ``z`` blocks above ``P`` on the payment's branch (the payment block counts as
   the first confirmation).
3. *Race.* From then on the attacker publishes its branch as soon as it is strictly
   longer than the honest one; the double spend *succeeds* when the merchant's tip
   leaves the payment's branch. The attacker gives up when the honest branch leads by
   ``z + max_deficit`` blocks.

One pre-mined block and "strictly longer" is the same race as Rosenfeld's (2014)
"catch up from ``z - m`` behind" (see :func:`chainsim.analysis.double_spend_probability`):
with ``m`` attacker blocks during the wait the attacker has ``m + 1`` against ``z``,
and a strictly longer branch from there is catching up from ``z - m``.

Examples
--------
>>> run = double_spend_experiment(0.3, 1, 60, seed=2)
>>> run.n_trials, 0.0 < run.estimate < 1.0
(60, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from chainsim.analysis import (
    _count,
    _share,
    double_spend_probability,
    nakamoto_attack_probability,
)
from chainsim.engine.adversary import Adversary
from chainsim.errors import ConfigError
from chainsim.rng import SeedLike
from chainsim.stats import binomial_ci

if TYPE_CHECKING:
    from chainsim.engine.simpy_engine import PeerNode

__all__ = ["DoubleSpend", "DoubleSpendRun", "double_spend_experiment", "double_spend_sweep"]

_PREMINE, _WAIT, _RACE = "premine", "wait", "race"


class DoubleSpend(Adversary):
    """Repeated double-spend races against ``merchant`` (see the module docstring).

    Parameters
    ----------
    node
        The attacker's mining node.
    merchant
        The node that waits for confirmations.
    z
        Confirmations the merchant waits for, >= 1.
    n_trials
        Races to run; the simulation stops after the last one (None: never).
    max_deficit
        Blocks behind beyond ``z`` at which the attacker gives up, >= 1.

    Attributes
    ----------
    outcomes : list of bool
        Success of each finished race, in order.
    """

    name = "double-spend"

    def __init__(
        self,
        node: int,
        merchant: int,
        z: int,
        *,
        n_trials: int | None = None,
        max_deficit: int = 20,
    ) -> None:
        super().__init__((int(node),))
        if int(merchant) == int(node):
            raise ConfigError(f"merchant must differ from the attacker's node {node}")
        self.merchant = int(merchant)
        self.z = _count("z", z, minimum=1)
        self.n_trials = None if n_trials is None else _count("n_trials", n_trials, minimum=1)
        self.max_deficit = _count("max_deficit", max_deficit, minimum=1)
        self._reset()

    def _reset(self) -> None:
        self.state = _PREMINE
        self.fork = 0  # P
        self.private_tip = 0
        self.unpublished: list[int] = []
        self.payment = -1
        self.public_height = 0
        self.merchant_height = 0
        self.outcomes: list[bool] = []
        self.confirm_times: list[float] = []

    def attach(self, engine: Any) -> None:
        super().attach(engine)
        self._reset()

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        k = sum(self.outcomes)
        out.update(
            merchant=self.merchant,
            z=self.z,
            n_trials=len(self.outcomes),
            successes=k,
            success_rate=k / len(self.outcomes) if self.outcomes else float("nan"),
        )
        return out

    # --- helpers -----------------------------------------------------------------
    def _tree(self) -> Any:
        assert self.engine is not None
        return self.engine.setup.tree

    def _new_trial(self, node: PeerNode) -> None:
        self.state = _PREMINE
        self.fork = self.private_tip = node.tip
        self.unpublished = []
        self.payment = -1
        self.public_height = self._tree().heights[node.tip]

    def _finish(self, node: PeerNode, success: bool) -> None:
        self.outcomes.append(success)
        self.record("success" if success else "give-up", node.id, self.payment)
        assert self.engine is not None
        if self.n_trials is not None and len(self.outcomes) >= self.n_trials:
            self.engine.request_stop()
        self._new_trial(self.engine.nodes[self.nodes[0]])

    def _publish(self, node: PeerNode) -> None:
        for b in self.unpublished:
            node.publish(b)
            self.record("publish", node.id, b)
        self.unpublished = []

    def _maybe_publish(self, node: PeerNode) -> None:
        honest = max(self.public_height, self.merchant_height)
        if (
            self.state == _RACE
            and self.unpublished
            and self._tree().heights[self.private_tip] > honest
        ):
            self._publish(node)

    # --- hooks -------------------------------------------------------------------
    def mining_parent(self, node: PeerNode) -> int:
        return self.private_tip

    def relays(self, node: PeerNode, block: int) -> bool:
        return False

    def on_mined(self, node: PeerNode, block: int) -> None:
        node.keep_private(block)
        self.private_tip = block
        self.unpublished.append(block)
        if self.state == _PREMINE:
            self.state = _WAIT
            self.record("pre-mined", node.id, block)
        self._maybe_publish(node)

    def on_accepted(self, node: PeerNode, block: int, sender: int) -> None:
        tree = self._tree()
        h = tree.heights[block]
        if tree.miners[block] in self.nodes or h <= self.public_height:
            return
        self.public_height = h
        if self.state == _PREMINE:
            self.fork = self.private_tip = node.tip
            return
        if self.state == _WAIT and self.payment < 0 and tree.parents[block] == self.fork:
            self.payment = block
            self.record("payment", node.id, block)
        if self.state == _RACE and h - tree.heights[self.private_tip] >= self.z + self.max_deficit:
            self._finish(node, False)

    def prefer(self, node: int, current_tip: int, candidate: int, chosen: int) -> int:
        if node != self.merchant or self.payment < 0:
            return chosen
        tree = self._tree()
        pay = self.payment
        on_payment = tree.is_ancestor(pay, chosen)
        if on_payment:
            self.merchant_height = max(self.merchant_height, tree.heights[chosen])
        if self.state == _WAIT:
            if on_payment and tree.heights[chosen] - tree.heights[self.fork] >= self.z:
                self.state = _RACE
                self.confirm_times.append(self.now)
                self.record("confirmed", node, chosen)
                assert self.engine is not None
                self._maybe_publish(self.engine.nodes[self.nodes[0]])
        elif self.state == _RACE and not on_payment:
            assert self.engine is not None
            self._finish(self.engine.nodes[self.nodes[0]], True)
        return chosen


@dataclass(frozen=True, slots=True)
class DoubleSpendRun:
    """Outcome of :func:`double_spend_experiment`.

    Attributes
    ----------
    q, z : float, int
        Attacker share and confirmations.
    n_trials, successes : int
    estimate, ci_low, ci_high : float
        Success frequency and its Wilson interval at ``level``.
    theory : float
        :func:`chainsim.analysis.double_spend_probability` ``(q, z)``.
    nakamoto : float
        :func:`chainsim.analysis.nakamoto_attack_probability` ``(q, z)``.
    n_blocks : int
        Blocks mined in the whole simulation.
    level : float
    seed : int
    """

    q: float
    z: int
    n_trials: int
    successes: int
    estimate: float
    ci_low: float
    ci_high: float
    theory: float
    nakamoto: float
    n_blocks: int
    level: float
    seed: int


def double_spend_experiment(
    q: float,
    z: int,
    n_trials: int = 1000,
    *,
    seed: SeedLike = None,
    latency_ms: float = 1.0,
    max_deficit: int = 10,
    level: float = 0.95,
) -> DoubleSpendRun:
    """Double-spend races in the network simulator, near-zero delay.

    Nodes: 0 the attacker (share ``q``), 1 the honest miners (share ``1 - q``), 2 the
    merchant; a complete graph with ``latency_ms`` links, push relay and 600 s blocks.

    Parameters
    ----------
    q : float
        Attacker share, in (0, 1/2).
    z : int
        Confirmations, >= 1.
    n_trials : int
        Races, >= 1.
    seed : int, SeedSequence or None
    latency_ms : float
        Link latency, much smaller than the block interval.
    max_deficit : int
        See :class:`DoubleSpend`; giving up lowers the success probability by at most
        ``(q / (1 - q)) ** (z + max_deficit)`` (1e-4 for ``q = 0.3, z = 1``).
    level : float
        Confidence level of the Wilson interval.

    Returns
    -------
    DoubleSpendRun
    """
    import networkx as nx

    from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
    from chainsim.simulation import Simulation

    q = _share("q", q)
    if not 0.0 < q < 0.5:
        raise ConfigError(f"q must be in (0, 0.5) for races that end, got {q!r}")
    z = _count("z", z, minimum=1)
    n_trials = _count("n_trials", n_trials, minimum=1)
    cfg = SimConfig(
        network=NetworkConfig(
            n_nodes=3,
            topology="custom",
            latency_ms=latency_ms,
            latency_jitter=0.0,
            bandwidth_mbps=float("inf"),
            relay="push",
            processing_ms=0.0,
            validation_ms=0.0,
        ),
        mining=MiningConfig(
            block_interval_s=600.0, n_miners=2, hash_shares=(q, 1 - q), block_size_bytes=1000
        ),
        run=RunConfig(n_blocks=10**7, engine="simpy"),
    )
    attack = DoubleSpend(0, 2, z, n_trials=n_trials, max_deficit=max_deficit)
    sim = Simulation(cfg, seed, graph=nx.complete_graph(3), miner_nodes=[0, 1], attack=attack)
    res = sim.run()
    k = int(np.sum(attack.outcomes))
    n = len(attack.outcomes)
    low, high = binomial_ci(k, n, level)
    return DoubleSpendRun(
        q=q,
        z=z,
        n_trials=n,
        successes=k,
        estimate=k / n,
        ci_low=float(low),
        ci_high=float(high),
        theory=double_spend_probability(q, z),
        nakamoto=nakamoto_attack_probability(q, z),
        n_blocks=int(res.meta["n_blocks"]),
        level=float(level),
        seed=sim.seed,
    )


def double_spend_sweep(
    qs: Sequence[float] = (0.1, 0.2, 0.3),
    zs: Sequence[int] = (1, 2, 4),
    n_trials: int = 500,
    *,
    seed: int = 0,
    level: float = 0.95,
) -> Any:
    """Exact value, Nakamoto's approximation and the network estimate over a grid.

    Point ``k`` (``q`` outer, ``z`` inner) runs :func:`double_spend_experiment` with
    seed ``1000 * seed + k``.

    Returns
    -------
    pandas.DataFrame
        ``q, z, theory, nakamoto, estimate, ci_low, ci_high, inside, n_blocks``.

    Examples
    --------
    >>> df = double_spend_sweep((0.2,), (1,), 50, seed=1)
    >>> float(df.loc[0, "theory"]), int(df.loc[0, "n_blocks"]) > 50
    (0.4, True)
    """
    import pandas as pd

    rows = []
    k = 0
    for q in qs:
        for z in zs:
            run = double_spend_experiment(q, z, n_trials, seed=seed * 1000 + k, level=level)
            k += 1
            rows.append(
                {
                    "q": run.q,
                    "z": run.z,
                    "theory": run.theory,
                    "nakamoto": run.nakamoto,
                    "estimate": run.estimate,
                    "ci_low": run.ci_low,
                    "ci_high": run.ci_high,
                    "inside": run.ci_low <= run.theory <= run.ci_high,
                    "n_blocks": run.n_blocks,
                }
            )
    return pd.DataFrame(rows)
