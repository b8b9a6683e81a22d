"""PBFT: exact normal case, view change, Byzantine replicas, safety, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim.analysis import pbft_quorums
from chainsim.consensus import (
    BYZANTINE_BEHAVIOURS,
    PBFTConfig,
    pbft_safety_violations,
    run_pbft,
)
from chainsim.consensus.pbft import quorum_size

LAT = 0.010  # one-way latency, s
PROC = 0.001  # processing per message, s
HOP = LAT + PROC


def fixed(**kw: object) -> PBFTConfig:
    base: dict[str, object] = {"latency_ms": LAT * 1000, "processing_ms": PROC * 1000}
    base.update(kw)
    return PBFTConfig(**base)  # type: ignore[arg-type]


def counts(res: object) -> dict[str, int]:
    msgs = res.tables["messages"]  # type: ignore[attr-defined]
    return dict(zip(msgs["kind"], msgs["n_messages"].astype(int), strict=True))


@pytest.mark.parametrize("n", [4, 7])
def test_one_request_exact_messages_and_times(n: int) -> None:
    res = run_pbft(fixed(n_replicas=n, n_requests=1), seed=1)
    c = counts(res)
    # client -> primary; primary -> n-1 backups; every backup -> n-1 others (prepare);
    # every replica -> n-1 others (commit); every replica -> client (reply)
    assert c["request"] == 1
    assert c["pre-prepare"] == n - 1
    assert c["prepare"] == (n - 1) * (n - 1)
    assert c["commit"] == n * (n - 1)
    assert c["reply"] == n
    assert c["checkpoint"] == c["view-change"] == c["new-view"] == 0
    # committed = client->primary + pre-prepare + prepare + commit hops
    commits = res.tables["commits"]
    assert len(commits) == n
    assert commits["t_committed_s"].to_numpy() == pytest.approx(np.full(n, 4 * HOP))
    assert set(commits["seq"]) == {1} and set(commits["digest"]) == {0}
    req = res.tables["requests"].iloc[0]
    assert req["t_accepted_s"] == pytest.approx(5 * HOP)  # plus the reply hop
    assert req["latency_s"] == pytest.approx(5 * HOP)
    assert pbft_safety_violations(res).empty


def test_quorums_come_from_the_closed_form() -> None:
    q = pbft_quorums(64)
    assert (q.f, q.prepare, q.commit, q.reply) == (21, 42, 43, 22)
    for n in (4, 7, 10, 64):  # n = 3f + 1: the simulation uses exactly these sizes
        assert quorum_size(n) == pbft_quorums(n).commit


def test_checkpoints_every_k_and_garbage_collection() -> None:
    n, k, m = 4, 2, 6
    res = run_pbft(fixed(n_replicas=n, n_requests=m, checkpoint_interval=k), seed=1)
    # every replica sends one checkpoint to n-1 others per k executions
    assert counts(res)["checkpoint"] == (m // k) * n * (n - 1)
    ex = res.tables["executions"]
    for _, g in ex.groupby("replica"):
        assert g["seq"].tolist() == list(range(1, m + 1))  # in sequence order
    assert res.requests["t_accepted_s"].notna().all()


def test_log_window_holds_back_the_primary() -> None:
    # 8 requests at once, window 2, checkpoint every 2: at most 2 sequence numbers ahead
    res = run_pbft(
        fixed(n_requests=8, request_interval_s=0.0, checkpoint_interval=2, log_window=2), seed=1
    )
    first = res.tables["commits"].groupby("seq")["t_committed_s"].min()
    assert first.is_monotonic_increasing
    assert first.loc[3] > first.loc[2] + 2 * HOP  # waited for the checkpoint at 2
    assert res.requests["t_accepted_s"].notna().all()


def test_silent_primary_view_change_then_progress() -> None:
    cfg = fixed(n_requests=3, faults=[("byzantine", 0, "silent")])
    res = run_pbft(cfg, seed=1)
    views = res.tables["view_changes"]
    installed = views[views["event"] == "new-view"]
    assert set(installed["replica"]) == {1, 2, 3}
    assert set(installed["new_view"]) == {1}
    # client timeout, then backups' request timers
    t_vc = cfg.client_timeout_s + HOP + cfg.view_change_timeout_s
    started = views[views["event"] == "view-change"]
    assert started["t_s"].min() == pytest.approx(t_vc)
    req = res.tables["requests"]
    assert req["t_accepted_s"].notna().all()
    assert (req["t_accepted_s"] > t_vc).all()
    assert set(res.tables["commits"]["view"]) == {1}
    assert res.meta["n_view_changes"] == 1 and res.meta["final_view"] == 1
    assert pbft_safety_violations(res).empty


def test_slow_primary_is_replaced() -> None:
    cfg = fixed(
        n_requests=2, byzantine_delay_s=20.0, faults=[("byzantine", 0, "delay")], max_time_s=60
    )
    res = run_pbft(cfg, seed=1)
    assert res.meta["final_view"] >= 1
    assert res.requests["t_accepted_s"].notna().all()
    assert pbft_safety_violations(res).empty


def test_commits_survive_a_view_change() -> None:
    # the primary crashes after ordering request 0: the new primary re-proposes it
    cfg = fixed(n_requests=2, request_interval_s=1.0, faults=[("crash", 0.5, 0)])
    res = run_pbft(cfg, seed=1)
    commits = res.tables["commits"]
    before = commits[commits["view"] == 0]
    assert set(before["digest"]) == {0} and set(before["seq"]) == {1}
    after = commits[commits["view"] >= 1]
    assert not after.empty
    # sequence number 1 keeps request 0 in every view; request 1 goes after it
    assert set(commits.loc[commits["seq"] == 1, "digest"]) == {0}
    assert set(after.loc[after["digest"] == 1, "seq"]) == {2}
    assert res.requests["t_accepted_s"].notna().all()


def test_equivocating_primary_with_f_faults_is_safe_and_live() -> None:
    res = run_pbft(fixed(n_requests=4, faults=[("byzantine", 0, "equivocate")]), seed=2)
    assert pbft_safety_violations(res).empty
    assert res.requests["t_accepted_s"].notna().all()
    committed = res.tables["commits"]
    assert (committed["digest"] >= 0).all()  # the forged request never commits


@pytest.mark.parametrize("n", [4, 7, 10])
def test_f_plus_one_colluders_break_safety(n: int) -> None:
    """An equivocating primary plus f conflicting voters: honest replicas disagree."""
    f = (n - 1) // 3
    faults = [("byzantine", 0, "equivocate")] + [
        ("byzantine", n - 1 - i, "conflict") for i in range(f)
    ]
    res = run_pbft(fixed(n_replicas=n, n_requests=1, faults=faults, max_time_s=5.0), seed=1)
    bad = pbft_safety_violations(res)
    assert len(bad) == 1
    row = bad.iloc[0]
    assert row["seq"] == 1
    assert row["digests"] == [-3, 0]  # the forged request and the real one
    honest = res.meta["honest"]
    assert len(honest) == 2 * f and row["replicas"] == honest


def test_same_faults_with_only_f_replicas_is_safe() -> None:
    for n in (4, 7, 10):
        f = (n - 1) // 3
        faults = [("byzantine", 0, "equivocate")] + [
            ("byzantine", n - 1 - i, "conflict") for i in range(f - 1)
        ]
        res = run_pbft(fixed(n_replicas=n, n_requests=3, faults=faults), seed=1)
        assert pbft_safety_violations(res).empty, n


@settings(max_examples=60, deadline=None)
@given(
    n=st.sampled_from([4, 7]),
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
)
def test_f_byzantine_never_break_safety(n: int, data: st.DataObject, seed: int) -> None:
    f = (n - 1) // 3
    nodes = data.draw(st.lists(st.integers(0, n - 1), min_size=f, max_size=f, unique=True))
    behaviours = data.draw(st.lists(st.sampled_from(BYZANTINE_BEHAVIOURS), min_size=f, max_size=f))
    faults: list[tuple[object, ...]] = [
        ("byzantine", r, b) for r, b in zip(nodes, behaviours, strict=True)
    ]
    if data.draw(st.booleans()):  # and a partition that heals
        side = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n - 1, unique=True))
        t = data.draw(st.floats(0.0, 2.0))
        faults += [("partition", t, [side]), ("heal", t + data.draw(st.floats(0.1, 10.0)))]
    cfg = PBFTConfig(
        n_replicas=n,
        n_requests=6,
        request_interval_s=0.05,
        checkpoint_interval=2,
        log_window=4,
        faults=faults,
        max_time_s=60.0,
    )
    res = run_pbft(cfg, seed=seed)
    assert pbft_safety_violations(res).empty
    # liveness too: with at most f faults every request is eventually accepted
    assert res.requests["t_accepted_s"].notna().all()
    # honest replicas execute the same sequence
    ex = res.tables["executions"]
    ex = ex[ex["replica"].isin(res.meta["honest"])]
    per_seq = ex.groupby("seq")["digest"].nunique()
    assert (per_seq == 1).all()


def test_same_seed_same_tables() -> None:
    cfg = PBFTConfig(
        n_replicas=7, n_requests=10, arrivals="poisson", faults=[("byzantine", 0, "silent")]
    )
    a, b = run_pbft(cfg, seed=11), run_pbft(cfg, seed=11)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    c = run_pbft(cfg, seed=12)
    assert not a.tables["requests"].equals(c.tables["requests"])


def test_summary_figures() -> None:
    res = run_pbft(fixed(n_requests=5, request_interval_s=0.5), seed=1)
    s = res.summary()
    assert s["n_accepted"] == 5
    assert s["latency_mean_s"] == pytest.approx(5 * HOP)
    assert s["latency_p99_s"] == pytest.approx(5 * HOP)
    assert s["throughput_rps"] == pytest.approx(5 / (2.0 + 5 * HOP))
    assert s["n_messages"] == res.tables["messages"]["n_messages"].sum()


def test_crashed_backup_is_tolerated_and_crashed_primary_replaced() -> None:
    cfg = fixed(n_requests=5, request_interval_s=0.1, faults=[("crash", 0.2, 2)])
    res = run_pbft(cfg, seed=1)
    assert res.requests["t_accepted_s"].notna().all()
    assert res.meta["n_view_changes"] == 0
    commits = res.tables["commits"]
    assert commits.loc[commits["replica"] == 2, "t_committed_s"].max() < 0.2
    res = run_pbft(cfg.replace(faults=[("crash", 0.2, 0)]), seed=1)
    assert res.requests["t_accepted_s"].notna().all()
    assert res.meta["final_view"] == 1
    assert pbft_safety_violations(res).empty


@pytest.mark.parametrize(("n", "hops"), [(1, 2), (2, 4), (3, 4)])
def test_fewer_than_four_replicas_tolerate_no_fault_but_work(n: int, hops: int) -> None:
    res = run_pbft(fixed(n_replicas=n, n_requests=3, checkpoint_interval=1), seed=1)
    assert res.meta["f"] == 0
    # n = 1: the primary alone is a quorum and replies one hop after the request.
    # n = 2, 3: quorum 2; the backup is prepared when the pre-prepare arrives (2 hops),
    # the primary when its prepare arrives (3 hops), and it commits with the backup's
    # commit (3 hops); its reply is the one the client needs.
    assert res.requests["latency_s"].to_numpy() == pytest.approx(np.full(3, hops * HOP))


def test_more_than_3f_plus_1_replicas_use_larger_quorums() -> None:
    """n = 5 (f = 1): with 2f + 1 = 3 an equivocating primary would split 2 / 2."""
    assert quorum_size(5) == 4
    for seed in range(5):
        res = run_pbft(
            fixed(
                n_replicas=5,
                n_requests=6,
                request_interval_s=0.0,
                faults=[("byzantine", 0, "equivocate")],
            ),
            seed=seed,
        )
        assert res.meta["quorums"] == {"prepare": 3, "commit": 4, "reply": 2}
        assert pbft_safety_violations(res).empty
        assert res.requests["t_accepted_s"].notna().all()


def test_new_view_reproposes_highest_view_certificates_and_fills_gaps() -> None:
    """The NEW-VIEW rule, on hand-made view changes (a white-box check)."""
    from chainsim.consensus.pbft import NULL_DIGEST, PBFTSimulation

    sim = PBFTSimulation(fixed(n_replicas=4, n_requests=0), seed=1)
    new_primary = sim.replicas[1]  # view 1's primary
    new_primary.active = False
    new_primary.vc_target = 1
    # (stable seq, stable digest, {seq: (view, digest)}) from replicas 1, 2, 3:
    # seq 2 prepared in views 0 and 3 with different requests; seq 1 prepared nowhere
    new_primary.vc_msgs = {
        1: {
            1: (0, 0, {2: (0, 7)}),
            2: (0, 0, {2: (3, 8), 4: (0, 9)}),
            3: (0, 0, {}),
        }
    }
    sim._send_new_view(new_primary, 1)
    assert new_primary.view == 1 and new_primary.active
    assert new_primary.log_pp == {
        (1, 1): NULL_DIGEST,  # a gap: the null request
        (1, 2): 8,  # the certificate of the highest view wins
        (1, 3): NULL_DIGEST,
        (1, 4): 9,
    }
    assert new_primary.next_seq == 5
    assert counts_new_view(sim) == 3  # one NEW-VIEW to each backup


def counts_new_view(sim: object) -> int:
    msgs = sim.msgs.table().set_index("kind")  # type: ignore[attr-defined]
    return int(msgs.loc["new-view", "n_messages"])


def test_partitioned_primary_is_replaced_and_rejoins_after_heal() -> None:
    cfg = fixed(
        n_requests=6,
        request_interval_s=1.0,
        checkpoint_interval=2,
        faults=[("partition", 0.5, [[0]]), ("heal", 20.0)],
    )
    res = run_pbft(cfg, seed=1)
    assert res.requests["t_accepted_s"].notna().all()
    views = res.tables["view_changes"]
    installed = views[views["event"] == "new-view"]
    # the majority side moves to view 1 during the partition ...
    side = installed[installed["replica"] != 0]
    assert set(side["new_view"]) == {1} and (side["t_s"] < 20.0).all()
    # ... and the old primary joins view 1 when the held-back NEW-VIEW reaches it
    old = installed[installed["replica"] == 0]
    assert old["new_view"].tolist() == [1]
    assert old["t_s"].iloc[0] == pytest.approx(20.0 + HOP)
    assert res.tables["faults"]["kind"].tolist() == ["partition", "heal"]
    # messages to and from replica 0 were held, not lost
    assert res.tables["messages"]["n_dropped"].sum() == 0
    # replica 0 commits nothing while cut off, then catches up in view 1 at once
    commits = res.tables["commits"]
    mine = commits[commits["replica"] == 0]
    assert not mine["t_committed_s"].between(0.5, 20.0).any()
    assert set(mine.loc[mine["view"] == 1, "seq"]) == set(range(1, 7))
    ex = res.tables["executions"]
    assert ex.loc[ex["replica"] == 0, "digest"].tolist() == list(range(6))
    assert pbft_safety_violations(res).empty


def test_partition_that_never_heals_drops_messages() -> None:
    res = run_pbft(fixed(n_requests=2, faults=[("partition", 0.0, [[3]])]), seed=1)
    assert res.requests["t_accepted_s"].notna().all()  # 0, 1, 2 are a quorum of 3
    msgs = res.tables["messages"].set_index("kind")
    # replica 3 never gets a pre-prepare, so only 1 and 2 prepare (and 3 misses them)
    assert msgs.loc["prepare", "n_dropped"] == 2 * 2
    assert msgs.loc["pre-prepare", "n_dropped"] == 2
    assert set(res.tables["commits"]["replica"]) == {0, 1, 2}
