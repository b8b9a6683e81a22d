"""Lesson helpers: language, fonts, panels, figures, exercises and their feedback."""

from __future__ import annotations

import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim import teaching
from chainsim.errors import ConfigError
from chainsim.results import Results

GENESIS_HASH = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINSIM_LANG", "en")


# --------------------------------------------------------------------------- language


def test_language_comes_from_the_nearest_en_or_zh_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINSIM_LANG")
    assert teaching.lesson_language("/repo/courses/zh/01-crypto") == "zh"
    assert teaching.lesson_language("/repo/book/en/lessons/03-mining") == "en"
    assert teaching.lesson_language("/zh/courses/en/x") == "en"
    assert teaching.lesson_language("/tmp/elsewhere") == "en"


def test_language_environment_variable_wins_and_is_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAINSIM_LANG", "zh")
    assert teaching.lesson_language("/repo/courses/en") == "zh"
    monkeypatch.setenv("CHAINSIM_LANG", "fr")
    with pytest.raises(ConfigError, match="CHAINSIM_LANG must be one of"):
        teaching.lesson_language()


def test_every_label_exists_in_both_languages() -> None:
    for key, labels in teaching._TEXT.items():
        assert set(labels) == {"en", "zh"}, key
    assert teaching.text("correct", "zh") == "正确。"
    with pytest.raises(ConfigError, match="text key must be one of"):
        teaching.text("no-such-key", "en")
    with pytest.raises(ConfigError, match="lang must be one of"):
        teaching.text("correct", "de")


def test_quizzes_exist_in_both_languages_with_the_same_answer() -> None:
    for key, by_lang in teaching.QUIZZES.items():
        assert set(by_lang) == {"en", "zh"}, key
        (_, en_options, en_answer, _), (_, zh_options, zh_answer, _) = by_lang["en"], by_lang["zh"]
        assert len(en_options) == len(zh_options) and en_answer == zh_answer


# --------------------------------------------------------------------------- fonts


def test_cjk_font_is_a_fallback_after_the_latin_font() -> None:
    families = teaching.use_cjk_fonts()
    assert matplotlib.rcParams["font.family"] == families
    assert families[0] == "DejaVu Sans" and families[-1] == "sans-serif"
    installed = {f.name for f in matplotlib.font_manager.fontManager.ttflist}
    if "Noto Sans CJK SC" in installed:
        assert families[1] == "Noto Sans CJK SC"


def test_chinese_figures_have_every_glyph() -> None:
    installed = {f.name for f in matplotlib.font_manager.fontManager.ttflist}
    if not set(teaching.CJK_FONTS) & installed:
        pytest.skip("no CJK font installed (make test installs fonts-noto-cjk)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
        teaching.figure_png(teaching.plot_avalanche("你好", 3, n_trials=20, lang="zh"))
        teaching.figure_png(teaching.plot_header_hash(1, 1231006505, lang="zh"))
        ax = teaching.plot_block_times(np.array([1.0, 2.0, 5.0]), 3.0, lang="zh")
        teaching.figure_png(ax.figure)


# --------------------------------------------------------------------------- hashing


@given(st.binary(min_size=1, max_size=40), st.data())
@settings(max_examples=50, deadline=None)
def test_flipping_a_bit_twice_restores_the_data(data: bytes, draw: st.DataObject) -> None:
    bit = draw.draw(st.integers(0, 8 * len(data) - 1))
    once = teaching.flip_bit(data, bit)
    assert teaching.bit_difference(data, once) == 1
    assert teaching.flip_bit(once, bit) == data


def test_flip_bit_rejects_bits_outside_the_data() -> None:
    with pytest.raises(ConfigError, match=r"bit must be an integer in \[0, 15\], got 16"):
        teaching.flip_bit(b"ab", 16)
    with pytest.raises(ConfigError, match="len"):
        teaching.bit_difference(b"a", b"ab")


def test_avalanche_changes_about_half_of_the_bits_and_repeats_with_its_seed() -> None:
    counts = teaching.avalanche_counts("Hello, blockchain!", 400, seed=3)
    # Binomial(256, 1/2): mean 128, sd 8; the mean of 400 trials has sd 0.4.
    assert abs(counts.mean() - 128) < 3
    assert 5 < counts.std() < 11
    assert np.array_equal(counts, teaching.avalanche_counts("Hello, blockchain!", 400, seed=3))
    assert not np.array_equal(counts, teaching.avalanche_counts("Hello, blockchain!", 400, seed=4))
    with pytest.raises(ConfigError, match="message must be non-empty"):
        teaching.avalanche_counts("", 10, seed=1)
    with pytest.raises(ConfigError, match="n_trials"):
        teaching.avalanche_counts("x", 0, seed=1)


def test_genesis_header_hashes_to_the_real_genesis_hash() -> None:
    genesis = teaching.genesis_header()
    assert genesis.hash_hex() == GENESIS_HASH
    assert genesis.check_pow()
    assert teaching.leading_zero_bits(GENESIS_HASH) == 43
    assert not teaching.genesis_header(nonce=genesis.nonce + 1).check_pow()


def test_header_figure_says_valid_only_for_the_real_nonce() -> None:
    real = teaching.GENESIS_FIELDS
    ok = teaching.plot_header_hash(real["nonce"], real["time"], lang="en")
    bad = teaching.plot_header_hash(real["nonce"] + 1, real["time"], lang="en")
    assert ok.axes[0].get_xlabel() == "valid proof of work"
    assert bad.axes[0].get_xlabel() == "not valid: hash above the target"
    assert GENESIS_HASH[:32] in ok.axes[0].get_title()


# --------------------------------------------------------------------------- panels


def test_panel_redraws_on_change_and_carries_a_static_png() -> None:
    calls: list[int] = []

    def draw(n: int) -> matplotlib.figure.Figure:
        calls.append(n)
        ax = teaching.new_axes()
        ax.plot(range(n))
        return ax.figure

    knob = teaching.slider(3, 1, 10, 1, "n", integer=True)
    assert knob.continuous_update is False
    box = teaching.panel(draw, {"n": knob})
    assert calls == [3] and box.png.startswith(b"\x89PNG")
    first = box.png
    knob.value = 7
    assert calls == [3, 7] and box.n_draws == 2 and box.png != first
    bundle = box._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "image/png" in data and isinstance(data["image/png"], str)


def test_tamper_panel_shows_the_chain_and_follows_its_controls() -> None:
    box = teaching.tamper_panel(n_blocks=4, seed=1)
    dropdown, checkbox = box.children[0].children
    before = box.png
    dropdown.value = 2
    broken = box.png
    checkbox.value = True
    assert len({before, broken, box.png}) == 3


# --------------------------------------------------------------------------- chains


def test_tampering_breaks_the_block_and_the_next_link_and_remining_repairs() -> None:
    from chainsim.ledger import validate_chain

    assert validate_chain(teaching.tampered_chain(5, -1, False, seed=2)).ok
    report = validate_chain(teaching.tampered_chain(5, 1, False, seed=2))
    assert report.broken_blocks == (1, 2)
    rows = teaching.chain_rows(teaching.tampered_chain(5, 1, False, seed=2), report)
    assert [r["meets_target"] for r in rows] == [True, False, True, True, True]
    assert [r["links_ok"] for r in rows] == [True, True, False, True, True]
    assert validate_chain(teaching.tampered_chain(5, 1, True, seed=2)).ok
    with pytest.raises(ConfigError, match="n_blocks"):
        teaching.tampered_chain(1, -1, False, seed=2)
    with pytest.raises(ConfigError, match="tampered"):
        teaching.tampered_chain(3, 3, False, seed=2)


# --------------------------------------------------------------------------- simulation


def test_block_intervals_are_sorted_differences() -> None:
    blocks = pd.DataFrame({"block_id": [0, 1, 2, 3], "t_mined_s": [0.0, 9.0, 4.0, 10.0]})
    assert teaching.block_intervals(Results(blocks=blocks)).tolist() == [4.0, 5.0, 1.0]


def test_block_time_figure_reports_the_mean_and_the_long_gaps() -> None:
    ax = teaching.plot_block_times(np.array([10.0, 20.0, 30.0, 100.0]), 20.0, lang="en")
    assert ax.get_title() == "4 blocks: mean 40 s (T = 20 s); longer than 2T: 25%"


def test_stale_rate_sweep_rises_as_the_interval_shrinks() -> None:
    import chainsim
    from chainsim.analysis import stale_rate_estimate

    config = chainsim.get_scenario("teaching")
    table = teaching.stale_rate_sweep(config, [600.0, 2.0], seed=5, n_blocks=200)
    assert list(table.columns) == [
        "block_interval_s",
        "n_blocks",
        "n_stale",
        "stale_rate",
        "ci_low",
        "ci_high",
        "delay_s",
        "theory",
    ]
    slow, fast = table.to_dict("records")
    assert fast["stale_rate"] > slow["stale_rate"]
    assert fast["n_stale"] >= 10
    for row in (slow, fast):
        assert row["ci_low"] <= row["stale_rate"] <= row["ci_high"]
        assert row["theory"] == pytest.approx(
            stale_rate_estimate(row["delay_s"], row["block_interval_s"])
        )
    # Same seed, same table: the runs are cached and reproducible.
    again = teaching.stale_rate_sweep(config, [600.0, 2.0], seed=5, n_blocks=200)
    pd.testing.assert_frame_equal(table, again)


def test_simulation_panels_draw_a_figure() -> None:
    import chainsim

    config = chainsim.get_scenario("teaching")
    for make in (teaching.block_time_panel, teaching.propagation_panel, teaching.fork_panel):
        box = make(config, seed=1)
        assert box.png.startswith(b"\x89PNG") and box.n_draws == 1


# --------------------------------------------------------------------------- feedback


def test_check_reports_passes_failures_errors_and_untouched_stubs() -> None:
    cases = [((1,), 2), ((2,), 4), ((0.1,), 0.2)]
    assert teaching.check(lambda x: 2 * x, cases, lang="en").passed

    report = teaching.check(lambda x: x + 1, cases, hint="double it", lang="en")
    assert not report.passed and report.n_passed == 1
    assert "<lambda>(2) returned 3, expected 4" in str(report)
    assert "Hint: double it" in str(report)

    def boom(x: int) -> int:
        raise ZeroDivisionError("no")

    assert "raised ZeroDivisionError('no')" in str(teaching.check(boom, cases, lang="en"))

    def stub(x: int) -> object:
        return ...

    untouched = teaching.check(stub, cases, lang="zh")
    assert not untouched.attempted and not untouched.passed
    assert str(untouched).startswith("… 还没有作答")


def test_the_lesson_exercises_are_solvable_and_their_stubs_are_not_yet_attempted() -> None:
    solutions = {
        "meets_target": lambda hash_hex, target: int(hash_hex, 16) <= target,
        "expected_stale_rate": lambda d, t: 1 - math.exp(-d / t),
    }
    assert set(solutions) == set(teaching.CHECKS)
    for name, solution in solutions.items():
        assert teaching.lesson_check(name, solution, lang="en").passed, name
        assert not teaching.lesson_check(name, lambda *a: ..., lang="en").attempted
    off_by_one = teaching.lesson_check("meets_target", lambda h, t: int(h, 16) < t, lang="en")
    assert not off_by_one.passed and "equal counts as valid" in str(off_by_one)
    with pytest.raises(ConfigError, match="name must be one of"):
        teaching.lesson_check("nope", print)


def test_quiz_answers_immediately() -> None:
    box = teaching.quiz("2 + 2?", ["3", "4"], 1, "Arithmetic.", lang="en")
    choices, feedback = box.children[1], box.children[2]
    assert feedback.value == "Choose an answer."
    choices.value = "3"
    assert feedback.value.startswith("✘")
    choices.value = "4"
    assert feedback.value == "✔ Correct. Arithmetic."
    bundle = box._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "<li>4</li>" in data["text/html"]
    with pytest.raises(ConfigError, match="answer must be an index"):
        teaching.quiz("?", ["a"], 1)
    with pytest.raises(ConfigError, match="options"):
        teaching.quiz("?", [], 0)


def test_lesson_quizzes_render_in_both_languages() -> None:
    for key in teaching.QUIZZES:
        for lang in ("en", "zh"):
            box = teaching.lesson_quiz(key, lang=lang)
            answer = teaching.QUIZZES[key][lang][2]
            assert box.verdict(answer).startswith("✔")
    with pytest.raises(ConfigError, match="key must be one of"):
        teaching.lesson_quiz("nope")
