"""Raft: exact election and commit, heartbeats, crashes, partitions, safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim.consensus import (
    ConsensusResults,
    RaftConfig,
    raft_check,
    raft_election_safety_violations,
    raft_log_matching_violations,
    raft_state_machine_violations,
    run_raft,
)
from chainsim.consensus.validate import random_raft_faults

LAT = 0.010
PROC = 0.001
HOP = LAT + PROC


def lan(**kw: object) -> RaftConfig:
    """The paper's 150-300 ms timeouts on a fixed 10 ms network."""
    base: dict[str, object] = {
        "latency_ms": LAT * 1000,
        "processing_ms": PROC * 1000,
        "election_timeout_min_ms": 150.0,
        "election_timeout_max_ms": 300.0,
        "heartbeat_ms": 50.0,
        "first_request_s": 1.0,
    }
    base.update(kw)
    return RaftConfig(**base)  # type: ignore[arg-type]


def leader_of(res: ConsensusResults, term: int = 1) -> int:
    leaders = res.tables["leaders"]
    return int(leaders.loc[leaders["term"] == term, "leader"].iloc[0])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_election_and_one_commit_at_exact_times(seed: int) -> None:
    res = run_raft(lan(n_servers=3, n_requests=1), seed=seed)
    timeouts = res.meta["initial_timeouts_s"]
    first = int(np.argmin(timeouts))
    el = res.tables["elections"]
    assert len(el) == 1  # heartbeats keep the followers quiet
    row = el.iloc[0]
    # the server with the smallest timeout stands first, at its timeout
    assert row["candidate"] == first and row["term"] == 1
    assert row["t_start_s"] == pytest.approx(min(timeouts))
    # one vote request and one reply make a majority of 3
    assert row["t_elected_s"] == pytest.approx(min(timeouts) + 2 * HOP)
    lc = res.tables["leader_commits"]
    # the leader's no-op commits one round trip after the election
    noop = lc[lc["index"] == 1].iloc[0]
    assert noop["request_id"] == -1
    assert noop["t_committed_s"] == pytest.approx(row["t_elected_s"] + 2 * HOP)
    # the request goes to server 0 first; a follower redirects the client
    t_at_leader = 1.0 + HOP if first == 0 else 1.0 + 3 * HOP
    req = res.tables["requests"].iloc[0]
    assert req["index"] == 2 and req["term"] == 1
    assert req["t_committed_s"] == pytest.approx(t_at_leader + 2 * HOP)
    assert req["t_accepted_s"] == pytest.approx(t_at_leader + 3 * HOP)
    msgs = res.tables["messages"].set_index("kind")["n_messages"]
    assert msgs["request-vote"] == 2 and msgs["vote-reply"] == 2
    # every append-entries is answered, except those still in flight at the end
    assert 0 <= msgs["append-entries"] - msgs["append-reply"] <= 2
    assert raft_check(res)["ok"]


def test_heartbeats_every_interval() -> None:
    # no requests: the run lasts until max_time_s
    res = run_raft(lan(n_servers=3, n_requests=0, max_time_s=2.0), seed=1)
    assert res.meta["sim_time_s"] == 2.0
    t0 = float(res.tables["leaders"]["t_elected_s"].iloc[0])
    beats = (2.0 - t0) / 0.05
    assert abs(beats - round(beats)) > 1e-6  # no heartbeat exactly at the end
    n_ae = int(res.tables["messages"].set_index("kind").loc["append-entries", "n_messages"])
    assert n_ae == 2 * (int(np.floor(beats)) + 1)  # to both followers, from t0 on
    assert len(res.tables["elections"]) == 1  # and nobody else stands


def test_leader_crash_new_leader_keeps_committed_entries() -> None:
    base = lan(n_servers=5, n_requests=10, request_interval_s=0.1)
    first = run_raft(base, seed=5)
    leader = leader_of(first)
    res = run_raft(base.replace(faults=[("crash", 1.45, leader)]), seed=5)
    leaders = res.tables["leaders"]
    assert len(leaders) >= 2 and leaders["leader"].iloc[-1] != leader
    assert res.tables["requests"]["t_accepted_s"].notna().all()
    lc = res.tables["leader_commits"]
    before = lc[lc["t_committed_s"] < 1.45]
    logs = res.tables["logs"]
    new = int(leaders["leader"].iloc[-1])
    new_log = logs[logs["server"] == new].set_index("index")
    for _, e in before.iterrows():
        assert new_log.loc[e["index"], "request_id"] == e["request_id"]
    assert raft_check(res)["ok"]


def test_restart_keeps_persistent_state_and_catches_up() -> None:
    base = lan(n_servers=3, n_requests=10, request_interval_s=0.1)
    leader = leader_of(run_raft(base, seed=7))
    follower = (leader + 1) % 3
    res = run_raft(
        base.replace(faults=[("crash", 1.2, follower), ("restart", 1.8, follower)]), seed=7
    )
    logs = res.tables["logs"]
    mine = logs[logs["server"] == follower].drop(columns="server").reset_index(drop=True)
    lead = logs[logs["server"] == leader].drop(columns="server").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, lead)
    commits = res.tables["commits"]
    # it learned index 1 before the crash and again after the restart
    assert (commits[(commits["server"] == follower) & (commits["index"] == 1)].shape[0]) == 2
    assert raft_check(res)["ok"]


def test_minority_partition_cannot_commit_and_old_leader_steps_down() -> None:
    base = lan(n_servers=5, n_requests=30, request_interval_s=0.1)
    leader = leader_of(run_raft(base, seed=4))
    others = [i for i in range(5) if i != leader]
    faults = [("partition", 1.5, [[leader, others[0]], others[1:]]), ("heal", 3.0)]
    res = run_raft(base.replace(faults=faults), seed=4)
    lc = res.tables["leader_commits"]
    # the old leader (term 1) commits nothing once cut off with a minority
    old = lc[lc["leader_term"] == 1]
    assert (old["t_committed_s"] < 1.5).all()
    # but it took requests during the partition: they sit uncommitted in its log
    leaders = res.tables["leaders"]
    assert len(leaders) >= 2
    new_term = int(leaders["term"].iloc[1])
    assert int(leaders["leader"].iloc[1]) in others[1:]
    during = lc[(lc["t_committed_s"] > 1.5) & (lc["t_committed_s"] < 3.0)]
    assert not during.empty and (during["leader_term"] >= new_term).all()
    # after the heal the old leader is a follower in the newer term
    assert res.meta["final_roles"][leader] == "follower"
    assert res.meta["final_terms"][leader] >= new_term
    assert res.tables["requests"]["t_accepted_s"].notna().all()
    assert raft_check(res)["ok"]


def test_loss_only_slows_things_down() -> None:
    res = run_raft(lan(n_servers=5, n_requests=20, loss_probability=0.1), seed=3)
    msgs = res.tables["messages"]
    assert msgs["n_dropped"].sum() > 0
    assert res.tables["requests"]["t_accepted_s"].notna().all()
    assert raft_check(res)["ok"]


@pytest.mark.parametrize("n", [3, 5])
def test_random_fault_schedules_are_safe(n: int) -> None:
    for run in range(15):
        rng = np.random.default_rng([n, run])
        faults = random_raft_faults(n, rng, horizon_s=3.0, n_faults=5)
        cfg = RaftConfig(
            n_servers=n,
            n_requests=20,
            request_interval_s=0.1,
            first_request_s=1.0,
            loss_probability=float(rng.choice([0.0, 0.05])),
            faults=faults,
            max_time_s=60.0,
        )
        res = run_raft(cfg, seed=run)
        check = raft_check(res)
        assert check["ok"], (run, faults, check)
        # everything heals, so every request is eventually accepted
        assert res.tables["requests"]["t_accepted_s"].notna().all(), (run, faults)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    events=st.lists(
        st.tuples(
            st.sampled_from(["crash", "partition"]),
            st.floats(0.0, 3.0),
            st.floats(0.05, 1.5),
            st.integers(0, 4),
            st.lists(st.booleans(), min_size=5, max_size=5),
        ),
        max_size=5,
    ),
)
def test_hypothesis_schedules_keep_raft_safe(seed: int, events: list) -> None:  # type: ignore[type-arg]
    faults: list[tuple[object, ...]] = []
    for kind, t, dur, node, side in events:
        if kind == "crash":
            faults += [("crash", t, node), ("restart", t + dur, node)]
        else:
            a = [i for i in range(5) if side[i]]
            b = [i for i in range(5) if not side[i]]
            faults += [("partition", t, [g for g in (a, b) if g]), ("heal", t + dur)]
    cfg = lan(n_servers=5, n_requests=15, request_interval_s=0.1, faults=faults, max_time_s=60)
    res = run_raft(cfg, seed=seed)
    assert raft_election_safety_violations(res).empty
    assert raft_state_machine_violations(res).empty
    assert raft_log_matching_violations(res).empty


def test_checks_find_planted_violations() -> None:
    res = run_raft(lan(n_servers=3, n_requests=3), seed=1)
    assert raft_check(res)["ok"]
    # two leaders in one term
    leaders = res.tables["leaders"]
    extra = leaders.iloc[[0]].assign(leader=(leaders["leader"].iloc[0] + 1) % 3)
    bad = ConsensusResults("raft", {**res.tables, "leaders": pd.concat([leaders, extra])}, res.meta)
    assert raft_election_safety_violations(bad)["term"].tolist() == [1]
    # a server that learned a different entry as committed
    commits = res.tables["commits"]
    forged = commits.iloc[[0]].assign(request_id=999)
    bad = ConsensusResults(
        "raft", {**res.tables, "commits": pd.concat([commits, forged])}, res.meta
    )
    assert "different" in set(raft_state_machine_violations(bad)["problem"])
    # a committed entry missing from most logs
    logs = res.tables["logs"]
    bad = ConsensusResults("raft", {**res.tables, "logs": logs[logs["index"] != 2]}, res.meta)
    assert "lost" in set(raft_state_machine_violations(bad)["problem"])
    # two logs with the same (index, term) but different requests
    changed = logs.copy()
    changed.loc[(changed["server"] == 0) & (changed["index"] == 3), "request_id"] = 999
    bad = ConsensusResults("raft", {**res.tables, "logs": changed}, res.meta)
    assert raft_log_matching_violations(bad)["index"].tolist() == [3]


def test_same_seed_same_tables() -> None:
    cfg = RaftConfig(
        n_servers=5,
        n_requests=10,
        loss_probability=0.05,
        arrivals="poisson",
        faults=[
            ("crash", 3.5, 1),
            ("restart", 4.0, 1),
            ("partition", 4.2, [[0, 2]]),
            ("heal", 5.0),
        ],
    )
    a, b = run_raft(cfg, seed=9), run_raft(cfg, seed=9)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.meta["initial_timeouts_s"] != run_raft(cfg, seed=10).meta["initial_timeouts_s"]
