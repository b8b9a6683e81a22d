"""Attacks and faults: one toolbox.

* :mod:`chainsim.attacks.races`: fast Monte-Carlo models of the abstract block races
  (double spending, selfish mining) that the closed forms of :mod:`chainsim.analysis`
  describe;
* attackers that run inside the network simulator (``simulate(..., attack=...)``, SimPy
  engine): :class:`~chainsim.attacks.selfish.SelfishMining` (Eyal and Sirer),
  :class:`~chainsim.attacks.double_spend.DoubleSpend` (a merchant waits ``z``
  confirmations), :class:`~chainsim.attacks.private_chain.PrivateChain` (51 % attacks,
  long reorganisations, feeding an eclipsed victim);
* fault schedules (``simulate(..., faults=[...])``): crash and restart, partition and
  heal, eclipse, message delay and loss, scheduled by time
  (:mod:`chainsim.attacks.faults`);
* :class:`~chainsim.attacks.config.AttackConfig`: an attack and its fault schedule as
  one validated config for lessons and widgets (``simulate(..., attack=AttackConfig(...))``);
* experiments that check the network against theory:
  :func:`~chainsim.attacks.selfish.selfish_mining_experiment`,
  :func:`~chainsim.attacks.double_spend.double_spend_experiment`,
  :func:`~chainsim.attacks.private_chain.ghost_vs_longest`.
"""

from __future__ import annotations

from chainsim.attacks.config import ATTACK_KINDS, AttackConfig
from chainsim.attacks.double_spend import (
    DoubleSpend,
    DoubleSpendRun,
    double_spend_experiment,
    double_spend_sweep,
)
from chainsim.attacks.faults import (
    Crash,
    Delay,
    Eclipse,
    Heal,
    Loss,
    Partition,
    Restart,
    parse_schedule,
)
from chainsim.attacks.private_chain import (
    PrivateChain,
    ghost_security_sweep,
    ghost_vs_longest,
    honest_chain_growth,
)
from chainsim.attacks.races import simulate_double_spend, simulate_selfish_mining
from chainsim.attacks.selfish import (
    SelfishMining,
    SelfishMiningRun,
    pool_revenue,
    selfish_mining_experiment,
    selfish_mining_sweep,
)

__all__ = [
    "ATTACK_KINDS",
    "AttackConfig",
    "Crash",
    "Delay",
    "DoubleSpend",
    "DoubleSpendRun",
    "Eclipse",
    "Heal",
    "Loss",
    "Partition",
    "PrivateChain",
    "Restart",
    "SelfishMining",
    "SelfishMiningRun",
    "double_spend_experiment",
    "double_spend_sweep",
    "ghost_security_sweep",
    "ghost_vs_longest",
    "honest_chain_growth",
    "parse_schedule",
    "pool_revenue",
    "selfish_mining_experiment",
    "selfish_mining_sweep",
    "simulate_double_spend",
    "simulate_selfish_mining",
]
