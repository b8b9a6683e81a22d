"""Helpers for the public lesson on Ponzi and pyramid schemes (curriculum module 10).

The lesson cells stay a few lines long and call these functions. Everything follows
the lesson's language (``"en"`` or ``"zh"``, see :func:`chainsim.teaching.lesson_language`),
so the code cells of both language editions are identical.

* **runs and tables**: :func:`run_scheme`, :func:`compare_runs`,
  :func:`comparison_table`, :func:`published_facts`;
* **figures** (matplotlib ``Figure``; they render without a widget manager):
  :func:`plot_promised_vs_held`, :func:`plot_join_day`, :func:`plot_growth`,
  :func:`plot_comparison`, :func:`plot_contract`;
* **panels** (sliders over a figure, with a static PNG for headless pages):
  :func:`payoff_panel`, :func:`growth_panel`, :func:`contract_panel`,
  :func:`scheme_explorer` (the public demo panel with a static fallback);
* **a transparent Ponzi contract**: :func:`chain_contract` (a chain-shaped scheme in
  the taxonomy of Bartoletti et al. 2020, written out in a dozen lines),
  :func:`contract_source`, :func:`contract_deposits`;
* **check yourself**: :data:`RED_FLAGS`, :data:`OFFERS`, :func:`grade_red_flags`,
  :func:`red_flag_quiz`, :data:`QUIZZES`, :func:`lesson_quiz`, :func:`lesson_check`.

Money is in yuan (¥) for the simulated schemes and in coins for the contract; time in
days; rates are fractions (0.005 is 0.5 %).

Examples
--------
>>> table = chain_contract([100.0, 100.0, 100.0, 100.0], multiplier=2.0)
>>> table["paid_out"].tolist()
[200.0, 200.0, 0.0, 0.0]
>>> grade_red_flags("cloud-mining", ["guaranteed"], lang="en")[0]
False
"""

from __future__ import annotations

import base64
import html
import inspect
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from chainsim import teaching
from chainsim.errors import ConfigError
from chainsim.fraud.closed_forms import (
    compound_growth,
    days_until_saturation,
    required_recruits,
)
from chainsim.fraud.config import PRESETS, get_preset
from chainsim.fraud.datasets import load_dataset
from chainsim.fraud.engine import LOSS_TOLERANCE_YUAN, SchemeResults, simulate_scheme
from chainsim.fraud.metrics import compare_schemes, summary_sentence

__all__ = [
    "OFFERS",
    "QUIZZES",
    "RED_FLAGS",
    "chain_contract",
    "compare_runs",
    "comparison_table",
    "contract_deposits",
    "contract_panel",
    "contract_source",
    "grade_red_flags",
    "growth_panel",
    "lesson_check",
    "lesson_quiz",
    "outcome_shares",
    "payoff_panel",
    "plot_comparison",
    "plot_contract",
    "plot_growth",
    "plot_join_day",
    "plot_promised_vs_held",
    "published_facts",
    "red_flag_quiz",
    "run_scheme",
    "scheme_explorer",
    "show_figures_inline",
]

#: Potential participants in the lesson's runs (small enough for quick redraws).
LESSON_POPULATION = 5_000

#: Commission by level in :func:`payoff_panel`: the ``pyramid-mlm`` preset's 10 %, 5 %
#: and 3 % on the first three levels, then less on deeper ones (made-up values).
LEVEL_RATES: tuple[float, ...] = (0.10, 0.05, 0.03, 0.02, 0.01, 0.01)

# Colours (Okabe-Ito, readable with colour blindness).
_ORANGE, _BLUE, _GREEN, _GREY, _PURPLE = "#D55E00", "#0072B2", "#009E73", "#777777", "#CC79A7"

_T: dict[str, dict[str, str]] = {
    "day": {"en": "day", "zh": "天数"},
    "million": {"en": "¥ million", "zh": "百万元"},
    "cum_in": {"en": "paid in by members (total)", "zh": "成员累计投入"},
    "cum_out": {"en": "paid out to members (total)", "zh": "累计支付给成员"},
    "held": {"en": "money the scheme holds", "zh": "资金池里实际的钱"},
    "owed": {"en": "money promised to members", "zh": "承诺给成员的钱"},
    "promised_title": {"en": "Promised vs held", "zh": "承诺的钱与实际的钱"},
    "collapse": {"en": "collapse", "zh": "崩盘"},
    "members": {"en": "members who have joined", "zh": "已加入的人数"},
    "members_title": {"en": "Membership", "zh": "成员人数"},
    "return": {"en": "promised return a day", "zh": "承诺日收益"},
    "pull": {"en": "recruiting pull", "zh": "拉人速度"},
    "levels": {"en": "commission levels", "zh": "提成层级"},
    "rate": {"en": "promised return a day", "zh": "承诺日收益"},
    "horizon": {"en": "days", "zh": "天数"},
    "growth_y": {"en": "times the money paid in", "zh": "本金的倍数"},
    "growth_title": {
        "en": "{pct:.1f} % a day, compounded",
        "zh": "每天 {pct:.1f}%，按复利计算",
    },
    "after_year": {"en": "after a year: x{g:,.1f}", "zh": "一年后：{g:,.1f} 倍"},
    "after_days": {"en": "after {d} days: x{g:,.1f}", "zh": "{d} 天后：{g:,.1f} 倍"},
    "recruits_y": {"en": "new members needed (total)", "zh": "所需新成员（累计）"},
    "recruits_title": {
        "en": "Recruits needed to keep paying",
        "zh": "维持兑付所需的新成员",
    },
    "city": {"en": "a city of 1 million people", "zh": "一座 100 万人口的城市"},
    "everyone": {"en": "day {d:,}: everyone recruited", "zh": "第 {d:,} 天：全城都被拉进来"},
    "scheme_pyramid": {"en": "pyramid scheme", "zh": "传销式骗局"},
    "scheme_fund": {"en": "legitimate fund", "zh": "合法投资基金"},
    "lost_half": {"en": "lost more than half", "zh": "亏掉一半以上"},
    "lost_some": {"en": "lost less than half", "zh": "亏损不到一半"},
    "gained": {"en": "got back at least what they paid in", "zh": "至少拿回了本金"},
    "hist_y": {"en": "share of participants", "zh": "参与者占比"},
    "hist_title": {"en": "Everyone's outcome", "zh": "每个人的结果"},
    "investor": {"en": "investor (in order of joining)", "zh": "投资者（按加入顺序）"},
    "coins": {"en": "coins", "zh": "币"},
    "paid_in": {"en": "paid in", "zh": "投入"},
    "paid_out": {"en": "paid out", "zh": "拿回"},
    "paid_in_lost": {"en": "paid in, nothing back", "zh": "投入，分文未回"},
    "contract_title": {
        "en": "{n} investors, promised x{m:g}: {k} paid, {lost} lost money",
        "zh": "{n} 名投资者，承诺 {m:g} 倍：{k} 人拿到钱，{lost} 人亏损",
    },
    "n_investors": {"en": "investors", "zh": "投资者人数"},
    "multiplier": {"en": "promised multiple", "zh": "承诺倍数"},
    "check": {"en": "Check my answer", "zh": "核对答案"},
    "offer": {"en": "Offer", "zh": "广告"},
    "answer": {"en": "Answer", "zh": "答案"},
    "no_flags": {"en": "none", "zh": "没有"},
    "pick_flags": {
        "en": "Tick every red flag you see (or none), then check.",
        "zh": "勾选你看到的所有危险信号（也可能一个都没有），然后核对。",
    },
}

_COLUMNS: dict[str, dict[str, str]] = {
    "scheme": {"en": "scheme", "zh": "模式"},
    "n_participants": {"en": "participants", "zh": "参与人数"},
    "loss_share": {"en": "share who lost money", "zh": "亏损者占比"},
    "median_loss": {"en": "median loss (¥)", "zh": "亏损中位数（元）"},
    "operator_share": {"en": "operator's take (share of deposits)", "zh": "运营者拿走（占投入）"},
    "collapse_day": {"en": "collapse day", "zh": "崩盘日"},
}


def _lang(lang: str | None) -> str:
    lang = lang or teaching.lesson_language()
    if lang not in teaching.LANGUAGES:
        raise ConfigError(f"lang must be one of {teaching.LANGUAGES}, got {lang!r}")
    return lang


def _t(key: str, lang: str, **fields: Any) -> str:
    return _T[key][lang].format(**fields)


def show_figures_inline() -> bool:
    """Display bare matplotlib ``Figure`` objects as PNG in the running IPython kernel.

    The figure helpers return figures that are not registered with pyplot, so without
    this a cell ending in ``plot_growth(...)`` would print ``<Figure ...>``. Called on
    import; does nothing outside IPython.

    Returns
    -------
    bool
        True when a PNG formatter was registered.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipywidgets
        return False
    shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, teaching.figure_png)
    return True


# --------------------------------------------------------------------------- runs


def run_scheme(
    preset: str = "pyramid-mlm",
    *,
    seed: int = 0,
    population: int = LESSON_POPULATION,
    **changes: Any,
) -> SchemeResults:
    """Simulate a preset (see :func:`chainsim.fraud.list_presets`) for the lesson.

    Examples
    --------
    >>> res = run_scheme("ponzi-classic", seed=1, population=500)
    >>> res.outcome
    'collapsed'
    """
    return simulate_scheme(get_preset(preset, population=population, **changes), seed=seed)


def compare_runs(
    presets: Sequence[str] = ("pyramid-mlm", "legitimate-fund"),
    *,
    seed: int = 0,
    population: int = LESSON_POPULATION,
) -> dict[str, SchemeResults]:
    """The same people (same seed, same population) in different schemes.

    Examples
    --------
    >>> runs = compare_runs(seed=1, population=500)
    >>> list(runs), runs["legitimate-fund"].collapse_day is None
    (['pyramid-mlm', 'legitimate-fund'], True)
    """
    return {name: run_scheme(name, seed=seed, population=population) for name in presets}


def _scheme_name(name: str, lang: str) -> str:
    preset = PRESETS.get(name)
    if preset is None:
        return name
    return preset.title_zh if lang == "zh" else preset.title


def comparison_table(runs: Mapping[str, SchemeResults], *, lang: str | None = None) -> pd.DataFrame:
    """Headline numbers of several runs, with column names in the lesson's language.

    Shares are in percent (rounded to 0.1), money in whole yuan; a scheme that did not
    collapse has an empty collapse day.

    Examples
    --------
    >>> runs = compare_runs(seed=1, population=500)
    >>> comparison_table(runs, lang="en").columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['scheme', 'participants', 'share who lost money', 'median loss (¥)',
     "operator's take (share of deposits)", 'collapse day']
    """
    lang = _lang(lang)
    table = compare_schemes(runs)[list(_COLUMNS)].copy()
    table["scheme"] = [_scheme_name(name, lang) for name in table["scheme"]]
    for col in ("loss_share", "operator_share"):
        table[col] = [f"{100 * v:.1f} %" for v in table[col]]
    table["median_loss"] = [f"{v:,.0f}" for v in table["median_loss"]]
    table["collapse_day"] = [
        "" if d is None or pd.isna(d) else str(int(d)) for d in table["collapse_day"]
    ]
    return table.rename(columns={k: v[lang] for k, v in _COLUMNS.items()})


#: Chinese wording of the rows of the shipped ``published-facts`` dataset.
_FACTS_ZH: dict[str, str] = {
    "bartoletti-contracts": "该研究公开数据集中的庞氏骗局智能合约",
    "bartoletti-categories": "该研究的分类（链式、树式、瀑布式、交接式）",
    "plustoken-accounts": "会员账户",
    "plustoken-levels": "发展层级",
    "plustoken-collected": "收取资金（至少）",
    "compounding-0.5pct": "每天 0.5% 复利 365 天的增长倍数（1.005 ** 365）",
}
_UNITS_ZH = {
    "contracts": "个合约",
    "categories": "类",
    "accounts": "个",
    "levels": "层",
    "yuan": "元",
    "times": "倍",
}
_TOPICS_ZH = {
    "Ponzi schemes on Ethereum": "以太坊上的庞氏骗局",
    "PlusToken": "PlusToken",
    "Arithmetic": "算术",
}


def published_facts(*, lang: str | None = None) -> pd.DataFrame:
    """The shipped published facts (topic, fact, value, unit, source) in the lesson's language.

    The ``source`` column holds the full citation from the dataset's sidecar.

    Examples
    --------
    >>> facts = published_facts(lang="zh")
    >>> facts.columns.tolist()
    ['主题', '事实', '数值', '单位', '来源']
    >>> facts.iloc[3]["数值"]
    '3,293'
    """
    lang = _lang(lang)
    data = load_dataset("published-facts")
    sources = data.attrs.get("sources", {})
    values = [f"{v:,.0f}" if float(v).is_integer() else f"{v:g}" for v in data["value"]]
    table = pd.DataFrame(
        {
            "topic": data["topic"],
            "fact": data["fact"],
            "value": values,
            "unit": data["unit"],
            "source": [sources.get(s, s) for s in data["source_id"]],
        }
    )
    if lang == "en":
        return table
    table["topic"] = [_TOPICS_ZH.get(x, x) for x in table["topic"]]
    table["fact"] = [
        _FACTS_ZH.get(i, f) for i, f in zip(data["fact_id"], data["fact"], strict=True)
    ]
    table["unit"] = [_UNITS_ZH.get(u, u) for u in table["unit"]]
    return table.rename(
        columns={"topic": "主题", "fact": "事实", "value": "数值", "unit": "单位", "source": "来源"}
    )


# --------------------------------------------------------------------------- figures


def _tidy(ax: Any) -> None:
    ax.grid(alpha=0.3, linewidth=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _mark_collapse(ax: Any, results: SchemeResults, lang: str) -> None:
    if results.collapse_day is not None:
        ax.axvline(results.collapse_day, color=_GREY, linestyle="--", linewidth=1)
        ax.annotate(
            _t("collapse", lang),
            xy=(results.collapse_day, 0.98),
            xycoords=("data", "axes fraction"),
            ha="right",
            va="top",
            rotation=90,
            fontsize="x-small",
            color=_GREY,
        )


def plot_promised_vs_held(results: SchemeResults, *, lang: str | None = None) -> Figure:
    """Money paid in and out, held and promised, over the days of a run (¥ million).

    In a Ponzi or pyramid scheme the promised amount races ahead of the money held:
    the gap is what the last members lose.

    Examples
    --------
    >>> fig = plot_promised_vs_held(run_scheme(seed=1, population=500), lang="en")
    >>> fig.axes[0].get_title(loc="left")
    'Promised vs held'
    """
    lang = _lang(lang)
    flows = results.cashflows
    fig = Figure(figsize=(6.4, 3.4), layout="constrained")
    ax = fig.add_subplot()
    day = flows["day"].to_numpy()
    for col, key, color, style in (
        ("cum_deposits", "cum_in", _BLUE, "-"),
        ("cum_withdrawals", "cum_out", _GREEN, "-"),
        ("reserves", "held", _GREY, "-"),
        ("liabilities", "owed", _ORANGE, "--"),
    ):
        ax.plot(day, flows[col] / 1e6, color=color, linestyle=style, lw=1.8, label=_t(key, lang))
    _mark_collapse(ax, results, lang)
    ax.set_xlabel(_t("day", lang))
    ax.set_ylabel(_t("million", lang))
    ax.set_title(_t("promised_title", lang), loc="left", fontsize="medium")
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    _tidy(ax)
    return fig


def plot_join_day(results: SchemeResults, *, lang: str | None = None) -> Figure:
    """Membership over time and the "when did you join?" curve, with the summary sentence.

    Examples
    --------
    >>> fig = plot_join_day(run_scheme(seed=1, population=500), lang="en")
    >>> len(fig.axes), fig.get_suptitle().startswith("Of 500 participants")
    (2, True)
    """
    from chainsim.fraud.plotting import plot_payoff_by_join_day

    lang = _lang(lang)
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    flows = results.cashflows
    left.plot(flows["day"], flows["members"], color=_BLUE, lw=1.8)
    left.set_xlabel(_t("day", lang))
    left.set_ylabel(_t("members", lang))
    left.set_title(_t("members_title", lang), loc="left", fontsize="small")
    _mark_collapse(left, results, lang)
    _tidy(left)
    plot_payoff_by_join_day(results, ax=right, language=lang)
    right.set_xlim(left.get_xlim())
    sentence = summary_sentence(results, language=lang, include_outcome=True)
    width = 60 if lang == "zh" else 110
    fig.suptitle("\n".join(textwrap.wrap(sentence, width)), fontsize="small")
    return fig


def plot_growth(daily_rate: float, days: int = 365, *, lang: str | None = None) -> Figure:
    """Compounding of a promised daily return, and the recruits needed to pay it.

    Left: ``(1 + daily_rate) ** t`` for ``t`` up to ``days``. Right: the cumulative
    new members a scheme needs to keep paying the return, when it starts with 1,000
    members of ¥5,000 each (:func:`chainsim.fraud.required_recruits`), against a city
    of one million people; the crossing is :func:`chainsim.fraud.days_until_saturation`.

    Examples
    --------
    >>> fig = plot_growth(0.005, 365, lang="en")
    >>> fig.axes[0].get_title(loc="left")
    '0.5 % a day, compounded'
    """
    lang = _lang(lang)
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise ConfigError(f"days must be a whole number >= 1, got {days!r}")
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    t = np.arange(int(days) + 1)
    left.plot(t, (1.0 + daily_rate) ** t, color=_ORANGE, lw=2)
    mark = min(365, int(days))
    g = compound_growth(daily_rate, mark)
    key = "after_year" if mark == 365 else "after_days"
    left.plot([mark], [g], "o", color=_ORANGE)
    left.annotate(
        _t(key, lang, g=g, d=mark),
        (mark, g),
        xytext=(-8, 0),
        textcoords="offset points",
        ha="right",
        va="center",
        fontsize="small",
    )
    left.set_xlabel(_t("day", lang))
    left.set_ylabel(_t("growth_y", lang))
    left.set_title(_t("growth_title", lang, pct=100 * daily_rate), loc="left", fontsize="small")
    _tidy(left)
    members, deposit, city = 1_000, 5_000.0, 1_000_000
    full = (
        days_until_saturation(daily_rate, members * deposit, city, deposit)
        if daily_rate > 0
        else math.inf
    )
    horizon = int(min(max(int(days), math.ceil(1.15 * full) if math.isfinite(full) else 0), 4000))
    need = np.cumsum(required_recruits(daily_rate, members * deposit, horizon, deposit))
    right.plot(np.arange(1, horizon + 1), need, color=_PURPLE, lw=2)
    right.axhline(city, color=_GREY, linestyle=":", lw=1.2)
    right.annotate(
        _t("city", lang),
        (0.02, city),
        xycoords=("axes fraction", "data"),
        va="bottom",
        fontsize="x-small",
        color=_GREY,
    )
    right.set_yscale("log")
    right.set_ylim(1, max(3 * city, float(need[-1]) * 1.5))
    if full <= horizon:
        right.axvline(full, color=_GREY, linestyle="--", lw=1)
        right.annotate(
            _t("everyone", lang, d=math.ceil(full)),
            (full, 0.03),
            xycoords=("data", "axes fraction"),
            rotation=90,
            ha="right",
            va="bottom",
            fontsize="x-small",
            color=_GREY,
        )
    right.set_xlabel(_t("day", lang))
    right.set_ylabel(_t("recruits_y", lang))
    right.set_title(_t("recruits_title", lang), loc="left", fontsize="small")
    _tidy(right)
    return fig


_OUTCOME_KEYS = ("lost_half", "lost_some", "gained")
_OUTCOME_COLORS = (_ORANGE, "#E69F00", _GREEN)


def outcome_shares(results: SchemeResults | pd.DataFrame) -> tuple[float, float, float]:
    """Shares of participants who lost more than half, lost less, or lost nothing.

    "Lost nothing" means got back at least what they paid in (to half a cent).

    Examples
    --------
    >>> people = pd.DataFrame({"paid_in": [10.0, 10.0, 10.0, 10.0],
    ...                        "paid_out": [0.0, 6.0, 10.0, 25.0]})
    >>> outcome_shares(people)
    (0.25, 0.25, 0.5)
    """
    people = results.participants if isinstance(results, SchemeResults) else results
    if len(people) == 0:
        return (0.0, 0.0, 0.0)
    paid_in = people["paid_in"].to_numpy(dtype=float)
    net = people["paid_out"].to_numpy(dtype=float) - paid_in
    lost = net < -LOSS_TOLERANCE_YUAN
    half = lost & (net < -0.5 * paid_in)
    n = len(people)
    return (float(half.sum() / n), float((lost & ~half).sum() / n), float((~lost).sum() / n))


def plot_comparison(runs: Mapping[str, SchemeResults], *, lang: str | None = None) -> Figure:
    """Two schemes side by side: "when did you join?" curves and everyone's outcome.

    Examples
    --------
    >>> fig = plot_comparison(compare_runs(seed=1, population=500), lang="en")
    >>> len(fig.axes)
    2
    """
    from chainsim.fraud.plotting import plot_payoff_by_join_day

    lang = _lang(lang)
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    colors = [_ORANGE, _BLUE, _GREEN, _PURPLE]
    names = []
    for row, ((name, res), color) in enumerate(zip(runs.items(), colors, strict=False)):
        label = _scheme_name(name, lang)
        names.append(label)
        plot_payoff_by_join_day(res, ax=left, language=lang, label=label, color=color)
        start = 0.0
        for share, key, shade in zip(
            outcome_shares(res), _OUTCOME_KEYS, _OUTCOME_COLORS, strict=True
        ):
            right.barh(
                row,
                share,
                left=start,
                color=shade,
                edgecolor="white",
                label=_t(key, lang) if row == 0 else None,
            )
            if share >= 0.08:
                right.text(
                    start + share / 2,
                    row,
                    f"{share:.0%}",
                    ha="center",
                    va="center",
                    fontsize="x-small",
                    color="white",
                )
            start += share
    right.set_yticks(
        range(len(names)), ["\n".join(textwrap.wrap(n, 16)) for n in names], fontsize="x-small"
    )
    right.invert_yaxis()
    right.set_xlim(0, 1)
    right.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    right.set_xlabel(_t("hist_y", lang), fontsize="small")
    right.set_title(_t("hist_title", lang), loc="left", fontsize="small")
    right.legend(
        fontsize="x-small", frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1
    )
    for side in ("top", "right"):
        right.spines[side].set_visible(False)
    return fig


# --------------------------------------------------------------------------- panels


def _slider(value: float, low: float, high: float, step: float, label: str, fmt: str) -> Any:
    widget = teaching.slider(value, low, high, step, label)
    widget.readout_format = fmt
    return widget


def payoff_panel(
    *, seed: int = 0, population: int = LESSON_POPULATION, lang: str | None = None
) -> teaching.Panel:
    """Sliders for the pyramid preset (promised return, recruiting pull, commission
    levels) over :func:`plot_join_day`.

    Commission levels pay the shares of :data:`LEVEL_RATES` of a recruit's deposit:
    at three levels exactly the preset's 10 %, 5 % and 3 %, so the panel starts at
    the preset run.

    """
    lang = _lang(lang)
    controls = {
        "daily_return": _slider(0.005, 0.001, 0.02, 0.001, _t("return", lang), ".1%"),
        "pull": _slider(0.06, 0.02, 0.2, 0.01, _t("pull", lang), ".2f"),
        "levels": teaching.slider(3, 0, 6, 1, _t("levels", lang), integer=True),
    }

    def draw(daily_return: float, pull: float, levels: int) -> Figure:
        res = run_scheme(
            "pyramid-mlm",
            seed=seed,
            population=population,
            daily_return=float(daily_return),
            contagion_rate=float(pull),
            commission_rates=LEVEL_RATES[: int(levels)],
        )
        return plot_join_day(res, lang=lang)

    return teaching.panel(draw, controls)


def growth_panel(*, lang: str | None = None) -> teaching.Panel:
    """Sliders for the promised daily return and the horizon over :func:`plot_growth`."""
    lang = _lang(lang)
    controls = {
        "daily_rate": _slider(0.005, 0.001, 0.03, 0.001, _t("rate", lang), ".1%"),
        "days": teaching.slider(365, 30, 730, 5, _t("horizon", lang), integer=True),
    }

    def draw(daily_rate: float, days: int) -> Figure:
        return plot_growth(float(daily_rate), int(days), lang=lang)

    return teaching.panel(draw, controls)


# --------------------------------------------------------------------------- the contract


def chain_contract(deposits: Iterable[float], multiplier: float = 1.5) -> pd.DataFrame:
    """A chain-shaped Ponzi contract: each investor is promised ``multiplier`` times
    the deposit, paid from later deposits, strictly in the order of joining.

    The whole rule, as public and as faithfully executed as a smart contract: every
    deposit goes into the contract's balance; while the balance can pay the first
    investor still waiting in full, it does. Nothing else creates money, so the
    investors who joined last are never paid.

    Parameters
    ----------
    deposits : iterable of float
        Deposits in the order the investors join (coins, each > 0).
    multiplier : float
        Promised payout as a multiple of the deposit (> 1 for a "profit").

    Returns
    -------
    pandas.DataFrame
        One row per investor: ``investor`` (1, 2, ...), ``paid_in``, ``paid_out``,
        ``net``; ``attrs["balance"]`` is what is left in the contract.

    Examples
    --------
    >>> t = chain_contract([10.0, 10.0, 10.0], multiplier=1.5)
    >>> t["paid_out"].tolist(), t["net"].tolist(), t.attrs["balance"]
    ([15.0, 15.0, 0.0], [5.0, 5.0, -10.0], 0.0)
    """
    paid_in = [float(d) for d in deposits]
    if any(not math.isfinite(d) or d <= 0 for d in paid_in):
        raise ConfigError(f"deposits must all be finite and > 0, got {paid_in!r}")
    if not math.isfinite(multiplier) or multiplier <= 0:
        raise ConfigError(f"multiplier must be a finite number > 0, got {multiplier!r}")
    paid_out = [0.0] * len(paid_in)
    balance, next_in_line = 0.0, 0
    for joined, deposit in enumerate(paid_in):
        balance += deposit
        while next_in_line <= joined and balance >= multiplier * paid_in[next_in_line]:
            payout = multiplier * paid_in[next_in_line]
            balance -= payout
            paid_out[next_in_line] = payout
            next_in_line += 1
    table = pd.DataFrame(
        {
            "investor": np.arange(1, len(paid_in) + 1),
            "paid_in": paid_in,
            "paid_out": paid_out,
        }
    )
    table["net"] = table["paid_out"] - table["paid_in"]
    table.attrs["balance"] = balance
    return table


def contract_source() -> str:
    """The source code of :func:`chain_contract`'s rule: the loop that pays investors.

    Examples
    --------
    >>> "next_in_line" in contract_source()
    True
    """
    lines = inspect.getsource(chain_contract).splitlines()
    start = next(i for i, line in enumerate(lines) if "paid_out = [0.0]" in line)
    end = next(i for i, line in enumerate(lines) if "table = pd.DataFrame" in line)
    return textwrap.dedent("\n".join(lines[start:end]))


def contract_deposits(n_investors: int, *, seed: int = 0) -> list[float]:
    """Random deposits (coins, 1 to about 10, log-normal) for ``n_investors`` investors.

    Examples
    --------
    >>> d = contract_deposits(5, seed=1)
    >>> len(d), all(x >= 1.0 for x in d)
    (5, True)
    """
    if isinstance(n_investors, bool) or not isinstance(n_investors, int | np.integer):
        raise ConfigError(f"n_investors must be a whole number >= 1, got {n_investors!r}")
    if n_investors < 1:
        raise ConfigError(f"n_investors must be a whole number >= 1, got {n_investors!r}")
    rng = np.random.default_rng(seed)
    raw = np.exp(rng.normal(np.log(3.0), 0.6, size=int(n_investors)))
    return [float(x) for x in np.round(np.clip(raw, 1.0, 10.0), 2)]


def plot_contract(table: pd.DataFrame, multiplier: float, *, lang: str | None = None) -> Figure:
    """Paid in and paid out per investor of :func:`chain_contract`.

    Examples
    --------
    >>> t = chain_contract([1.0] * 6, multiplier=2.0)
    >>> plot_contract(t, 2.0, lang="en").axes[0].get_title(loc="left")
    '6 investors, promised x2: 3 paid, 3 lost money'
    """
    lang = _lang(lang)
    fig = Figure(figsize=(8.0, 3.2), layout="constrained")
    ax = fig.add_subplot()
    x = table["investor"].to_numpy()
    unpaid = (table["paid_out"] <= 0).to_numpy()
    ax.bar(x - 0.2, table["paid_in"], width=0.4, color=np.where(unpaid, _ORANGE, _BLUE))
    ax.bar(x + 0.2, table["paid_out"], width=0.4, color=_GREEN)
    handles = [
        Patch(color=_BLUE, label=_t("paid_in", lang)),
        Patch(color=_ORANGE, label=_t("paid_in_lost", lang)),
        Patch(color=_GREEN, label=_t("paid_out", lang)),
    ]
    n, k = len(table), int((table["paid_out"] > 0).sum())
    lost = int((table["net"] < 0).sum())
    ax.set_title(
        _t("contract_title", lang, n=n, m=multiplier, k=k, lost=lost), loc="left", fontsize="small"
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_t("investor", lang))
    ax.set_ylabel(_t("coins", lang))
    ax.legend(handles=handles, fontsize="small", frameon=False)
    _tidy(ax)
    return fig


def contract_panel(*, seed: int = 0, lang: str | None = None) -> teaching.Panel:
    """Sliders for the number of investors and the promised multiple over
    :func:`plot_contract`.

    """
    lang = _lang(lang)
    controls = {
        "n": teaching.slider(20, 2, 60, 1, _t("n_investors", lang), integer=True),
        "multiplier": _slider(1.5, 1.1, 3.0, 0.1, _t("multiplier", lang), ".1f"),
    }

    def draw(n: int, multiplier: float) -> Figure:
        table = chain_contract(contract_deposits(int(n), seed=seed), float(multiplier))
        return plot_contract(table, float(multiplier), lang=lang)

    return teaching.panel(draw, controls)


# --------------------------------------------------------------------------- the demo


class _Explorer(widgets.VBox):
    """The public demo panel, plus a static PNG and summary for headless pages."""

    def __init__(self, inner: Any) -> None:
        super().__init__(children=[inner])
        self.inner = inner

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
        if data is None:
            return bundle
        data = dict(data)
        png = bytes(self.inner.figure.value or b"")
        picture = ""
        if png:
            encoded = base64.b64encode(png).decode("ascii")
            data["image/png"] = encoded
            picture = (
                f'<img src="data:image/png;base64,{encoded}" '
                'style="max-width:390px;width:100%" alt="">'
            )
        data["text/html"] = picture + (self.inner.summary.value or self.inner.message.value)
        data["text/plain"] = teaching.text("static_note")
        return (data, meta) if meta else data


def scheme_explorer(
    preset: str = "pyramid-mlm", *, seed: int = 0, lang: str | None = None, **changes: Any
) -> widgets.VBox:
    """The public demo (:func:`chainsim.widgets.fraud_panel`) in the lesson's language,
    with a static figure and summary where widgets cannot run.

    Examples
    --------
    >>> box = scheme_explorer(seed=1, lang="en", population=500)
    >>> box.inner.n_updates
    1
    """
    from chainsim.widgets import fraud_panel

    return _Explorer(fraud_panel(preset, seed=seed, language=_lang(lang), **changes))


# --------------------------------------------------------------------------- check yourself

#: The red flags taught in the lesson: key -> label by language.
RED_FLAGS: dict[str, dict[str, str]] = {
    "guaranteed": {
        "en": "guaranteed, or very steady, high returns",
        "zh": "保证高收益，或收益高得异常稳定",
    },
    "recruiting": {
        "en": "pay for recruiting new members",
        "zh": "拉人头有奖励（发展下线拿提成）",
    },
    "withdrawal": {
        "en": "trouble withdrawing (lock-ups, thresholds, 'paused' withdrawals)",
        "zh": "提现困难（锁仓、提现门槛、提现“暂停”）",
    },
    "reinvest": {
        "en": "pressure to reinvest or to pay in more, quickly",
        "zh": "催你复投、加仓，要你赶快决定",
    },
    "unverifiable": {
        "en": "'blockchain' or 'digital currency' claims you cannot check",
        "zh": "无法核实的“区块链”“数字货币”说法",
    },
}

#: Three made-up offers: text by language and the red flags they show.
OFFERS: dict[str, dict[str, Any]] = {
    "cloud-mining": {
        "en": (
            "'CloudHash Global' sells shares of a 'blockchain mining farm'. Your money earns "
            "a fixed 1.2 % every day, guaranteed. Invite a friend and receive 10 % of their "
            "deposit, plus 5 % of what the people they invite deposit. Withdrawals open 30 "
            "days after joining, minimum ¥1,000. Upgrade to the Gold tier this week and earn "
            "1.5 % a day instead."
        ),
        "zh": (
            "“云算全球”出售“区块链矿场”的份额：投入的钱每天固定收益 1.2%，保本保息。"
            "邀请一位朋友，可得其投入金额的 10%；朋友再邀请的人投入，你还能拿 5%。"
            "加入 30 天后才能提现，每次至少 1,000 元。本周内升级为“黄金会员”，"
            "日收益提高到 1.5%。"
        ),
        "flags": frozenset({"guaranteed", "recruiting", "withdrawal", "reinvest", "unverifiable"}),
    },
    "token-app": {
        "en": (
            "An app for the 'XYZ' token shows your balance growing by exactly 0.8 % every "
            "day, and it has done so for 200 days without a single down day. The project "
            "says its smart contract was audited, but the audit report is on the project's "
            "own website and names no auditor. Withdrawals are 'paused for a system "
            "upgrade'; deposits made before Friday get a 20 % bonus."
        ),
        "zh": (
            "一款“XYZ 币”应用里，你的余额每天正好增长 0.8%，200 天来没有一天下跌。"
            "项目方说智能合约已经过审计，但审计报告只放在项目自己的网站上，也没写审计机构是谁。"
            "提现目前“系统升级，暂停”；周五前充值的，额外赠送 20%。"
        ),
        "flags": frozenset({"guaranteed", "withdrawal", "reinvest", "unverifiable"}),
    },
    "money-fund": {
        "en": (
            "A money-market fund sold through your bank's app: the app states that the "
            "fund's yield over the last seven days was about 1.8 % a year, that it changes "
            "every day and that past returns do not guarantee future ones. You can redeem "
            "on any working day; the money usually arrives the next day. The fund manager "
            "is named, and a custodian bank holds the assets."
        ),
        "zh": (
            "银行 App 上销售的一只货币市场基金：页面写明该基金最近七日年化收益率约 1.8%，"
            "收益每天变动，过往业绩不代表未来表现。任一工作日都可以赎回，资金一般次日到账。"
            "页面写明了基金管理人的名称，资产由托管银行保管。"
        ),
        "flags": frozenset(),
    },
}

_FLAG_TEXT = {
    "right": {
        "en": "✔ Right: {n} red flag(s).",
        "zh": "✔ 答对了：共有 {n} 个危险信号。",
    },
    "right_none": {
        "en": "✔ Right: none of the five red flags. That is what an honest offer "
        "looks like: modest, variable returns and money you can take out. (Still check "
        "that the seller is licensed.)",
        "zh": "✔ 答对了：五个危险信号一个都没有。正规产品通常就是这样：收益不高、会波动，"
        "钱随时能取出来。（仍要核实销售方有没有相应的金融牌照。）",
    },
    "missed": {"en": "You missed: {flags}.", "zh": "你漏掉了：{flags}。"},
    "extra": {
        "en": "Not in this offer: {flags}.",
        "zh": "这则广告里其实没有：{flags}。",
    },
    "wrong": {"en": "✘ Not quite.", "zh": "✘ 还不完全对。"},
}


def grade_red_flags(
    offer: str, chosen: Iterable[str], *, lang: str | None = None
) -> tuple[bool, str]:
    """Compare the red flags a reader ticked with those of :data:`OFFERS` ``[offer]``.

    Returns
    -------
    (bool, str)
        Whether the choice is exactly right, and the feedback in the lesson's language.

    Examples
    --------
    >>> grade_red_flags("money-fund", [], lang="en")[0]
    True
    >>> ok, feedback = grade_red_flags("token-app", ["guaranteed", "recruiting"], lang="en")
    >>> ok, feedback.endswith("Not in this offer: pay for recruiting new members.")
    (False, True)
    """
    lang = _lang(lang)
    if offer not in OFFERS:
        raise ConfigError(f"offer must be one of {sorted(OFFERS)}, got {offer!r}")
    picked = set(chosen)
    unknown = picked - set(RED_FLAGS)
    if unknown:
        raise ConfigError(
            f"chosen must hold red flags from {sorted(RED_FLAGS)}, got {sorted(unknown)}"
        )
    want: frozenset[str] = OFFERS[offer]["flags"]
    sep = "；" if lang == "zh" else "; "
    if picked == want:
        if not want:
            return True, _FLAG_TEXT["right_none"][lang]
        return True, _FLAG_TEXT["right"][lang].format(n=len(want))
    parts = [_FLAG_TEXT["wrong"][lang]]
    missed = [RED_FLAGS[k][lang] for k in RED_FLAGS if k in want - picked]
    extra = [RED_FLAGS[k][lang] for k in RED_FLAGS if k in picked - want]
    if missed:
        parts.append(_FLAG_TEXT["missed"][lang].format(flags=sep.join(missed)))
    if extra:
        parts.append(_FLAG_TEXT["extra"][lang].format(flags=sep.join(extra)))
    return False, ("" if lang == "zh" else " ").join(parts)


def _details(summary: str, body: str) -> str:
    """A collapsed HTML answer for pages rendered without a kernel."""
    return f"<details><summary>{html.escape(summary)}</summary>{html.escape(body)}</details>"


class _FlagQuiz(widgets.VBox):
    """A quiz that also renders as plain HTML (answer collapsed) where widgets cannot run."""

    static_html: str = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
        if data is None:
            return bundle
        data = dict(data)
        data["text/html"] = self.static_html
        return (data, meta) if meta else data


def red_flag_quiz(offer: str, *, lang: str | None = None) -> widgets.VBox:
    """One made-up offer, a tick box per red flag, and immediate feedback.

    The feedback appears when the reader presses the button; ``.grade()`` returns it
    for the boxes ticked now (used by the tests and by the button).

    Examples
    --------
    >>> q = red_flag_quiz("money-fund", lang="en")
    >>> q.grade()[0]
    True
    >>> q.boxes["recruiting"].value = True
    >>> q.grade()[0]
    False
    """
    lang = _lang(lang)
    if offer not in OFFERS:
        raise ConfigError(f"offer must be one of {sorted(OFFERS)}, got {offer!r}")
    number = list(OFFERS).index(offer) + 1
    heading = f"{_t('offer', lang)} {number}"
    body = html.escape(OFFERS[offer][lang])
    boxes = {
        key: widgets.Checkbox(
            value=False,
            description=labels[lang],
            indent=False,
            layout=widgets.Layout(width="auto"),
        )
        for key, labels in RED_FLAGS.items()
    }
    feedback = widgets.HTML(value="")
    button = widgets.Button(description=_t("check", lang), button_style="info")
    quiz = _FlagQuiz(
        children=[
            widgets.HTML(f"<p><b>{heading}.</b> {body}</p><p><i>{_t('pick_flags', lang)}</i></p>"),
            *boxes.values(),
            button,
            feedback,
        ]
    )

    def grade() -> tuple[bool, str]:
        return grade_red_flags(offer, [k for k, box in boxes.items() if box.value], lang=lang)

    def on_click(_: Any) -> None:
        ok, message = grade()
        colour = "#1a7f37" if ok else "#cf222e"
        feedback.value = (
            f'<div style="border-left:4px solid {colour};padding:4px 8px">'
            f"{html.escape(message)}</div>"
        )

    button.on_click(on_click)
    items = "".join(f"<li>☐ {html.escape(labels[lang])}</li>" for labels in RED_FLAGS.values())
    flags = OFFERS[offer]["flags"]
    right = [RED_FLAGS[k][lang] for k in RED_FLAGS if k in flags] or [_t("no_flags", lang)]
    quiz.static_html = (
        f"<p><b>{heading}.</b> {body}</p><p><i>{_t('pick_flags', lang)}</i></p>"
        f"<ul style='list-style:none'>{items}</ul>"
        + _details(_t("answer", lang), ("；" if lang == "zh" else "; ").join(right))
    )
    quiz.boxes = boxes
    quiz.grade = grade
    quiz.feedback = feedback
    quiz.button = button
    return quiz


#: Multiple-choice questions of the lesson: key -> language -> (question, options,
#: index of the right option, explanation).
QUIZZES: dict[str, dict[str, tuple[str, tuple[str, ...], int, str]]] = {
    "compound": {
        "en": (
            "A platform promises 0.5 % a day and you let the income be reinvested "
            "(compounded). If the promise were kept, about what would ¥10,000 become "
            "after one year?",
            ("about ¥11,800", "about ¥28,250", "about ¥61,700", "about ¥377,800"),
            2,
            "1.005 ** 365 ≈ 6.17, so ¥10,000 would become about ¥61,700. (¥28,250 is "
            "the simple, non-compounded sum.) No real business can promise that.",
        ),
        "zh": (
            "某平台承诺每天 0.5% 的收益，你选择让收益自动复投（按复利计算）。"
            "如果承诺兑现，10,000 元一年后大约会变成多少？",
            ("约 11,800 元", "约 28,250 元", "约 61,700 元", "约 377,800 元"),
            2,
            "1.005 的 365 次方约等于 6.17，所以 10,000 元会变成约 61,700 元"
            "（28,250 元是不计复利的单利结果）。没有哪门真实的生意能做出这样的承诺。",
        ),
    },
    "contract": {
        "en": (
            "A 'smart contract' investment publishes its code, and the code runs exactly "
            "as written. Can it still be a Ponzi scheme?",
            (
                "No: public code cannot cheat anyone",
                "Yes: the code can faithfully pay earlier investors with later investors' money",
                "Only if the blockchain is hacked",
            ),
            1,
            "Being public and correctly executed says nothing about where the returns come "
            "from. A contract that pays old investors from new deposits is a Ponzi scheme "
            "whose rules anyone can read.",
        ),
        "zh": (
            "某“智能合约”理财项目公开了代码，代码也完全按写好的规则运行。它还可能是庞氏骗局吗？",
            (
                "不可能：公开的代码骗不了人",
                "可能：代码可以忠实地用后来者的钱支付先来者",
                "只有区块链被黑客攻击时才可能",
            ),
            1,
            "代码公开、执行无误，并不能说明收益从哪里来。用新投资者的钱支付老投资者的合约，"
            "就是一个规则人人可读的庞氏骗局。",
        ),
    },
    "losses": {
        "en": (
            "Under the Chinese regulators' notices of 2017 and 2021, who bears the losses "
            "when someone invests in such a scheme and it collapses?",
            (
                "The state refunds the participants",
                "The participants themselves",
                "The bank that transferred the money",
            ),
            1,
            "The notices say that participants bear their own losses. Report a suspected "
            "scheme to the police early, and keep records of every payment.",
        ),
        "zh": (
            "按照 2017 年和 2021 年监管部门的通知，有人投资这类项目、项目崩盘后，损失由谁承担？",
            ("国家会退还参与者的钱", "参与者自行承担", "经手转账的银行"),
            1,
            "通知明确，参与者的损失由其自行承担。发现可疑项目应尽早报警，并保存好每一笔付款记录。",
        ),
    },
}


def lesson_quiz(key: str, *, lang: str | None = None) -> widgets.VBox:
    """The multiple-choice question ``key`` of :data:`QUIZZES` (see :func:`chainsim.teaching.quiz`).

    Examples
    --------
    >>> q = lesson_quiz("compound", lang="en")
    >>> q.verdict(2).startswith("✔"), q.verdict(1).startswith("✘")
    (True, True)
    """
    if key not in QUIZZES:
        raise ConfigError(f"key must be one of {sorted(QUIZZES)}, got {key!r}")
    lang = _lang(lang)
    question, options, answer, explanation = QUIZZES[key][lang]
    inner = teaching.quiz(question, options, answer, explanation, lang=lang)
    box = _FlagQuiz(children=[inner])
    box.verdict = inner.verdict
    items = "".join(f"<li>{html.escape(o)}</li>" for o in options)
    box.static_html = f"<p><b>{html.escape(question)}</b></p><ol type='A'>{items}</ol>" + _details(
        _t("answer", lang), f"{chr(65 + answer)}. {options[answer]} {explanation}"
    )
    return box


#: The code exercise: name -> (cases, hint by language).
CHECKS: dict[str, tuple[list[tuple[tuple[Any, ...], Any]], dict[str, str]]] = {
    "growth": (
        [
            ((0.005, 365), 1.005**365),
            ((0.01, 100), 1.01**100),
            ((0.0, 50), 1.0),
            ((0.02, 1), 1.02),
        ],
        {
            "en": "money grows by the factor (1 + daily_rate) each day: use ** days.",
            "zh": "钱每天乘以 (1 + daily_rate)：用 ** days 计算。",
        },
    ),
}


def lesson_check(name: str, function: Any, *, lang: str | None = None) -> teaching.CheckReport:
    """Run the cases of exercise ``name`` (see :data:`CHECKS`) on ``function``.

    Examples
    --------
    >>> lesson_check("growth", lambda r, d: (1 + r) ** d, lang="en").passed
    True
    >>> lesson_check("growth", lambda r, d: 1 + r * d, lang="en").n_passed
    2
    """
    if name not in CHECKS:
        raise ConfigError(f"name must be one of {sorted(CHECKS)}, got {name!r}")
    cases, hint = CHECKS[name]
    return teaching.check(function, cases, hint=hint, lang=_lang(lang), rel_tol=1e-6)


show_figures_inline()
