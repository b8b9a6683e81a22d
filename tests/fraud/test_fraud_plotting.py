"""The scheme drawings (matplotlib, Agg)."""

from __future__ import annotations

import numpy as np
import pytest

from chainsim.errors import ConfigError
from chainsim.fraud import get_preset, payoff_by_join_day, simulate_scheme
from chainsim.fraud.plotting import plot_payoff_by_join_day, plot_scheme_results


def test_payoff_curve_draws_the_median_return_and_compares_schemes() -> None:
    ponzi = simulate_scheme(get_preset("ponzi-classic", population=1000), seed=2)
    fund = simulate_scheme(get_preset("legitimate-fund", population=1000), seed=2)
    ax = plot_payoff_by_join_day(ponzi, label="Ponzi")
    plot_payoff_by_join_day(fund, ax=ax, label="fund")
    curve = payoff_by_join_day(ponzi)
    first = ax.lines[0]
    np.testing.assert_allclose(first.get_xdata(), curve["join_day"])
    np.testing.assert_allclose(first.get_ydata(), curve["median_return"] + 1.0)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Ponzi", "fund"]
    assert ax.get_xlabel() == "Day joined"


def test_payoff_curve_in_chinese_and_bad_language() -> None:
    res = simulate_scheme(get_preset("ponzi-exit-scam", population=500), seed=1)
    ax = plot_payoff_by_join_day(res, language="zh")
    assert ax.get_xlabel() == "加入的天数"
    assert any(t.get_text() == "运营者跑路" for t in ax.texts)
    with pytest.raises(ConfigError, match="language must be one of 'en', 'zh', got 'xx'"):
        plot_payoff_by_join_day(res, language="xx")


def test_scheme_results_wrapper_marks_the_collapse() -> None:
    res = simulate_scheme(get_preset("ponzi-classic", population=500), seed=1)
    axes = plot_scheme_results(res)
    assert len(axes) == 3
    assert str(res.collapse_day) in axes[0].get_title(loc="right")
