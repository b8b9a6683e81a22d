"""Bad input gets clear messages; presets; metrics; the shipped datasets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import chainsim
from chainsim.errors import ChainSimError, ConfigError, ScenarioError
from chainsim.fraud import (
    OUTCOMES,
    PRESETS,
    SchemeConfig,
    SchemeResults,
    commission_schedule,
    describe_scheme_fields,
    generate_dataset,
    get_preset,
    list_datasets,
    list_presets,
    load_dataset,
    loss_by_cohort,
    loss_share,
    median_loss,
    n_losers,
    operator_take,
    payoff_by_join_day,
    scheme_summary,
    simulate_scheme,
    summary_sentence,
    tree_depth,
)

DATA = Path(chainsim.__file__).parent / "data"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"daily_return": -0.01}, "daily_return must be >= 0, got -0.01"),
        ({"daily_return": 1.5}, "daily_return must be <= 1, got 1.5"),
        ({"operator_cut": 1.2}, "operator_cut must be <= 1, got 1.2"),
        ({"commission_rates": (0.1, -0.2)}, "commission_rates[1] must be >= 0, got -0.2"),
        ({"commission_rates": (1.5,)}, "commission_rates[0] must be <= 1, got 1.5"),
        ({"commission_rates": (0.01,) * 51}, "commission_rates must have at most 50 levels"),
        ({"lockup_days": -1}, "lockup_days must be >= 0, got -1"),
        ({"population": 0}, "population must be >= 1, got 0"),
        ({"deposit_yuan": 0}, "deposit_yuan must be > 0, got 0.0"),
        ({"withdraw_fraction": 0}, "withdraw_fraction must be > 0, got 0.0"),
        ({"withdraw_prob": float("nan")}, "withdraw_prob must be a number (not NaN)"),
        ({"n_days": 2.5}, "n_days must be a whole number, got 2.5"),
        ({"contagion_rate": "fast"}, "contagion_rate must be a number, got 'fast'"),
        ({"payout_rule": "magic"}, "payout_rule must be one of 'promised', 'asset-backed'"),
        ({"n_founders": 50, "population": 20}, "n_founders must be <= population (20), got 50"),
        (
            {"payout_rule": "asset-backed", "operator_cut": 0.5, "commission_rates": (0.4, 0.2)},
            "operator_cut + sum(commission_rates) must be <= 1",
        ),
    ],
)
def test_bad_config_names_parameter_value_and_range(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        SchemeConfig(**changes)
    assert message in str(info.value)
    assert isinstance(info.value, ChainSimError)


def test_commission_schedule_and_bad_levels() -> None:
    assert commission_schedule(0, 0.1) == ()
    assert commission_schedule(2, 0.2) == (0.2, 0.2)
    assert SchemeConfig(commission_rates=commission_schedule(3, 0.1, 0.5)).commission_levels == 3
    with pytest.raises(ConfigError, match="levels must be >= 0 and <= 50, got -2"):
        commission_schedule(-2, 0.1)
    with pytest.raises(ConfigError, match="first_rate must be between 0 and 1, got 1.5"):
        commission_schedule(2, 1.5)


def test_bad_arrivals_and_arguments() -> None:
    cfg = SchemeConfig(n_days=10)
    cases = [
        ([(0, 1)], "arrivals[0].recruiter_id must be -1 or an earlier arrival's id"),
        ([(3,), (1,)], "arrivals must be sorted by day"),
        ([(12,)], "arrivals[0].day must be >= 0 and < n_days (10), got 12"),
        ([(0, -1, -5.0)], "arrivals[0].deposit must be > 0 yuan, got -5.0"),
        ([(0.5,)], "arrivals[0].day must be a whole number of days"),
        (pd.DataFrame({"when": [0]}), "arrivals must have a 'day' column"),
        ("day 0", "arrivals must be a DataFrame or a sequence"),
    ]
    for arrivals, message in cases:
        with pytest.raises(ConfigError) as info:
            simulate_scheme(cfg, seed=0, arrivals=arrivals)
        assert message in str(info.value)
    with pytest.raises(ConfigError, match="config must be a SchemeConfig"):
        simulate_scheme({"daily_return": 0.01}, seed=0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="seed must be a non-negative integer"):
        simulate_scheme(cfg, seed=-1)
    with pytest.raises(ConfigError, match="exit_rule must be a function"):
        simulate_scheme(cfg, seed=0, exit_rule=5)  # type: ignore[arg-type]


def test_presets_and_field_metadata() -> None:
    assert set(list_presets()) >= {"ponzi-classic", "pyramid-mlm", "legitimate-fund"}
    for name in list_presets():
        cfg = get_preset(name)
        assert PRESETS[name].title and PRESETS[name].title_zh
        assert SchemeConfig.from_dict(cfg.to_dict() | {"commission_rates": cfg.commission_rates})
    assert get_preset("pyramid-mlm").commission_levels == 3
    assert get_preset("legitimate-fund").payout_rule == "asset-backed"
    with pytest.raises(ScenarioError, match="unknown scheme preset 'nope'; known: ponzi-classic"):
        get_preset("nope")
    with pytest.raises(ConfigError, match="population must be >= 1"):
        get_preset("ponzi-classic", population=0)
    fields = {f["name"]: f for f in describe_scheme_fields()}
    for name in ("daily_return", "contagion_rate", "operator_cut", "population"):
        assert fields[name]["min"] is not None and fields[name]["max"] is not None
        assert fields[name]["label"]


def test_metrics_on_a_hand_made_table() -> None:
    people = pd.DataFrame(
        {
            "join_day": [0, 1, 31, 32, 65],
            "level": [1, 2, 2, 3, 4],
            "paid_in": [100.0, 100.0, 100.0, 100.0, 100.0],
            "paid_out": [300.0, 100.0, 50.0, 10.0, 0.0],
        }
    )
    assert n_losers(people) == 3
    assert loss_share(people) == pytest.approx(0.6)
    assert median_loss(people) == pytest.approx(90.0)
    assert tree_depth(people) == 4
    cohorts = loss_by_cohort(people, cohort_days=30)
    assert cohorts["cohort_start_day"].tolist() == [0, 30, 60]
    assert cohorts["n_participants"].tolist() == [2, 2, 1]
    assert cohorts["loss_share"].tolist() == [0.0, 1.0, 1.0]
    assert cohorts["median_net"].tolist() == [100.0, -70.0, -100.0]
    curve = payoff_by_join_day(people)
    assert curve["median_return"].tolist() == [2.0, 0.0, -0.5, -0.9, -1.0]
    assert summary_sentence(people) == ("Of 5 participants, 3 lost money; the median loss was ¥90.")
    assert summary_sentence(people, language="zh") == (
        "在 5 名参与者中，3 人亏损；亏损的中位数为 ¥90。"
    )
    empty = people.iloc[0:0]
    assert math.isnan(loss_share(empty))
    assert summary_sentence(empty) == "No one joined."
    with pytest.raises(ConfigError, match="cohort_days must be a whole number >= 1, got 0"):
        loss_by_cohort(people, cohort_days=0)
    with pytest.raises(ConfigError, match="missing paid_out"):
        loss_share(people.drop(columns="paid_out"))


def test_metrics_on_a_run_are_consistent() -> None:
    res = simulate_scheme(get_preset("pyramid-mlm", population=3000), seed=9)
    s = scheme_summary(res)
    assert s["n_participants"] == len(res.participants)
    assert s["n_losers"] == int(res.cashflows["losers"].iloc[-1])
    assert s["operator_take"] == pytest.approx(operator_take(res))
    assert s["operator_share"] == pytest.approx(0.15)  # the 15 % cut, no fees, no exit
    assert s["outcome"] in OUTCOMES and s["collapse_day"] == res.collapse_day
    text = summary_sentence(res, include_outcome=True)
    assert f"Of {s['n_participants']:,} participants, {s['n_losers']:,} lost money" in text
    assert f"day {res.collapse_day}" in text
    zh = summary_sentence(res, "zh", include_outcome=True)
    assert f"{s['n_losers']:,} 人亏损" in zh and f"第 {res.collapse_day} 天" in zh
    with pytest.raises(ConfigError, match="language must be one of 'en', 'zh', got 'de'"):
        summary_sentence(res, language="de")


def test_results_save_and_load_round_trip(tmp_path: Path) -> None:
    res = simulate_scheme(get_preset("ponzi-classic", population=300), seed=2)
    res.save(tmp_path / "run")
    back = SchemeResults.load(tmp_path / "run")
    pd.testing.assert_frame_equal(back.participants, res.participants)
    pd.testing.assert_frame_equal(back.cashflows, res.cashflows, check_dtype=False)
    assert back.config == res.config
    assert back.collapse_day == res.collapse_day and back.outcome == res.outcome


def test_regenerating_the_shipped_dataset_reproduces_it(tmp_path: Path) -> None:
    shipped_meta = json.loads((DATA / "fraud_synthetic_pyramid.json").read_text("utf-8"))
    paths = generate_dataset(tmp_path, seed=shipped_meta["seed"])
    for path in paths:
        if path.suffix == ".csv":
            assert path.read_bytes() == (DATA / path.name).read_bytes(), path.name
    meta = json.loads(paths[-1].read_text("utf-8"))
    for key in ("seed", "preset", "changes", "config", "outcome", "collapse_day"):
        assert meta[key] == shipped_meta[key], key
    # the recorded parameters really are the run's: rebuild and compare
    cfg = SchemeConfig.from_dict(
        {k: tuple(v) if isinstance(v, list) else v for k, v in shipped_meta["config"].items()}
    )
    res = simulate_scheme(cfg, seed=shipped_meta["seed"])
    people = load_dataset("synthetic-pyramid-participants")
    np.testing.assert_allclose(people["paid_out"], res.participants["paid_out"], atol=0.005)
    assert res.outcome == shipped_meta["outcome"]


def test_load_datasets() -> None:
    names = list_datasets()["name"].tolist()
    for name in names:
        table = load_dataset(name)
        assert len(table) > 0
        assert table.attrs["dataset"] == name
    people = load_dataset("synthetic-pyramid-participants")
    flows = load_dataset("synthetic-pyramid-cashflows")
    assert people.attrs["seed"] == 2018
    assert "chainsim_version" in people.attrs
    assert int(flows["members"].iloc[-1]) == len(people)
    assert 0 < loss_share(people) < 1
    facts = load_dataset("published-facts")
    sources = facts.attrs["sources"]
    assert set(facts["source_id"]) <= set(sources)
    by_id = facts.set_index("fact_id")["value"]
    assert by_id["plustoken-levels"] == 3293
    assert by_id["bartoletti-contracts"] == 184
    with pytest.raises(ScenarioError, match="unknown dataset 'x'"):
        load_dataset("x")
