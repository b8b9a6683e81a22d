"""The fault schedule and the PBFT / Raft configs: parsing, ordering, errors."""

from __future__ import annotations

import pytest

from chainsim.consensus import PBFTConfig, RaftConfig
from chainsim.consensus.faults import (
    Byzantine,
    Crash,
    Heal,
    Partition,
    PartitionTimeline,
    Restart,
    check_supported,
    parse_faults,
    partition_groups,
)
from chainsim.errors import ConfigError


def test_tuples_become_sorted_records() -> None:
    sched = parse_faults(
        [
            ("heal", 3.0),
            ("restart", 2.0, 1),
            ("partition", 1.5, [[0, 1], [2]]),
            ("crash", 1.0, 1),
            ("byzantine", 2, "delay"),
        ]
    )
    assert sched == (
        Byzantine(2, "delay"),
        Crash(1.0, 1),
        Partition(1.5, ((0, 1), (2,))),
        Restart(2.0, 1),
        Heal(3.0),
    )
    # records pass through unchanged
    assert parse_faults(sched) == sched


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (("crash", -1.0, 0), "t_s must be a finite time >= 0 s, got -1.0"),
        (("crash", 1.0, 9), "node must be in 0..3, got 9"),
        (("explode", 1.0, 0), "fault kind must be one of crash, restart"),
        (("byzantine", 0, "sneaky"), "behaviour must be one of 'silent'"),
        (("heal",), "must look like ('heal', t_s)"),
        (("partition", 1.0, [[0, 1], [1, 2]]), "a node may be in one group only"),
        ("crash", "must be a fault record or a tuple"),
    ],
)
def test_bad_entries_name_the_entry_and_the_rule(entry: object, message: str) -> None:
    with pytest.raises(ConfigError, match="faults\\[0\\]") as err:
        parse_faults([entry], n_nodes=4)
    assert message in str(err.value)


def test_two_behaviours_for_one_node_are_refused() -> None:
    with pytest.raises(ConfigError, match="one Byzantine behaviour"):
        parse_faults([("byzantine", 1, "silent"), ("byzantine", 1, "delay")])


def test_partition_groups_put_unlisted_nodes_together() -> None:
    assert partition_groups(Partition(0.0, ((3,), (0, 1))), 5) == [1, 1, 2, 0, 2]
    assert partition_groups(None, 2) == [0, 0]


def test_protocols_refuse_faults_they_do_not_model() -> None:
    with pytest.raises(ConfigError, match="pbft.faults: fault kind 'restart'"):
        PBFTConfig(faults=[("restart", 1.0, 0)])
    with pytest.raises(ConfigError, match="raft.faults: fault kind 'byzantine'"):
        RaftConfig(faults=[("byzantine", 0, "silent")])
    check_supported([Crash(0.0, 1)], ("crash",), "x")  # no error


@pytest.mark.parametrize(
    ("cls", "changes", "message"),
    [
        (PBFTConfig, {"n_replicas": 0}, "pbft.n_replicas must be >= 1, got 0"),
        (PBFTConfig, {"view_change_timeout_s": 0}, "pbft.view_change_timeout_s must be > 0"),
        (PBFTConfig, {"arrivals": "bursty"}, "pbft.arrivals must be one of 'fixed', 'poisson'"),
        (RaftConfig, {"loss_probability": 1.5}, "raft.loss_probability must be <= 1"),
        (RaftConfig, {"heartbeat_ms": -1}, "raft.heartbeat_ms must be > 0"),
        (
            RaftConfig,
            {"election_timeout_min_ms": 300, "election_timeout_max_ms": 150},
            "raft.election_timeout_max_ms must be >= the minimum (300), got 150.0",
        ),
        (RaftConfig, {"faults": [("crash", 1.0, 5)]}, "node must be in 0..4, got 5"),
    ],
)
def test_config_errors(cls: type, changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        cls(**changes)
    assert message in str(err.value)


def test_config_defaults_and_plain_dict() -> None:
    cfg = RaftConfig()
    # etcd defaults (FACTS.md): heartbeat 100 ms, election timeout 1000 ms
    assert (cfg.heartbeat_ms, cfg.election_timeout_min_ms) == (100.0, 1000.0)
    pb = PBFTConfig(n_replicas=7, faults=[("crash", 2, 3)])
    assert pb.f == 2
    assert pb.to_dict()["faults"] == [["crash", 2.0, 3]]
    assert pb.network_config().n_nodes == 8
    assert pb.network_config().topology == "complete"


def test_partition_timeline_reunions() -> None:
    sched = parse_faults(
        [("partition", 1.0, [[0, 1]]), ("partition", 2.0, [[0], [1, 2]]), ("heal", 4.0)]
    )
    tl = PartitionTimeline(sched, 3)
    assert tl.has_partitions
    assert tl.groups_at(0.5).tolist() == [0, 0, 0]
    assert tl.groups_at(1.0).tolist() == [0, 0, 1]
    assert tl.groups_at(2.5).tolist() == [0, 1, 1]
    # 0 and 1 together until 2.0, apart until the heal at 4.0
    assert tl.reunion_s(1.5, 0, 1) == 1.5
    assert tl.reunion_s(2.5, 0, 1) == 4.0
    # 1 and 2: apart from 1.0, together again at 2.0
    assert tl.reunion_s(1.2, 1, 2) == 2.0
    assert tl.reunion_row(1.2, 2).tolist() == [4.0, 2.0, 1.2]
    never = PartitionTimeline(parse_faults([("partition", 1.0, [[0]])]), 2)
    assert never.reunion_s(1.0, 0, 1) == float("inf")
    assert not PartitionTimeline(parse_faults([("crash", 1.0, 0)]), 2).has_partitions
