"""Speed of a sweep on one core, on a process pool and on a Dask cluster.

Reference sweep (issue 6): 200 runs of the ``bitcoin`` preset with 300 nodes and 50
blocks (4 block sizes x 50 replications). Targets: on 2 worker processes at most 0.6x
the serial wall time; on a Dask ``LocalCluster`` with 2 single-threaded worker
processes at most 1.1x the process pool.

Wall times include sending the tasks and collecting the table, and for the process
pool its start-up; the Dask cluster's own start-up (a few seconds, paid once per
session) is reported on its own line and not counted. Every executor must return the
table the serial run returned (checked). The memory part runs one simulation per
configuration in a fresh process and reports the growth of its peak resident memory
over the imports alone (``ru_maxrss``): what each extra concurrent run costs.

    python benchmarks/bench_experiments.py             # full (about 5 minutes on 2 cores)
    python benchmarks/bench_experiments.py --quick     # 40 runs, 2 workers only
    python benchmarks/bench_experiments.py --json      # machine-readable
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")

SIZES = [100_000, 500_000, 1_000_000, 2_000_000]
METRICS = ["stale_rate", "n_stale", "t50_s_median", "t90_s_median", "t100_s_median"]


def _config(n_nodes: int, n_blocks: int) -> Any:
    from chainsim.scenarios import get_scenario

    return get_scenario("bitcoin").override({"network.n_nodes": n_nodes, "run.n_blocks": n_blocks})


def _timed(label: str, fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    print(f"  {label:<34} {wall:8.2f} s", flush=True)
    return wall, out


def speed(n_runs: int, workers: list[int], seed: int) -> dict[str, Any]:
    import pandas as pd
    from distributed import Client, LocalCluster

    from chainsim.experiments import sweep

    cfg = _config(300, 50)
    reps = max(1, n_runs // len(SIZES))
    grid = {"mining.block_size_bytes": SIZES}

    def run(executor: Any) -> pd.DataFrame:
        return sweep(cfg, grid, reps, seed=seed, metrics=METRICS, executor=executor)

    print(f"sweep: bitcoin preset, 300 nodes, 50 blocks, {len(SIZES) * reps} runs", flush=True)
    out: dict[str, Any] = {"runs": len(SIZES) * reps, "cpus": os.cpu_count()}
    out["load_before"] = os.getloadavg()[0]
    out["serial_s"], reference = _timed("serial", lambda: run(None))
    for n in workers:

        def pool_run(n: int = n) -> pd.DataFrame:
            with cf.ProcessPoolExecutor(max_workers=n) as pool:
                return run(pool)

        out[f"processes_{n}_s"], table = _timed(f"process pool, {n} worker(s)", pool_run)
        pd.testing.assert_frame_equal(table, reference)

        t0 = time.perf_counter()
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        )
        client = Client(cluster)
        client.run(lambda: __import__("chainsim.simulation"))  # warm imports, as a pool's
        out[f"dask_{n}_startup_s"] = time.perf_counter() - t0
        print(
            f"  {'(dask cluster start-up, not counted)':<34} {out[f'dask_{n}_startup_s']:8.2f} s",
            flush=True,
        )
        try:
            out[f"dask_{n}_s"], table = _timed(
                f"dask LocalCluster, {n} worker(s)", lambda c=client: run(c)
            )
        finally:
            client.close()
            cluster.close()
        pd.testing.assert_frame_equal(table, reference)
    out["load_after"] = os.getloadavg()[0]
    print("  (every executor returned the serial table)")
    return out


def memory_one(n_nodes: int, n_blocks: int) -> dict[str, float]:
    """One run in this (fresh) process: peak RSS growth over the imports."""
    import resource

    from chainsim import metrics
    from chainsim.simulation import simulate

    # Import everything a run touches first (a tiny run), so the baseline is a warm worker.
    simulate(_config(20, 2).override({"mining.n_miners": 5}), seed=1)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    res = simulate(_config(n_nodes, n_blocks), seed=1)
    metrics.summary(res)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "nodes": n_nodes,
        "blocks": n_blocks,
        "wall_s": wall,
        "baseline_mb": base,
        "peak_mb": peak,
        "per_run_mb": peak - base,
    }


def memory(configs: list[tuple[int, int]]) -> list[dict[str, float]]:
    rows = []
    print("memory per run (fresh process each):", flush=True)
    print(f"  {'nodes':>6} {'blocks':>6} {'wall s':>8} {'worker MB':>10} {'run adds MB':>12}")
    for n_nodes, n_blocks in configs:
        text = subprocess.run(
            [sys.executable, __file__, "--memory-one", str(n_nodes), str(n_blocks)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(text.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"  {n_nodes:>6} {n_blocks:>6} {row['wall_s']:>8.2f} {row['baseline_mb']:>10.0f} "
            f"{row['per_run_mb']:>12.1f}",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 runs, 2 workers, less memory")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--memory-one", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_one:
        print(json.dumps(memory_one(*args.memory_one)))
        return 0
    runs = 40 if args.quick else args.runs
    workers = [2] if args.quick else [1, 2]
    report: dict[str, Any] = {"speed": speed(runs, workers, args.seed)}
    mem_configs = [(300, 50)] if args.quick else [(300, 50), (1000, 100), (6000, 100)]
    report["memory"] = memory(mem_configs)
    s = report["speed"]
    ratio_pool = s["processes_2_s"] / s["serial_s"]
    ratio_dask = s["dask_2_s"] / s["processes_2_s"]
    report["ratio_processes_2_vs_serial"] = ratio_pool
    report["ratio_dask_2_vs_processes_2"] = ratio_dask
    ok_pool, ok_dask = ratio_pool <= 0.6, ratio_dask <= 1.1
    print(
        f"2 processes / serial = {ratio_pool:.2f} (target <= 0.60: "
        f"{'met' if ok_pool else 'MISSED'}); dask / processes = {ratio_dask:.2f} "
        f"(target <= 1.10: {'met' if ok_dask else 'MISSED'}); "
        f"load average {s['load_before']:.1f} -> {s['load_after']:.1f} on {s['cpus']} CPUs"
    )
    if args.json:
        print(json.dumps(report, indent=2))
    return 0 if ok_pool and ok_dask else 1


if __name__ == "__main__":
    sys.exit(main())
