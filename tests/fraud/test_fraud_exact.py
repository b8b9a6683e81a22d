"""Exact-sequence tests: tiny schemes with fixed arrivals, payouts worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainsim.fraud import SchemeConfig, simulate_scheme, tree_depth


def _tiny(**changes: object) -> SchemeConfig:
    """One ¥100 member a day, 10 % a day promised, income taken out every day."""
    values: dict[str, object] = {
        "n_days": 30,
        "population": 100,
        "n_founders": 0,
        "recruitment": "fixed",
        "arrivals_per_day": 1,
        "deposit_yuan": 100.0,
        "deposit_sigma": 0.0,
        "daily_return": 0.1,
        "operator_cut": 0.2,
        "withdraw_prob": 1.0,
        "withdraw_fraction": 1.0,
        "min_withdrawal_yuan": 0.0,
        "lockup_days": 0,
        "principal_withdrawable": False,
        "wind_up_at_end": False,
    }
    values.update(changes)
    return SchemeConfig(**values)  # type: ignore[arg-type]


def test_ponzi_exact_reserves_payouts_and_collapse_day() -> None:
    # Day t: t members earn ¥10 each and take it out; the newcomer brings ¥80 after
    # the operator's ¥20. Reserves after day t: 80 + 80 t - 5 t (t + 1), which is 0
    # after day 16; on day 17 the ¥170 owed meets ¥80 in the till: collapse.
    res = simulate_scheme(_tiny(), seed=1)
    flows = res.cashflows
    assert res.outcome == "collapsed"
    assert res.collapse_day == 17
    assert flows["day"].tolist() == list(range(18))
    t = np.arange(17)
    expected_reserves = 80 + 80 * t - 5 * t * (t + 1)
    np.testing.assert_allclose(flows["reserves"].to_numpy()[:17], expected_reserves, atol=1e-9)
    assert flows["reserves"].iloc[17] == 0.0
    np.testing.assert_allclose(flows["withdrawals"].to_numpy()[:17], 10.0 * t, atol=1e-9)
    assert flows["withdrawals"].iloc[17] == pytest.approx(80.0)
    assert flows["operator_take"].tolist() == [20.0] * 18
    assert flows["members"].tolist() == list(range(1, 19))

    people = res.participants
    assert len(people) == 18
    share = 80.0 / 170.0  # pro-rata share of the last day's requests
    i = np.arange(17)
    np.testing.assert_allclose(
        people["paid_out"].to_numpy()[:17], 10.0 * (16 - i) + 10.0 * share, atol=1e-9
    )
    assert people["paid_out"].iloc[17] == 0.0
    np.testing.assert_allclose(
        people["claim_left"].to_numpy()[:17], 100.0 + 10.0 * (1 - share), atol=1e-9
    )
    assert people["claim_left"].iloc[17] == 100.0
    # those with at least 10 days of income (joined day 0..6) got more than ¥100 back
    assert people.loc[people["net"] > 0, "participant_id"].tolist() == list(range(7))
    assert int(flows["winners"].iloc[-1]) == 7
    assert int(flows["losers"].iloc[-1]) == 11
    assert (people["recruiter_id"].iloc[1:] >= 0).all()


def test_commissions_chain_and_wind_up_exact() -> None:
    # A chain (each newcomer recruited by the newest member), no static income, two
    # commission levels of 10 % and 5 %, withdrawn the same day.
    cfg = _tiny(
        n_days=5,
        daily_return=0.0,
        recruiter_choice="newest",
        commission_rates=(0.1, 0.05),
        wind_up_at_end=True,
    )
    res = simulate_scheme(cfg, seed=1)
    people, flows = res.participants, res.cashflows
    assert people["recruiter_id"].tolist() == [-1, 0, 1, 2, 3]
    assert people["level"].tolist() == [1, 2, 3, 4, 5]
    assert people["n_recruits"].tolist() == [1, 1, 1, 1, 0]
    assert tree_depth(res) == 5
    assert people["dynamic_income"].tolist() == pytest.approx([15.0, 15.0, 15.0, 10.0, 0.0])
    # reserves: 80, then +80-10, then +80-15 a day: 345 against 500 of deposits owed
    assert flows["reserves"].iloc[:4].tolist() == pytest.approx([80.0, 150.0, 215.0, 280.0])
    assert res.outcome == "wound-up-short"
    assert res.meta["payout_ratio_at_end"] == pytest.approx(345.0 / 500.0)
    assert res.collapse_day is None
    expected = np.array([15.0, 15.0, 15.0, 10.0, 0.0]) + 69.0
    np.testing.assert_allclose(people["paid_out"].to_numpy(), expected, atol=1e-9)
    np.testing.assert_allclose(people["claim_left"].to_numpy(), 31.0, atol=1e-9)
    assert flows["withdrawals"].tolist() == pytest.approx([0.0, 10.0, 15.0, 15.0, 15.0 + 345.0])
    assert flows["reserves"].iloc[-1] == pytest.approx(0.0, abs=1e-9)


def test_lockup_and_threshold_exact() -> None:
    # One member, ¥10 a day of income, locked for 5 days, ¥25 minimum withdrawal:
    # ¥50 on day 5, ¥30 on day 8; on day 11 only ¥20 of the ¥100 is left for the ¥30
    # asked, so even a lone member's own money runs out: collapse.
    cfg = _tiny(n_days=15, lockup_days=5, min_withdrawal_yuan=25.0, operator_cut=0.0)
    res = simulate_scheme(cfg, seed=0, arrivals=[(0, -1, 100.0)])
    w = res.cashflows["withdrawals"].tolist()
    expected = [0.0] * 12
    expected[5], expected[8], expected[11] = 50.0, 30.0, 20.0
    assert w == pytest.approx(expected)
    assert res.outcome == "collapsed" and res.collapse_day == 11
    assert res.participants["claim_left"].iloc[0] == pytest.approx(110.0)
    assert res.participants["net"].iloc[0] == pytest.approx(0.0)


def test_operator_exit_on_a_day_takes_the_reserves() -> None:
    cfg = _tiny(daily_return=0.0, operator_exit="at-day", exit_day=3)
    res = simulate_scheme(cfg, seed=0)
    flows = res.cashflows
    assert res.outcome == "operator-exit"
    assert res.collapse_day == 3
    assert len(flows) == 4
    assert flows["operator_take"].tolist() == pytest.approx([20.0, 20.0, 20.0, 20.0 + 320.0])
    assert flows["reserves"].iloc[-1] == 0.0
    assert (res.participants["net"] == -100.0).all()


def test_custom_exit_rule_sees_the_day_state() -> None:
    seen: list[float] = []

    def leave_when_rich(state: object) -> bool:
        assert isinstance(state, dict)
        seen.append(state["reserves"])
        return state["reserves"] >= 200.0

    res = simulate_scheme(_tiny(daily_return=0.0), seed=0, exit_rule=leave_when_rich)
    assert seen == pytest.approx([80.0, 160.0, 240.0])
    assert res.collapse_day == 2 and res.outcome == "operator-exit"


def test_reserves_drawdown_exit() -> None:
    # reserves 80 + 80 t - 5 t (t + 1) peak at 360 (days 7 and 8); 20 % below the
    # peak (< 288) first on day 12 (260; day 11 still has 300).
    res = simulate_scheme(_tiny(operator_exit="reserves-drawdown", exit_drawdown=0.2), seed=0)
    assert res.collapse_day == 12
    assert res.cashflows["operator_take"].iloc[-1] == pytest.approx(20.0 + 260.0)


def test_explicit_arrivals_as_dataframe_match_tuples() -> None:
    cfg = _tiny(commission_rates=(0.1,))
    table = pd.DataFrame({"day": [0, 0, 1, 3], "recruiter_id": [-1, 0, 1, 1]})
    a = simulate_scheme(cfg, seed=5, arrivals=table)
    b = simulate_scheme(cfg, seed=5, arrivals=[(0, -1), (0, 0), (1, 1), (3, 1)])
    pd.testing.assert_frame_equal(a.participants, b.participants)
    assert a.participants["level"].tolist() == [1, 2, 3, 3]
    assert a.participants["paid_in"].tolist() == [100.0] * 4


def test_asset_backed_fund_pays_value_exactly() -> None:
    # 1 % a day real yield, no fees: ¥100 on day 0 is worth 100 * 1.01**4 at the
    # wind-up on day 4; a ¥100 deposit on day 2 buys in at the day-2 value.
    cfg = SchemeConfig(
        payout_rule="asset-backed",
        n_days=5,
        external_yield_daily=0.01,
        operator_cut=0.0,
        withdraw_prob=0.0,
        deposit_sigma=0.0,
        daily_return=0.0,
    )
    res = simulate_scheme(cfg, seed=0, arrivals=[(0, -1, 100.0), (2, -1, 100.0)])
    assert res.outcome == "wound-up"
    paid = res.participants["paid_out"].to_numpy()
    np.testing.assert_allclose(paid, [100.0 * 1.01**4, 100.0 * 1.01**2], rtol=1e-12)
    assert res.participants["static_income"].to_numpy() == pytest.approx(paid - 100.0)


def test_fund_emptied_then_refilled_prices_the_newcomer_fairly() -> None:
    # A takes everything out on day 1; B joins on day 5 into an empty fund that then
    # earns 1 % a day: B alone owns it.
    cfg = SchemeConfig(
        payout_rule="asset-backed",
        n_days=8,
        operator_cut=0.0,
        daily_return=0.0,
        external_yield_daily=0.01,
        withdraw_prob=1.0,
        withdraw_fraction=1.0,
        min_withdrawal_yuan=0.0,
        lockup_days=1,
    )
    res = simulate_scheme(cfg, seed=0, arrivals=[(0, -1, 333.33), (5, -1, 777.77)])
    paid = res.participants["paid_out"].to_numpy()
    assert paid[0] == pytest.approx(333.33 * 1.01, rel=1e-12)
    # B withdraws everything each day from day 6: one day of yield
    assert paid[1] == pytest.approx(777.77 * 1.01, rel=1e-12)
    assert res.outcome == "wound-up"
