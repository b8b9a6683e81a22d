"""Ponzi and pyramid schemes against a legitimate fund: a seeded SimPy simulator.

A Ponzi scheme pays old participants with new participants' money; a pyramid scheme
adds pay for recruiting ("dynamic income"). Neither can last: the money promised grows
geometrically, the people who can still be recruited run out. This package simulates
such schemes day by day, next to a legitimate fund whose returns come from a real
yield, and measures who gained and who lost.

The parts:

- configuration: :class:`SchemeConfig` (validated, with slider metadata),
  :func:`get_preset` / :func:`list_presets` (``ponzi-classic``, ``pyramid-mlm``,
  ``ponzi-exit-scam``, ``legitimate-fund``), :func:`commission_schedule`,
  :func:`describe_scheme_fields`;
- simulation: :func:`simulate_scheme` -> :class:`SchemeResults` (tables
  ``participants`` and ``cashflows``, ``collapse_day``, ``outcome``, ``meta``);
- metrics: :func:`loss_share`, :func:`n_losers`, :func:`median_loss`,
  :func:`total_loss`, :func:`loss_by_cohort`, :func:`payoff_by_join_day`,
  :func:`operator_take`, :func:`tree_depth`, :func:`scheme_summary`,
  :func:`compare_schemes`, :func:`summary_sentence` (English or Chinese);
- closed forms: :func:`compound_growth`, :func:`days_to_double`,
  :func:`break_even_days`, :func:`promised_liabilities`,
  :func:`required_growth_factor`, :func:`required_inflow`, :func:`required_recruits`,
  :func:`days_until_saturation`;
- data: :func:`list_datasets`, :func:`load_dataset`, :func:`generate_dataset`;
- drawings (import matplotlib on use): :mod:`chainsim.fraud.plotting`.

Bad input raises :class:`chainsim.errors.ConfigError` (a ``ChainSimError``) whose
message names the parameter, the value and what is allowed.

Run a scheme, read who paid and who was paid:

>>> from chainsim.fraud import get_preset, simulate_scheme, loss_share
>>> res = simulate_scheme(get_preset("pyramid-mlm", population=1000), seed=7)
>>> res.outcome
'collapsed'
>>> 0.5 < loss_share(res) <= 1.0
True
"""

from __future__ import annotations

from chainsim.fraud.closed_forms import (
    break_even_days,
    compound_growth,
    days_to_double,
    days_until_saturation,
    promised_liabilities,
    required_growth_factor,
    required_inflow,
    required_recruits,
)
from chainsim.fraud.config import (
    EXIT_RULES,
    PAYOUT_RULES,
    PRESETS,
    RECRUITER_CHOICES,
    RECRUITMENT_MODELS,
    SchemeConfig,
    commission_schedule,
    describe_scheme_fields,
    get_preset,
    list_presets,
)
from chainsim.fraud.datasets import generate_dataset, list_datasets, load_dataset
from chainsim.fraud.engine import (
    CASHFLOW_COLUMNS,
    LOSS_TOLERANCE_YUAN,
    OUTCOMES,
    PARTICIPANT_COLUMNS,
    ExitRule,
    SchemeResults,
    simulate_scheme,
)
from chainsim.fraud.metrics import (
    compare_schemes,
    loss_by_cohort,
    loss_share,
    median_loss,
    n_losers,
    operator_take,
    payoff_by_join_day,
    scheme_summary,
    summary_sentence,
    total_loss,
    tree_depth,
)

__all__ = [
    "CASHFLOW_COLUMNS",
    "EXIT_RULES",
    "LOSS_TOLERANCE_YUAN",
    "OUTCOMES",
    "PARTICIPANT_COLUMNS",
    "PAYOUT_RULES",
    "PRESETS",
    "RECRUITER_CHOICES",
    "RECRUITMENT_MODELS",
    "ExitRule",
    "SchemeConfig",
    "SchemeResults",
    "break_even_days",
    "commission_schedule",
    "compare_schemes",
    "compound_growth",
    "days_to_double",
    "days_until_saturation",
    "describe_scheme_fields",
    "generate_dataset",
    "get_preset",
    "list_datasets",
    "list_presets",
    "load_dataset",
    "loss_by_cohort",
    "loss_share",
    "median_loss",
    "n_losers",
    "operator_take",
    "payoff_by_join_day",
    "promised_liabilities",
    "required_growth_factor",
    "required_inflow",
    "required_recruits",
    "scheme_summary",
    "simulate_scheme",
    "summary_sentence",
    "total_loss",
    "tree_depth",
]
