"""`chainsim validate`: every closed form agrees with its seeded simulation."""

from __future__ import annotations

import pytest

from chainsim.validation import CHECKS, format_table, run_checks


@pytest.mark.slow
def test_every_theory_check_agrees_and_measurements_are_reported():
    rows = run_checks(n_nodes=300, n_blocks=300, n_trials=100_000, n_runs=10, seed=1)
    assert {r.check for r in rows} >= {
        "interval",
        "stale",
        "revenue",
        "double-spend",
        "selfish",
        "bitcoin",
        "pbft-safety",
        "raft-safety",
    }
    theory = [r for r in rows if r.reference_kind == "theory"]
    disagree = [
        f"{r.check} {r.parameters}: {r.simulated} [{r.ci_low}, {r.ci_high}] vs {r.reference}"
        for r in theory
        if not r.agrees
    ]
    assert disagree == []
    for r in theory:
        assert r.ci_low <= r.simulated <= r.ci_high
    measured = [r for r in rows if r.reference_kind == "measured"]
    assert {r.reference_source.split(" ")[0] for r in measured} == {"Decker", "Gervais"}
    assert all(r.agrees is None and "model / measured" in r.note for r in measured)
    table = format_table(rows)
    assert table.count("agrees") == len(theory) and "DIFFERS" not in table


def test_only_runs_the_named_checks():
    rows = run_checks(only=["double-spend"], q=0.2, z=3, n_trials=5_000, network_trials=0)
    assert [r.check for r in rows] == ["double-spend"]
    assert rows[0].parameters == "q=0.2, z=3"
    assert set(CHECKS) >= {"interval", "consensus"}
