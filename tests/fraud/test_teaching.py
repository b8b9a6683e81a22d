"""The helpers of the Ponzi and pyramid lesson (chainsim.fraud.teaching)."""

from __future__ import annotations

import base64
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from chainsim.errors import ConfigError
from chainsim.fraud import (
    compare_schemes,
    compound_growth,
    days_until_saturation,
    loss_share,
    summary_sentence,
)
from chainsim.fraud import teaching as ft

LANGS = ("en", "zh")


# --------------------------------------------------------------------------- contract


def test_chain_contract_pays_in_order_of_joining_exactly() -> None:
    table = ft.chain_contract([1.0, 2.0, 1.0, 4.0, 1.0], multiplier=2.0)
    # balance after each deposit: 1 -> 3 (pay #1: 2, left 1) -> 2 -> 6 (pay #2: 4,
    # left 2; #3 needs 2: pay, left 0) -> 1
    assert table["paid_out"].tolist() == [2.0, 4.0, 2.0, 0.0, 0.0]
    assert table["net"].tolist() == [1.0, 2.0, 1.0, -4.0, -1.0]
    assert table.attrs["balance"] == 1.0
    assert table["investor"].tolist() == [1, 2, 3, 4, 5]


@settings(max_examples=60, deadline=None)
@given(
    deposits=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=40),
    multiplier=st.floats(1.01, 5.0),
)
def test_chain_contract_conserves_coins_and_the_last_investor_loses(
    deposits: list[float], multiplier: float
) -> None:
    table = ft.chain_contract(deposits, multiplier)
    assert math.isclose(
        sum(deposits), table["paid_out"].sum() + table.attrs["balance"], rel_tol=1e-9
    )
    paid = (table["paid_out"] > 0).to_numpy()
    assert not np.any(paid[1:] & ~paid[:-1]), "payouts must go to a prefix, in order"
    assert table["net"].iloc[-1] < 0, "nobody is left to pay the newest investor"
    assert table["paid_out"][paid].tolist() == pytest.approx(
        [multiplier * d for d, p in zip(deposits, paid, strict=True) if p]
    )


def test_chain_contract_rejects_bad_input() -> None:
    with pytest.raises(ConfigError, match="deposits must all be finite and > 0"):
        ft.chain_contract([1.0, -2.0])
    with pytest.raises(ConfigError, match="multiplier must be a finite number > 0, got nan"):
        ft.chain_contract([1.0], multiplier=float("nan"))


def test_contract_source_is_the_rule_that_runs() -> None:
    source = ft.contract_source()
    assert source.startswith("paid_out = [0.0]") and "next_in_line" in source
    scope = {"paid_in": [1.0, 1.0, 1.0], "multiplier": 1.5}
    exec(compile(source, "contract", "exec"), scope)  # the shown code alone reproduces it
    assert scope["paid_out"] == ft.chain_contract([1.0, 1.0, 1.0], 1.5)["paid_out"].tolist()


def test_contract_deposits_are_seeded_and_bounded() -> None:
    a, b = ft.contract_deposits(50, seed=3), ft.contract_deposits(50, seed=3)
    assert a == b and a != ft.contract_deposits(50, seed=4)
    assert all(1.0 <= x <= 10.0 for x in a)
    with pytest.raises(ConfigError, match="n_investors must be a whole number >= 1, got 0"):
        ft.contract_deposits(0)


def test_plot_contract_colours_losers_and_counts_them() -> None:
    table = ft.chain_contract([1.0] * 7, multiplier=2.0)
    fig = ft.plot_contract(table, 2.0, lang="zh")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "7 名投资者，承诺 2 倍：3 人拿到钱，4 人亏损"
    in_bars, out_bars = ax.containers[0], ax.containers[1]
    assert [bar.get_height() for bar in out_bars] == table["paid_out"].tolist()
    assert [bar.get_height() for bar in in_bars] == table["paid_in"].tolist()
    orange = [to_hex(bar.get_facecolor()) == "#d55e00" for bar in in_bars]
    assert orange == (table["paid_out"] == 0).tolist()  # the unpaid investors stand out


# --------------------------------------------------------------------------- red flags


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("offer", list(ft.OFFERS))
def test_each_offer_has_its_right_answer(offer: str, lang: str) -> None:
    flags = ft.OFFERS[offer]["flags"]
    assert flags <= set(ft.RED_FLAGS)
    ok, message = ft.grade_red_flags(offer, flags, lang=lang)
    assert ok and message.startswith("✔")
    assert ft.OFFERS[offer][lang].strip()


def test_offers_cover_every_flag_and_one_honest_offer() -> None:
    seen = set().union(*(o["flags"] for o in ft.OFFERS.values()))
    assert seen == set(ft.RED_FLAGS)
    assert [k for k, o in ft.OFFERS.items() if not o["flags"]] == ["money-fund"]


def test_grading_names_missed_and_extra_flags() -> None:
    ok, message = ft.grade_red_flags("token-app", ["guaranteed", "recruiting"], lang="en")
    assert not ok
    assert "You missed: trouble withdrawing" in message
    assert "Not in this offer: pay for recruiting new members." in message
    ok, message = ft.grade_red_flags("money-fund", ["guaranteed"], lang="zh")
    assert not ok and "这则广告里其实没有：保证高收益" in message and "漏掉" not in message
    with pytest.raises(ConfigError, match="chosen must hold red flags"):
        ft.grade_red_flags("money-fund", ["greed"])
    with pytest.raises(ConfigError, match="offer must be one of"):
        ft.grade_red_flags("madoff", [])


def test_red_flag_quiz_gives_feedback_on_click_and_renders_statically() -> None:
    quiz = ft.red_flag_quiz("cloud-mining", lang="en")
    assert quiz.feedback.value == ""
    quiz.button.click()
    assert "✘" in quiz.feedback.value and "You missed" in quiz.feedback.value
    for box in quiz.boxes.values():
        box.value = True
    quiz.button.click()
    assert "✔ Right: 5 red flag(s)." in quiz.feedback.value
    data = quiz._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert "CloudHash Global" in data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in data


# --------------------------------------------------------------------------- quizzes, checks


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("key", list(ft.QUIZZES))
def test_lesson_quizzes_accept_only_the_right_option(key: str, lang: str) -> None:
    quiz = ft.lesson_quiz(key, lang=lang)
    _, options, answer, _ = ft.QUIZZES[key][lang]
    assert len(options) == len(ft.QUIZZES[key]["en"][1])
    for index in range(len(options)):
        assert quiz.verdict(index).startswith("✔" if index == answer else "✘")


def test_compound_quiz_numbers_match_the_closed_form() -> None:
    assert round(10_000 * compound_growth(0.005, 365), -2) == 61_700
    assert round(10_000 * (1 + 0.005 * 365)) == 28_250
    assert "61,700" in ft.QUIZZES["compound"]["en"][1][2]


def test_lesson_check_growth() -> None:
    assert ft.lesson_check("growth", lambda r, d: (1 + r) ** d, lang="en").passed
    report = ft.lesson_check("growth", lambda r, d: 1 + r * d, lang="zh")
    assert report.n_passed == 2 and "提示" in str(report)

    def stub(daily_rate: float, days: int) -> object:
        return ...

    assert not ft.lesson_check("growth", stub, lang="en").attempted
    with pytest.raises(ConfigError, match="name must be one of"):
        ft.lesson_check("nope", stub)


# --------------------------------------------------------------------------- runs, tables


@pytest.fixture(scope="module")
def runs() -> dict:
    return ft.compare_runs(seed=5, population=800)


def test_comparison_table_matches_the_metrics(runs: dict) -> None:
    raw = compare_schemes(runs)
    table = ft.comparison_table(runs, lang="en")
    assert table["participants"].tolist() == raw["n_participants"].tolist()
    assert table["share who lost money"].tolist() == [f"{100 * v:.1f} %" for v in raw["loss_share"]]
    assert table["collapse day"].iloc[0] == str(runs["pyramid-mlm"].collapse_day)
    assert table["collapse day"].iloc[1] == ""
    zh = ft.comparison_table(runs, lang="zh")
    assert zh.columns[0] == "模式" and zh["模式"].tolist() == [
        "带静态收益和动态收益的传销式骗局",
        "合法投资基金",
    ]


def test_outcome_shares_split_everyone(runs: dict) -> None:
    for res in runs.values():
        shares = ft.outcome_shares(res)
        assert math.isclose(sum(shares), 1.0)
        assert math.isclose(shares[0] + shares[1], loss_share(res))
    assert ft.outcome_shares(pd.DataFrame({"paid_in": [], "paid_out": []})) == (0.0, 0.0, 0.0)


def test_published_facts_same_numbers_in_both_languages() -> None:
    en, zh = ft.published_facts(lang="en"), ft.published_facts(lang="zh")
    assert en["value"].tolist() == zh["数值"].tolist()
    assert "2,693,494" in en["value"].tolist() and "3,293" in en["value"].tolist()
    assert all("Bartoletti" in s for s in en["source"][:2])
    assert not any(f == g for f, g in zip(en["fact"], zh["事实"], strict=True)), "untranslated"


# --------------------------------------------------------------------------- figures


def test_plot_join_day_titles_with_the_summary_sentence(runs: dict) -> None:
    res = runs["pyramid-mlm"]
    fig = ft.plot_join_day(res, lang="en")
    sentence = summary_sentence(res, language="en", include_outcome=True)
    assert fig.get_suptitle().replace("\n", " ") == sentence
    assert fig.axes[1].get_xlabel() == "Day joined"


def test_plot_promised_vs_held_draws_the_cashflow_columns(runs: dict) -> None:
    res = runs["pyramid-mlm"]
    ax = ft.plot_promised_vs_held(res, lang="en").axes[0]
    held = next(line for line in ax.lines if line.get_label() == "money the scheme holds")
    np.testing.assert_allclose(
        np.asarray(held.get_ydata(), dtype=float), res.cashflows["reserves"] / 1e6
    )


def test_plot_growth_marks_the_year_and_saturation() -> None:
    fig = ft.plot_growth(0.01, 365, lang="en")
    left, right = fig.axes
    texts = [t.get_text() for t in left.texts]
    assert texts == [f"after a year: x{compound_growth(0.01, 365):,.1f}"]
    full = days_until_saturation(0.01, 1_000 * 5_000.0, 1_000_000, 5_000.0)
    assert [t.get_text() for t in right.texts][-1] == f"day {math.ceil(full):,}: everyone recruited"
    assert (
        ft.plot_growth(0.0, 90, lang="zh").axes[0].get_title(loc="left") == "每天 0.0%，按复利计算"
    )
    with pytest.raises(ConfigError, match="days must be a whole number >= 1"):
        ft.plot_growth(0.01, 0)


def test_plot_comparison_has_both_schemes(runs: dict) -> None:
    fig = ft.plot_comparison(runs, lang="en")
    left, right = fig.axes
    legend = left.get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["Pyramid scheme with static and dynamic income", "Legitimate investment fund"]
    widths = [bar.get_width() for bar in right.patches if isinstance(bar, Rectangle)]
    assert math.isclose(sum(widths), 2.0)  # two bars of 100 % each


# --------------------------------------------------------------------------- panels


def _bundle(widget: object) -> dict:
    data = widget._repr_mimebundle_()  # type: ignore[attr-defined]
    return data[0] if isinstance(data, tuple) else data


def test_payoff_panel_starts_at_the_preset_run(capsys: pytest.CaptureFixture[str]) -> None:
    from chainsim.fraud import get_preset

    assert ft.LEVEL_RATES[:3] == get_preset("pyramid-mlm").commission_rates
    panel = ft.payoff_panel(seed=2, population=400, lang="en")
    fig = ft.plot_join_day(ft.run_scheme(seed=2, population=400), lang="en")
    from chainsim.teaching import figure_png

    assert panel.png == figure_png(fig)


def test_payoff_panel_redraws_and_has_a_static_png(capsys: pytest.CaptureFixture[str]) -> None:
    panel = ft.payoff_panel(seed=2, population=400, lang="en")
    first = panel.png
    assert panel.n_draws == 1 and first[:4] == b"\x89PNG"
    slider = panel.children[0].children[0]
    slider.value = 0.012
    assert panel.n_draws == 2 and panel.png != first
    assert base64.b64decode(_bundle(panel)["image/png"]) == panel.png


def test_growth_and_contract_panels_draw(capsys: pytest.CaptureFixture[str]) -> None:
    for panel in (ft.growth_panel(lang="zh"), ft.contract_panel(seed=1, lang="en")):
        assert panel.n_draws == 1 and "image/png" in _bundle(panel)
        panel.children[0].children[0].value = panel.children[0].children[0].max
        assert panel.n_draws == 2


def test_scheme_explorer_falls_back_to_a_figure_and_reports_bad_input() -> None:
    box = ft.scheme_explorer(seed=1, lang="zh", population=500)
    data = _bundle(box)
    assert base64.b64decode(data["image/png"])[:4] == b"\x89PNG"
    assert "500" in data["text/html"] and '<img src="data:image/png;base64,' in data["text/html"]
    bad = ft.scheme_explorer(lang="en", daily_return=-0.5, population=500)
    assert "daily_return must be >= 0" in bad.inner.last_error


def test_language_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINSIM_LANG", "zh")
    assert ft.plot_growth(0.005, 100).axes[1].get_xlabel() == "天数"
    with pytest.raises(ConfigError, match="lang must be one of"):
        ft.plot_growth(0.005, 100, lang="fr")


def test_static_pages_show_the_quizzes_with_collapsed_answers() -> None:
    flags = _bundle(ft.red_flag_quiz("money-fund", lang="en"))["text/html"]
    assert "<details><summary>Answer</summary>none</details>" in flags
    zh = _bundle(ft.red_flag_quiz("token-app", lang="zh"))["text/html"]
    assert "保证高收益" in zh.split("<details>")[1] and "拉人头" not in zh.split("<details>")[1]
    quiz = _bundle(ft.lesson_quiz("losses", lang="en"))["text/html"]
    assert "<details><summary>Answer</summary>B. The participants themselves" in quiz
    assert "application/vnd.jupyter.widget-view+json" in _bundle(ft.lesson_quiz("losses"))


def test_figures_display_inline_only_inside_ipython() -> None:
    assert ft.show_figures_inline() is False  # plain pytest: no IPython shell
