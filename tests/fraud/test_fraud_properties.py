"""Properties for any valid parameters (Hypothesis), determinism, legit vs Ponzi."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainsim.fraud import (
    CASHFLOW_COLUMNS,
    PARTICIPANT_COLUMNS,
    SchemeConfig,
    get_preset,
    list_presets,
    loss_by_cohort,
    simulate_scheme,
)

rate = st.floats(0.0, 1.0, allow_nan=False)
small_rate = st.floats(0.0, 0.05, allow_nan=False)


@st.composite
def scheme_configs(draw: st.DrawFn) -> SchemeConfig:
    payout = draw(st.sampled_from(["promised", "asset-backed"]))
    levels = draw(st.integers(0, 4))
    commissions = tuple(draw(st.floats(0.0, 0.2)) for _ in range(levels))
    cut = draw(st.floats(0.0, 0.2))
    population = draw(st.integers(1, 300))
    return SchemeConfig(
        payout_rule=payout,
        n_days=draw(st.integers(1, 150)),
        population=population,
        n_founders=draw(st.integers(0, min(population, 20))),
        recruitment=draw(st.sampled_from(["bass", "fixed"])),
        spontaneous_rate=draw(st.floats(0.0, 0.05)),
        contagion_rate=draw(st.floats(0.0, 2.0)),
        arrivals_per_day=draw(st.integers(0, 20)),
        recruiter_choice=draw(st.sampled_from(["uniform", "newest"])),
        deposit_yuan=draw(st.floats(1.0, 1e6)),
        deposit_sigma=draw(st.floats(0.0, 2.0)),
        daily_return=draw(st.one_of(small_rate, rate)),
        compounding=draw(st.booleans()),
        commission_rates=commissions,
        lockup_days=draw(st.integers(0, 60)),
        principal_withdrawable=draw(st.booleans()),
        min_withdrawal_yuan=draw(st.floats(0.0, 1e4)),
        withdraw_prob=draw(rate),
        withdraw_fraction=draw(st.floats(0.01, 1.0)),
        operator_cut=cut,
        management_fee_daily=draw(st.floats(0.0, 0.01)),
        external_yield_daily=draw(st.floats(-0.02, 0.02)),
        yield_volatility_daily=draw(st.floats(0.0, 0.1)),
        operator_exit=draw(st.sampled_from(["never", "at-day", "reserves-drawdown"])),
        exit_day=draw(st.integers(0, 200)),
        exit_drawdown=draw(rate),
        wind_up_at_end=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=scheme_configs(), seed=st.integers(0, 2**32))
def test_money_in_equals_money_out_plus_operator_plus_reserves(
    cfg: SchemeConfig, seed: int
) -> None:
    res = simulate_scheme(cfg, seed=seed)
    f = res.cashflows
    assert list(f.columns) == list(CASHFLOW_COLUMNS)
    assert list(res.participants.columns) == list(PARTICIPANT_COLUMNS)
    money_in = f["cum_deposits"] + f["cum_yield_income"]
    money_out = f["cum_withdrawals"] + f["cum_operator_take"] + f["reserves"]
    scale = 1.0 + f["cum_deposits"] + f["cum_yield_income"].abs() + f["cum_withdrawals"]
    assert (np.abs(money_in - money_out) <= 1e-9 * scale).all()
    # the daily flows add up to the running totals
    for daily, cum in [
        ("deposits", "cum_deposits"),
        ("yield_income", "cum_yield_income"),
        ("withdrawals", "cum_withdrawals"),
        ("operator_take", "cum_operator_take"),
    ]:
        np.testing.assert_allclose(f[daily].cumsum(), f[cum], rtol=1e-9, atol=1e-6)
    assert (f["reserves"] >= -1e-9 * scale).all()
    assert (f[["deposits", "withdrawals", "operator_take"]] >= 0).all().all()
    assert f["members"].is_monotonic_increasing
    assert (f["winners"] + f["losers"] <= f["members"]).all()
    assert f["day"].tolist() == list(range(len(f)))
    # the people add up to the cash
    p = res.participants
    assert len(p) <= cfg.population
    if len(f):
        assert p["paid_in"].sum() == pytest.approx(f["cum_deposits"].iloc[-1], rel=1e-9)
        assert p["paid_out"].sum() == pytest.approx(
            f["cum_withdrawals"].iloc[-1], rel=1e-9, abs=1e-6
        )
        assert int(f["members"].iloc[-1]) == len(p)
    assert (p["paid_out"] >= 0).all()
    assert (p["claim_left"] >= -1e-9 * scale.iloc[-1]).all()
    np.testing.assert_allclose(p["net"], p["paid_out"] - p["paid_in"])
    if cfg.payout_rule == "promised":
        # every yuan promised was either paid or is still owed
        np.testing.assert_allclose(
            p["paid_out"] + p["claim_left"],
            p["paid_in"] + p["static_income"] + p["dynamic_income"],
            rtol=1e-9,
            atol=1e-6,
        )
    else:
        # an asset-backed fund can always pay: it only ends by its operator's exit
        if cfg.operator_exit == "never":
            assert res.outcome in ("wound-up", "running")
            assert res.collapse_day is None
    assert (p["recruiter_id"] < p["participant_id"]).all()
    has = p["recruiter_id"] >= 0
    levels = p["level"].to_numpy()
    recs = p["recruiter_id"].to_numpy()
    assert (levels[has.to_numpy()] == levels[recs[has.to_numpy()]] + 1).all()
    assert (levels[~has.to_numpy()] == 1).all()


@pytest.mark.parametrize("name", list_presets())
def test_same_seed_same_tables(name: str) -> None:
    cfg = get_preset(name, population=1500)
    a = simulate_scheme(cfg, seed=11)
    b = simulate_scheme(cfg, seed=11)
    pd.testing.assert_frame_equal(a.participants, b.participants, check_exact=True)
    pd.testing.assert_frame_equal(a.cashflows, b.cashflows, check_exact=True)
    assert a.collapse_day == b.collapse_day and a.outcome == b.outcome
    assert a.meta["seed"] == 11
    c = simulate_scheme(cfg, seed=12)
    assert not a.participants["paid_in"].equals(c.participants["paid_in"])


def test_seed_none_records_entropy_that_repeats_the_run() -> None:
    cfg = get_preset("pyramid-mlm", population=800)
    a = simulate_scheme(cfg, seed=None)
    b = simulate_scheme(cfg, seed=a.seed)
    pd.testing.assert_frame_equal(a.cashflows, b.cashflows, check_exact=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("population", [2000, 10_000])
def test_legitimate_fund_never_collapses(seed: int, population: int) -> None:
    res = simulate_scheme(get_preset("legitimate-fund", population=population), seed=seed)
    assert res.collapse_day is None
    assert res.outcome == "wound-up"
    assert res.meta["payout_ratio_at_end"] == 1.0
    assert res.participants["claim_left"].abs().max() < 1e-6


def test_late_joiners_lose_in_a_ponzi_but_not_in_a_fund() -> None:
    ponzi = simulate_scheme(get_preset("ponzi-classic"), seed=4)
    fund = simulate_scheme(get_preset("legitimate-fund"), seed=4)
    pc = loss_by_cohort(ponzi, cohort_days=30)
    fc = loss_by_cohort(fund, cohort_days=90)
    pc = pc[pc["n_participants"] >= 20]
    fc = fc[fc["n_participants"] >= 20]
    # Ponzi: the first cohort mostly gains, the last one nearly all lose
    assert pc["loss_share"].iloc[0] < 0.2
    assert pc["loss_share"].iloc[-1] > 0.95
    assert pc["median_net"].iloc[0] > 0 > pc["median_net"].iloc[-1]
    # Fund: when you joined hardly matters; few lose anywhere
    assert fc["loss_share"].max() - fc["loss_share"].min() < 0.2
    assert fc["loss_share"].max() < 0.2


def test_chain_recruitment_makes_a_deep_tree() -> None:
    base = get_preset("ponzi-classic", population=2000)
    bushy = simulate_scheme(base, seed=3).participants["level"].max()
    chain = simulate_scheme(base.replace(recruiter_choice="newest"), seed=3)
    assert chain.participants["level"].max() > 10 * bushy


def test_recruitment_grows_then_saturates() -> None:
    cfg = get_preset("legitimate-fund", population=10_000, n_days=1000)
    members = simulate_scheme(cfg, seed=5).cashflows["members"].to_numpy()
    new = np.diff(members)
    peak = int(np.argmax(np.convolve(new, np.ones(15) / 15, mode="valid")))
    assert 30 < peak < 700  # slow start, a peak, then a slowdown
    assert members[-1] >= 0.99 * 10_000


def test_import_keeps_plotting_libraries_out() -> None:
    code = (
        "import sys, chainsim.fraud; "
        "bad = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@settings(max_examples=80, deadline=None)
@given(
    n_days=st.integers(1, 120),
    arrivals=st.integers(1, 15),
    withdraw_prob=st.floats(0.0, 1.0),
    withdraw_fraction=st.floats(0.01, 1.0),
    lockup=st.integers(0, 10),
    sigma=st.floats(0.0, 1.5),
    seed=st.integers(0, 2**32),
)
def test_a_fund_with_no_yield_and_no_fees_returns_exactly_what_each_paid_in(
    n_days: int,
    arrivals: int,
    withdraw_prob: float,
    withdraw_fraction: float,
    lockup: int,
    sigma: float,
    seed: int,
) -> None:
    # No one's money can end up with anyone else, however people withdraw.
    cfg = SchemeConfig(
        payout_rule="asset-backed",
        n_days=n_days,
        population=2000,
        recruitment="fixed",
        arrivals_per_day=arrivals,
        deposit_sigma=sigma,
        operator_cut=0.0,
        daily_return=0.0,
        withdraw_prob=withdraw_prob,
        withdraw_fraction=withdraw_fraction,
        min_withdrawal_yuan=0.0,
        lockup_days=lockup,
    )
    res = simulate_scheme(cfg, seed=seed)
    p = res.participants
    assert res.outcome == "wound-up"
    np.testing.assert_allclose(p["paid_out"], p["paid_in"], rtol=1e-9)
    assert (p["claim_left"].abs() <= 1e-9 * p["paid_in"]).all()
