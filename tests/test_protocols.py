"""One interface: every consensus family runs through simulate() into the same tables."""

from __future__ import annotations

import pytest

import chainsim
from chainsim import metrics
from chainsim.config import SimConfig
from chainsim.errors import ConfigError
from chainsim.results import TABLES


def _config(protocol: str, **changes) -> SimConfig:
    base = {
        "consensus.protocol": protocol,
        "network.n_nodes": 7,
        "mining.n_miners": 7,
        "network.latency_ms": 20.0,
        "network.latency_jitter": 0.0,
        "mining.block_interval_s": 2.0,
        "mining.block_size_bytes": 1000,
        "run.n_blocks": 5,
    }
    return SimConfig().override({**base, **changes})


@pytest.mark.parametrize("protocol", ["nakamoto", "ghost", "pos", "pbft", "raft"])
def test_every_protocol_gives_the_common_tables(protocol):
    res = chainsim.simulate(_config(protocol), seed=4)
    for name, columns in TABLES.items():
        table = getattr(res, name)
        assert set(columns) <= set(table.columns), (protocol, name)
    blocks = res.blocks
    assert (blocks.loc[blocks["block_id"] == 0, "parent_id"] == -1).all()
    parents = set(blocks["block_id"])
    assert set(blocks.loc[blocks["block_id"] != 0, "parent_id"]) <= parents
    assert (res.receipts["delay_s"] >= 0).all()
    summary = metrics.summary(res)
    assert 0.0 <= summary["stale_rate"] <= 1.0
    assert res.meta["seed"] == 4


@pytest.mark.parametrize("protocol", ["pbft", "raft"])
def test_bft_requests_become_a_final_chain_with_finality_latency(protocol):
    res = chainsim.simulate(_config(protocol), seed=1)
    requests = res.extras["requests"]
    assert requests["t_accepted_s"].notna().all()  # all 5 requests accepted
    # Every committed position is on the one chain; every replica commits each one.
    assert res.blocks["main_chain"].all() and metrics.stale_rate(res) == 0.0
    n_positions = int((res.blocks["block_id"] != 0).sum())
    assert n_positions >= 5
    assert len(res.receipts) == 7 * n_positions
    # Latency to finality at all replicas: at least the protocol's message rounds.
    lat = metrics.propagation_times(res, fractions=(1.0,))["t100_s"]
    assert (lat >= 2 * 0.020).all()
    kinds = set(res.messages["kind"])
    assert ({"prepare", "commit"} if protocol == "pbft" else {"append-entries"}) <= kinds


def test_pbft_commit_latency_matches_its_message_rounds():
    # Fixed 20 ms links, no processing: client -> primary, pre-prepare, prepare, commit:
    # the first commit is 4 one-way delays after the request is sent.
    cfg = _config("pbft", **{"network.processing_ms": 0.0, "run.n_blocks": 1})
    res = chainsim.simulate(cfg, seed=1)
    first = res.receipts["delay_s"].min()
    assert first == pytest.approx(4 * 0.020)


def test_protocol_specific_arguments_are_refused_for_bft():
    with pytest.raises(ConfigError, match="apply to proof-of-work protocols"):
        chainsim.simulate(_config("raft"), seed=1, fork_choice=lambda t, a, b: a)


def test_proof_of_stake_tables_are_saved_with_the_run(tmp_path):
    res = chainsim.simulate(_config("pos"), seed=2)
    res.save(tmp_path / "pos")
    back = chainsim.Results.load(tmp_path / "pos")
    assert {"slots", "pos_blocks", "finality_violations"} <= set(back.extras)
    assert len(back.extras["slots"]) == len(res.slots) > 0
