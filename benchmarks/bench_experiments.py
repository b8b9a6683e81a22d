"""Speed of a sweep on one core, on a process pool and on a Dask cluster.

Reference sweep (issue 6): 200 runs of the ``bitcoin`` preset with 300 nodes and 50
blocks (4 block sizes x 50 replications). Targets: on 2 worker processes at most 0.6x
the serial wall time; on a Dask ``LocalCluster`` with 2 single-threaded worker
processes at most 1.1x the process pool.

Wall times include sending the tasks and collecting the table, and for the process
pool its start-up; the Dask cluster's own start-up (a few seconds, paid once per
session) is reported on its own line and not counted. Executors run interleaved
(serial, pool, Dask, serial, ...) and the best of ``--repeat`` is kept, so that other
work on the machine hurts them alike. CPU seconds (this process plus the workers)
show the overhead of parallel execution independent of the machine's load. Every
executor must return the table the serial run returned (checked). The memory part
runs one simulation per configuration in a fresh process and reports the growth of
its peak resident memory over the imports alone (``ru_maxrss``): what each extra
concurrent run costs.

    python benchmarks/bench_experiments.py             # full (a few minutes on 2 cores)
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


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _worker_cpu() -> float:
    return time.process_time()


def _warm() -> None:
    """Import and run everything a sweep run touches once (lazy imports, caches)."""
    from chainsim.experiments import run_one

    cfg = _config(300, 5).to_dict()
    run_one({"index": 0, "config": cfg, "seed": 1, "metrics": METRICS})


def speed(
    n_runs: int, workers: list[int], seed: int, repeat: int, lean: bool = True
) -> dict[str, Any]:
    """Best-of-``repeat`` wall time and total CPU time of each executor, interleaved."""
    import dask
    import pandas as pd
    from distributed import Client, LocalCluster

    from chainsim.experiments import sweep

    cfg = _config(300, 50)
    reps = max(1, n_runs // len(SIZES))
    grid = {"mining.block_size_bytes": SIZES}

    def run(executor: Any) -> pd.DataFrame:
        return sweep(cfg, grid, reps, seed=seed, metrics=METRICS, executor=executor)

    print(
        f"sweep: bitcoin preset, 300 nodes, 50 blocks, {len(SIZES) * reps} runs; "
        f"best of {repeat}, executors interleaved",
        flush=True,
    )
    out: dict[str, Any] = {"runs": len(SIZES) * reps, "cpus": os.cpu_count(), "repeat": repeat}
    out["load_before"] = os.getloadavg()[0]
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    variants = [(f"dask_{n}", n, False) for n in workers]
    if lean:
        variants.append(("dask_2_lean", 2, True))

    def start_cluster(n: int, is_lean: bool) -> tuple[Any, Any]:
        # Lean: no dashboard, no statistical profiler in the workers (both cost CPU).
        with dask.config.set({"distributed.worker.profile.enabled": not is_lean}):
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                scheduler_kwargs={"dashboard": False} if is_lean else None,
                silence_logs=40,
            )
        client = Client(cluster)
        client.run(_warm)  # like a forked pool, whose parent has run a sweep already
        return cluster, client

    reference = None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        table = run(None)
        walls.setdefault("serial", []).append(time.perf_counter() - t0)
        cpus.setdefault("serial", []).append(time.process_time() - c0)
        if reference is None:
            reference = table
        for n in workers:
            c0, k0, t0 = time.process_time(), _children_cpu(), time.perf_counter()
            with cf.ProcessPoolExecutor(max_workers=n) as pool:
                table = run(pool)
            walls.setdefault(f"processes_{n}", []).append(time.perf_counter() - t0)
            cpus.setdefault(f"processes_{n}", []).append(
                time.process_time() - c0 + _children_cpu() - k0
            )
            pd.testing.assert_frame_equal(table, reference)
        # One cluster at a time (an idle cluster still uses some CPU), started outside
        # the timed span.
        for label, n, is_lean in variants:
            t0 = time.perf_counter()
            cluster, client = start_cluster(n, is_lean)
            startup = time.perf_counter() - t0
            out[f"{label}_startup_s"] = min(startup, out.get(f"{label}_startup_s", startup))
            try:
                w0 = sum(client.run(_worker_cpu).values())
                c0, t0 = time.process_time(), time.perf_counter()
                table = run(client)
                walls.setdefault(label, []).append(time.perf_counter() - t0)
                w1 = sum(client.run(_worker_cpu).values())
                cpus.setdefault(label, []).append(time.process_time() - c0 + w1 - w0)
            finally:
                client.close()
                cluster.close()
            pd.testing.assert_frame_equal(table, reference)
    out["load_after"] = os.getloadavg()[0]
    print(f"  {'executor':<22} {'best wall s':>11} {'all walls s':>24} {'cpu s':>7}")
    for key, values in walls.items():
        out[f"{key}_s"] = min(values)
        out[f"{key}_walls_s"] = values
        out[f"{key}_cpu_s"] = min(cpus[key])
        shown = " ".join(f"{v:.2f}" for v in values)
        print(f"  {key:<22} {min(values):>11.2f} {shown:>24} {min(cpus[key]):>7.2f}")
    for label, _, _ in variants:
        print(
            f"  ({label}: cluster start-up {out[f'{label}_startup_s']:.2f} s, "
            "paid once, not counted)"
        )
    print("  (every executor returned the serial table)", flush=True)
    return out


def memory_one(n_nodes: int, n_blocks: int) -> dict[str, float]:
    """One run in this (fresh) process: peak RSS growth over the imports, and the peak
    of memory allocated during the run (tracemalloc; numpy arrays included), timed in
    a second, untraced run."""
    import resource
    import tracemalloc

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
    del res
    tracemalloc.start()
    res = simulate(_config(n_nodes, n_blocks), seed=1)
    metrics.summary(res)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "nodes": n_nodes,
        "blocks": n_blocks,
        "wall_s": wall,
        "baseline_mb": base,
        "peak_mb": peak,
        "per_run_mb": peak - base,
        "allocated_peak_mb": traced_peak,
    }


def memory(configs: list[tuple[int, int]]) -> list[dict[str, float]]:
    rows = []
    print("memory per run (fresh process each):", flush=True)
    print(
        f"  {'nodes':>6} {'blocks':>6} {'wall s':>8} {'worker MB':>10} {'RSS grows MB':>13} "
        f"{'run allocates MB':>17}"
    )
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
            f"{row['per_run_mb']:>13.1f} {row['allocated_peak_mb']:>17.1f}",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 runs, 2 workers, less memory")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many")
    parser.add_argument("--no-memory", action="store_true", help="speed only")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--memory-one", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_one:
        print(json.dumps(memory_one(*args.memory_one)))
        return 0
    runs = 40 if args.quick else args.runs
    workers = [2] if args.quick else [1, 2]
    report: dict[str, Any] = {"speed": speed(runs, workers, args.seed, args.repeat)}
    mem_configs = [(300, 50)] if args.quick else [(300, 50), (1000, 100), (6000, 100), (10000, 100)]
    report["memory"] = [] if args.no_memory else memory(mem_configs)
    s = report["speed"]
    ratio_pool = s["processes_2_s"] / s["serial_s"]
    ratio_dask = s["dask_2_s"] / s["processes_2_s"]
    report["ratio_dask_2_lean_vs_processes_2"] = s["dask_2_lean_s"] / s["processes_2_s"]
    report["ratio_processes_2_vs_serial"] = ratio_pool
    report["ratio_dask_2_vs_processes_2"] = ratio_dask
    ok_pool, ok_dask = ratio_pool <= 0.6, ratio_dask <= 1.1
    print(
        f"2 processes / serial = {ratio_pool:.2f} (target <= 0.60: "
        f"{'met' if ok_pool else 'MISSED'}); dask / processes = {ratio_dask:.2f} "
        f"(target <= 1.10: {'met' if ok_dask else 'MISSED'}; lean cluster "
        f"{report['ratio_dask_2_lean_vs_processes_2']:.2f}); "
        f"load average {s['load_before']:.1f} -> {s['load_after']:.1f} on {s['cpus']} CPUs"
    )
    overhead = s["processes_2_cpu_s"] / s["serial_cpu_s"]
    print(
        f"CPU time: 2 processes use {overhead:.2f}x the serial CPU, dask "
        f"{s['dask_2_cpu_s'] / s['serial_cpu_s']:.2f}x (lean: "
        f"{s['dask_2_lean_cpu_s'] / s['serial_cpu_s']:.2f}x); on an otherwise idle machine the "
        f"2-process wall time would be about {overhead / 2:.2f}x serial"
    )
    if args.json:
        print(json.dumps(report, indent=2))
    return 0 if ok_pool and ok_dask else 1


if __name__ == "__main__":
    sys.exit(main())
