"""simulate() and Simulation: seeds, engines, metadata, bad input."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import chainsim
from chainsim.config import SimConfig
from chainsim.errors import ChainSimError, ConfigError, SimulationError
from chainsim.results import TABLES
from chainsim.simulation import Simulation, simulate


@pytest.fixture
def cfg() -> SimConfig:
    return SimConfig().override(
        {
            "network.n_nodes": 25,
            "network.topology": "random-regular",
            "network.degree": 4,
            "mining.n_miners": 6,
            "mining.block_interval_s": 3.0,
            "run.n_blocks": 40,
        }
    )


@pytest.mark.parametrize("engine", ["fast", "simpy"])
def test_same_seed_same_tables_different_seed_different(cfg, engine):
    a = simulate(cfg, seed=123, engine=engine)
    b = simulate(cfg, seed=123, engine=engine)
    c = simulate(cfg, seed=124, engine=engine)
    for name in TABLES:
        assert getattr(a, name).equals(getattr(b, name)), name
    assert not a.receipts.equals(c.receipts)
    assert not a.blocks["t_mined_s"].equals(c.blocks["t_mined_s"])
    assert a.meta["seed"] == 123 and c.meta["seed"] == 124


def test_seed_none_is_recorded_and_repeats_the_run(cfg):
    a = simulate(cfg)
    assert isinstance(a.meta["seed"], int)
    b = simulate(cfg, seed=a.meta["seed"])
    assert a.receipts.equals(b.receipts) and a.blocks.equals(b.blocks)


def test_seed_sequence_is_accepted(cfg):
    a = simulate(cfg, seed=np.random.SeedSequence(9))
    assert a.meta["seed"] == 9
    assert a.blocks.equals(simulate(cfg, seed=9).blocks)


def test_tables_and_meta(cfg):
    res = chainsim.simulate(cfg, seed=3)
    for name, columns in TABLES.items():
        assert tuple(getattr(res, name).columns) == columns
    meta = res.meta
    for key in (
        "seed",
        "config",
        "engine",
        "chainsim_version",
        "sim_time_s",
        "wall_time_s",
        "n_events",
        "n_nodes",
        "n_blocks",
    ):
        assert key in meta
    assert meta["config"] == cfg.to_dict()
    assert meta["engine"] == "fast" and meta["n_nodes"] == 25 and meta["n_blocks"] == 40
    assert meta["chainsim_version"] == chainsim.__version__
    genesis = res.blocks.iloc[0]
    assert (genesis["block_id"], genesis["parent_id"], genesis["miner"]) == (0, -1, -1)
    assert bool(genesis["main_chain"]) and genesis["t_mined_s"] == 0.0
    assert (res.receipts["block_id"] > 0).all()
    assert res.nodes["hash_share"].sum() == pytest.approx(1.0)
    assert (res.nodes["hash_share"] > 0).sum() == 6
    assert set(res.nodes["region"]) <= set(chainsim.config.REGIONS)
    miners = res.blocks["miner"].iloc[1:]
    assert set(miners) <= set(res.nodes.loc[res.nodes["hash_share"] > 0, "node"])
    assert res.messages["kind"].tolist()[:3] == ["inv", "getdata", "block"]
    assert (res.messages["n_bytes"] > 0).all()


def test_results_round_trip_through_save(cfg, tmp_path):
    res = simulate(cfg, seed=8)
    back = chainsim.Results.load(res.save(tmp_path / "out"))
    assert back.meta["seed"] == 8
    assert np.allclose(back.receipts["t_received_s"], res.receipts["t_received_s"])


def test_auto_engine_picks_simpy_for_a_log(cfg):
    sim = Simulation(cfg, seed=1, log=True)
    res = sim.run()
    assert sim.engine == "simpy" and res.meta["engine"] == "simpy"
    assert sim.env is not None and sim.env.now >= res.blocks["t_mined_s"].max()
    assert sum(1 for e in sim.log if e[1] == "mined") == 40
    assert sum(1 for e in sim.log if e[1] == "accepted") == len(res.receipts)
    assert Simulation(cfg, seed=1).engine == "fast"
    assert Simulation(cfg.override({"run.engine": "simpy"}), seed=1).engine == "simpy"


def test_progress_bar_counts_blocks(cfg, monkeypatch, capsys):
    monkeypatch.setenv("TQDM_DISABLE", "0")
    monkeypatch.delenv("TQDM_DISABLE")
    res = simulate(cfg, seed=2, progress=True)
    err = capsys.readouterr().err
    assert "40/40" in err
    assert res.meta["n_blocks"] == 40


def test_progress_bar_respects_tqdm_disable(cfg, monkeypatch, capsys):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    simulate(cfg, seed=2, progress=True)
    assert "40/40" not in capsys.readouterr().err


def test_a_simulation_runs_once(cfg):
    sim = Simulation(cfg, seed=1)
    sim.run()
    with pytest.raises(ChainSimError, match="runs once"):
        sim.run()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"engine": "turbo"}, "engine must be one of 'auto', 'simpy', 'fast', got 'turbo'"),
        ({"engine": "fast", "log": True}, "log=True needs engine='simpy'"),
        ({"fork_choice": "most-work"}, "fork_choice must be a function"),
        ({"miner_nodes": [0, 1]}, "miner_nodes must be 6 distinct node ids in 0..24"),
        ({"miner_nodes": [0, 1, 2, 3, 4, 99]}, "miner_nodes must be 6 distinct"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_arguments(cfg, kwargs, message):
    seed = kwargs.pop("seed", 0)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Simulation(cfg, seed, **kwargs)


def test_bad_config_values():
    with pytest.raises(ConfigError, match="config must be a SimConfig, got dict"):
        simulate({"network": {}}, seed=1)  # type: ignore[arg-type]
    # simulate() dispatches other protocols (tests/test_protocols.py); the proof-of-work
    # engine itself refuses them.
    with pytest.raises(ConfigError, match="consensus.protocol must be 'nakamoto'"):
        Simulation(SimConfig().override({"consensus.protocol": "pbft"}), seed=1)
    with pytest.raises(ConfigError, match="fork choice 'ghost' needs engine='simpy'"):
        simulate(SimConfig().override({"consensus.fork_choice": "ghost"}), seed=1, engine="fast")
    with pytest.raises(ConfigError, match="an attack needs engine='simpy'"):
        from chainsim.engine.adversary import Adversary

        simulate(SimConfig(), seed=1, engine="fast", attack=Adversary((0,)))
    with pytest.raises(ConfigError, match="attack must be an attack from chainsim.attacks"):
        simulate(SimConfig(), seed=1, attack="selfish")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="must be at least 4 s"):
        simulate(
            SimConfig().override(
                {
                    "mining.retarget": True,
                    "mining.retarget_period_blocks": 2,
                    "mining.block_interval_s": 1.0,
                }
            ),
            seed=1,
        )
    with pytest.raises(ConfigError, match="needs a graph"):
        simulate(SimConfig().override({"network.topology": "custom"}), seed=1)


def test_ghost_by_name_runs_on_simpy_and_records_uncles(cfg):
    res = simulate(cfg.override({"consensus.fork_choice": "ghost"}), seed=4)
    assert res.meta["engine"] == "simpy" and res.meta["fork_choice"] == "ghost"
    uncles = res.extras["uncles"]
    assert res.meta["n_uncles"] == len(uncles)
    assert set(res.extras["rewards"]["status"]) <= {"main", "uncle", "stale"}
    for nephew, uncle in uncles.itertuples(index=False):
        assert 1 <= res.blocks["height"][nephew] - res.blocks["height"][uncle] <= 6
    again = simulate(cfg.override({"consensus.protocol": "ghost"}), seed=4)
    assert again.blocks.equals(res.blocks)


def test_honest_adversary_and_empty_faults_change_nothing(cfg):
    from chainsim.engine.adversary import Adversary

    plain = simulate(cfg, seed=5, engine="simpy")
    hooked = simulate(cfg, seed=5, attack=Adversary((0, 1)), faults=[("loss", 0, 1e9, 0.0)])
    assert hooked.meta["engine"] == "simpy"
    for name in TABLES:
        assert getattr(plain, name).equals(getattr(hooked, name)), name
    assert hooked.meta["faults"]["dropped"] == {}
    assert plain.meta["forks"] == hooked.meta["forks"]


def test_longest_chain_rule_by_name(cfg):
    res = simulate(cfg.override({"consensus.fork_choice": "longest"}), seed=4)
    assert res.meta["fork_choice"] == "longest"
    # without retargeting every block has work 1: same outcome as most work
    assert res.blocks.equals(simulate(cfg, seed=4).blocks)


def test_a_deliberately_bad_fork_choice_changes_the_outcome(cfg):
    """A rule that never leaves genesis: every block is a fork of genesis."""

    def stubborn(tree, current, candidate):
        return current

    good = simulate(cfg, seed=6)
    bad = simulate(cfg, seed=6, fork_choice=stubborn)
    assert (bad.blocks["parent_id"].iloc[1:] == 0).all()
    assert bad.blocks["main_chain"].sum() == 1  # only genesis
    assert good.blocks["height"].max() > 10
    # same mining draws: same times and miners, only the parents differ
    assert bad.blocks["t_mined_s"].equals(good.blocks["t_mined_s"])
    assert bad.blocks["miner"].equals(good.blocks["miner"])


def test_custom_graph_and_miner_nodes():
    g = nx.cycle_graph(["a", "b", "c", "d", "e"])
    cfg = SimConfig().override(
        {
            "network.n_nodes": 5,
            "network.topology": "custom",
            "mining.n_miners": 2,
            "run.n_blocks": 6,
        }
    )
    sim = Simulation(cfg, seed=1, graph=g, miner_nodes=[3, 1])
    res = sim.run()
    assert set(res.blocks["miner"].iloc[1:]) <= {1, 3}
    assert res.nodes.set_index("node").loc[[1, 3], "hash_share"].tolist() == [0.5, 0.5]
    assert len(res.receipts) == 6 * 5


@pytest.mark.parametrize("engine", ["fast", "simpy"])
def test_a_fork_choice_returning_an_unknown_block_is_reported(cfg, engine):
    def broken(tree, current, candidate):
        return candidate + 1

    with pytest.raises(SimulationError, match=r"fork_choice broken\(tree, 0, 1\) at node"):
        simulate(cfg, seed=1, engine=engine, fork_choice=broken)


def test_simpy_nodes_are_exposed(cfg):
    sim = Simulation(cfg, seed=2, engine="simpy")
    sim.run()
    assert [node.tip for node in sim.nodes] == sim.tips
    assert len(sim.nodes) == 25


@pytest.mark.parametrize("engine", ["fast", "simpy"])
def test_a_time_limit_before_the_first_block_gives_empty_tables(engine):
    cfg = SimConfig().override(
        {"network.n_nodes": 5, "mining.n_miners": 2, "run.max_time_s": 0.001}
    )
    res = simulate(cfg, seed=1, engine=engine)
    assert len(res.blocks) == 1 and len(res.receipts) == 0 and len(res.messages) == 0
    assert res.meta["n_blocks"] == 0 and res.meta["sim_time_s"] == 0.001
    assert res.nodes["n_blocks_mined"].sum() == 0
    assert res.messages["kind"].dtype == object
