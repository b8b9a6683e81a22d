"""Consensus protocols beyond proof of work: proof of stake, PBFT and Raft.

Proof of stake (:func:`simulate_pos`) runs slot-based leader election on the same
network and relay as proof of work and returns the same result tables.

Replicas (PBFT) or servers (Raft) talk point to point over a complete network
(:func:`chainsim.network.build_network` with topology ``"complete"``); clients send
requests; a fault schedule (:mod:`chainsim.consensus.faults`) crashes, restarts,
partitions or corrupts nodes at given times. Each run returns a
:class:`ConsensusResults` with tidy tables (requests, commits, messages by kind, view
changes or elections) and the checks that define each protocol's safety.

>>> res = run_raft(RaftConfig(n_servers=3, n_requests=2, latency_ms=5), seed=1)
>>> raft_check(res)["ok"]
True
"""

from __future__ import annotations

from chainsim.consensus.bft_common import ConsensusResults, MessageCounter
from chainsim.consensus.config import PBFTConfig, RaftConfig
from chainsim.consensus.faults import (
    BYZANTINE_BEHAVIOURS,
    Byzantine,
    Crash,
    Fault,
    Heal,
    Partition,
    Restart,
    parse_faults,
)
from chainsim.consensus.pbft import PBFTSimulation, pbft_safety_violations, run_pbft
from chainsim.consensus.pos import PoSConfig, pos_config_from_sim, pos_summary, simulate_pos
from chainsim.consensus.raft import (
    RaftSimulation,
    raft_check,
    raft_election_safety_violations,
    raft_log_matching_violations,
    raft_state_machine_violations,
    run_raft,
)
from chainsim.consensus.validate import (
    describe_safety_run,
    pbft_safety_run,
    raft_safety_run,
    safety_check_rows,
)

__all__ = [
    "BYZANTINE_BEHAVIOURS",
    "Byzantine",
    "ConsensusResults",
    "Crash",
    "Fault",
    "Heal",
    "MessageCounter",
    "PBFTConfig",
    "PBFTSimulation",
    "Partition",
    "PoSConfig",
    "RaftConfig",
    "RaftSimulation",
    "Restart",
    "describe_safety_run",
    "parse_faults",
    "pbft_safety_run",
    "pbft_safety_violations",
    "pos_config_from_sim",
    "pos_summary",
    "raft_check",
    "raft_election_safety_violations",
    "raft_log_matching_violations",
    "raft_safety_run",
    "raft_state_machine_violations",
    "run_pbft",
    "run_raft",
    "safety_check_rows",
    "simulate_pos",
]
