"""chainsim.widgets panels driven without a browser: change a control, check the model.

The widgets are real ipywidgets objects; setting ``slider.value`` runs the same
callback a visitor's slider move runs in Voila.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsim import ledger, widgets
from chainsim.errors import ConfigError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- the base panel ----------------------------------------------------------------------


class _Echo(widgets.Panel):
    """A minimal panel: the figure bytes encode the slider value; 13 is 'bad'."""

    def __init__(self, fail_with: type[Exception] | None = None) -> None:
        super().__init__(title="echo")
        self.fail_with = fail_with
        self.slider = W.IntSlider(value=1, min=0, max=20)
        self._finish([self._row([self._styled(self.slider)])], [self.slider])

    def _compute(self) -> tuple[bytes, str]:
        if self.slider.value == 13:
            if self.fail_with is ConfigError:
                raise ConfigError("n must not be 13, got 13")
            raise RuntimeError("internal detail that must not reach a visitor")
        return PNG_MAGIC + bytes([self.slider.value]), f"n = {self.slider.value}"


def test_panel_redraws_on_change_and_reports_errors_without_raising() -> None:
    panel = _Echo(fail_with=ConfigError)
    assert panel.n_updates == 1 and panel.figure.value == PNG_MAGIC + b"\x01"
    panel.slider.value = 5
    assert panel.n_updates == 2 and panel.figure.value == PNG_MAGIC + b"\x05"
    assert panel.summary.value == "n = 5"
    panel.slider.value = 13  # refused: message shown, last good figure kept
    assert panel.n_updates == 2
    assert "n must not be 13" in panel.message.value
    assert panel.figure.value == PNG_MAGIC + b"\x05"
    panel.slider.value = 6  # a good value clears the message
    assert panel.message.value == "" and panel.last_error == ""


def test_unexpected_errors_become_a_short_apology() -> None:
    panel = _Echo(fail_with=RuntimeError)
    panel.slider.value = 13
    assert "Sorry" in panel.last_error
    assert "internal detail" not in panel.message.value
    assert "Traceback" not in panel.message.value


def test_messages_are_html_escaped() -> None:
    panel = _Echo()
    panel.show_error("<script>alert(1)</script>")
    assert "<script>" not in panel.message.value
    assert "&lt;script&gt;" in panel.message.value


def test_panel_rejects_unknown_language() -> None:
    with pytest.raises(ConfigError, match="language"):
        widgets.fraud_panel(language="fr")


# -- the fraud demo ----------------------------------------------------------------------


def _small(**kw: Any) -> widgets.FraudPanel:
    return widgets.fraud_panel(population=2_000, **kw)


def test_fraud_panel_first_draw() -> None:
    panel = _small()
    assert panel.last_error == ""
    assert panel.n_updates == 1
    assert bytes(panel.figure.value).startswith(PNG_MAGIC)
    assert "Of 2,000 participants" in panel.summary.value
    res = panel.results
    assert len(res.participants) == 2_000
    assert res.config.commission_rates == pytest.approx((0.1, 0.05, 0.025))


def test_fraud_return_slider_changes_the_run_and_the_figure() -> None:
    panel = _small()
    png0, summary0, cfg0 = panel.figure.value, panel.summary.value, panel.results.config
    panel.daily_return.value = 0.02
    assert panel.n_updates == 2
    assert panel.results.config.daily_return == pytest.approx(0.02)
    assert cfg0.daily_return == pytest.approx(0.005)
    assert panel.figure.value != png0
    assert panel.summary.value != summary0
    # a promise four times as high empties the reserves sooner
    assert panel.results.collapse_day is not None


def test_fraud_commission_and_recruitment_sliders_reach_the_config() -> None:
    panel = _small()
    panel.levels.value = 5
    panel.commission.value = 0.2
    panel.recruitment.value = 0.12
    cfg = panel.results.config
    assert cfg.commission_rates == pytest.approx((0.2, 0.1, 0.05, 0.025, 0.0125))
    assert cfg.contagion_rate == pytest.approx(0.12)
    assert panel.n_updates == 4


def test_fraud_switching_to_the_legitimate_fund() -> None:
    panel = _small()
    before = panel.n_updates
    panel.scheme.value = "legitimate-fund"
    assert panel.n_updates == before + 1  # one run for the whole preset, not one per slider
    assert panel.daily_return.disabled
    assert panel.levels.value == 0
    res = panel.results
    assert res.config.payout_rule == "asset-backed"
    assert not res.collapsed
    assert panel.last_error == ""


def test_fraud_impossible_settings_show_a_message_not_a_traceback() -> None:
    panel = _small()
    panel.scheme.value = "legitimate-fund"
    panel.levels.value = 2
    panel.operator_cut.value = 0.6
    good_png = bytes(panel.figure.value)
    panel.commission.value = 0.5  # 0.6 + 0.5 + 0.25 > 100 % of each deposit
    assert "operator_cut + sum(commission_rates) must be <= 1" in panel.last_error
    assert "Please check the settings" in panel.message.value
    assert bytes(panel.figure.value) == good_png
    panel.commission.value = 0.1  # back to a possible fund
    assert panel.last_error == "" and panel.message.value == ""


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"daily_return": -0.01}, "daily_return must be >= 0, got -0.01"),
        ({"operator_cut": 1.5}, "operator_cut must be <= 1"),
        ({"daily_retrun": 0.01}, "unknown parameter 'daily_retrun'"),
        ({"population": 10**7}, "population must be a whole number from 1 to 50,000"),
        ({"preset": "madoff"}, "unknown scheme preset 'madoff'"),
    ],
)
def test_fraud_bad_starting_values_are_reported_in_the_panel(
    kwargs: dict[str, Any], match: str
) -> None:
    kwargs = {"population": 2_000, **kwargs}
    panel = widgets.fraud_panel(**kwargs)
    assert match in panel.last_error
    assert bytes(panel.figure.value) == b""  # nothing drawn from settings that were refused


def test_fraud_bad_start_then_a_slider_move_recovers() -> None:
    panel = _small(daily_return=-0.01)
    assert panel.last_error
    panel.daily_return.value = 0.01
    assert panel.last_error == ""
    assert bytes(panel.figure.value).startswith(PNG_MAGIC)


def test_fraud_valid_start_beyond_the_slider_range_is_kept() -> None:
    panel = _small(daily_return=0.05)
    assert panel.daily_return.max >= 0.05
    assert panel.results.config.daily_return == pytest.approx(0.05)


def test_fraud_panel_in_chinese() -> None:
    panel = _small(language="zh")
    assert panel.daily_return.description == "承诺日收益"
    assert "名参与者中" in panel.summary.value
    bad = _small(language="zh", daily_return=-1.0)
    assert bad.last_error.startswith("请检查参数")


def test_fraud_same_settings_same_picture() -> None:
    a, b = _small(), _small()
    assert a.figure.value == b.figure.value
    c = _small(seed=2)
    assert c.figure.value != a.figure.value


# -- "Build a chain" ---------------------------------------------------------------------

EASY = ledger.EASY_BITS  # ~256 hashes a block: fast tests


def _chain(**kw: Any) -> widgets.ChainPanel:
    return widgets.chain_panel(5, bits=EASY, **kw)


def test_chain_starts_valid_and_editing_breaks_the_block_and_every_later_one() -> None:
    panel = _chain()
    assert panel.report().ok
    assert "All 5 blocks are valid" in panel.summary.value
    png0 = bytes(panel.figure.value)
    assert panel.block.value == 2
    panel.reward.value = round(panel.reward.value - 1.0, 2)  # the miner takes one coin less
    assert panel.report().broken_blocks == (2, 3, 4)
    assert panel.report().rules_by_block()[3] == ["proof-of-work"]  # re-linked, not mined
    assert "Blocks 2, 3, 4 are invalid" in panel.summary.value
    assert bytes(panel.figure.value) != png0
    # the slider shows coins to two decimals: 50.00001 coins (reward + fees) -> 49.00
    original = panel.original[2].transactions[0].outputs[0].value_sat
    expected = round((round(original / ledger.COIN, 2) - 1.0) * ledger.COIN)
    assert panel.blocks[2].transactions[0].outputs[0].value_sat == expected


def test_chain_remine_one_by_one_then_all() -> None:
    panel = _chain()
    panel.reward.value = round(panel.reward.value - 1.0, 2)
    png = bytes(panel.figure.value)
    panel.mine_next.click()  # the button a visitor clicks
    assert panel.report().broken_blocks == (3, 4)
    assert panel.hashes_spent > 0
    assert bytes(panel.figure.value) != png
    assert "hashes" in panel.summary.value
    assert panel.blocks[2].header.check_pow()
    assert panel.blocks[3].header.prev_hash == panel.blocks[2].hash_hex()
    panel.mine_all.click()
    assert panel.report().ok
    assert "All 5 blocks are valid" in panel.summary.value
    panel.mine_next.click()  # nothing left: a note, no error
    assert "Nothing left" in panel.summary.value and panel.last_error == ""


def test_chain_mining_cannot_fix_a_broken_rule() -> None:
    panel = _chain()
    panel.reward.value = round(panel.reward.value + 1.0, 2)  # pay oneself more than allowed
    assert panel.mine_all_invalid() == 3
    panel.refresh()
    rules = panel.report().rules_by_block()
    assert rules[2] == ["coinbase-too-large"]
    assert all("proof-of-work" not in r for r in rules.values())
    assert "Mining cannot fix" in panel.summary.value


def test_chain_choosing_another_block_does_not_edit() -> None:
    panel = _chain()
    n = panel.n_updates
    panel.block.value = 3
    assert panel.n_updates == n and panel.report().ok
    coins = panel.original[3].transactions[0].outputs[0].value_sat / ledger.COIN
    assert panel.reward.value == pytest.approx(round(coins, 2))
    panel.reward.value = round(panel.reward.value - 0.5, 2)
    assert panel.report().broken_blocks == (3, 4)


def test_chain_reset() -> None:
    panel = _chain()
    panel.reward.value = round(panel.reward.value - 1.0, 2)
    panel.mine_next.click()
    panel.reset.click()
    assert panel.report().ok and panel.hashes_spent == 0
    assert [b.hash_hex() for b in panel.blocks] == [b.hash_hex() for b in panel.original]


@pytest.mark.parametrize("n_blocks", [1, 9, 2.5])
def test_chain_bad_size_is_reported(n_blocks: Any) -> None:
    panel = widgets.chain_panel(n_blocks, bits=EASY)
    assert "n_blocks must be a whole number from 2 to 8" in panel.last_error
    assert bytes(panel.figure.value) == b""
    panel.mine_next.click()  # buttons on a refused panel do nothing harmful
    assert panel.last_error


def test_chain_in_chinese_at_teaching_difficulty() -> None:
    panel = widgets.chain_panel(3, language="zh")  # TEACHING_BITS: ~65,536 hashes a block
    assert panel.reward.description == "区块奖励（币）"
    assert all(b.hash_hex().startswith("0000") for b in panel.blocks)
    panel.block.value = 1
    panel.reward.value = round(panel.reward.value - 1.0, 2)
    assert "区块 1, 2 无效" in panel.summary.value
    panel.mine_all.click()
    assert panel.report().ok


# -- "Forks under delay" -----------------------------------------------------------------


def test_forks_first_run_and_config() -> None:
    panel = widgets.forks_panel()
    assert panel.last_error == ""
    cfg = panel.config()
    assert cfg.mining.block_interval_s == 10.0
    assert cfg.network.latency_ms == pytest.approx(1000.0)
    assert cfg.network.n_nodes == widgets.FORKS_NETWORK["n_nodes"]
    blocks = panel.results.blocks
    assert (blocks["block_id"] > 0).sum() == widgets.FORKS_NETWORK["n_blocks"]
    assert 0.0 <= panel.stale_rate <= 1.0
    assert "stale rate" in panel.summary.value


def test_forks_sliders_rerun_the_simulation() -> None:
    panel = widgets.forks_panel(10.0, 1.0)
    png, stale = bytes(panel.figure.value), panel.stale_rate
    panel.delay.value = 5.0
    assert panel.results.meta["config"]["network"]["latency_ms"] == pytest.approx(5000.0)
    assert bytes(panel.figure.value) != png
    assert panel.stale_rate > stale  # same seed, slower links: more stale blocks
    panel.interval.value = 600.0
    panel.delay.value = 0.05
    assert panel.stale_rate < 0.1


def test_forks_more_stale_blocks_when_blocks_come_fast_on_a_slow_network() -> None:
    fast_slow = widgets.forks_panel(2.0, 5.0).stale_rate
    slow_fast = widgets.forks_panel(600.0, 0.05).stale_rate
    assert fast_slow > 0.3 > slow_fast


def test_forks_run_again_uses_the_next_seed() -> None:
    panel = widgets.forks_panel(5.0, 2.0, seed=3)
    png = bytes(panel.figure.value)
    panel.rerun.click()
    assert panel.seed == 4 and panel.results.seed == 4
    assert bytes(panel.figure.value) != png


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"block_interval_s": -1.0}, "block_interval_s must be one of"),
        ({"delay_s": 1e6}, "delay_s must be one of"),
    ],
)
def test_forks_bad_start_is_reported(kwargs: dict[str, Any], match: str) -> None:
    panel = widgets.forks_panel(**kwargs)
    assert match in panel.last_error
    panel.interval.value = 20.0  # any move recovers with valid settings
    assert panel.last_error == ""


def test_forks_in_chinese() -> None:
    panel = widgets.forks_panel(language="zh")
    assert panel.interval.description == "出块间隔"
    assert "孤块率" in panel.summary.value


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    preset=st.sampled_from(["ponzi-classic", "pyramid-mlm", "ponzi-exit-scam", "legitimate-fund"]),
    daily_return=st.floats(0.0, 0.03),
    levels=st.integers(0, 10),
    commission=st.floats(0.0, 0.5),
    recruitment=st.floats(0.0, 0.3),
    operator_cut=st.floats(0.0, 0.59),
)
def test_fraud_any_slider_position_gives_a_figure_or_a_message(
    preset: str,
    daily_return: float,
    levels: int,
    commission: float,
    recruitment: float,
    operator_cut: float,
) -> None:
    panel = widgets.fraud_panel(preset, population=300)
    panel._loading_preset = True  # set every slider, then run the callback once
    panel.daily_return.value = daily_return
    panel.levels.value = levels
    panel.commission.value = commission
    panel.recruitment.value = recruitment
    panel._loading_preset = False
    panel.operator_cut.value = operator_cut + 1e-6  # a visitor's move: must not raise
    assert (panel.last_error == "") != ("chainsim-stale" in panel.figure._dom_classes)
    if panel.last_error:
        assert panel.last_error.startswith("Please check the settings: ")
        assert panel.summary.value == ""
    else:
        assert "participants" in panel.summary.value
