"""Safety runs for ``chainsim validate``: many seeded randomized PBFT and Raft runs.

Each run draws its faults from the run's own seed (``derive_seed(seed, name, run)``),
so a summary is repeatable and any single run can be replayed with its seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainsim.consensus.config import PBFTConfig, RaftConfig
from chainsim.consensus.faults import BYZANTINE_BEHAVIOURS, parse_faults
from chainsim.consensus.pbft import pbft_safety_violations, run_pbft
from chainsim.consensus.raft import raft_check, run_raft
from chainsim.errors import ConfigError
from chainsim.rng import SeedLike, derive_seed

__all__ = [
    "describe_safety_run",
    "pbft_safety_run",
    "raft_safety_run",
    "random_byzantine",
    "random_raft_faults",
    "safety_check_rows",
]

PBFT_SCENARIOS = ("random", "collude")


def _count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def random_byzantine(
    n: int, f_byzantine: int, rng: np.random.Generator, scenario: str = "random"
) -> list[tuple[str, int, str]]:
    """Byzantine fault entries for one run.

    ``"random"``: ``f_byzantine`` distinct replicas, each with a behaviour drawn
    from :data:`~chainsim.consensus.faults.BYZANTINE_BEHAVIOURS`. ``"collude"``: the
    first primary (replica 0) equivocates and ``f_byzantine - 1`` other replicas cast
    conflicting, colluding votes: the attack that breaks safety once
    ``f_byzantine > f``.

    >>> random_byzantine(4, 2, np.random.default_rng(0), "collude")[0]
    ('byzantine', 0, 'equivocate')
    """
    if scenario == "collude":
        others = rng.permutation(np.arange(1, n))[: max(0, f_byzantine - 1)]
        out = [("byzantine", 0, "equivocate")] if f_byzantine > 0 else []
        return out + [("byzantine", int(r), "conflict") for r in sorted(others)]
    nodes = sorted(rng.choice(n, size=f_byzantine, replace=False).tolist())
    return [
        ("byzantine", int(r), str(BYZANTINE_BEHAVIOURS[rng.integers(len(BYZANTINE_BEHAVIOURS))]))
        for r in nodes
    ]


def pbft_safety_run(
    n: int,
    f_byzantine: int,
    n_runs: int,
    seed: SeedLike = None,
    *,
    scenario: str = "random",
    n_requests: int = 8,
) -> dict[str, Any]:
    """Run PBFT ``n_runs`` times with ``f_byzantine`` faulty replicas; count violations.

    Each run uses the SimBlock regional latencies with jitter, a small checkpoint
    interval (so that checkpoints and garbage collection happen) and faults from
    :func:`random_byzantine`.

    Parameters
    ----------
    n
        Replicas (``>= 1``); PBFT tolerates ``f = (n - 1) // 3``.
    f_byzantine
        Faulty replicas per run, ``0..n``.
    n_runs
        Number of runs.
    seed
        Root seed.
    scenario
        ``"random"`` or ``"collude"`` (see :func:`random_byzantine`).
    n_requests
        Requests per run.

    Returns
    -------
    dict
        ``n``, ``f``, ``f_byzantine``, ``n_runs``, ``runs_with_violation``,
        ``n_violations`` (sequence numbers with conflicting honest commits, summed),
        ``n_commits`` (honest committed-local events), ``n_requests``,
        ``n_accepted`` (requests accepted by their client), ``n_view_changes``.

    Examples
    --------
    >>> s = pbft_safety_run(4, 1, 3, seed=1)
    >>> s["runs_with_violation"], s["n_runs"]
    (0, 3)
    >>> pbft_safety_run(4, 2, 1, seed=1, scenario="collude")["runs_with_violation"]
    1
    """
    n = _count("n", n, 1)
    f_byzantine = _count("f_byzantine", f_byzantine, 0)
    n_runs = _count("n_runs", n_runs, 0)
    if f_byzantine > n:
        raise ConfigError(f"f_byzantine must be <= n ({n}), got {f_byzantine}")
    if scenario not in PBFT_SCENARIOS:
        raise ConfigError(
            f"scenario must be one of {', '.join(map(repr, PBFT_SCENARIOS))}, got {scenario!r}"
        )
    out = {
        "n": n,
        "f": (n - 1) // 3,
        "f_byzantine": f_byzantine,
        "n_runs": n_runs,
        "runs_with_violation": 0,
        "n_violations": 0,
        "n_commits": 0,
        "n_requests": 0,
        "n_accepted": 0,
        "n_view_changes": 0,
    }
    for run in range(n_runs):
        ss = derive_seed(seed, "pbft-safety", run)
        rng = np.random.default_rng(derive_seed(ss, "faults"))
        faults = parse_faults(random_byzantine(n, f_byzantine, rng, scenario), n)
        cfg = PBFTConfig(
            n_replicas=n,
            n_requests=n_requests,
            request_interval_s=0.05,
            checkpoint_interval=4,
            log_window=8,
            faults=faults,
            max_time_s=60.0,
        )
        res = run_pbft(cfg, seed=ss)
        bad = pbft_safety_violations(res)
        out["runs_with_violation"] += int(len(bad) > 0)
        out["n_violations"] += len(bad)
        out["n_commits"] += len(res.tables["commits"])
        out["n_requests"] += n_requests
        out["n_accepted"] += int(res.tables["requests"]["t_accepted_s"].notna().sum())
        out["n_view_changes"] += int(res.meta["n_view_changes"])
    return out


def random_raft_faults(
    n: int, rng: np.random.Generator, horizon_s: float, n_faults: int = 4
) -> list[tuple[Any, ...]]:
    """A random schedule of crashes with restarts and partitions with heals.

    Up to ``n_faults`` episodes start uniformly in ``[0, horizon_s]``; each is a crash
    of a random server restarted 0.1-2 s later, or a random two-way partition healed
    0.1-2 s later.

    >>> sched = random_raft_faults(5, np.random.default_rng(1), 5.0)
    >>> {kind for kind, *_ in sched} <= {"crash", "heal", "partition", "restart"}
    True
    """
    out: list[tuple[Any, ...]] = []
    for _ in range(int(rng.integers(1, n_faults + 1))):
        t = float(rng.uniform(0.0, horizon_s))
        dur = float(rng.uniform(0.1, 2.0))
        if rng.random() < 0.5:
            node = int(rng.integers(n))
            out += [("crash", t, node), ("restart", t + dur, node)]
        else:
            side = rng.random(n) < 0.5
            groups = [np.flatnonzero(side).tolist(), np.flatnonzero(~side).tolist()]
            out += [("partition", t, [g for g in groups if g]), ("heal", t + dur)]
    return out


def raft_safety_run(
    n: int, n_runs: int, seed: SeedLike = None, *, n_requests: int = 20
) -> dict[str, Any]:
    """Run Raft ``n_runs`` times under random crashes, restarts, partitions and loss.

    Each run draws a schedule with :func:`random_raft_faults` over the request period,
    a message loss probability of 0, 1 % or 5 %, and checks it with
    :func:`~chainsim.consensus.raft.raft_check`.

    Returns
    -------
    dict
        ``n``, ``n_runs``, ``runs_with_violation``, ``election_safety``,
        ``state_machine``, ``log_matching`` (violations summed over runs),
        ``n_commits`` (entries committed by leaders), ``n_requests``,
        ``n_accepted``, ``n_leaders``.

    Examples
    --------
    >>> s = raft_safety_run(5, 2, seed=3)
    >>> s["runs_with_violation"], s["n_leaders"] >= 2
    (0, True)
    """
    n = _count("n", n, 1)
    n_runs = _count("n_runs", n_runs, 0)
    out = {
        "n": n,
        "n_runs": n_runs,
        "runs_with_violation": 0,
        "election_safety": 0,
        "state_machine": 0,
        "log_matching": 0,
        "n_commits": 0,
        "n_requests": 0,
        "n_accepted": 0,
        "n_leaders": 0,
    }
    interval = 0.1
    for run in range(n_runs):
        ss = derive_seed(seed, "raft-safety", run)
        rng = np.random.default_rng(derive_seed(ss, "faults"))
        base = RaftConfig()
        horizon = base.first_request_s + interval * n_requests
        faults = parse_faults(random_raft_faults(n, rng, horizon_s=horizon), n)
        loss = float(rng.choice([0.0, 0.01, 0.05]))
        cfg = base.replace(
            n_servers=n,
            n_requests=n_requests,
            request_interval_s=interval,
            loss_probability=loss,
            faults=faults,
            max_time_s=60.0,
        )
        res = run_raft(cfg, seed=ss)
        check = raft_check(res)
        out["runs_with_violation"] += int(not check["ok"])
        for key in ("election_safety", "state_machine", "log_matching"):
            out[key] += check[key]
        out["n_commits"] += len(res.tables["leader_commits"])
        out["n_requests"] += n_requests
        out["n_accepted"] += int(res.tables["requests"]["t_accepted_s"].notna().sum())
        out["n_leaders"] += len(res.tables["leaders"])
    return out


def describe_safety_run(summary: dict[str, Any]) -> str:
    """A few plain lines for the command line, from either safety-run summary.

    >>> print(describe_safety_run(pbft_safety_run(4, 1, 2, seed=1)))
    PBFT n=4 (tolerates f=1) with 1 Byzantine replica(s): 2 runs
      safety violations: 0 runs (0 sequence numbers)
      honest commits: 40; requests accepted: 16 of 16; view changes: 0
      expected: no violation (f_byzantine <= f)
    """
    if "f_byzantine" in summary:
        ok = summary["f_byzantine"] <= summary["f"]
        return "\n".join(
            [
                f"PBFT n={summary['n']} (tolerates f={summary['f']}) with "
                f"{summary['f_byzantine']} Byzantine replica(s): {summary['n_runs']} runs",
                f"  safety violations: {summary['runs_with_violation']} runs "
                f"({summary['n_violations']} sequence numbers)",
                f"  honest commits: {summary['n_commits']}; requests accepted: "
                f"{summary['n_accepted']} of {summary['n_requests']}; view changes: "
                f"{summary['n_view_changes']}",
                "  expected: "
                + (
                    "no violation (f_byzantine <= f)"
                    if ok
                    else "violations possible (f_byzantine > f)"
                ),
            ]
        )
    return "\n".join(
        [
            f"Raft n={summary['n']}: {summary['n_runs']} runs with random crashes, restarts, "
            "partitions and message loss",
            f"  runs with a violation: {summary['runs_with_violation']} (election safety "
            f"{summary['election_safety']}, state machine {summary['state_machine']}, "
            f"log matching {summary['log_matching']})",
            f"  entries committed: {summary['n_commits']}; requests accepted: "
            f"{summary['n_accepted']} of {summary['n_requests']}; leaders elected: "
            f"{summary['n_leaders']}",
        ]
    )


def safety_check_rows(
    *, n_pbft: int = 4, n_raft: int = 5, n_runs: int = 30, seed: SeedLike = 1
) -> list[Any]:
    """Rows for the ``chainsim validate`` table (:class:`chainsim.validation.CheckResult`).

    Three rows: PBFT with ``f`` random Byzantine replicas (theory: no run has
    conflicting commits), PBFT with ``f + 1`` colluding replicas (quorum intersection
    fails: two commit quorums of ``2f + 1`` in ``3f + 1`` replicas may share only
    Byzantine ones, and the colluding split succeeds every time), and Raft under random
    crashes, restarts, partitions and loss (theory: no run breaks election safety,
    state machine safety or log matching). The simulated value is the share of runs
    with a violation, with a Wilson 95 % interval.

    Examples
    --------
    >>> rows = safety_check_rows(n_runs=3, seed=1)
    >>> [(r.check, r.simulated, r.agrees) for r in rows]
    [('pbft-safety', 0.0, True), ('pbft-beyond-f', 1.0, True), ('raft-safety', 0.0, True)]
    """
    from chainsim.stats import binomial_ci
    from chainsim.validation import CheckResult

    n_runs = _count("n_runs", n_runs, 1)
    f = (n_pbft - 1) // 3
    rows = []
    quantity = "share of runs with a safety violation"

    def row(check: str, params: str, ref: float, source: str, k: int, note: str) -> Any:
        lo, hi = binomial_ci(k, n_runs)
        agrees = bool(lo <= ref <= hi) if ref == 0.0 else k == n_runs
        return CheckResult(
            check, quantity, params, ref, "theory", source, k / n_runs, lo, hi, agrees, note
        )

    s = pbft_safety_run(n_pbft, f, n_runs, seed)
    rows.append(
        row(
            "pbft-safety",
            f"n={n_pbft}, {f} Byzantine (random behaviours), {n_runs} runs",
            0.0,
            "Castro & Liskov 1999",
            s["runs_with_violation"],
            f"{s['n_accepted']}/{s['n_requests']} requests accepted",
        )
    )
    s = pbft_safety_run(n_pbft, f + 1, n_runs, seed, scenario="collude")
    rows.append(
        row(
            "pbft-beyond-f",
            f"n={n_pbft}, {f + 1} colluding (equivocating primary), {n_runs} runs",
            1.0,
            "quorum intersection (Castro & Liskov 1999)",
            s["runs_with_violation"],
            "f + 1 faults: two quorums can meet in faulty replicas only",
        )
    )
    r = raft_safety_run(n_raft, n_runs, seed)
    rows.append(
        row(
            "raft-safety",
            f"n={n_raft}, random crashes/partitions/loss, {n_runs} runs",
            0.0,
            "Ongaro & Ousterhout 2014",
            r["runs_with_violation"],
            f"{r['n_leaders']} leaders, {r['n_commits']} entries committed",
        )
    )
    return rows
