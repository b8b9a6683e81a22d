"""Replications and sweeps: seeds, tables, summaries, executors (real pools, real Dask)."""

from __future__ import annotations

import concurrent.futures as cf
import math
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from chainsim import metrics as chain_metrics
from chainsim.config import SimConfig
from chainsim.errors import ConfigError, SimulationError
from chainsim.experiments import (
    SweepWarning,
    metric_names,
    replicate,
    replication_seeds,
    resolve_executor,
    summarize,
    sweep,
)
from chainsim.simulation import simulate

GRID = {"mining.block_interval_s": [2.0, 600.0], "network.degree": [4, 6]}
METRICS = ["n_blocks", "n_stale", "stale_rate", "t50_s_median", "t100_s_median"]


@pytest.fixture
def serial_table(tiny_config: SimConfig, seed: int) -> pd.DataFrame:
    return sweep(tiny_config, GRID, replications=3, seed=seed, metrics=METRICS)


# ----------------------------------------------------------------- table and seeds


def test_table_layout_and_order(serial_table: pd.DataFrame) -> None:
    assert list(serial_table.columns) == [
        "mining.block_interval_s",
        "network.degree",
        "seed",
        "replication",
        *METRICS,
        "error",
    ]
    assert len(serial_table) == 2 * 2 * 3
    # Grid order as given (last name fastest), then replication.
    assert serial_table["mining.block_interval_s"].tolist() == [2.0] * 6 + [600.0] * 6
    assert serial_table["network.degree"].tolist() == ([4] * 3 + [6] * 3) * 2
    assert serial_table["replication"].tolist() == [0, 1, 2] * 4
    assert serial_table["error"].isna().all()
    assert (serial_table["n_blocks"] == 10).all()
    assert serial_table.attrs["parameters"] == ["mining.block_interval_s", "network.degree"]
    assert serial_table.attrs["n_failed"] == 0


def test_common_random_numbers_across_points(serial_table: pd.DataFrame, seed: int) -> None:
    expected = replication_seeds(seed, 3)
    for _, part in serial_table.groupby(["mining.block_interval_s", "network.degree"]):
        assert part["seed"].tolist() == expected
    assert serial_table.attrs["root_seed"] == seed


def test_same_seed_same_table_other_seed_other_table(
    tiny_config: SimConfig, serial_table: pd.DataFrame, seed: int
) -> None:
    again = sweep(tiny_config, GRID, replications=3, seed=seed, metrics=METRICS)
    pd.testing.assert_frame_equal(again, serial_table)
    other = sweep(tiny_config, GRID, replications=3, seed=seed + 1, metrics=METRICS)
    assert not other["seed"].equals(serial_table["seed"])
    assert not other["t50_s_median"].equals(serial_table["t50_s_median"])


def test_row_seed_repeats_the_run(tiny_config: SimConfig, serial_table: pd.DataFrame) -> None:
    row = serial_table.iloc[1]
    cfg = tiny_config.override(
        {"mining.block_interval_s": row["mining.block_interval_s"], "network.degree": 4}
    )
    assert row["network.degree"] == 4
    summary = chain_metrics.summary(simulate(cfg, seed=int(row["seed"])))
    for m in METRICS:
        assert summary[m] == pytest.approx(row[m], nan_ok=True)


def test_short_interval_gives_more_stale_blocks(serial_table: pd.DataFrame) -> None:
    by_interval = serial_table.groupby("mining.block_interval_s")["n_stale"].sum()
    assert by_interval[2.0] > by_interval[600.0]


def test_replicate_is_a_one_point_sweep(tiny_config: SimConfig, seed: int) -> None:
    t = replicate(tiny_config, 4, seed=seed, metrics=["n_blocks", "t50_s_median"])
    assert list(t.columns) == ["seed", "replication", "n_blocks", "t50_s_median", "error"]
    assert t["seed"].tolist() == replication_seeds(seed, 4)
    assert t["t50_s_median"].nunique() == 4
    full = replicate(tiny_config, 2, seed=seed)
    assert set(chain_metrics.summary(simulate(tiny_config, seed=1))) <= set(full.columns)
    assert "wall_time_s" not in full.columns  # machine-dependent: only on request


def test_list_grid_and_metric_function(tiny_config: SimConfig, seed: int) -> None:
    points = [
        {"run.n_blocks": 3, "network.degree": 4},
        {"run.n_blocks": 7, "network.degree": 6},
    ]
    t = sweep(
        tiny_config,
        points,
        2,
        seed=seed,
        metrics=lambda res: {"blocks": len(res.blocks) - 1, "nodes": res.meta["n_nodes"]},
    )
    assert list(t.columns) == [
        "run.n_blocks",
        "network.degree",
        "seed",
        "replication",
        "blocks",
        "nodes",
        "error",
    ]
    assert t["blocks"].tolist() == [3, 3, 7, 7]
    assert t["nodes"].tolist() == [20] * 4


def test_meta_metrics_on_request(tiny_config: SimConfig) -> None:
    t = replicate(tiny_config, 2, seed=1, metrics=["wall_time_s", "n_events"])
    assert (t["wall_time_s"] > 0).all()
    assert "wall_time_s" in metric_names()


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("grid", "kwargs", "message"),
    [
        ({"network.n_nodez": [1]}, {}, "unknown parameter network.n_nodez"),
        ({"nodes": [1]}, {}, "parameter paths look like 'section.name'"),
        ({"network.n_nodes": [30, 1]}, {}, r"n_nodes must be >= 2, got 1 \(grid point"),
        ({"network.n_nodes": []}, {}, "has no values"),
        ([{"network.n_nodes": 30}, {"run.n_blocks": 2}], {}, "lacks"),
        ("network.n_nodes", {}, "grid must be a dict"),
        (None, {"replications": 0}, "replications must be a whole number >= 1, got 0"),
        (None, {"metrics": ["stale"]}, "unknown metric 'stale'; allowed: n_nodes"),
        (None, {"metrics": 3}, "metrics must be None"),
        (None, {"on_error": "ignore"}, "on_error must be 'record' or 'raise'"),
        (None, {"executor": "threads"}, "executor must be 'serial', 'processes'"),
        (None, {"executor": "processes:0"}, "needs a whole number N >= 1"),
        (None, {"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_input_is_a_config_error_before_any_run(
    tiny_config: SimConfig, grid: object, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        sweep(tiny_config, grid, **kwargs)  # type: ignore[arg-type]


def test_lambda_metric_cannot_go_to_processes(tiny_config: SimConfig) -> None:
    with (
        cf.ProcessPoolExecutor(1) as pool,
        pytest.raises(ConfigError, match="cannot be sent to worker processes"),
    ):
        replicate(tiny_config, 1, seed=1, metrics=lambda r: {}, executor=pool)


# -------------------------------------------------------------------------- failures


FAILING_GRID = {"network.topology": ["random-regular", "custom"]}  # custom needs a graph


def test_failed_runs_are_recorded_and_others_kept(tiny_config: SimConfig, seed: int) -> None:
    with pytest.warns(SweepWarning, match=r"2 of 4 runs failed") as record:
        t = sweep(tiny_config, FAILING_GRID, 2, seed=seed, metrics=["n_blocks"])
    text = str(record[0].message)
    assert "network.topology='custom'" in text
    assert f"seed={replication_seeds(seed, 2)[0]}" in text
    ok = t[t["network.topology"] == "random-regular"]
    bad = t[t["network.topology"] == "custom"]
    assert ok["error"].isna().all() and (ok["n_blocks"] == 10).all()
    assert bad["error"].str.contains("ConfigError: network.topology 'custom' needs a graph").all()
    assert bad["n_blocks"].isna().all()
    assert t.attrs["n_failed"] == 2
    s = summarize(t)
    assert s["n_failed"].tolist() == [0, 2]
    assert s["n_blocks_mean"].iloc[0] == 10.0 and math.isnan(s["n_blocks_mean"].iloc[1])


def test_on_error_raise_names_the_run(tiny_config: SimConfig) -> None:
    with pytest.raises(SimulationError, match=r"network.topology='custom', seed=\d+"):
        sweep(tiny_config, FAILING_GRID, 1, seed=1, on_error="raise")


# ------------------------------------------------------------------------- summaries


def test_summarize_means_and_intervals(serial_table: pd.DataFrame) -> None:
    s = summarize(serial_table, level=0.9)
    assert len(s) == 4
    assert list(s.columns[:4]) == [
        "mining.block_interval_s",
        "network.degree",
        "n_runs",
        "n_failed",
    ]
    assert (s["n_runs"] == 3).all()
    first = serial_table.iloc[:3]["t50_s_median"].to_numpy()
    assert s["t50_s_median_mean"].iloc[0] == pytest.approx(first.mean())
    half = s["t50_s_median_ci_high"].iloc[0] - s["t50_s_median_mean"].iloc[0]
    t = 2.919985580355516  # Student t, 2 degrees of freedom, 90 %
    assert half == pytest.approx(t * first.std(ddof=1) / np.sqrt(3))
    assert "seed_mean" not in s.columns and "replication_mean" not in s.columns
    by_one = summarize(serial_table, by="mining.block_interval_s", metrics=["n_stale"])
    assert list(by_one.columns) == [
        "mining.block_interval_s",
        "n_runs",
        "n_failed",
        "n_stale_mean",
        "n_stale_ci_low",
        "n_stale_ci_high",
    ]
    assert by_one["n_runs"].tolist() == [6, 6]


def test_summarize_rejects_unknown_columns(serial_table: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="by column 'x'"):
        summarize(serial_table, by="x")
    with pytest.raises(ConfigError, match="metric column 'y'"):
        summarize(serial_table, metrics=["y"])
    with pytest.raises(ConfigError, match="level must be in"):
        summarize(serial_table, level=95)


def test_progress_bar_goes_to_stderr(
    tiny_config: SimConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    replicate(tiny_config, 2, seed=1, metrics=["n_blocks"], progress=True)
    assert "2/2" in capsys.readouterr().err
    monkeypatch.setenv("TQDM_DISABLE", "1")
    replicate(tiny_config, 2, seed=1, metrics=["n_blocks"], progress=True)
    assert "2/2" not in capsys.readouterr().err


# ------------------------------------------------------------------------- executors


def test_process_pool_gives_the_serial_table(
    tiny_config: SimConfig, serial_table: pd.DataFrame, seed: int
) -> None:
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        t = sweep(tiny_config, GRID, replications=3, seed=seed, metrics=METRICS, executor=pool)
        # A module-level metrics function travels to the workers.
        full = replicate(tiny_config, 2, seed=seed, metrics=chain_metrics.summary, executor=pool)
    pd.testing.assert_frame_equal(t, serial_table)
    pd.testing.assert_frame_equal(
        full, replicate(tiny_config, 2, seed=seed, metrics=chain_metrics.summary)
    )


def test_chunk_sizes_do_not_change_the_table(
    tiny_config: SimConfig, serial_table: pd.DataFrame, seed: int
) -> None:
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        for chunksize in (1, 5, 100):
            t = sweep(
                tiny_config,
                GRID,
                replications=3,
                seed=seed,
                metrics=METRICS,
                executor=pool,
                chunksize=chunksize,
            )
            pd.testing.assert_frame_equal(t, serial_table)
    with pytest.raises(ConfigError, match="chunksize must be a whole number >= 1, got 0"):
        sweep(tiny_config, GRID, seed=seed, chunksize=0)


def test_processes_string_and_failures(tiny_config: SimConfig, seed: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SweepWarning)
        serial = sweep(tiny_config, FAILING_GRID, 2, seed=seed, metrics=["n_blocks"])
        pooled = sweep(
            tiny_config, FAILING_GRID, 2, seed=seed, metrics=["n_blocks"], executor="processes:2"
        )
    pd.testing.assert_frame_equal(pooled, serial)


@pytest.fixture(scope="module")
def dask_client() -> Iterator[object]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.slow
def test_dask_cluster_gives_the_serial_table(
    dask_client: object, tiny_config: SimConfig, serial_table: pd.DataFrame, seed: int
) -> None:
    t = sweep(tiny_config, GRID, replications=3, seed=seed, metrics=METRICS, executor=dask_client)
    pd.testing.assert_frame_equal(t, serial_table)
    # The client's concurrent.futures face works too.
    executor = dask_client.get_executor()  # type: ignore[attr-defined]
    t2 = sweep(tiny_config, GRID, replications=3, seed=seed, metrics=METRICS, executor=executor)
    pd.testing.assert_frame_equal(t2, serial_table)
    # Failures come back as rows from Dask workers as well.
    with pytest.warns(SweepWarning, match="2 of 4 runs failed"):
        failed = sweep(
            tiny_config, FAILING_GRID, 2, seed=seed, metrics=["n_blocks"], executor=dask_client
        )
    assert failed["error"].notna().tolist() == [False, False, True, True]


@pytest.mark.slow
def test_dask_scheduler_address_string(
    dask_client: object, tiny_config: SimConfig, seed: int
) -> None:
    address = dask_client.scheduler.address  # type: ignore[attr-defined]
    assert address.startswith("tcp://")
    t = replicate(tiny_config, 3, seed=seed, metrics=["t50_s_median"], executor=address)
    pd.testing.assert_frame_equal(t, replicate(tiny_config, 3, seed=seed, metrics=["t50_s_median"]))
    # The caller's cluster is still up: the string's own client was closed, not it.
    assert dask_client.status == "running"  # type: ignore[attr-defined]


def test_resolve_executor_leaves_given_executors_open() -> None:
    with cf.ThreadPoolExecutor(1) as pool:
        assert resolve_executor(pool) == (pool, False)
    with pytest.raises(ConfigError, match="executor must be None, a string"):
        resolve_executor(3)
