"""An attack and a fault schedule as one frozen, validated config (for lessons and widgets).

:class:`AttackConfig` follows the style of :mod:`chainsim.config`: field metadata
(label, unit, bounds, choices) that widgets can offer, checks on construction, and
``to_dict`` for JSON. :meth:`AttackConfig.build` returns the attacker object and the
parsed fault schedule that :func:`chainsim.simulate` takes; ``simulate(config, seed,
attack=AttackConfig(...))`` also works directly.

Examples
--------
>>> cfg = AttackConfig(kind="selfish-mining", node=0, gamma_nodes=(1,),
...                    faults=(("crash", 100.0, 3), ("restart", 200.0, 3)))
>>> attack, faults = cfg.build(n_nodes=5)
>>> type(attack).__name__, [type(f).__name__ for f in faults]
('SelfishMining', ['Crash', 'Restart'])
>>> AttackConfig(kind="bribery")
Traceback (most recent call last):
...
chainsim.errors.ConfigError: attack.kind must be one of 'none', 'selfish-mining', 'double-spend', 'private-chain', got 'bribery'
"""  # noqa: E501

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from chainsim.attacks.double_spend import DoubleSpend
from chainsim.attacks.faults import NetworkFault, parse_schedule
from chainsim.attacks.private_chain import PrivateChain
from chainsim.attacks.selfish import SelfishMining
from chainsim.config import _Validated, meta
from chainsim.engine.adversary import Adversary
from chainsim.errors import ConfigError

__all__ = ["ATTACK_KINDS", "AttackConfig"]

#: Attack kinds :class:`AttackConfig` can build.
ATTACK_KINDS: tuple[str, ...] = ("none", "selfish-mining", "double-spend", "private-chain")


@dataclass(frozen=True, slots=True)
class AttackConfig(_Validated):
    """Which attack runs, on which node, and the fault schedule.

    Fields without widget metadata (``gamma_nodes``, ``faults``) are checked by
    :meth:`build` against the network size.
    """

    _section: ClassVar[str] = "attack"

    kind: str = field(default="none", metadata=meta("Attack", choices=ATTACK_KINDS))
    node: int = field(default=0, metadata=meta("Attacker node", min=0, max=100_000))
    gamma_nodes: tuple[int, ...] = ()
    merchant: int = field(default=1, metadata=meta("Merchant node", min=0, max=100_000))
    confirmations: int = field(
        default=6, metadata=meta("Confirmations the merchant waits for", min=1, max=1000)
    )
    n_trials: int | None = field(
        default=None, metadata=meta("Double-spend races (None: until the run ends)", min=1)
    )
    start_s: float = field(
        default=0.0, metadata=meta("Private chain starts", unit="s", min=0.0, max=1e9)
    )
    release_at_s: float | None = field(
        default=None, metadata=meta("Release the private chain at", unit="s", min=0.0, max=1e9)
    )
    release_lead: int | None = field(
        default=None, metadata=meta("Release when ahead by", unit="blocks", min=1, max=10**6)
    )
    publish_each: bool = field(default=False, metadata=meta("Publish each private block at once"))
    faults: tuple[Any, ...] = ()

    def _check(self) -> None:
        if self.release_at_s is not None and self.release_at_s < self.start_s:
            raise ConfigError(
                f"attack.release_at_s must be >= attack.start_s ({self.start_s:g} s), got "
                f"{self.release_at_s!r}"
            )
        if self.kind == "double-spend" and self.merchant == self.node:
            raise ConfigError(f"attack.merchant must differ from attack.node ({self.node})")
        parse_schedule(self.faults)  # shape and values; node range in build()

    def build(
        self, n_nodes: int | None = None
    ) -> tuple[Adversary | None, tuple[NetworkFault, ...]]:
        """The attacker (None for ``kind="none"``) and the parsed fault schedule."""
        faults = parse_schedule(self.faults, n_nodes)
        for name, v in [("node", self.node), ("merchant", self.merchant)] + [
            ("gamma_nodes", g) for g in self.gamma_nodes
        ]:
            if n_nodes is not None and not 0 <= v < n_nodes:
                raise ConfigError(f"attack.{name} must be in 0..{n_nodes - 1}, got {v}")
        attack: Adversary | None
        if self.kind == "none":
            attack = None
        elif self.kind == "selfish-mining":
            attack = SelfishMining(self.node, gamma_nodes=self.gamma_nodes)
        elif self.kind == "double-spend":
            attack = DoubleSpend(
                self.node, self.merchant, self.confirmations, n_trials=self.n_trials
            )
        else:
            attack = PrivateChain(
                self.node,
                start_s=self.start_s,
                release_at_s=self.release_at_s,
                release_lead=self.release_lead,
                publish_each=self.publish_each,
            )
        return attack, faults
