"""Attacks and faults.

:mod:`chainsim.attacks.races` holds fast Monte-Carlo models of the abstract block races
(double spending, selfish mining) that the closed forms of :mod:`chainsim.analysis`
describe.
"""

from __future__ import annotations

from chainsim.attacks.races import simulate_double_spend, simulate_selfish_mining

__all__ = ["simulate_double_spend", "simulate_selfish_mining"]
