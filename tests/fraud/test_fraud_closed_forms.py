"""The closed forms, and the simulation agreeing with them where they apply."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainsim.errors import ConfigError
from chainsim.fraud import (
    SchemeConfig,
    break_even_days,
    compound_growth,
    days_to_double,
    days_until_saturation,
    promised_liabilities,
    required_growth_factor,
    required_inflow,
    required_recruits,
    simulate_scheme,
)


def _no_withdrawals(**changes: object) -> SchemeConfig:
    values: dict[str, object] = {
        "n_days": 400,
        "population": 100_000,
        "n_founders": 0,
        "recruitment": "fixed",
        "deposit_sigma": 0.0,
        "operator_cut": 0.0,
        "withdraw_prob": 0.0,
        "wind_up_at_end": False,
    }
    values.update(changes)
    return SchemeConfig(**values)  # type: ignore[arg-type]


def test_half_a_percent_a_day_is_about_six_times_a_year() -> None:
    assert compound_growth(0.005, 365) == pytest.approx(6.1747, abs=1e-4)
    assert compound_growth(0.005, 365) == pytest.approx(math.exp(365 * math.log(1.005)))
    assert compound_growth(0.0, 1000) == 1.0
    assert days_to_double(0.005) == pytest.approx(138.98, abs=0.01)
    assert compound_growth(0.005, days_to_double(0.005)) == pytest.approx(2.0)
    assert break_even_days(0.005) == 200
    assert break_even_days(0.003) == 334


def test_one_compounding_deposit_grows_like_the_formula() -> None:
    cfg = _no_withdrawals(daily_return=0.005, compounding=True)
    res = simulate_scheme(cfg, seed=0, arrivals=[(0, -1, 1000.0)])
    liabilities = res.cashflows["liabilities"].to_numpy()
    days = np.arange(len(liabilities))
    expected = np.array([1000.0 * compound_growth(0.005, int(d)) for d in days])
    np.testing.assert_allclose(liabilities, expected, rtol=1e-12)
    assert liabilities[365] / 1000.0 == pytest.approx(6.1747, abs=1e-4)
    assert (res.cashflows["reserves"] == 1000.0).all()  # the money never grew


@pytest.mark.parametrize("compounding", [True, False])
def test_fixed_arrivals_liabilities_match_closed_form(compounding: bool) -> None:
    # 7 members of ¥300 a day, no withdrawals: owed after day t is the closed form
    # for t + 1 days of inflow (the lock-up version: withdrawals allowed only later).
    cfg = _no_withdrawals(
        n_days=200,
        daily_return=0.004,
        compounding=compounding,
        arrivals_per_day=7,
        deposit_yuan=300.0,
        withdraw_prob=1.0,
        lockup_days=150,
    )
    res = simulate_scheme(cfg, seed=0)
    flows = res.cashflows
    d = 150  # no one may withdraw before day 150
    expected = [
        promised_liabilities(7 * 300.0, 0.004, t + 1, compounding=compounding) for t in range(d)
    ]
    np.testing.assert_allclose(flows["liabilities"].to_numpy()[:d], expected, rtol=1e-11)
    assert (flows["withdrawals"].to_numpy()[:d] == 0).all()
    assert flows["withdrawals"].iloc[d] > 0


def test_required_inflow_grows_geometrically() -> None:
    need = required_inflow(0.01, 1e6, 100, operator_cut=0.1, commission_total=0.2)
    g = required_growth_factor(0.01, operator_cut=0.1, commission_total=0.2)
    assert g == pytest.approx(1 + 0.01 / 0.7)
    np.testing.assert_allclose(need[1:] / need[:-1], g, rtol=1e-12)
    assert need[0] == pytest.approx(0.01 * 1e6 / 0.7)
    # cumulative need is principal * (g**T - 1): the principal grows by g a day
    assert need.sum() == pytest.approx(1e6 * (g**100 - 1))
    recruits = required_recruits(0.01, 1e6, 100, 5000.0, operator_cut=0.1, commission_total=0.2)
    np.testing.assert_allclose(recruits, need / 5000.0)
    t = days_until_saturation(0.01, 1e6, 10_000, 5000.0, operator_cut=0.1, commission_total=0.2)
    assert 1e6 * (g**t - 1) == pytest.approx(10_000 * 5000.0)


@pytest.mark.parametrize(
    ("rate", "cut", "commission"), [(0.01, 0.0, 0.0), (0.005, 0.15, 0.1), (0.02, 0.1, 0.3)]
)
def test_simulated_scheme_fed_exactly_the_required_inflow_keeps_its_reserves(
    rate: float, cut: float, commission: float
) -> None:
    # A founder holds ¥100,000; each day one newcomer, recruited by the founder, brings
    # exactly the closed-form requirement. Everyone takes all income out every day.
    days = 120
    p0 = 100_000.0
    need = required_inflow(rate, p0, days - 1, operator_cut=cut, commission_total=commission)
    arrivals = [(0, -1, p0)] + [(t, 0, float(need[t - 1])) for t in range(1, days)]
    cfg = SchemeConfig(
        n_days=days,
        daily_return=rate,
        commission_rates=(commission,) if commission else (),
        operator_cut=cut,
        withdraw_prob=1.0,
        withdraw_fraction=1.0,
        min_withdrawal_yuan=0.0,
        wind_up_at_end=False,
    )
    res = simulate_scheme(cfg, seed=0, arrivals=arrivals)
    flows = res.cashflows
    assert res.outcome == "running"
    np.testing.assert_allclose(flows["reserves"], (1 - cut) * p0, rtol=1e-9)
    # paid out each day: income on the principal so far plus that day's commission
    principal = p0 + np.concatenate([[0.0], np.cumsum(need)])[: days - 1]
    expected = rate * principal + commission * need
    np.testing.assert_allclose(flows["withdrawals"].to_numpy()[1:], expected, rtol=1e-9)
    # deposits grow geometrically, as the closed form says
    dep = flows["deposits"].to_numpy()[1:]
    np.testing.assert_allclose(
        dep[1:] / dep[:-1],
        required_growth_factor(rate, operator_cut=cut, commission_total=commission),
        rtol=1e-12,
    )


def test_a_constant_inflow_cannot_pay_a_growing_promise() -> None:
    # ¥1,000 a day comes in, exactly the first day's requirement; but each deposit is
    # owed 1 % a day too. Day t asks 1000 + 10 (t - 1) from 101,000 - 5 (t - 1)(t - 2):
    # the first day with t (t - 1) > 20,000 is day 142.
    rate, p0, days = 0.01, 100_000.0, 400
    first = float(required_inflow(rate, p0, 1)[0])
    assert first == pytest.approx(1000.0)
    arrivals = [(0, -1, p0)] + [(t, 0, first) for t in range(1, days)]
    cfg = SchemeConfig(
        n_days=days,
        daily_return=rate,
        operator_cut=0.0,
        withdraw_prob=1.0,
        min_withdrawal_yuan=0.0,
    )
    res = simulate_scheme(cfg, seed=0, arrivals=arrivals)
    assert res.outcome == "collapsed"
    assert res.collapse_day == 142
    assert np.all(np.diff(res.cashflows["reserves"].to_numpy()[1:]) < 0)


def test_closed_forms_reject_bad_input() -> None:
    with pytest.raises(ConfigError, match=r"daily_rate must be >= 0 and <= 1, got -0\.1"):
        compound_growth(-0.1, 10)
    with pytest.raises(ConfigError, match="days must be a whole number >= 0, got -3"):
        required_inflow(0.01, 100.0, -3)
    with pytest.raises(ConfigError, match="operator_cut \\+ commission_total must be < 1"):
        required_inflow(0.01, 100.0, 3, operator_cut=0.5, commission_total=0.5)
    with pytest.raises(ConfigError, match="daily_rate must be > 0"):
        break_even_days(0.0)
    with pytest.raises(ConfigError, match="daily_return must be a number"):
        required_growth_factor("high")  # type: ignore[arg-type]
