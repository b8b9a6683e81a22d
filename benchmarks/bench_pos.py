"""Speed of the proof-of-stake simulation: slots per second for 100 and 1,000 validators.

Three measurements per validator count, each the best of ``--repeat`` runs in this
process:

``lottery``
    the leader lottery alone, slot by slot (:meth:`LeaderLottery.leaders` for every
    slot: one row of uniforms per slot compared with the Praos thresholds);
``skip``
    the lottery as the engine uses it, jumping from one slot with a leader to the
    next (:meth:`LeaderLottery.next_active`);
``fast`` / ``simpy``
    the whole :func:`~chainsim.consensus.pos.simulate_pos` run with that engine:
    validators on as many network nodes (SimBlock 2019 latencies and bandwidths,
    Bitcoin-like topology, inv/getdata relay, 64 kB blocks), f = 0.05, 1 s slots,
    honest validators, draining the last blocks; the time includes building the
    network and the result tables. It is dominated by block relay, so slots per
    second here mostly measure blocks per second times ``1 / f``.

    python benchmarks/bench_pos.py                 # 100 and 1,000 validators
    python benchmarks/bench_pos.py --validators 100 --slots 5000 --engines fast
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def bench_lottery(n_validators: int, n_slots: int, f: float, seed: int) -> tuple[float, float]:
    """Slots per second of the slot-by-slot lottery and of the skipping lottery."""
    from chainsim.consensus.pos import LeaderLottery, leader_probability

    thr = leader_probability(np.full(n_validators, 1.0 / n_validators), f)
    lot = LeaderLottery(np.random.default_rng(seed), thr)
    t0 = time.perf_counter()
    for s in range(1, n_slots + 1):
        lot.leaders(s)
    t_each = time.perf_counter() - t0
    lot = LeaderLottery(np.random.default_rng(seed), thr)
    t0 = time.perf_counter()
    s = 0
    while (nxt := lot.next_active(s + 1, n_slots)) is not None:
        s = nxt[0]
    t_skip = time.perf_counter() - t0
    return n_slots / t_each, n_slots / t_skip


def bench_simulate(
    n_validators: int, n_slots: int, f: float, seed: int, engine: str
) -> dict[str, float]:
    """One full run; wall time, slots per second, blocks, events."""
    from chainsim.config import NetworkConfig
    from chainsim.consensus.pos import PoSConfig, simulate_pos

    cfg = PoSConfig(n_validators=n_validators, n_slots=n_slots, active_slot_coeff=f)
    t0 = time.perf_counter()
    net = NetworkConfig(n_nodes=n_validators)
    res = simulate_pos(cfg, seed=seed, network_config=net, engine=engine)
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "slots_per_s": n_slots / wall,
        "blocks": len(res.blocks) - 1,
        "events": res.meta["n_events"],
        "stale_rate": float((~res.blocks["main_chain"]).sum() / max(1, len(res.blocks) - 1)),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validators", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--slots", type=int, default=2000, help="slots of the full run")
    parser.add_argument("--lottery-slots", type=int, default=100_000)
    parser.add_argument("--f", type=float, default=0.05, help="active-slot coefficient")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    parser.add_argument("--engines", nargs="*", default=["fast", "simpy"])
    args = parser.parse_args(argv)
    print(
        f"f={args.f}  lottery over {args.lottery_slots:,} slots; full runs of "
        f"{args.slots:,} slots (validators = nodes)"
    )
    print(
        f"{'validators':>10} {'engine':>8} {'slots/s':>12} {'wall s':>8} {'blocks':>7} "
        f"{'events':>10} {'stale':>6}"
    )
    for n in args.validators:
        each = skip = 0.0
        for _ in range(args.repeat):
            a, b = bench_lottery(n, args.lottery_slots, args.f, args.seed)
            each, skip = max(each, a), max(skip, b)
        print(f"{n:>10,} {'lottery':>8} {each:>12,.0f}   (slot by slot)")
        print(f"{n:>10,} {'skip':>8} {skip:>12,.0f}   (jumping to slots with a leader)")
        for engine in args.engines:
            best: dict[str, float] | None = None
            for _ in range(args.repeat):
                r = bench_simulate(n, args.slots, args.f, args.seed, engine)
                if best is None or r["wall_s"] < best["wall_s"]:
                    best = r
            assert best is not None
            print(
                f"{n:>10,} {engine:>8} {best['slots_per_s']:>12,.0f} {best['wall_s']:>8.2f} "
                f"{best['blocks']:>7,.0f} {best['events']:>10,.0f} {best['stale_rate']:>6.3f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
