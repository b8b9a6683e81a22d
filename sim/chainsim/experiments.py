"""Experiments: many seeded runs, one tidy table.

A single simulation is one sample of a random process. To say how the stale rate grows
with block size, a study runs each configuration several times (*replications*) and
over a *grid* of parameter values (a *sweep*), then reports means with confidence
intervals. This module does exactly that:

:func:`replicate`
    ``n`` runs of one configuration;
:func:`sweep`
    every point of a parameter grid, ``replications`` runs each;
:func:`summarize`
    mean and confidence interval of every metric per parameter point.

The table has one row per run: the swept parameters (dotted names such as
``mining.block_size_bytes``), ``seed`` (repeat the run with
``simulate(config, seed=seed)``), ``replication``, the metrics, and ``error`` (None, or
what went wrong in that run).

Seeds come from one root seed and the replication index only, never from the
parameter values: replication 3 uses the same seed at every grid point. Differences
between points are then not blurred by different random draws (*common random
numbers*), and the same root seed gives the same table.

Runs can go to any :class:`concurrent.futures.Executor` (a process pool uses every
core), to a Dask cluster through a ``distributed.Client`` (many machines), or be named
by a string: ``"serial"``, ``"processes"``, ``"processes:4"`` or a Dask scheduler
address ``"tcp://host:8786"``. The table does not depend on which executor ran it.

Examples
--------
>>> from chainsim.config import SimConfig
>>> cfg = SimConfig().override({"network.n_nodes": 20, "mining.n_miners": 4,
...                             "run.n_blocks": 5})
>>> table = sweep(cfg, {"mining.block_interval_s": [30.0, 600.0]}, replications=2,
...               seed=1, metrics=["stale_rate", "n_blocks"])
>>> list(table.columns)
['mining.block_interval_s', 'seed', 'replication', 'stale_rate', 'n_blocks', 'error']
>>> table["mining.block_interval_s"].tolist(), table["replication"].tolist()
([30.0, 30.0, 600.0, 600.0], [0, 1, 0, 1])
>>> bool(table["seed"].iloc[0] == table["seed"].iloc[2])  # common random numbers
True
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import itertools
import math
import os
import pickle
import sys
import tempfile
import tomllib
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from chainsim.config import SimConfig
from chainsim.errors import ChainSimError, ConfigError, SimulationError
from chainsim.rng import SeedLike, as_seed_sequence, derive_seed

__all__ = [
    "ExecutorLike",
    "MetricsLike",
    "SweepSpec",
    "SweepWarning",
    "close_executor",
    "load_sweep_file",
    "metric_names",
    "replicate",
    "replication_seeds",
    "resolve_executor",
    "run_chunk",
    "run_one",
    "save_table",
    "summarize",
    "sweep",
]

#: What ``metrics=`` accepts: None (every number of :func:`chainsim.metrics.summary`),
#: a list of metric names, or a function ``Results -> dict[str, float]``.
MetricsLike: TypeAlias = "Sequence[str] | Callable[[Any], Mapping[str, Any]] | None"
#: What ``executor=`` accepts: None or a string (see :func:`resolve_executor`), a
#: :class:`concurrent.futures.Executor`, or a ``distributed.Client``.
ExecutorLike: TypeAlias = "str | cf.Executor | Any | None"

#: Names from ``Results.meta`` that can be asked for as metrics (they vary with the
#: machine's speed, so they are not in the default set).
META_METRICS = ("wall_time_s", "sim_time_s", "n_events")

_FIXED_COLUMNS = ("seed", "replication")


class SweepWarning(UserWarning):
    """Some runs of a sweep failed; their rows carry the error."""


# --------------------------------------------------------------------------- seeds


def replication_seeds(seed: SeedLike, n: int) -> list[int]:
    """The integer seed of each replication, derived from one root seed.

    Replication ``i`` gets ``derive_seed(seed, "replication", i)`` turned into a
    non-negative 63-bit integer, so that ``simulate(config, seed=s)`` repeats the run
    on its own.

    Parameters
    ----------
    seed : int, SeedSequence or None
        The root seed; None draws fresh entropy.
    n : int
        Number of replications, ``>= 0``.

    Returns
    -------
    list of int

    Examples
    --------
    >>> replication_seeds(1, 3) == replication_seeds(1, 3)
    True
    >>> len(set(replication_seeds(1, 100)))
    100
    """
    n = _count("replications", n, minimum=0)
    root = as_seed_sequence(seed)
    out = []
    for i in range(n):
        state = derive_seed(root, "replication", i).generate_state(1, dtype=np.uint64)[0]
        out.append(int(state) >> 1)
    return out


# ------------------------------------------------------------------------- metrics


def metric_names() -> list[str]:
    """Names accepted in ``metrics=[...]``.

    Every number of :func:`chainsim.metrics.summary` plus :data:`META_METRICS`.

    >>> "stale_rate" in metric_names() and "wall_time_s" in metric_names()
    True
    """
    from chainsim.metrics import summary
    from chainsim.results import Results

    return [*summary(Results()), *META_METRICS]


def _check_metrics(metrics: Any) -> Any:
    """Validate ``metrics=`` eagerly; returns a picklable spec for the workers."""
    if metrics is None or callable(metrics):
        return metrics
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, Sequence) or not all(isinstance(m, str) for m in metrics):
        raise ConfigError(
            "metrics must be None, a list of metric names or a function Results -> dict, "
            f"got {metrics!r}"
        )
    allowed = metric_names()
    for name in metrics:
        if name not in allowed:
            raise ConfigError(f"unknown metric {name!r}; allowed: {', '.join(allowed)}")
    if not metrics:
        raise ConfigError("metrics must name at least one metric, got an empty list")
    return list(dict.fromkeys(metrics))


def _measure(results: Any, metrics: Any) -> dict[str, Any]:
    from chainsim.metrics import summary

    if callable(metrics):
        out = metrics(results)
        if not isinstance(out, Mapping):
            raise TypeError(f"the metrics function must return a dict, got {type(out).__name__}")
        return dict(out)
    names = metrics
    base: dict[str, Any] = summary(results)
    for key in META_METRICS:
        base[key] = results.meta.get(key, math.nan)
    if names is None:
        return {k: v for k, v in base.items() if k not in META_METRICS}
    return {k: base[k] for k in names}


# -------------------------------------------------------------------------- worker


def run_one(task: Mapping[str, Any]) -> dict[str, Any]:
    """Run one simulation of a sweep and measure it (the function workers execute).

    It is a top-level function so that process pools and Dask can pickle it. It never
    raises for a failed simulation: the error is returned with the run's index.

    Parameters
    ----------
    task : dict
        ``index`` (int), ``config`` (``SimConfig.to_dict()``), ``seed`` (int) and
        ``metrics`` (None, a list of names or a picklable function).

    Returns
    -------
    dict
        ``index``, ``metrics`` (dict, empty on failure) and ``error`` (None or a
        one-line description).

    Examples
    --------
    >>> from chainsim.config import SimConfig
    >>> cfg = SimConfig().override({"network.n_nodes": 10, "mining.n_miners": 2,
    ...                             "run.n_blocks": 3})
    >>> out = run_one({"index": 7, "config": cfg.to_dict(), "seed": 5,
    ...                "metrics": ["n_blocks"]})
    >>> out
    {'index': 7, 'metrics': {'n_blocks': 3}, 'error': None}
    """
    from chainsim.simulation import simulate

    index = task["index"]
    try:
        config = SimConfig.from_dict(task["config"])
        results = simulate(config, seed=task["seed"])
        values = _measure(results, task.get("metrics"))
    except Exception as exc:  # recorded in the table; the other runs go on
        detail = str(exc).strip().splitlines()
        message = f"{type(exc).__name__}: {detail[0] if detail else ''}".rstrip(": ")
        if not isinstance(exc, ChainSimError):
            # An unexpected failure: keep where it happened for the bug report.
            frame = traceback.extract_tb(exc.__traceback__)[-1:]
            if frame:
                message += f" (at {os.path.basename(frame[0].filename)}:{frame[0].lineno})"
        return {"index": index, "metrics": {}, "error": message}
    return {"index": index, "metrics": values, "error": None}


# ----------------------------------------------------------------------- executors


def _is_dask_client(obj: Any) -> bool:
    if "distributed" not in sys.modules:
        return False
    from distributed import Client

    return isinstance(obj, Client)


def resolve_executor(executor: ExecutorLike) -> tuple[Any, bool]:
    """Turn ``executor=`` into an executor object and whether the caller must close it.

    Parameters
    ----------
    executor : None, str, concurrent.futures.Executor or distributed.Client
        - None or ``"serial"``: run in this process, one after the other;
        - ``"processes"`` (one worker per CPU) or ``"processes:N"``: a
          :class:`~concurrent.futures.ProcessPoolExecutor`;
        - ``"tcp://host:port"`` (or ``"tls://..."``): connect a ``distributed.Client``
          to a running Dask scheduler;
        - an Executor or Client object: used as given (and left open).

    Returns
    -------
    (executor, owned) : tuple
        ``executor`` is None for serial runs; ``owned`` tells whether this call
        created it (and it must be shut down afterwards).

    Raises
    ------
    ConfigError
        For an unknown string or object, or a bad worker count.

    Examples
    --------
    >>> resolve_executor("serial")
    (None, False)
    >>> pool, owned = resolve_executor("processes:2")
    >>> type(pool).__name__, pool._max_workers, owned
    ('ProcessPoolExecutor', 2, True)
    >>> pool.shutdown()
    >>> resolve_executor("threads")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: executor must be 'serial', 'processes', ... got 'threads'
    """
    if executor is None:
        return None, False
    if isinstance(executor, cf.Executor) or _is_dask_client(executor):
        return executor, False
    if not isinstance(executor, str):
        raise ConfigError(
            "executor must be None, a string, a concurrent.futures.Executor or a "
            f"distributed.Client, got {executor!r}"
        )
    _check_executor_name(executor)
    text = executor.strip()
    if text == "serial":
        return None, False
    if text == "processes" or text.startswith("processes:"):
        count = text.partition(":")[2]
        return cf.ProcessPoolExecutor(max_workers=int(count) if count else os.cpu_count()), True
    # A Dask scheduler address (checked above).
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask is a declared extra
        raise ConfigError(
            f"executor {executor!r} needs dask.distributed: pip install 'dask[distributed]'"
        ) from None
    try:
        client = Client(text, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"executor {executor!r}: no Dask scheduler answered at that address ({exc})"
        ) from None
    return client, True


def close_executor(executor: Any) -> None:
    """Release an executor made by :func:`resolve_executor`.

    A process pool is shut down; a Dask client is disconnected (the scheduler and its
    workers keep running: they belong to whoever started them).

    >>> pool, _ = resolve_executor("processes:1")
    >>> close_executor(pool)
    >>> close_executor(None)
    """
    if _is_dask_client(executor):
        executor.close()
    elif isinstance(executor, cf.Executor):
        executor.shutdown(wait=True, cancel_futures=True)


def _progress_bar(total: int, progress: bool) -> Any:
    from tqdm.auto import tqdm

    disable = not progress or os.environ.get("TQDM_DISABLE", "").strip().lower() in (
        "1",
        "true",
        "yes",
    )
    return tqdm(total=total, unit="run", desc="sweep", disable=disable)


def run_chunk(tasks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Run several tasks one after the other (fewer round trips to the workers).

    >>> run_chunk([])
    []
    """
    return [run_one(task) for task in tasks]


def _failure(task: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
    return {"index": task["index"], "metrics": {}, "error": f"{type(exc).__name__}: {exc}"}


def _n_workers(executor: Any) -> int:
    """Best guess of the executor's parallelism (for chunking)."""
    if _is_dask_client(executor):
        try:
            info = executor.scheduler_info()
            return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
        except Exception:  # pragma: no cover - an unusual client
            return 1
    return max(1, int(getattr(executor, "_max_workers", 1) or 1))


def _auto_chunksize(n_tasks: int, n_workers: int) -> int:
    """About 16 chunks per worker, at most 8 runs each.

    Chunks cut the per-run cost of sending a task and its result, while many chunks
    per worker keep the workers busy until the end.

    >>> _auto_chunksize(200, 2), _auto_chunksize(10, 2), _auto_chunksize(10_000, 64)
    (6, 1, 8)
    """
    return max(1, min(8, n_tasks // (16 * n_workers)))


def _execute(
    tasks: list[dict[str, Any]],
    executor: Any,
    progress: bool,
    on_error: str,
    describe: Callable[[int], str],
    chunksize: int | None = None,
) -> list[dict[str, Any]]:
    """Run every task; return the outputs in task order."""
    outputs: list[dict[str, Any] | None] = [None] * len(tasks)
    bar = _progress_bar(len(tasks), progress)

    def accept(out: dict[str, Any]) -> None:
        outputs[out["index"]] = out
        bar.update(1)
        if out["error"] is not None and on_error == "raise":
            raise SimulationError(f"run failed ({describe(out['index'])}): {out['error']}")

    def accept_chunk(chunk: list[dict[str, Any]], fut: Any) -> None:
        try:
            results = fut.result()
        except Exception as exc:  # the worker died, or the task could not be sent
            results = [_failure(task, exc) for task in chunk]
        for out in results:
            accept(out)

    try:
        if executor is None:
            for task in tasks:
                accept(run_one(task))
            return [out for out in outputs if out is not None]
        size = chunksize or _auto_chunksize(len(tasks), _n_workers(executor))
        chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
        if _is_dask_client(executor):
            from distributed import as_completed as dask_completed

            futures = executor.map(run_chunk, chunks, pure=False)
            where = {f.key: i for i, f in enumerate(futures)}
            try:
                for fut in dask_completed(futures):
                    accept_chunk(chunks[where[fut.key]], fut)
            finally:
                executor.cancel([f for f in futures if not f.done()])
        else:
            pending = {executor.submit(run_chunk, chunk): chunk for chunk in chunks}
            try:
                for fut in cf.as_completed(pending):
                    accept_chunk(pending[fut], fut)
            finally:
                for fut in pending:
                    fut.cancel()
    finally:
        bar.close()
    assert all(out is not None for out in outputs)
    return [out for out in outputs if out is not None]


# -------------------------------------------------------------------------- sweeps


def _count(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _grid_points(grid: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Parameter names and the list of points of a grid."""
    if grid is None:
        return [], [{}]
    if isinstance(grid, Mapping):
        names = list(grid)
        values = []
        for name in names:
            if not isinstance(name, str):
                raise ConfigError(f"grid keys must be dotted parameter names, got {name!r}")
            vals = grid[name]
            if isinstance(vals, str) or not isinstance(vals, Iterable):
                vals = [vals]
            vals = list(vals)
            if not vals:
                raise ConfigError(f"grid parameter {name!r} has no values")
            values.append(vals)
        points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]
        return names, points
    if isinstance(grid, Sequence) and not isinstance(grid, str):
        points = []
        names = []
        for point in grid:
            if not isinstance(point, Mapping):
                raise ConfigError(
                    f"a grid given as a list must hold dicts of parameter values, got {point!r}"
                )
            points.append(dict(point))
            names.extend(k for k in point if k not in names)
        if not points:
            raise ConfigError("grid must hold at least one parameter point, got an empty list")
        for point in points:
            missing = [n for n in names if n not in point]
            if missing:
                raise ConfigError(
                    f"every grid point must set the same parameters; {point!r} lacks {missing[0]!r}"
                )
        return names, points
    raise ConfigError(
        f"grid must be a dict {{'section.name': [values, ...]}} or a list of dicts, got {grid!r}"
    )


def sweep(
    config: SimConfig,
    grid: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
    replications: int = 1,
    *,
    seed: SeedLike = None,
    metrics: MetricsLike = None,
    executor: ExecutorLike = None,
    progress: bool = False,
    on_error: str = "record",
    chunksize: int | None = None,
) -> pd.DataFrame:
    """Simulate every point of a parameter grid ``replications`` times.

    Parameters
    ----------
    config : SimConfig
        The base configuration; each grid point overrides some of its fields.
    grid : dict, list of dict or None
        ``{"mining.block_size_bytes": [100_000, 1_000_000], ...}`` (every combination,
        in the order given: the last name varies fastest), or an explicit list of
        points ``[{"mining.block_interval_s": 60, "run.n_blocks": 500}, ...]``, or
        None for the base configuration alone. Names are dotted config paths.
    replications : int, optional
        Runs per point, ``>= 1``; by default 1.
    seed : int, SeedSequence or None, optional
        Root seed; replication ``i`` uses ``replication_seeds(seed, n)[i]`` at every
        point (common random numbers). None draws fresh entropy, kept in
        ``table.attrs["root_seed"]``.
    metrics : None, list of str or callable, optional
        None: every number of :func:`chainsim.metrics.summary`; a list of names (see
        :func:`metric_names`); or a function ``Results -> dict`` (it must be a
        module-level function to go to a process pool).
    executor : None, str, Executor or distributed.Client, optional
        Where runs execute (see :func:`resolve_executor`); by default serially here.
        An executor passed in is left open; one named by a string is closed.
    progress : bool, optional
        Show a progress bar over runs (``TQDM_DISABLE=1`` hides it).
    on_error : {"record", "raise"}, optional
        ``"record"`` (default): a failed run gets a row with its parameters, seed and
        ``error`` (metrics NaN), the others go on, and a :class:`SweepWarning` lists the
        failures. ``"raise"``: stop at the first failure with a SimulationError.
    chunksize : int, optional
        Runs sent to a worker at once; by default about 16 chunks per worker, at most
        8 runs each. Larger chunks cost less overhead for short runs, smaller ones
        balance long runs better. It does not change the table.

    Returns
    -------
    pandas.DataFrame
        One row per run, ordered by grid point then replication: one column per swept
        parameter, ``seed``, ``replication``, the metrics, ``error``. ``attrs`` holds
        ``root_seed``, ``parameters`` (the swept names), ``metrics`` (metric columns)
        and ``n_failed``.

    Raises
    ------
    ConfigError
        Before anything runs, for an unknown parameter, a bad value at any grid point,
        bad ``replications``, ``metrics``, ``executor`` or ``on_error``.
    SimulationError
        With ``on_error="raise"``, for the first failed run.

    Examples
    --------
    >>> from chainsim.config import SimConfig
    >>> cfg = SimConfig().override({"network.n_nodes": 20, "mining.n_miners": 4,
    ...                             "run.n_blocks": 5})
    >>> t = sweep(cfg, {"network.n_nodes": [20, 30]}, 2, seed=3, metrics=["n_nodes"])
    >>> t[["network.n_nodes", "replication", "n_nodes"]].to_numpy().tolist()
    [[20, 0, 20], [20, 1, 20], [30, 0, 30], [30, 1, 30]]
    >>> sweep(cfg, {"network.n_nodez": [1]})
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: unknown parameter network.n_nodez; allowed: ...
    """
    if not isinstance(config, SimConfig):
        raise ConfigError(f"config must be a SimConfig, got {type(config).__name__}")
    replications = _count("replications", replications, minimum=1)
    if chunksize is not None:
        chunksize = _count("chunksize", chunksize, minimum=1)
    if on_error not in ("record", "raise"):
        raise ConfigError(f"on_error must be 'record' or 'raise', got {on_error!r}")
    spec = _check_metrics(metrics)
    names, points = _grid_points(grid)
    for name in names:
        if name in _FIXED_COLUMNS or name == "error":
            raise ConfigError(f"grid parameter {name!r} clashes with a table column")
    configs = []
    for point in points:
        try:
            configs.append(config.override(point).to_dict())
        except ConfigError as exc:
            where = ", ".join(f"{k}={v!r}" for k, v in point.items())
            raise ConfigError(f"{exc} (grid point {where})") from None
    root = as_seed_sequence(seed)
    seeds = replication_seeds(root, replications)

    pool, owned = resolve_executor(executor)
    if pool is not None and callable(spec) and not _is_dask_client(pool):
        try:
            pickle.dumps(spec)
        except Exception:
            raise ConfigError(
                "metrics function cannot be sent to worker processes (define it at module "
                f"level, not as a lambda or inside a function): {spec!r}"
            ) from None

    tasks: list[dict[str, Any]] = []
    for p, cfg_dict in enumerate(configs):
        for s in seeds:
            tasks.append(
                {"index": len(tasks), "config": cfg_dict, "seed": s, "metrics": spec, "point": p}
            )

    def describe(index: int) -> str:
        task = tasks[index]
        parts = [f"{k}={v!r}" for k, v in points[task["point"]].items()]
        parts += [f"seed={task['seed']}", f"replication={index % replications}"]
        return ", ".join(parts)

    try:
        outputs = _execute(tasks, pool, progress, on_error, describe, chunksize)
    finally:
        if owned:
            close_executor(pool)

    metric_cols: list[str] = []
    for out in outputs:
        metric_cols.extend(k for k in out["metrics"] if k not in metric_cols)
    clash = [m for m in metric_cols if m in names or m in _FIXED_COLUMNS or m == "error"]
    if clash:
        raise ConfigError(f"metric name {clash[0]!r} clashes with a table column")
    rows = []
    for task, out in zip(tasks, outputs, strict=True):
        row: dict[str, Any] = dict(points[task["point"]])
        row["seed"] = task["seed"]
        row["replication"] = task["index"] % replications
        for m in metric_cols:
            row[m] = out["metrics"].get(m, math.nan)
        row["error"] = out["error"]
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*names, *_FIXED_COLUMNS, *metric_cols, "error"])
    failed = [describe(i) + f": {out['error']}" for i, out in enumerate(outputs) if out["error"]]
    table.attrs.update(
        root_seed=root.entropy,
        parameters=list(names),
        metrics=list(metric_cols),
        n_failed=len(failed),
    )
    if failed:
        shown = "\n  ".join(failed[:5])
        more = f"\n  ... and {len(failed) - 5} more" if len(failed) > 5 else ""
        warnings.warn(
            f"{len(failed)} of {len(tasks)} runs failed (rows kept, see the 'error' column):"
            f"\n  {shown}{more}",
            SweepWarning,
            stacklevel=2,
        )
    return table


def replicate(
    config: SimConfig,
    n: int,
    *,
    seed: SeedLike = None,
    metrics: MetricsLike = None,
    executor: ExecutorLike = None,
    progress: bool = False,
    on_error: str = "record",
    chunksize: int | None = None,
) -> pd.DataFrame:
    """Simulate one configuration ``n`` times with seeds derived from ``seed``.

    The same as ``sweep(config, None, n, ...)``: see :func:`sweep` for the arguments.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``seed``, ``replication``, the metrics, ``error``.

    Examples
    --------
    >>> from chainsim.config import SimConfig
    >>> cfg = SimConfig().override({"network.n_nodes": 20, "mining.n_miners": 4,
    ...                             "run.n_blocks": 5})
    >>> t = replicate(cfg, 3, seed=2, metrics=["n_blocks", "stale_rate"])
    >>> list(t.columns), t["replication"].tolist()
    (['seed', 'replication', 'n_blocks', 'stale_rate', 'error'], [0, 1, 2])
    >>> replicate(cfg, 3, seed=2, metrics=["n_blocks", "stale_rate"]).equals(t)
    True
    """
    n = _count("n", n, minimum=1)
    return sweep(
        config,
        None,
        n,
        seed=seed,
        metrics=metrics,
        executor=executor,
        progress=progress,
        on_error=on_error,
        chunksize=chunksize,
    )


# ------------------------------------------------------------------------ summaries


def summarize(
    table: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Mean and confidence interval of each metric per parameter point.

    Failed runs (``error`` set) and NaN values are left out of each metric's mean.
    The interval is Student's t (:func:`chainsim.stats.mean_ci`) over replications;
    with fewer than two values it is NaN, and with all values equal it has zero
    width.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`sweep` or :func:`replicate`.
    by : str, list of str or None, optional
        Columns that identify a point; by default the swept parameters
        (``table.attrs["parameters"]``, else the columns before ``seed``).
    level : float, optional
        Confidence level in (0, 1), by default 0.95.
    metrics : list of str, optional
        Metric columns to summarize; by default every numeric column after
        ``replication`` (except ``error``).

    Returns
    -------
    pandas.DataFrame
        One row per point in order of first appearance: the ``by`` columns,
        ``n_runs``, ``n_failed``, then for each metric ``<m>_mean``, ``<m>_ci_low``,
        ``<m>_ci_high``.

    Raises
    ------
    ConfigError
        For an unknown ``by`` or metric column, or a bad ``level``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"mining.block_interval_s": [60, 60, 600, 600],
    ...                   "seed": [1, 2, 1, 2], "replication": [0, 1, 0, 1],
    ...                   "stale_rate": [0.1, 0.3, 0.0, 0.0], "error": [None] * 4})
    >>> s = summarize(t)
    >>> s[["mining.block_interval_s", "n_runs", "stale_rate_mean"]].to_numpy().tolist()
    [[60.0, 2.0, 0.2], [600.0, 2.0, 0.0]]
    >>> round(float(s["stale_rate_ci_high"].iloc[0]), 4)
    1.4706
    """
    from chainsim.stats import _level, mean_ci

    level = _level(level)
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    columns = list(table.columns)
    if by is None:
        if "parameters" in table.attrs:
            by_cols = list(table.attrs["parameters"])
        else:
            by_cols = columns[: columns.index("seed")] if "seed" in columns else []
    else:
        by_cols = [by] if isinstance(by, str) else list(by)
    for col in by_cols:
        if col not in columns:
            raise ConfigError(f"by column {col!r} is not in the table; columns: {columns}")
    if metrics is None:
        start = columns.index("replication") + 1 if "replication" in columns else 0
        metric_cols = [
            c
            for c in columns[start:]
            if c not in by_cols
            and c not in ("error", *_FIXED_COLUMNS)
            and pd.api.types.is_numeric_dtype(table[c])
            and not pd.api.types.is_bool_dtype(table[c])
        ]
    else:
        metric_cols = list(metrics)
        for col in metric_cols:
            if col not in columns:
                raise ConfigError(f"metric column {col!r} is not in the table; columns: {columns}")
    ok = table["error"].isna() if "error" in columns else pd.Series(True, index=table.index)
    if by_cols:
        keys = table[by_cols].apply(lambda row: repr(tuple(row)), axis=1)
        groups = list(dict.fromkeys(keys))
        members = [np.flatnonzero((keys == k).to_numpy()) for k in groups]
    else:
        members = [np.arange(len(table))]
    rows = []
    for idx in members:
        part = table.iloc[idx]
        good = part[ok.iloc[idx].to_numpy()]
        row: dict[str, Any] = {c: part[c].iloc[0] for c in by_cols}
        row["n_runs"] = len(part)
        row["n_failed"] = len(part) - len(good)
        for m in metric_cols:
            values = pd.to_numeric(good[m], errors="coerce").to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            if values.size >= 2:
                est = mean_ci(values, level)
                row[f"{m}_mean"], row[f"{m}_ci_low"], row[f"{m}_ci_high"] = est
            else:
                mean = float(values[0]) if values.size else math.nan
                row[f"{m}_mean"], row[f"{m}_ci_low"], row[f"{m}_ci_high"] = (
                    mean,
                    math.nan,
                    math.nan,
                )
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ sweep files


#: Keys allowed at the top of a sweep file.
SWEEP_FILE_KEYS = (
    "scenario",
    "overrides",
    "grid",
    "points",
    "replications",
    "seed",
    "executor",
    "metrics",
    "out",
)


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A sweep described by a TOML file (see :func:`load_sweep_file`).

    Attributes
    ----------
    config : SimConfig
        The base scenario with its overrides applied.
    grid : dict or list of dict or None
        As for :func:`sweep`.
    replications : int
    seed : int or None
    executor : str or None
    metrics : list of str or None
    out : str or None
        Output CSV path from the file (relative to the current directory).
    scenario : str
        The base scenario's name.
    """

    config: SimConfig
    grid: dict[str, list[Any]] | list[dict[str, Any]] | None
    replications: int = 1
    seed: int | None = None
    executor: str | None = None
    metrics: list[str] | None = None
    out: str | None = None
    scenario: str = "teaching"

    def run(self, *, progress: bool = False, executor: ExecutorLike = None) -> pd.DataFrame:
        """Run the sweep (``executor`` overrides the file's choice)."""
        return sweep(
            self.config,
            self.grid,
            self.replications,
            seed=self.seed,
            metrics=self.metrics,
            executor=executor if executor is not None else self.executor,
            progress=progress,
        )


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"network": {"n_nodes": 3}}`` -> ``{"network.n_nodes": 3}`` (TOML dotted keys)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def load_sweep_file(path: str | os.PathLike[str]) -> SweepSpec:
    """Read and check a sweep file (TOML).

    The file names a base scenario, optional overrides, the grid and how to run it::

        scenario = "bitcoin"            # a preset (chainsim scenarios)
        replications = 4
        seed = 1
        executor = "processes"          # optional: serial, processes[:N], tcp://host:port
        metrics = ["stale_rate", "t50_s_median"]   # optional: default every summary number
        out = "block-size.csv"          # optional

        [overrides]
        "network.n_nodes" = 300         # or network.n_nodes = 300 (TOML dotted keys)
        "run.n_blocks" = 50

        [grid]
        "mining.block_size_bytes" = [100_000, 500_000, 1_000_000]

    Instead of ``[grid]`` (every combination) a file may list points as
    ``[[points]]`` tables. Every parameter and value is checked before anything runs.

    Parameters
    ----------
    path : str or PathLike
        The TOML file.

    Returns
    -------
    SweepSpec

    Raises
    ------
    ConfigError
        If the file is missing or not TOML, or names an unknown key, scenario,
        parameter or metric, or holds a bad value (the message says which).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "s.toml").write_text('''
    ... scenario = "teaching"
    ... replications = 2
    ... [overrides]
    ... network.n_nodes = 30
    ... [grid]
    ... "mining.block_interval_s" = [10, 60]
    ... ''')
    >>> spec = load_sweep_file(d / "s.toml")
    >>> spec.config.network.n_nodes, spec.grid, spec.replications
    (30, {'mining.block_interval_s': [10, 60]}, 2)
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read sweep file {str(file)!r}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sweep file {str(file)!r} is not valid TOML: {exc}") from None
    where = f"sweep file {str(file)!r}"
    for key in data:
        if key not in SWEEP_FILE_KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r}; allowed: {', '.join(SWEEP_FILE_KEYS)}"
            )

    from chainsim.scenarios import get_scenario

    scenario = data.get("scenario", "teaching")
    if not isinstance(scenario, str):
        raise ConfigError(f"{where}: scenario must be a preset name, got {scenario!r}")
    try:
        config = get_scenario(scenario)
    except ChainSimError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    overrides = data.get("overrides", {})
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{where}: [overrides] must be a table, got {overrides!r}")
    try:
        config = config.override(_flatten(overrides))
    except ConfigError as exc:
        raise ConfigError(f"{where}: [overrides]: {exc}") from None

    grid: Any = None
    if "grid" in data and "points" in data:
        raise ConfigError(f"{where}: give either [grid] or [[points]], not both")
    if "grid" in data:
        if not isinstance(data["grid"], Mapping):
            raise ConfigError(f"{where}: [grid] must be a table of value lists")
        grid = _flatten(data["grid"])
        for name, values in grid.items():
            if not isinstance(values, list):
                raise ConfigError(
                    f"{where}: grid parameter {name!r} must be a list of values, got {values!r}"
                )
    elif "points" in data:
        points = data["points"]
        if not isinstance(points, list) or not all(isinstance(p, Mapping) for p in points):
            raise ConfigError(f"{where}: points must be an array of tables ([[points]])")
        grid = [_flatten(p) for p in points]

    replications = data.get("replications", 1)
    seed = data.get("seed")
    executor = data.get("executor")
    metrics = data.get("metrics")
    out = data.get("out")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError(f"{where}: seed must be a whole number >= 0, got {seed!r}")
    if executor is not None and not isinstance(executor, str):
        raise ConfigError(f"{where}: executor must be a string, got {executor!r}")
    if out is not None and not isinstance(out, str):
        raise ConfigError(f"{where}: out must be a file name, got {out!r}")
    try:
        replications = _count("replications", replications, minimum=1)
        spec_metrics = _check_metrics(metrics)
        if callable(spec_metrics):  # pragma: no cover - TOML cannot hold a function
            raise ConfigError("metrics must be a list of names")
        _, points_list = _grid_points(grid)
        for point in points_list:
            try:
                config.override(point)
            except ConfigError as exc:
                shown = ", ".join(f"{k}={v!r}" for k, v in point.items())
                raise ConfigError(f"{exc} (grid point {shown})") from None
        if executor is not None:
            _check_executor_name(executor)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return SweepSpec(
        config=config,
        grid=grid,
        replications=replications,
        seed=seed,
        executor=executor,
        metrics=spec_metrics,
        out=out,
        scenario=scenario,
    )


def _check_executor_name(name: str) -> None:
    """Check an executor string without starting anything."""
    text = name.strip()
    if text in ("serial", "processes") or "://" in text:
        return
    if text.startswith("processes:"):
        count = text.partition(":")[2]
        if count.isdigit() and int(count) >= 1:
            return
        raise ConfigError(f"executor 'processes:N' needs a whole number N >= 1, got {name!r}")
    raise ConfigError(
        "executor must be 'serial', 'processes', 'processes:N' or a Dask scheduler "
        f"address 'tcp://host:port', got {name!r}"
    )


def _atomic_write_bytes(target: Path, write: Callable[[Path], None]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def save_table(
    table: pd.DataFrame, path: str | os.PathLike[str], *, parquet: bool | None = None
) -> list[Path]:
    """Write a sweep table as CSV, and as Parquet beside it, each atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`sweep`.
    path : str or PathLike
        The CSV file; it must end in ``.csv``. The Parquet file gets the same name
        with ``.parquet``.
    parquet : bool or None, optional
        None (default): write Parquet if pyarrow is installed; True: require it;
        False: CSV only.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ConfigError
        If ``path`` does not end in ``.csv``, or Parquet is required but pyarrow
        is missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"seed": [1], "replication": [0], "x": [0.5], "error": [None]})
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in save_table(t, d / "t.csv", parquet=False)]
    ['t.csv']
    >>> pd.read_csv(d / "t.csv")["x"].tolist()
    [0.5]
    """
    from chainsim.results import atomic_write_text

    target = Path(path)
    if target.suffix.lower() != ".csv":
        raise ConfigError(f"the output file must end in .csv, got {str(target)!r}")
    if parquet is None or parquet:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            if parquet:
                raise ConfigError("Parquet output needs pyarrow: pip install pyarrow") from None
            parquet = False
        else:
            parquet = True
    written = [atomic_write_text(target, table.to_csv(index=False))]
    if parquet:
        plain = table.copy()
        plain.attrs = {}
        for col in plain.columns:  # tuples and lists (e.g. region shares) as text
            if plain[col].map(lambda v: isinstance(v, tuple | list)).any():
                plain[col] = plain[col].map(repr)
        pq = target.with_suffix(".parquet")
        written.append(_atomic_write_bytes(pq, lambda tmp: plain.to_parquet(tmp, index=False)))
    return written
