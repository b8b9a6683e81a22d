"""Metrics of a scheme run: pure functions over its tables.

Every participant-level metric accepts a :class:`~chainsim.fraud.SchemeResults` or
just a participants table (a DataFrame with at least ``join_day``, ``paid_in``,
``paid_out``; ``net`` and ``level`` where needed), so the shipped datasets can be
analysed with the same functions. Money is in yuan.

A participant **lost money** when ``net = paid_out - paid_in`` is below minus half a
cent (:data:`~chainsim.fraud.LOSS_TOLERANCE_YUAN`).

Examples
--------
>>> import pandas as pd
>>> people = pd.DataFrame({"join_day": [0, 0, 30, 60], "level": [1, 2, 2, 3],
...                        "paid_in": [100.0, 100.0, 100.0, 100.0],
...                        "paid_out": [250.0, 100.0, 40.0, 0.0]})
>>> loss_share(people), n_losers(people), median_loss(people)
(0.5, 2, 80.0)
>>> summary_sentence(people)
'Of 4 participants, 2 lost money; the median loss was ¥80.'
>>> summary_sentence(people, language="zh")
'在 4 名参与者中，2 人亏损；亏损的中位数为 ¥80。'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from chainsim.errors import ConfigError
from chainsim.fraud.engine import LOSS_TOLERANCE_YUAN, SchemeResults

__all__ = [
    "LANGUAGES",
    "compare_schemes",
    "loss_by_cohort",
    "loss_share",
    "median_loss",
    "n_losers",
    "operator_take",
    "payoff_by_join_day",
    "scheme_summary",
    "summary_sentence",
    "total_loss",
    "tree_depth",
]

LANGUAGES = ("en", "zh")

SchemeLike = SchemeResults | pd.DataFrame


def _participants(results: SchemeLike) -> pd.DataFrame:
    if isinstance(results, SchemeResults):
        return results.participants
    if isinstance(results, pd.DataFrame):
        needed = {"paid_in", "paid_out"}
        missing = needed - set(results.columns)
        if missing:
            raise ConfigError(
                "a participants table needs the columns paid_in and paid_out; "
                f"missing {', '.join(sorted(missing))}"
            )
        return results
    raise ConfigError(
        f"expected SchemeResults or a participants DataFrame, got {type(results).__name__}"
    )


def _net(people: pd.DataFrame) -> np.ndarray:
    if "net" in people.columns:
        return people["net"].to_numpy(dtype=float)
    return (people["paid_out"] - people["paid_in"]).to_numpy(dtype=float)


def _losses(people: pd.DataFrame) -> np.ndarray:
    """Positive losses (¥) of the participants who lost money."""
    net = _net(people)
    return -net[net < -LOSS_TOLERANCE_YUAN]


def n_losers(results: SchemeLike) -> int:
    """Number of participants who lost money."""
    return int(_losses(_participants(results)).size)


def loss_share(results: SchemeLike) -> float:
    """Share of participants who lost money (NaN when no one joined).

    >>> import pandas as pd
    >>> loss_share(pd.DataFrame({"paid_in": [10.0, 10.0], "paid_out": [0.0, 30.0]}))
    0.5
    """
    people = _participants(results)
    if len(people) == 0:
        return math.nan
    return n_losers(people) / len(people)


def median_loss(results: SchemeLike) -> float:
    """Median loss (¥, positive) among the participants who lost money; 0 if none did."""
    losses = _losses(_participants(results))
    return float(np.median(losses)) if losses.size else 0.0


def total_loss(results: SchemeLike) -> float:
    """Sum of the losses (¥) of everyone who lost money."""
    return float(_losses(_participants(results)).sum())


def operator_take(results: SchemeResults) -> float:
    """Money (¥) moved to the operator: cuts, fees and whatever it ran off with.

    >>> from chainsim.fraud import get_preset, simulate_scheme
    >>> res = simulate_scheme(get_preset("ponzi-classic", population=500), seed=3)
    >>> round(operator_take(res) / float(res.cashflows.cum_deposits.iloc[-1]), 2)
    0.1
    """
    if not isinstance(results, SchemeResults):
        raise ConfigError(f"operator_take needs SchemeResults, got {type(results).__name__}")
    flows = results.cashflows
    return float(flows["cum_operator_take"].iloc[-1]) if len(flows) else 0.0


def tree_depth(results: SchemeLike) -> int:
    """Depth of the recruitment tree: the largest ``level`` (0 when no one joined)."""
    people = _participants(results)
    if "level" not in people.columns:
        raise ConfigError("tree_depth needs a 'level' column in the participants table")
    return int(people["level"].max()) if len(people) else 0


def loss_by_cohort(results: SchemeLike, cohort_days: int = 30) -> pd.DataFrame:
    """Outcome by when people joined, in cohorts of ``cohort_days`` days.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty cohort: ``cohort_start_day``, ``n_participants``,
        ``loss_share``, ``median_net`` (¥), ``mean_net`` (¥), ``total_net`` (¥).

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"join_day": [0, 5, 40], "paid_in": [10.0, 10.0, 10.0],
    ...                        "paid_out": [30.0, 0.0, 0.0]})
    >>> loss_by_cohort(people, cohort_days=30)[["cohort_start_day", "loss_share"]]
       cohort_start_day  loss_share
    0                 0         0.5
    1                30         1.0
    """
    if isinstance(cohort_days, bool) or not isinstance(cohort_days, int) or cohort_days < 1:
        raise ConfigError(f"cohort_days must be a whole number >= 1, got {cohort_days!r}")
    people = _participants(results)
    columns = ["cohort_start_day", "n_participants", "loss_share", "median_net", "mean_net"]
    columns.append("total_net")
    if len(people) == 0:
        return pd.DataFrame({c: [] for c in columns})
    net = _net(people)
    frame = pd.DataFrame(
        {
            "cohort_start_day": (people["join_day"].to_numpy() // cohort_days) * cohort_days,
            "net": net,
            "lost": net < -LOSS_TOLERANCE_YUAN,
        }
    )
    grouped = frame.groupby("cohort_start_day", sort=True)
    out = pd.DataFrame(
        {
            "n_participants": grouped["net"].size(),
            "loss_share": grouped["lost"].mean(),
            "median_net": grouped["net"].median(),
            "mean_net": grouped["net"].mean(),
            "total_net": grouped["net"].sum(),
        }
    ).reset_index()
    out["cohort_start_day"] = out["cohort_start_day"].astype(np.int64)
    out["n_participants"] = out["n_participants"].astype(np.int64)
    return out[columns]


def payoff_by_join_day(results: SchemeLike) -> pd.DataFrame:
    """The "when did you join?" curve: per join day, the median return on a deposit.

    Returns
    -------
    pandas.DataFrame
        ``join_day``, ``n_participants``, ``median_return`` (``net / paid_in``,
        median over that day's joiners; -1 means everything lost), ``loss_share``.
    """
    people = _participants(results)
    net = _net(people)
    paid_in = people["paid_in"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "join_day": people["join_day"].to_numpy(),
            "ret": np.divide(net, paid_in, out=np.zeros_like(net), where=paid_in > 0),
            "lost": net < -LOSS_TOLERANCE_YUAN,
        }
    )
    grouped = frame.groupby("join_day", sort=True)
    out = pd.DataFrame(
        {
            "n_participants": grouped["ret"].size(),
            "median_return": grouped["ret"].median(),
            "loss_share": grouped["lost"].mean(),
        }
    ).reset_index()
    return out[["join_day", "n_participants", "median_return", "loss_share"]]


def scheme_summary(results: SchemeResults) -> dict[str, Any]:
    """The headline numbers of a run, as a flat dict (JSON-friendly).

    Keys: ``n_participants``, ``n_losers``, ``loss_share``, ``median_loss``,
    ``total_loss``, ``total_deposits``, ``operator_take``, ``operator_share`` (of the
    deposits), ``tree_depth``, ``collapse_day`` (None if it did not collapse),
    ``outcome``, ``peak_recruitment_day`` (the day with the most new members), ``peak_reserves``.
    """
    if not isinstance(results, SchemeResults):
        raise ConfigError(f"scheme_summary needs SchemeResults, got {type(results).__name__}")
    flows = results.cashflows
    deposits = float(flows["cum_deposits"].iloc[-1]) if len(flows) else 0.0
    take = operator_take(results)
    return {
        "n_participants": len(results.participants),
        "n_losers": n_losers(results),
        "loss_share": loss_share(results),
        "median_loss": median_loss(results),
        "total_loss": total_loss(results),
        "total_deposits": deposits,
        "operator_take": take,
        "operator_share": take / deposits if deposits > 0 else math.nan,
        "tree_depth": tree_depth(results),
        "collapse_day": results.collapse_day,
        "outcome": results.outcome,
        "peak_recruitment_day": (
            int(flows["day"].iloc[int(flows["new_members"].to_numpy().argmax())])
            if len(flows)
            else None
        ),
        "peak_reserves": float(flows["reserves"].max()) if len(flows) else 0.0,
    }


def compare_schemes(runs: Mapping[str, SchemeResults]) -> pd.DataFrame:
    """One row per run (``scheme`` = the mapping's key) with the :func:`scheme_summary`.

    >>> from chainsim.fraud import get_preset, simulate_scheme
    >>> runs = {name: simulate_scheme(get_preset(name, population=500), seed=1)
    ...         for name in ("ponzi-classic", "legitimate-fund")}
    >>> table = compare_schemes(runs)
    >>> table["scheme"].tolist(), table["outcome"].tolist()
    (['ponzi-classic', 'legitimate-fund'], ['collapsed', 'wound-up'])
    """
    if not isinstance(runs, Mapping):
        raise ConfigError(f"runs must map names to SchemeResults, got {type(runs).__name__}")
    rows = [{"scheme": name, **scheme_summary(res)} for name, res in runs.items()]
    return pd.DataFrame(rows)


def _yuan(x: float) -> str:
    return f"¥{x:,.0f}"


_ZH_OUTCOMES = {
    "collapsed": "第 {day} 天，提现要求超过了资金池，骗局崩盘。",
    "operator-exit": "第 {day} 天，运营者卷走了资金池。",
    "wound-up": "",
    "wound-up-short": "",
    "running": "",
}
_EN_OUTCOMES = {
    "collapsed": "The scheme collapsed on day {day}, when withdrawals exceeded its reserves.",
    "operator-exit": "On day {day} the operator ran off with the reserves.",
    "wound-up": "",
    "wound-up-short": "",
    "running": "",
}


def summary_sentence(
    results: SchemeLike, language: str = "en", *, include_outcome: bool = False
) -> str:
    """A plain sentence for the public: how many lost money and the median loss.

    Parameters
    ----------
    results
        A run, or a participants table.
    language
        ``"en"`` or ``"zh"``.
    include_outcome
        Append a sentence on how the scheme ended (for SchemeResults).

    Examples
    --------
    >>> from chainsim.fraud import get_preset, simulate_scheme
    >>> res = simulate_scheme(get_preset("pyramid-mlm", population=1000), seed=7)
    >>> summary_sentence(res)  # doctest: +ELLIPSIS
    'Of 1,000 participants, ... lost money; the median loss was ¥...'
    >>> summary_sentence(res, "fr")
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: language must be one of 'en', 'zh', got 'fr'
    """
    if language not in LANGUAGES:
        raise ConfigError(
            f"language must be one of {', '.join(repr(x) for x in LANGUAGES)}, got {language!r}"
        )
    people = _participants(results)
    n = len(people)
    k = n_losers(people)
    med = median_loss(people)
    if language == "en":
        if n == 0:
            text = "No one joined."
        elif k == 0:
            who = "participant" if n == 1 else "participants"
            text = f"Of {n:,} {who}, no one lost money."
        else:
            who = "participant" if n == 1 else "participants"
            text = f"Of {n:,} {who}, {k:,} lost money; the median loss was {_yuan(med)}."
    else:
        if n == 0:
            text = "没有人加入。"
        elif k == 0:
            text = f"在 {n:,} 名参与者中，没有人亏损。"
        else:
            text = f"在 {n:,} 名参与者中，{k:,} 人亏损；亏损的中位数为 {_yuan(med)}。"
    if include_outcome and isinstance(results, SchemeResults):
        table = _EN_OUTCOMES if language == "en" else _ZH_OUTCOMES
        extra = table.get(results.outcome, "").format(day=results.collapse_day)
        if extra:
            text += ("" if language == "zh" else " ") + extra
    return text
