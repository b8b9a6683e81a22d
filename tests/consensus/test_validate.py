"""Safety runs for `chainsim validate`: counts, violations and repeatability."""

from __future__ import annotations

import pytest

from chainsim.consensus import pbft_safety_run, raft_safety_run
from chainsim.errors import ConfigError


def test_pbft_with_f_faults_has_no_violation() -> None:
    s = pbft_safety_run(7, 2, 15, seed=2026)
    assert s["n_runs"] == 15 and s["f"] == 2
    assert s["runs_with_violation"] == 0 and s["n_violations"] == 0
    assert s["n_commits"] > 0
    assert s["n_accepted"] == s["n_requests"] == 15 * 8


def test_pbft_collusion_beyond_f_is_caught_every_time() -> None:
    s = pbft_safety_run(4, 2, 5, seed=1, scenario="collude")
    assert s["runs_with_violation"] == 5
    assert pbft_safety_run(4, 1, 5, seed=1, scenario="collude")["runs_with_violation"] == 0


def test_raft_random_faults_have_no_violation() -> None:
    s = raft_safety_run(5, 10, seed=2026)
    assert s["runs_with_violation"] == 0
    assert s["election_safety"] == s["state_machine"] == s["log_matching"] == 0
    assert s["n_commits"] >= s["n_accepted"] > 0
    assert s == raft_safety_run(5, 10, seed=2026)  # repeatable


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pbft_safety_run(0, 0, 1), "n must be an integer >= 1, got 0"),
        (lambda: pbft_safety_run(4, 5, 1), "f_byzantine must be <= n (4), got 5"),
        (lambda: pbft_safety_run(4, 1, 1, scenario="x"), "scenario must be one of"),
        (lambda: raft_safety_run(3, -1), "n_runs must be an integer >= 0, got -1"),
    ],
)
def test_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        call()  # type: ignore[operator]
    assert message in str(err.value)


def test_describe_safety_run_states_the_expectation() -> None:
    from chainsim.consensus import describe_safety_run

    text = describe_safety_run(pbft_safety_run(4, 2, 2, seed=1, scenario="collude"))
    assert "safety violations: 2 runs" in text
    assert "violations possible (f_byzantine > f)" in text
    text = describe_safety_run(raft_safety_run(3, 2, seed=1))
    assert text.startswith("Raft n=3: 2 runs")
    assert "runs with a violation: 0" in text


def test_safety_check_rows_fit_the_validate_table() -> None:
    from chainsim.consensus.validate import safety_check_rows
    from chainsim.validation import CheckResult, format_table

    rows = safety_check_rows(n_pbft=7, n_raft=3, n_runs=4, seed=5)
    assert all(isinstance(r, CheckResult) for r in rows)
    assert [r.check for r in rows] == ["pbft-safety", "pbft-beyond-f", "raft-safety"]
    assert [r.simulated for r in rows] == [0.0, 1.0, 0.0]
    assert all(r.agrees for r in rows)
    assert rows[0].ci_low == 0.0 and 0.0 < rows[0].ci_high < 1.0
    text = format_table(rows)
    assert "pbft-beyond-f" in text
