"""Drawings of scheme runs (matplotlib, imported only when a function is called).

``import chainsim.fraud`` never imports matplotlib; these functions do, on first call.
The over-time chart (members, reserves, winners and losers) is
:func:`chainsim.plotting.plot_scheme`; :func:`plot_scheme_results` feeds it a run.
:func:`plot_payoff_by_join_day` draws the "when did you join?" curve.

Examples
--------
>>> from chainsim.fraud import get_preset, simulate_scheme
>>> res = simulate_scheme(get_preset("ponzi-classic", population=500), seed=1)
>>> ax = plot_payoff_by_join_day(res)
>>> ax.get_xlabel(), ax.get_ylabel()
('Day joined', 'Money back per ¥1 paid in (median)')
>>> axes = plot_scheme_results(res)
>>> len(axes)
3
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chainsim.errors import ConfigError
from chainsim.fraud.engine import SchemeResults
from chainsim.fraud.metrics import LANGUAGES, payoff_by_join_day

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_payoff_by_join_day", "plot_scheme_results"]

_TEXT = {
    "en": {
        "x": "Day joined",
        "y": "Money back per ¥1 paid in (median)",
        "even": "got the deposit back",
        "collapse": "collapse",
        "exit": "operator ran off",
        "title": "When did you join?",
    },
    "zh": {
        "x": "加入的天数",
        "y": "每投入 1 元拿回的钱（中位数）",
        "even": "收回本金",
        "collapse": "崩盘",
        "exit": "运营者跑路",
        "title": "你是什么时候加入的？",
    },
}

_CJK = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei")


def _check(language: str) -> None:
    if language not in LANGUAGES:
        raise ConfigError(
            f"language must be one of {', '.join(repr(x) for x in LANGUAGES)}, got {language!r}"
        )


def _font_family(language: str) -> list[str] | None:
    if language != "zh":
        return None
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in _CJK if name in installed] + ["DejaVu Sans"]


def plot_payoff_by_join_day(
    results: SchemeResults,
    ax: Axes | None = None,
    *,
    language: str = "en",
    label: str | None = None,
    color: str | None = None,
) -> Axes:
    """The "when did you join?" curve: money back per yuan paid in, by join day.

    Each point is the median of ``paid_out / paid_in`` over the people who joined on
    that day: above 1 they gained, below 1 they lost, 0 means they got nothing back.
    Call again with the same ``ax`` (and a ``label``) to compare schemes.

    Parameters
    ----------
    results
        A run from :func:`~chainsim.fraud.simulate_scheme`.
    ax
        Where to draw; by default a new 390 x 300 px figure (a phone screen).
    language
        ``"en"`` or ``"zh"`` labels.
    label, color
        Legend label and line colour (for comparisons).

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check(language)
    if not isinstance(results, SchemeResults):
        raise ConfigError(f"expected SchemeResults, got {type(results).__name__}")
    from matplotlib.figure import Figure

    words = _TEXT[language]
    family = _font_family(language)
    if ax is None:
        fig = Figure(figsize=(3.9, 3.0), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        fresh = True
    else:
        fresh = not ax.lines
    curve = payoff_by_join_day(results)
    ax.plot(
        curve["join_day"],
        curve["median_return"] + 1.0,
        color=color or "#D55E00",
        linewidth=1.6,
        label=label,
    )
    font: dict[str, Any] = {"fontfamily": family} if family else {}
    if fresh:
        ax.axhline(1.0, color="#999999", linewidth=1.0, linestyle=":")
        ax.annotate(
            words["even"],
            xy=(0.99, 1.0),
            xycoords=("axes fraction", "data"),
            ha="right",
            va="bottom",
            fontsize="x-small",
            color="#666666",
            **font,
        )
        ax.set_xlabel(words["x"], fontsize="small", **font)
        ax.set_ylabel(words["y"], fontsize="small", **font)
        ax.set_title(words["title"], fontsize="small", loc="left", **font)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3, linewidth=0.5)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    if results.collapse_day is not None:
        key = "exit" if results.outcome == "operator-exit" else "collapse"
        ax.axvline(results.collapse_day, color=color or "#D55E00", linestyle="--", linewidth=1)
        ax.annotate(
            words[key],
            xy=(results.collapse_day, 0.98),
            xycoords=("data", "axes fraction"),
            ha="right",
            va="top",
            rotation=90,
            fontsize="x-small",
            color=color or "#D55E00",
            **font,
        )
    if label is not None:
        prop: dict[str, Any] = {"size": "x-small"}
        if family:
            prop["family"] = family
        ax.legend(frameon=False, prop=prop)
    return ax


def plot_scheme_results(
    results: SchemeResults, *, language: str = "en", axes: Any = None
) -> list[Axes]:
    """Members, reserves, winners and losers over time for a run.

    A thin wrapper over :func:`chainsim.plotting.plot_scheme` that passes the run's
    collapse day and whether the operator ran off.
    """
    _check(language)
    if not isinstance(results, SchemeResults):
        raise ConfigError(f"expected SchemeResults, got {type(results).__name__}")
    from chainsim.plotting import plot_scheme

    return plot_scheme(
        results.cashflows,
        collapse_day=results.collapse_day,
        axes=axes,
        operator_exit=results.outcome == "operator-exit",
        language=language,
    )
