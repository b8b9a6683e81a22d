"""Configs: defaults, validation messages, round trips, metadata for widgets."""

from __future__ import annotations

import dataclasses
import math

import pytest

from chainsim.config import (
    ConsensusConfig,
    MiningConfig,
    NetworkConfig,
    RunConfig,
    SimConfig,
    WorkloadConfig,
    describe_fields,
)
from chainsim.errors import ConfigError

BAD_VALUES = [
    (MiningConfig, {"block_interval_s": 0}, "mining.block_interval_s must be > 0, got 0.0"),
    (MiningConfig, {"block_interval_s": -5}, "mining.block_interval_s must be > 0, got -5.0"),
    (MiningConfig, {"block_interval_s": "ten"}, "mining.block_interval_s must be a number"),
    (MiningConfig, {"block_interval_s": math.nan}, "must be a number (not NaN)"),
    (MiningConfig, {"n_miners": 2.5}, "mining.n_miners must be a whole number, got 2.5"),
    (MiningConfig, {"n_miners": 0}, "mining.n_miners must be >= 1, got 0"),
    (MiningConfig, {"n_miners": 2, "hash_shares": (0.5, 0.6)}, "must sum to 1, got 1.1"),
    (MiningConfig, {"n_miners": 3, "hash_shares": (0.5, 0.5)}, "must have n_miners (3) entries"),
    (MiningConfig, {"n_miners": 2, "hash_shares": (1.5, -0.5)}, "hash_shares[0] must be <= 1"),
    (MiningConfig, {"hashrate_shocks": ((10.0, -1.0),)}, "hashrate_shocks[0] needs"),
    (MiningConfig, {"hashrate_shocks": (5,)}, "must be a (time_s, factor) pair"),
    (MiningConfig, {"retarget": "yes"}, "mining.retarget must be True or False, got 'yes'"),
    (NetworkConfig, {"n_nodes": 1}, "network.n_nodes must be >= 2, got 1"),
    (NetworkConfig, {"topology": "ring"}, "network.topology must be one of 'bitcoin'"),
    (NetworkConfig, {"relay": "flood"}, "network.relay must be one of 'inv', 'push', 'compact'"),
    (NetworkConfig, {"compact_failure_rate": 1.5}, "compact_failure_rate must be <= 1"),
    (NetworkConfig, {"bandwidth_mbps": 0}, "network.bandwidth_mbps must be > 0"),
    (NetworkConfig, {"latency_ms": -1}, "network.latency_ms must be >= 0"),
    (NetworkConfig, {"region_shares": (1.0,)}, "must have 6 entries"),
    (NetworkConfig, {"region_shares": (0.5,) * 6}, "region_shares must sum to 1, got 3"),
    (
        NetworkConfig,
        {"topology": "random-regular", "n_nodes": 5, "degree": 3},
        "must be even for a random-regular topology",
    ),
    (NetworkConfig, {"topology": "random-regular", "n_nodes": 4, "degree": 4}, "must be < n_nodes"),
    (ConsensusConfig, {"protocol": "pow"}, "consensus.protocol must be one of"),
    (WorkloadConfig, {"tx_rate_per_s": -1}, "workload.tx_rate_per_s must be >= 0"),
    (RunConfig, {"n_blocks": 0}, "run.n_blocks must be >= 1, got 0"),
    (RunConfig, {"engine": "turbo"}, "run.engine must be one of 'auto', 'simpy', 'fast'"),
    (RunConfig, {"max_time_s": 0}, "run.max_time_s must be > 0"),
]


@pytest.mark.parametrize(("cls", "kwargs", "message"), BAD_VALUES)
def test_bad_values_name_parameter_value_and_rule(cls, kwargs, message):
    with pytest.raises(ConfigError) as info:
        cls(**kwargs)
    assert message in str(info.value)


def test_defaults_are_valid_and_frozen():
    cfg = SimConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.network.n_nodes = 5  # type: ignore[misc]
    assert cfg.mining.shares == (0.1,) * 10
    assert math.isclose(sum(cfg.network.region_shares), 1.0)


def test_round_trip_through_plain_dicts():
    cfg = SimConfig(
        network=NetworkConfig(bandwidth_mbps=math.inf, latency_ms=50),
        mining=MiningConfig(n_miners=2, hash_shares=(0.3, 0.7), hashrate_shocks=((5, 0.5),)),
    )
    data = cfg.to_dict()
    assert data["network"]["bandwidth_mbps"] == "inf"
    assert SimConfig.from_dict(data) == cfg


def test_override_dotted_paths_and_errors():
    cfg = SimConfig().override({"network.n_nodes": 300, "mining.block_interval_s": 60})
    assert (cfg.network.n_nodes, cfg.mining.block_interval_s) == (300, 60.0)
    with pytest.raises(ConfigError, match="unknown parameter network.nodes"):
        SimConfig().override({"network.nodes": 3})
    with pytest.raises(ConfigError, match="section.name"):
        SimConfig().override({"nodes": 3})
    with pytest.raises(ConfigError, match="unknown config section 'netwrk'"):
        SimConfig.from_dict({"netwrk": {}})


def test_cross_section_check():
    with pytest.raises(ConfigError, match=r"mining.n_miners must be <= network.n_nodes \(5\)"):
        SimConfig(network=NetworkConfig(n_nodes=5), mining=MiningConfig(n_miners=6))


def test_numpy_scalars_are_accepted():
    np = pytest.importorskip("numpy")
    cfg = NetworkConfig(n_nodes=np.int64(50), latency_jitter=np.float32(0.5))
    assert type(cfg.n_nodes) is int and cfg.n_nodes == 50
    assert type(cfg.latency_jitter) is float


def test_field_metadata_is_there_for_widgets():
    fields = {d["name"]: d for d in describe_fields(MiningConfig)}
    interval = fields["block_interval_s"]
    assert interval["unit"] == "s" and interval["min"] == 0.0 and interval["label"]
    assert fields["n_miners"]["default"] == 10
    topo = {d["name"]: d for d in describe_fields(NetworkConfig)}["topology"]
    assert "bitcoin" in topo["choices"]
