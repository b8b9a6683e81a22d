"""chainsim.widgets panels driven without a browser: change a control, check the model.

The widgets are real ipywidgets objects; setting ``slider.value`` runs the same
callback a visitor's slider move runs in Voila.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import pytest

from chainsim import widgets
from chainsim.errors import ConfigError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

fraud = pytest.importorskip("chainsim.fraud")


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
