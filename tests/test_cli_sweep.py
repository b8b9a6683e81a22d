"""``chainsim sweep FILE.toml``: the table written atomically, clear errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from chainsim.cli import main
from chainsim.experiments import load_sweep_file, sweep
from chainsim.scenarios import get_scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "sweeps"

SMALL = """
scenario = "teaching"
replications = 2
seed = 5
metrics = ["n_blocks", "stale_rate", "t50_s_median"]

[overrides]
"network.n_nodes" = 20
run.n_blocks = 6

[grid]
"mining.block_interval_s" = [5.0, 60.0]
"""


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _expected(seed: int = 5, replications: int = 2) -> pd.DataFrame:
    cfg = get_scenario("teaching").override({"network.n_nodes": 20, "run.n_blocks": 6})
    return sweep(
        cfg,
        {"mining.block_interval_s": [5.0, 60.0]},
        replications,
        seed=seed,
        metrics=["n_blocks", "stale_rate", "t50_s_median"],
    )


def _same(csv: Path, expected: pd.DataFrame) -> None:
    got = pd.read_csv(csv)
    assert list(got.columns) == list(expected.columns)
    want = expected.drop(columns="error")
    pd.testing.assert_frame_equal(got.drop(columns="error"), want, check_dtype=False)
    assert got["error"].isna().all()


def test_sweep_writes_csv_and_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "table.csv"
    status = main(["sweep", str(_write(tmp_path, SMALL)), "--out", str(out), "--no-progress"])
    assert status == 0
    _same(out, _expected())
    parquet = pd.read_parquet(out.with_suffix(".parquet"))
    assert parquet["t50_s_median"].tolist() == pd.read_csv(out)["t50_s_median"].tolist()
    printed = capsys.readouterr()
    assert "4 runs written to" in printed.out
    assert "stale_rate" in printed.out and "+-" in printed.out
    assert "2 points x 2 replications = 4 runs, seed 5" in printed.err
    assert sorted(p.name for p in out.parent.iterdir()) == ["table.csv", "table.parquet"]


def test_seed_and_replications_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    argv = ["sweep", str(_write(tmp_path, SMALL)), "--out", str(out), "--no-progress"]
    assert main([*argv, "--seed", "9", "--replications", "3"]) == 0
    _same(out, _expected(seed=9, replications=3))
    # Writing again replaces the file (atomically) and leaves no temporary files.
    assert main(argv) == 0
    _same(out, _expected())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml", "t.csv", "t.parquet"]


def test_process_pool_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    argv = ["sweep", str(_write(tmp_path, SMALL)), "--out", str(out), "--no-progress"]
    assert main([*argv, "--executor", "processes:2"]) == 0
    _same(out, _expected())


@pytest.mark.slow
def test_dask_scheduler_address_from_the_command_line(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "t.csv"
    argv = ["sweep", str(_write(tmp_path, SMALL)), "--out", str(out), "--no-progress"]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert main([*argv, "--executor", cluster.scheduler_address]) == 0
        # The command disconnects; it does not shut the user's cluster down.
        assert client.submit(sum, [1, 2]).result(timeout=30) == 3
        assert len(client.scheduler_info()["workers"]) == 2
    _same(out, _expected())


def test_default_output_name_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", str(_write(tmp_path, SMALL, "mine.toml")), "--no-progress"]) == 0
    _same(tmp_path / "mine.csv", _expected())


def test_failed_runs_are_written_and_reported_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SMALL.replace(
        '"mining.block_interval_s" = [5.0, 60.0]',
        '"network.topology" = ["random-regular", "custom"]',
    )
    out = tmp_path / "t.csv"
    assert main(["sweep", str(_write(tmp_path, text)), "--out", str(out), "--no-progress"]) == 1
    table = pd.read_csv(out)
    assert table["error"].notna().tolist() == [False, False, True, True]
    assert (table["n_blocks"].iloc[:2] == 6).all()
    err = capsys.readouterr().err
    assert "chainsim: warning: 2 of 4 runs failed" in err
    assert "network.topology='custom', seed=" in err
    assert "Traceback" not in err


BAD_FILES = [
    ('scenario = "teaching"\n[grid\n', "is not valid TOML"),
    ('scenario = "teaching"\nreplicates = 3\n', "unknown key 'replicates'; allowed: scenario"),
    ('scenario = "bitcoyn"\n', "bitcoyn"),
    ('[overrides]\n"network.n_nodez" = 3\n', "[overrides]: unknown parameter network.n_nodez"),
    ('[grid]\n"mining.block_interval_s" = [60, -1]\n', "block_interval_s must be > 0, got -1"),
    ('[grid]\n"mining.block_interval_s" = 60\n', "must be a list of values, got 60"),
    ('metrics = ["stale"]\n', "unknown metric 'stale'"),
    ("replications = 0\n", "replications must be a whole number >= 1, got 0"),
    ('seed = "x"\n', "seed must be a whole number >= 0"),
    ('executor = "threads"\n', "executor must be 'serial', 'processes'"),
    ('[grid]\n"run.n_blocks" = [1]\n[[points]]\n"run.n_blocks" = 2\n', "not both"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_sweep_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    out = tmp_path / "t.csv"
    assert main(["sweep", str(_write(tmp_path, text)), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("chainsim: error: sweep file")
    assert message in err
    assert "\n" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--out", "t.txt"], "--out must name a .csv file, got 't.txt'"),
        (["--executor", "processes:0"], "needs a whole number N >= 1"),
        pytest.param(  # waits for the 10 s connection timeout
            ["--executor", "tcp://127.0.0.1:1"],
            "no Dask scheduler answered",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_bad_options_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["sweep", str(_write(tmp_path, SMALL)), *extra]) == 2
    assert message in capsys.readouterr().err


def test_missing_file_and_bad_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(tmp_path / "none.toml")]) == 2
    assert "cannot read sweep file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["sweep", "x.toml", "--replications", "0"])
    assert info.value.code == 2
    assert "--replications: must be a whole number >= 1" in capsys.readouterr().err


def test_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    bad = _write(tmp_path, '[grid]\n"network.n_nodes" = [1]\n')
    proc = subprocess.run(
        [sys.executable, "-m", "chainsim.cli", "sweep", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"chainsim: error: sweep file {str(bad)!r}: network.n_nodes must be >= 2, got 1 "
        "(grid point network.n_nodes=1)"
    ]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_example_files_are_valid(path: Path) -> None:
    spec = load_sweep_file(path)
    assert spec.seed is not None and spec.replications >= 1
    assert spec.grid
