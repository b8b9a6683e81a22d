"""Speed and memory of the simulation engine on SimBlock's Bitcoin settings.

Reference scenario (the ``simblock-bitcoin`` preset): six regions with the 2019
latency and bandwidth tables, the Bitcoin degree distribution, 535 kB blocks every
600 s, inv/getdata/block relay, 100 blocks. Targets (issue 2): 1,000 nodes in at most
1.5 s and 300 MB; 10,000 nodes in at most 20 s and 700 MB.

Every configuration runs in a fresh Python process, so the peak resident memory
(``ru_maxrss``) is that run's own, including the interpreter, numpy, pandas and
networkx (the "baseline" line: the imports alone). Wall time is the whole
``simulate`` call: building the network, the run, and the result tables; "cpu s" is
the process CPU time of the same span (close to wall time on an idle machine, and a
fairer figure when other work shares the cores).

    python benchmarks/bench_engine.py              # the full table (about a minute)
    python benchmarks/bench_engine.py --quick      # 1,000 and 10,000 nodes only
    python benchmarks/bench_engine.py --engine simpy --nodes 300 --blocks 20
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def one(n_nodes: int, n_blocks: int, engine: str, seed: int) -> dict[str, float]:
    """Run one configuration in this process; return the measurements."""
    import resource

    from chainsim.simulation import Simulation

    try:
        from chainsim.scenarios import get_scenario

        base = get_scenario("simblock-bitcoin")
    except ImportError:  # pragma: no cover - before the scenarios landed
        from chainsim.config import SimConfig

        base = SimConfig().override({"mining.n_miners": 20})
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if n_blocks == 0:
        return {"baseline_mb": baseline_mb}
    cfg = base.override({"network.n_nodes": n_nodes, "run.n_blocks": n_blocks})
    t0 = time.perf_counter()
    c0 = time.process_time()
    sim = Simulation(cfg, seed=seed, engine=engine)
    t1 = time.perf_counter()
    res = sim.run()
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "nodes": n_nodes,
        "blocks": n_blocks,
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "wall_s": t2 - t0,
        "cpu_s": cpu,
        "events": res.meta["n_events"],
        "events_per_s": res.meta["n_events"] / (t2 - t1),
        "peak_mb": peak_mb,
        "baseline_mb": baseline_mb,
        "receipts": len(res.receipts),
        "stale": int((~res.blocks["main_chain"]).sum()),
    }


def measure(n_nodes: int, n_blocks: int, engine: str, seed: int, repeat: int) -> dict[str, float]:
    """Best of ``repeat`` fresh processes (the machine may be busy with other work)."""
    best: dict[str, float] | None = None
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n_nodes), str(n_blocks), engine, str(seed)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        if best is None or row.get("wall_s", 0) < best.get("wall_s", 0):
            best = row
    assert best is not None
    return best


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 1,000 and 10,000 nodes")
    parser.add_argument("--engine", default="fast", choices=["fast", "simpy"])
    parser.add_argument("--nodes", type=int, nargs="*", help="node counts to run")
    parser.add_argument("--blocks", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        n, b, engine, seed = args.one
        print(json.dumps(one(int(n), int(b), engine, int(seed))))
        return 0

    baseline = measure(1000, 0, args.engine, args.seed, 1)["baseline_mb"]
    print(f"engine={args.engine}  baseline RSS after imports: {baseline:.0f} MB")
    header = (
        f"{'nodes':>7} {'blocks':>6} {'build s':>8} {'run s':>7} {'wall s':>7} {'cpu s':>6} "
        f"{'events':>9} {'events/s':>9} {'peak MB':>8} {'stale':>5}"
    )
    if args.nodes:
        grid = [(n, args.blocks) for n in args.nodes]
    elif args.quick:
        grid = [(1000, 100), (10_000, 100)]
    else:
        grid = [(n, 100) for n in (300, 1000, 3000, 10_000)] + [(1000, b) for b in (50, 200, 400)]
    print(header)
    for n, b in grid:
        r = measure(n, b, args.engine, args.seed, args.repeat)
        print(
            f"{n:>7,} {b:>6} {r['build_s']:>8.2f} {r['run_s']:>7.2f} {r['wall_s']:>7.2f} "
            f"{r['cpu_s']:>6.2f} "
            f"{r['events']:>9,} {r['events_per_s']:>9,.0f} {r['peak_mb']:>8.0f} "
            f"{r['stale']:>5}",
            flush=True,
        )
    print("targets: 1,000 nodes <= 1.5 s and 300 MB; 10,000 nodes <= 20 s and 700 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
