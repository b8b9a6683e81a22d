"""The ``chainsim`` command line.

``chainsim run SCENARIO``
    simulate a named preset and write its tables (CSV) and metadata (JSON) atomically;
``chainsim scenarios``
    list the presets with their sources;
``chainsim validate``
    print theory beside simulation (with confidence intervals) and the model beside
    measured Bitcoin figures;
``chainsim sweep FILE.toml``
    run a parameter sweep described by a TOML file (serially, on all cores or on a
    Dask cluster) and write one row per run as CSV (and Parquet) atomically.

Bad input gets one line naming the parameter, the bad value and what is allowed, and
exit status 2; no traceback is ever printed for an error ChainSim raises on purpose.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from chainsim.errors import ChainSimError, ConfigError

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"chainsim: error: {message}\n")


def _number(
    kind: type, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False
) -> Callable[[str], Any]:
    """An argparse type that names the allowed range in its error message."""
    what = "a whole number" if kind is int else "a number"
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"<= {hi:g}")
    allowed = what + (" " + " and ".join(parts) if parts else "")

    def convert(text: str) -> Any:
        try:
            value = kind(text)
            if kind is float and math.isnan(value):
                raise ValueError
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        if (lo is not None and (value <= lo if lo_open else value < lo)) or (
            hi is not None and value > hi
        ):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}")
        return value

    convert.__name__ = what  # argparse shows this name in some messages
    return convert


def _build_parser() -> argparse.ArgumentParser:
    from chainsim import __version__

    parser = _Parser(
        prog="chainsim",
        description="ChainSim: simulate blockchain networks, mining, consensus and attacks.",
    )
    parser.add_argument("--version", action="version", version=f"chainsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    run = sub.add_parser("run", help="simulate a named scenario and write its tables")
    run.add_argument("scenario", help="a preset name (see 'chainsim scenarios')")
    run.add_argument("--nodes", type=_number(int, 2, 100_000), help="number of nodes")
    run.add_argument("--blocks", type=_number(int, 1, 10_000_000), help="blocks to mine")
    run.add_argument("--seed", type=_number(int, 0), help="random seed (default: fresh)")
    run.add_argument(
        "--interval", type=_number(float, 0, lo_open=True), help="block interval in seconds"
    )
    run.add_argument(
        "--block-size", type=_number(int, 80), dest="block_size", help="block size in bytes"
    )
    run.add_argument("--relay", choices=("inv", "push", "compact"), help="block relay protocol")
    run.add_argument("--engine", choices=("auto", "simpy", "fast"), help="simulation engine")
    run.add_argument("--out", metavar="DIR", help="write CSV tables and meta.json into DIR")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")

    sub.add_parser("scenarios", help="list the named scenarios and their sources")

    val = sub.add_parser("validate", help="theory and measurement beside the simulation")
    val.add_argument("--q", type=_number(float, 0, 1), default=0.1, help="attacker share")
    val.add_argument("--z", type=_number(int, 0, 1000), default=2, help="confirmations")
    val.add_argument("--alpha", type=_number(float, 0, 0.5), default=0.35, help="pool share")
    val.add_argument("--gamma", type=_number(float, 0, 1), default=0.5, help="tie share")
    val.add_argument("--seed", type=_number(int, 0), default=1, help="random seed")
    val.add_argument(
        "--nodes", type=_number(int, 2, 100_000), default=1000, help="nodes for the bitcoin check"
    )
    val.add_argument(
        "--blocks", type=_number(int, 10, 1_000_000), default=300, help="blocks per network run"
    )
    val.add_argument("--trials", type=_number(int, 100, 10**8), default=200_000, help="race trials")
    val.add_argument(
        "--pbft-n",
        type=_number(int, 4, 100),
        default=4,
        dest="pbft_n",
        help="PBFT replicas for the safety runs (f = (n - 1) // 3 Byzantine)",
    )
    val.add_argument(
        "--raft-n",
        type=_number(int, 3, 100),
        default=5,
        dest="raft_n",
        help="Raft servers for the safety runs",
    )
    val.add_argument(
        "--runs", type=_number(int, 1, 100_000), default=30, help="randomized safety runs"
    )
    val.add_argument(
        "--network-trials",
        type=_number(int, 0, 1_000_000),
        default=300,
        dest="network_trials",
        help="double-spend races in the network simulator (0: race model only)",
    )
    val.add_argument(
        "--network-blocks",
        type=_number(int, 0, 10_000_000),
        default=0,
        dest="network_blocks",
        help="blocks of selfish mining in the network simulator (0: race model only)",
    )
    val.add_argument(
        "--only",
        action="append",
        choices=("interval", "stale", "revenue", "double-spend", "selfish", "bitcoin", "consensus"),
        help="run only these checks (repeatable)",
    )
    val.add_argument("--json", action="store_true", help="print the table as JSON")

    swp = sub.add_parser("sweep", help="run a parameter sweep described by a TOML file")
    swp.add_argument("file", metavar="FILE.toml", help="the sweep file (see examples/sweeps/)")
    swp.add_argument(
        "--executor",
        metavar="WHERE",
        help="serial, processes, processes:N or a Dask scheduler address tcp://host:port",
    )
    swp.add_argument("--out", metavar="FILE.csv", help="output table (default: FILE.csv here)")
    swp.add_argument("--seed", type=_number(int, 0), help="root seed (default: the file's)")
    swp.add_argument("--replications", type=_number(int, 1, 10**7), help="runs per grid point")
    swp.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from chainsim.scenarios import get_scenario

    config = get_scenario(args.scenario)
    changes: dict[str, Any] = {}
    if args.nodes is not None:
        changes["network.n_nodes"] = args.nodes
        if args.nodes < config.mining.n_miners and not config.mining.hash_shares:
            # A preset's equal-share miners must fit in a smaller network.
            changes["mining.n_miners"] = args.nodes
    if args.blocks is not None:
        changes["run.n_blocks"] = args.blocks
    if args.interval is not None:
        changes["mining.block_interval_s"] = args.interval
    if args.block_size is not None:
        changes["mining.block_size_bytes"] = args.block_size
    if args.relay is not None:
        changes["network.relay"] = args.relay
    if args.engine is not None:
        changes["run.engine"] = args.engine
    if changes:
        config = config.override(changes)
    if args.out is not None:
        _check_out_dir(args.out)
    from chainsim import metrics
    from chainsim.simulation import simulate

    show_progress = not args.no_progress and not args.json
    results = simulate(config, seed=args.seed, progress=show_progress)
    summary = metrics.summary(results)
    meta = results.meta
    if args.json:
        print(json.dumps({"scenario": args.scenario, "seed": meta["seed"], **summary}, indent=2))
    else:
        print(
            f"scenario {args.scenario}: {config.network.n_nodes} nodes, "
            f"{config.run.n_blocks} blocks, seed {meta['seed']}, engine {meta['engine']}, "
            f"{meta['wall_time_s']:.2f} s wall"
        )
        width = max(len(k) for k in summary)
        for key, value in summary.items():
            print(f"  {key:<{width}}  {_fmt(value)}")
    if args.out is not None:
        results.meta = {**results.meta, "scenario": args.scenario}
        path = results.save(args.out)
        if not args.json:
            print(f"tables written to {path}/ (blocks, receipts, nodes, messages .csv; meta.json)")
    return EXIT_OK


def _check_out_dir(out: str) -> None:
    """Fail before a long run if the output directory cannot be used."""
    from chainsim.results import TABLES

    allowed = {*(f"{name}.csv" for name in TABLES), "meta.json"}
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise ConfigError(f"--out must be a directory, got the file {out!r}")
        extra = sorted(set(os.listdir(out)) - allowed)
        if extra:
            raise ConfigError(
                f"--out directory {out!r} already holds other files ({', '.join(extra[:3])}); "
                "choose an empty or new directory"
            )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"{value:.4g}"
        return f"{value:.4f}"
    return str(value)


def _cmd_scenarios(_args: argparse.Namespace) -> int:
    from chainsim.scenarios import list_scenarios

    for sc in list_scenarios():
        cfg = sc.config
        print(
            f"{sc.name:<17} {cfg.network.n_nodes:>6} nodes  "
            f"{cfg.mining.block_interval_s:>6g} s  {cfg.mining.block_size_bytes:>8} B  "
            f"{cfg.network.relay:<7}  {sc.title}"
        )
        for source in sc.sources:
            print(f"{'':<19}source: {source}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from chainsim.validation import format_table, run_checks

    rows = run_checks(
        only=args.only,
        q=args.q,
        z=args.z,
        alpha=args.alpha,
        gamma=args.gamma,
        seed=args.seed,
        n_nodes=args.nodes,
        n_blocks=args.blocks,
        n_trials=args.trials,
        n_pbft=args.pbft_n,
        n_raft=args.raft_n,
        n_runs=args.runs,
        network_trials=args.network_trials,
        network_blocks=args.network_blocks,
        progress=not args.json,
    )
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], indent=2))
    else:
        print(format_table(rows))
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace) -> int:
    import dataclasses
    import warnings
    from pathlib import Path

    from chainsim.experiments import (
        SweepWarning,
        close_executor,
        load_sweep_file,
        resolve_executor,
        save_table,
        summarize,
    )
    from chainsim.rng import as_seed_sequence

    spec = load_sweep_file(args.file)
    out = args.out or spec.out or f"{Path(args.file).stem}.csv"
    if not out.lower().endswith(".csv"):
        raise ConfigError(f"--out must name a .csv file, got {out!r}")
    if os.path.isdir(out):
        raise ConfigError(f"--out must name a file, got the directory {out!r}")
    seed = args.seed if args.seed is not None else spec.seed
    if seed is None:  # fresh entropy, printed so that the sweep can be repeated
        seed = int(as_seed_sequence(None).entropy)  # type: ignore[arg-type]
    spec = dataclasses.replace(
        spec,
        seed=seed,
        replications=args.replications or spec.replications,
        executor=args.executor or spec.executor or "serial",
    )
    executor, owned = resolve_executor(spec.executor)  # a bad name fails before any run
    n_points = len(spec.grid) if isinstance(spec.grid, list) else 1
    if isinstance(spec.grid, dict):
        n_points = math.prod(len(v) for v in spec.grid.values())
    print(
        f"sweep {args.file}: scenario {spec.scenario}, {n_points} points x "
        f"{spec.replications} replications = {n_points * spec.replications} runs, "
        f"seed {seed}, executor {spec.executor}",
        file=sys.stderr,
    )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SweepWarning)
            table = spec.run(progress=not args.no_progress, executor=executor or "serial")
    finally:
        if owned:
            close_executor(executor)
    paths = save_table(table, out)
    print(_sweep_overview(table, summarize))
    print(f"{len(table)} runs written to {', '.join(str(p) for p in paths)}")
    failures = [w for w in caught if issubclass(w.category, SweepWarning)]
    for w in failures:
        print(f"chainsim: warning: {w.message}", file=sys.stderr)
    return EXIT_FAILURE if table.attrs["n_failed"] else EXIT_OK


def _sweep_overview(table: Any, summarize: Callable[..., Any]) -> str:
    """Mean +- 95 % half-width of up to three headline metrics per grid point."""
    import pandas as pd

    names = list(table.attrs["metrics"])
    preferred = [m for m in ("stale_rate", "t50_s_median", "t100_s_median") if m in names]
    shown = (preferred + [m for m in names if m not in preferred])[:3]
    numeric = [m for m in shown if pd.api.types.is_numeric_dtype(table[m])]
    summary = summarize(table, metrics=numeric)
    view = summary[[*table.attrs["parameters"], "n_runs", "n_failed"]].copy()
    for m in numeric:
        mean, high = summary[f"{m}_mean"], summary[f"{m}_ci_high"]
        view[m] = [
            f"{a:.4g}" + ("" if math.isnan(b) else f" +- {b - a:.2g}")
            for a, b in zip(mean, high, strict=True)
        ]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        return str(view.to_string(index=False))


_COMMANDS = {
    "run": _cmd_run,
    "scenarios": _cmd_scenarios,
    "validate": _cmd_validate,
    "sweep": _cmd_sweep,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chainsim`` command; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"chainsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ChainSimError as exc:
        print(f"chainsim: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("chainsim: interrupted; no partial output was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: say so plainly, keep the traceback for debugging
        if os.environ.get("CHAINSIM_DEBUG"):
            raise
        print(
            f"chainsim: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in ChainSim; rerun with CHAINSIM_DEBUG=1 for details and report it.",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
