"""Private-chain attacks: 51 % attacks, long reorganisations, GHOST vs longest chain.

:class:`PrivateChain` is the simplest attacker: from ``start_s`` its node mines on
its own branch only, never adopting the honest chain, and releases the branch at
``release_at_s``, or as soon as it is ``release_lead`` blocks ahead of the best
honest block it has heard of, or block by block (``publish_each``; the eclipse
lessons use this to feed a victim). Whether the honest nodes switch depends on the
fork-choice rule they run: that is the point of :func:`ghost_vs_longest`.

Sompolinsky and Zohar ("Secure high-rate transaction processing in Bitcoin", 2015):
with honest block rate ``lambda_h`` and network delay ``D`` the honest longest chain
grows only at about ``lambda_h / (1 + lambda_h D)`` blocks per second, because forks
waste blocks, while an attacker mining alone wastes none. As ``lambda D`` grows a
minority attacker therefore out-paces the honest longest chain. Under GHOST the
honest network's weight is its whole subtree, growing at ``lambda_h``, so the
attacker still needs more than half of the hash rate.

Examples
--------
>>> out = ghost_vs_longest(seed=1)
>>> out["longest"]["attacker_wins"], out["ghost"]["attacker_wins"]
(True, False)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chainsim.engine.adversary import Adversary
from chainsim.errors import ConfigError
from chainsim.rng import SeedLike

if TYPE_CHECKING:
    from chainsim.engine.simpy_engine import PeerNode

__all__ = ["PrivateChain", "ghost_security_sweep", "ghost_vs_longest", "honest_chain_growth"]


class PrivateChain(Adversary):
    """Mine a private branch and release it (see the module docstring).

    Parameters
    ----------
    node
        The attacker's mining node.
    start_s
        Before this time the node mines honestly; the branch forks from its tip at the
        first event at or after ``start_s`` (from genesis when ``start_s`` is 0).
    release_at_s
        Publish the whole branch at the first own block or honest block handled at or
        after this time (None: not by time).
    release_lead
        Publish when the branch is this many blocks longer than the best honest block
        the node has heard of (None: not by lead).
    publish_each
        Publish every block as soon as it is mined (the branch is public but the node
        ignores the honest chain).

    Attributes
    ----------
    released_at_s : float or None
        When the branch was released.
    fork_point : int
        The block the branch forks from.
    """

    name = "private-chain"

    def __init__(
        self,
        node: int,
        *,
        start_s: float = 0.0,
        release_at_s: float | None = None,
        release_lead: int | None = None,
        publish_each: bool = False,
    ) -> None:
        super().__init__((int(node),))
        if not (start_s >= 0 and math.isfinite(start_s)):
            raise ConfigError(f"start_s must be a finite time >= 0 s, got {start_s!r}")
        if release_at_s is not None and not release_at_s >= start_s:
            raise ConfigError(f"release_at_s must be >= start_s ({start_s}), got {release_at_s!r}")
        if release_lead is not None and (
            isinstance(release_lead, bool) or not isinstance(release_lead, int) or release_lead < 1
        ):
            raise ConfigError(f"release_lead must be an integer >= 1, got {release_lead!r}")
        self.start_s = float(start_s)
        self.release_at_s = release_at_s
        self.release_lead = release_lead
        self.publish_each = bool(publish_each)
        self._reset()

    def _reset(self) -> None:
        self.started = False
        self.fork_point = 0
        self.private_tip = 0
        self.unpublished: list[int] = []
        self.public_height = 0
        self.released_at_s: float | None = None

    def attach(self, engine: Any) -> None:
        super().attach(engine)
        self._reset()
        if self.start_s <= 0.0:
            self.started = True  # fork from genesis
            self.record("start", self.nodes[0], 0)

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        assert self.engine is not None
        tree = self.engine.setup.tree
        out.update(
            fork_point=self.fork_point,
            branch_length=tree.heights[self.private_tip] - tree.heights[self.fork_point],
            released_at_s=self.released_at_s,
            n_private_at_end=len(self.unpublished),
        )
        return out

    def _active(self, node: PeerNode) -> bool:
        if not self.started and self.now >= self.start_s:
            self.started = True
            self.fork_point = self.private_tip = node.tip
            self.record("start", node.id, node.tip)
        return self.started

    def _release(self, node: PeerNode, reason: str) -> None:
        if self.released_at_s is None and self.unpublished:
            self.released_at_s = self.now
            self.record("release", node.id, self.private_tip, reason)
        for b in self.unpublished:
            node.publish(b)
        self.unpublished = []

    def _check(self, node: PeerNode) -> None:
        tree = node.engine.setup.tree
        if self.release_at_s is not None and self.now >= self.release_at_s:
            self._release(node, "time")
        elif (
            self.release_lead is not None
            and tree.heights[self.private_tip] - self.public_height >= self.release_lead
        ):
            self._release(node, "lead")

    def mining_parent(self, node: PeerNode) -> int:
        return self.private_tip if self._active(node) else node.tip

    def on_mined(self, node: PeerNode, block: int) -> None:
        if not self._active(node):
            node.accept(block, -1)
            self.private_tip = block
            return
        node.keep_private(block)
        self.private_tip = block
        self.unpublished.append(block)
        if self.publish_each:
            for b in self.unpublished:
                node.publish(b)
            self.unpublished = []
        self._check(node)

    def on_accepted(self, node: PeerNode, block: int, sender: int) -> None:
        tree = node.engine.setup.tree
        if tree.miners[block] not in self.nodes:
            self.public_height = max(self.public_height, tree.heights[block])
        if self._active(node):
            self._check(node)
        else:
            self.private_tip = node.tip


def honest_chain_growth(rate_per_s: float, delay_s: float) -> float:
    """Sompolinsky and Zohar's main-chain growth ``lambda / (1 + lambda D)``, blocks/s.

    >>> honest_chain_growth(1.2, 2.0)
    0.35294117647058826
    """
    if not rate_per_s >= 0 or not delay_s >= 0:
        raise ConfigError(
            f"rate_per_s and delay_s must be >= 0, got {rate_per_s!r} and {delay_s!r}"
        )
    return rate_per_s / (1.0 + rate_per_s * delay_s)


def ghost_vs_longest(
    attacker_share: float = 0.4,
    *,
    n_honest: int = 8,
    block_interval_s: float = 0.5,
    delay_s: float = 2.0,
    release_at_s: float = 60.0,
    seed: SeedLike = 0,
) -> dict[str, dict[str, Any]]:
    """Run one private-chain attack under longest chain and under GHOST.

    ``n_honest`` honest miners with equal shares and the attacker form a complete
    graph; every link has latency ``delay_s`` (1 % jitter, so no ties), blocks are
    small and relayed by push. From time 0 the attacker mines a private branch from
    genesis and publishes it at ``release_at_s``; mining stops 1 s later and the
    network drains. Both runs use the same seed, hence the same block times and
    finders. ``lambda D = delay_s / block_interval_s`` (4 by default).

    Returns
    -------
    dict
        For ``"longest"`` and ``"ghost"``: ``attacker_wins`` (every honest node ends
        on the attacker's branch), ``n_honest_on_attacker`` (honest nodes that do),
        ``attacker_blocks`` (branch length at release), ``honest_height`` (the
        highest honest block at release), ``honest_blocks`` (honest blocks mined by
        then), plus ``lambda_d``, the theoretical honest longest-chain growth
        ``theory_longest_rate`` and the attacker's rate ``theory_attacker_rate``
        (blocks/s).

    Examples
    --------
    >>> out = ghost_vs_longest(seed=1)
    >>> out["longest"]["attacker_blocks"] > out["longest"]["honest_height"]
    True
    >>> out["ghost"]["honest_blocks"] > out["ghost"]["attacker_blocks"]
    True
    """
    import networkx as nx

    from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
    from chainsim.simulation import Simulation

    if not 0.0 < attacker_share < 1.0:
        raise ConfigError(f"attacker_share must be in (0, 1), got {attacker_share!r}")
    if isinstance(n_honest, bool) or not isinstance(n_honest, int) or n_honest < 1:
        raise ConfigError(f"n_honest must be an integer >= 1, got {n_honest!r}")
    n = n_honest + 1
    shares = (attacker_share,) + ((1.0 - attacker_share) / n_honest,) * n_honest
    cfg = SimConfig(
        network=NetworkConfig(
            n_nodes=n,
            topology="custom",
            latency_ms=delay_s * 1000.0,
            latency_jitter=0.01,
            bandwidth_mbps=float("inf"),
            relay="push",
            processing_ms=0.0,
            validation_ms=0.0,
        ),
        mining=MiningConfig(
            block_interval_s=block_interval_s,
            n_miners=n,
            hash_shares=shares,
            block_size_bytes=1000,
        ),
        run=RunConfig(n_blocks=10**6, max_time_s=release_at_s + 1.0, engine="simpy"),
    )
    lam = 1.0 / block_interval_s
    out: dict[str, dict[str, Any]] = {}
    for rule in ("longest", "ghost"):
        attack = PrivateChain(0, release_at_s=release_at_s)
        sim = Simulation(
            cfg.override({"consensus.fork_choice": rule}),
            seed,
            graph=nx.complete_graph(n),
            miner_nodes=list(range(n)),
            attack=attack,
        )
        sim.run()
        tree = sim.tree
        first = [b for b in range(1, len(tree)) if tree.miners[b] == 0]
        root = first[0] if first else -1
        before = [b for b in range(1, len(tree)) if tree.t_mined_s[b] <= release_at_s]
        on_att = sum(1 for v in range(1, n) if root > 0 and tree.is_ancestor(root, sim.tips[v]))
        honest = [b for b in before if tree.miners[b] != 0]
        out[rule] = {
            "attacker_wins": on_att == n_honest,
            "n_honest_on_attacker": on_att,
            "attacker_blocks": sum(1 for b in before if tree.miners[b] == 0),
            "honest_height": max((tree.heights[b] for b in honest), default=0),
            "honest_blocks": len(honest),
            "lambda_d": lam * delay_s,
            "theory_longest_rate": honest_chain_growth(lam * (1 - attacker_share), delay_s),
            "theory_attacker_rate": lam * attacker_share,
        }
    return out


def ghost_security_sweep(
    attacker_shares: Sequence[float] = (0.2, 0.3, 0.4),
    lambda_ds: Sequence[float] = (0.25, 1.0, 4.0),
    *,
    n_honest: int = 8,
    delay_s: float = 2.0,
    expected_blocks: int = 120,
    seed: int = 0,
) -> Any:
    """:func:`ghost_vs_longest` over a grid of attacker shares and ``lambda D``.

    The delay stays ``delay_s``; the block interval is ``delay_s / lambda_d`` and the
    attacker releases after ``expected_blocks`` block intervals. Point ``k`` (shares
    outer) uses seed ``1000 * seed + k``.

    Returns
    -------
    pandas.DataFrame
        ``attacker_share, lambda_d, longest_attacker_wins, ghost_attacker_wins,
        attacker_blocks, honest_height, honest_blocks, theory_longest_rate,
        theory_attacker_rate`` (rates in blocks/s).

    Examples
    --------
    >>> df = ghost_security_sweep((0.4,), (4.0,), expected_blocks=80, seed=2)
    >>> bool(df.loc[0, "longest_attacker_wins"]), bool(df.loc[0, "ghost_attacker_wins"])
    (True, False)
    """
    import pandas as pd

    rows = []
    k = 0
    for share in attacker_shares:
        for ld in lambda_ds:
            if not ld > 0:
                raise ConfigError(f"lambda_ds must be > 0, got {ld!r}")
            interval = delay_s / ld
            out = ghost_vs_longest(
                share,
                n_honest=n_honest,
                block_interval_s=interval,
                delay_s=delay_s,
                release_at_s=expected_blocks * interval,
                seed=seed * 1000 + k,
            )
            k += 1
            lc, gh = out["longest"], out["ghost"]
            rows.append(
                {
                    "attacker_share": share,
                    "lambda_d": ld,
                    "longest_attacker_wins": lc["attacker_wins"],
                    "ghost_attacker_wins": gh["attacker_wins"],
                    "attacker_blocks": lc["attacker_blocks"],
                    "honest_height": lc["honest_height"],
                    "honest_blocks": lc["honest_blocks"],
                    "theory_longest_rate": lc["theory_longest_rate"],
                    "theory_attacker_rate": lc["theory_attacker_rate"],
                }
            )
    return pd.DataFrame(rows)
