"""Scenario presets: valid configs, cited sources, measured figures, clear errors."""

from __future__ import annotations

import json

import pytest

import chainsim
from chainsim.config import BITCOIN_REGION_SHARES, SimConfig
from chainsim.errors import ConfigError, ScenarioError
from chainsim.network import DOGECOIN_REGION_SHARES, LITECOIN_REGION_SHARES, build_network
from chainsim.rng import RandomStreams
from chainsim.scenarios import (
    MEASURED_KEYS,
    SCENARIO_NAMES,
    Scenario,
    describe_scenario,
    get_scenario,
    list_scenarios,
)
from chainsim.scenarios.sources import GERVAIS_2016, SIMBLOCK_2019

REQUIRED = ("bitcoin", "litecoin", "dogecoin", "ethereum-pow", "simblock-bitcoin", "teaching")


def test_all_required_presets_exist_in_order() -> None:
    assert SCENARIO_NAMES == REQUIRED
    assert [s.name for s in list_scenarios()] == list(REQUIRED)


@pytest.mark.parametrize("name", REQUIRED)
def test_preset_is_a_valid_config_with_sources(name: str) -> None:
    scenario = describe_scenario(name)
    assert isinstance(scenario, Scenario)
    cfg = get_scenario(name)
    assert isinstance(cfg, SimConfig)
    assert cfg == scenario.config
    # Round trip through plain dicts (what the CLI and results metadata store).
    assert SimConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert scenario.title and scenario.description
    assert scenario.sources and all(len(s) > 20 for s in scenario.sources)
    assert SIMBLOCK_2019 in scenario.sources  # every preset uses the SimBlock tables
    assert set(scenario.measured) <= set(MEASURED_KEYS)
    assert set(scenario.simulated_reference) <= set(MEASURED_KEYS)
    if scenario.measured:
        assert scenario.measured_source in scenario.sources
        assert 0 < scenario.measured["median_propagation_s"] < 60
        assert 0 < scenario.measured["stale_rate"] < 0.2
    if scenario.simulated_reference:
        assert scenario.simulated_reference_source
    assert cfg.network.processing_ms == 2.0
    assert cfg.mining.n_miners <= cfg.network.n_nodes
    json.dumps(scenario.to_dict())


@pytest.mark.parametrize("name", REQUIRED)
def test_preset_network_builds_small(name: str) -> None:
    cfg = get_scenario(name).override({"network.n_nodes": 60})
    net = build_network(cfg.network, RandomStreams(1))
    assert net.n_nodes == 60
    assert net.summary()["connected"]


@pytest.mark.parametrize(
    ("name", "n_nodes", "interval_s", "size_bytes", "shares", "relay"),
    [
        ("bitcoin", 6_000, 600.0, 534_800, BITCOIN_REGION_SHARES, "inv"),
        ("litecoin", 800, 150.0, 6_110, LITECOIN_REGION_SHARES, "inv"),
        ("dogecoin", 600, 60.0, 8_000, DOGECOIN_REGION_SHARES, "inv"),
        ("ethereum-pow", 4_000, 15.0, 1_500, BITCOIN_REGION_SHARES, "push"),
        ("simblock-bitcoin", 1_000, 600.0, 535_000, BITCOIN_REGION_SHARES, "inv"),
        ("teaching", 50, 60.0, 100_000, BITCOIN_REGION_SHARES, "inv"),
    ],
)
def test_preset_values_match_the_facts(
    name: str,
    n_nodes: int,
    interval_s: float,
    size_bytes: int,
    shares: tuple[float, ...],
    relay: str,
) -> None:
    cfg = get_scenario(name)
    assert cfg.network.n_nodes == n_nodes
    assert cfg.mining.block_interval_s == interval_s
    assert cfg.mining.block_size_bytes == size_bytes
    assert cfg.network.region_shares == shares
    assert cfg.network.relay == relay
    assert cfg.network.topology == "bitcoin"
    assert cfg.network.latency_ms is None and cfg.network.bandwidth_mbps is None
    assert cfg.consensus.protocol == "nakamoto"
    assert cfg.consensus.fork_choice == "most-work"


def test_measured_figures_from_gervais_2016() -> None:
    table = {s.name: s.measured for s in list_scenarios()}
    assert table["bitcoin"] == {"median_propagation_s": 8.7, "stale_rate": 0.0041}
    assert table["litecoin"] == {"median_propagation_s": 1.02, "stale_rate": 0.00273}
    assert table["dogecoin"] == {"median_propagation_s": 0.85, "stale_rate": 0.00619}
    eth = table["ethereum-pow"]
    assert eth["median_propagation_s_low"] == 0.5
    assert eth["median_propagation_s_high"] == 0.75
    assert eth["median_propagation_s"] == pytest.approx(0.625)
    assert eth["stale_rate"] == 0.068
    assert table["teaching"] == {}
    for name in ("bitcoin", "litecoin", "dogecoin", "ethereum-pow", "simblock-bitcoin"):
        assert describe_scenario(name).measured_source == GERVAIS_2016


def test_simblock_bitcoin_is_the_benchmark_reference() -> None:
    cfg = get_scenario("simblock-bitcoin")
    assert cfg.run.n_blocks == 100
    assert cfg.network.relay == "inv"  # no compact blocks
    assert cfg.mining.retarget is False
    ref = describe_scenario("simblock-bitcoin").simulated_reference
    assert ref == {"median_propagation_s": 13.62, "stale_rate": 0.0163}


def test_records_are_fresh_copies() -> None:
    first = describe_scenario("bitcoin")
    first.measured["stale_rate"] = 0.5
    assert describe_scenario("bitcoin").measured["stale_rate"] == 0.0041


def test_package_level_access() -> None:
    assert chainsim.get_scenario("teaching") == get_scenario("teaching")
    assert [s.name for s in chainsim.list_scenarios()] == list(REQUIRED)


@pytest.mark.parametrize("bad", ["monero", "Bitcoin", "", " bitcoin", "ethereum", None, 3])
def test_unknown_scenario_lists_the_names(bad: object) -> None:
    with pytest.raises(ScenarioError) as info:
        get_scenario(bad)  # type: ignore[arg-type]
    message = str(info.value)
    assert message == (
        f"unknown scenario {bad!r}; choose one of: bitcoin, litecoin, dogecoin, "
        "ethereum-pow, simblock-bitcoin, teaching"
    )
    assert isinstance(info.value, ConfigError)


def test_unknown_scenario_in_describe() -> None:
    with pytest.raises(ScenarioError, match="unknown scenario 'x'"):
        describe_scenario("x")
