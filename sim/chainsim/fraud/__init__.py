"""Ponzi and pyramid schemes against a legitimate fund: a seeded SimPy simulator.

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
