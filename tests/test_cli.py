"""The command line: bad input gets one clear line and status 2; output is atomic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chainsim.cli import main
from chainsim.errors import ChainSimError
from chainsim.results import Results, atomic_write_dir

BAD_ARGS = [
    (["run", "teaching", "--nodes", "1"], "argument --nodes: must be a whole number >= 2"),
    (
        ["run", "teaching", "--nodes", "ten"],
        "--nodes: must be a whole number >= 2 and <= 100000, got 'ten'",
    ),
    (["run", "teaching", "--blocks", "0"], "--blocks: must be a whole number >= 1"),
    (["run", "teaching", "--seed", "-3"], "--seed: must be a whole number >= 0, got '-3'"),
    (["run", "teaching", "--interval", "0"], "--interval: must be a number > 0, got '0'"),
    (["run", "teaching", "--interval", "nan"], "--interval: must be a number > 0, got 'nan'"),
    (["run", "teaching", "--relay", "flood"], "argument --relay: invalid choice: 'flood'"),
    (["run"], "the following arguments are required: scenario"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["validate", "--q", "1.5"], "--q: must be a number >= 0 and <= 1, got '1.5'"),
    (["validate", "--z", "-1"], "--z: must be a whole number >= 0 and <= 1000, got '-1'"),
    (["validate", "--alpha", "0.7"], "--alpha: must be a number >= 0 and <= 0.5, got '0.7'"),
    (["validate", "--gamma", "x"], "--gamma: must be a number >= 0 and <= 1, got 'x'"),
    (["validate", "--only", "everything"], "argument --only: invalid choice: 'everything'"),
    ([], "the following arguments are required: COMMAND"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_ARGS)
def test_bad_arguments_exit_2_with_one_clear_line(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unknown_scenario_names_the_choices(capsys):
    assert main(["run", "bitcoyn", "--blocks", "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'bitcoyn'" in err and "bitcoin" in err
    assert "Traceback" not in err


def test_small_networks_get_fewer_equal_miners(tmp_path, capsys):
    # The preset has 20 equal miners; a 5-node run keeps equal shares over 5 miners.
    out = tmp_path / "small"
    assert (
        main(["run", "litecoin", "--nodes", "5", "--blocks", "3", "--seed", "2", "--out", str(out)])
        == 0
    )
    nodes = Results.load(out).nodes
    assert len(nodes) == 5 and (nodes["hash_share"] == 0.2).all()


def test_config_error_from_a_file_of_overrides_is_reported(capsys):
    # A bad value that reaches the config layer (not argparse) still exits 2, one line.
    code = main(["run", "teaching", "--interval", "1e9"])
    err = capsys.readouterr().err
    assert code == 2
    assert "mining.block_interval_s must be <= 1e+07, got 1000000000.0" in err
    assert "Traceback" not in err


def test_run_writes_tables_and_meta(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", "teaching", "--blocks", "5", "--seed", "3", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "stale_rate" in stdout and "seed 3" in stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "blocks.csv",
        "messages.csv",
        "meta.json",
        "nodes.csv",
        "receipts.csv",
    ]
    res = Results.load(out)
    assert res.meta["seed"] == 3 and res.meta["scenario"] == "teaching"
    assert (res.blocks["block_id"] != 0).sum() == 5


def test_run_json_summary_is_machine_readable(capsys):
    assert main(["run", "teaching", "--blocks", "3", "--seed", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == 1 and 0.0 <= data["stale_rate"] <= 1.0


def test_out_dir_with_foreign_files_is_refused_before_running(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    assert main(["run", "teaching", "--blocks", "2", "--out", str(out)]) == 2
    assert "already holds other files (thesis.tex)" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "results"

    def boom(tmp: Path) -> None:
        (tmp / "blocks.csv").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write_dir(target, boom)
    assert list(tmp_path.iterdir()) == []


def test_replacing_earlier_results_is_atomic(tmp_path):
    target = tmp_path / "r"
    Results(meta={"seed": 1}).save(target)
    Results(meta={"seed": 2}).save(target)
    assert Results.load(target).meta["seed"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["r"]
    with pytest.raises(ChainSimError, match="no results in"):
        Results.load(tmp_path)


def test_scenarios_lists_presets_with_sources(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in ("bitcoin", "litecoin", "dogecoin", "ethereum-pow"):
        assert name in out
    assert "source:" in out


def test_entry_point_runs_as_a_program():
    proc = subprocess.run(
        [sys.executable, "-m", "chainsim.cli", "run", "nowhere"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown scenario 'nowhere'" in proc.stderr and "Traceback" not in proc.stderr


def test_validate_json_double_spend_and_consensus(capsys):
    argv = [
        "validate",
        "--only",
        "double-spend",
        "--only",
        "consensus",
        "--q",
        "0.3",
        "--z",
        "4",
        "--trials",
        "20000",
        "--runs",
        "4",
        "--network-trials",
        "0",
        "--json",
    ]
    assert main(argv) == 0
    rows = {r["check"]: r for r in json.loads(capsys.readouterr().out)}
    ds = rows["double-spend"]
    assert ds["parameters"] == "q=0.3, z=4" and ds["agrees"] is True
    assert ds["ci_low"] <= ds["reference"] <= ds["ci_high"]
    assert "Nakamoto's approximation" in ds["note"]
    assert rows["pbft-safety"]["simulated"] == 0.0 and rows["raft-safety"]["simulated"] == 0.0
    assert rows["pbft-beyond-f"]["simulated"] == 1.0


def test_validate_rejects_a_bad_pbft_size(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate", "--pbft-n", "3"])
    assert info.value.code == 2
    assert "--pbft-n: must be a whole number >= 4 and <= 100, got '3'" in capsys.readouterr().err


def test_extra_tables_round_trip(tmp_path):
    import pandas as pd

    res = Results(meta={"seed": 5}, extras={"view_changes": pd.DataFrame({"view": [0, 1]})})
    res.save(tmp_path / "r")
    back = Results.load(tmp_path / "r")
    assert list(back.extras) == ["view_changes"]
    assert back.extras["view_changes"]["view"].tolist() == [0, 1]
    with pytest.raises(ChainSimError, match="extra table names"):
        Results(extras={"../evil": pd.DataFrame()}).save(tmp_path / "s")
    assert not (tmp_path / "s").exists()


def test_validate_network_double_spend_row(capsys):
    argv = [
        "validate",
        "--only",
        "double-spend",
        "--q",
        "0.3",
        "--z",
        "2",
        "--trials",
        "20000",
        "--network-trials",
        "200",
        "--json",
    ]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    network = [r for r in rows if "network simulator" in r["quantity"]]
    assert len(network) == 1 and network[0]["parameters"] == "q=0.3, z=2, 200 races"
    assert network[0]["ci_low"] <= network[0]["simulated"] <= network[0]["ci_high"]
