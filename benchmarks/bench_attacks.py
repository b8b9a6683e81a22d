"""Speed of attack validation: the race model against the network simulator.

Target (issue 5): selfish-mining validation at one (alpha, gamma) point with 100,000
blocks in under 30 s. The race model (:mod:`chainsim.attacks.races`, no network) does
that in a fraction of a second; the network simulator (SimPy engine, the pool as a
node in a 3-node network, :func:`chainsim.attacks.selfish_mining_experiment`) is timed
at 100,000 blocks too. Also timed: double-spend races in the network, GHOST vs longest
chain, and the cost of the attack hooks on an honest run.

    python benchmarks/bench_attacks.py [--blocks 100000] [--alpha 0.35] [--gamma 0.5]
"""

from __future__ import annotations

import argparse
import time

from chainsim.analysis import double_spend_probability, selfish_mining_revenue
from chainsim.attacks import (
    double_spend_experiment,
    ghost_vs_longest,
    selfish_mining_experiment,
    simulate_selfish_mining,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=100_000)
    parser.add_argument("--alpha", type=float, default=0.35)
    parser.add_argument("--gamma", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    a, g, n = args.alpha, args.gamma, args.blocks
    theory = selfish_mining_revenue(a, g)
    print(f"selfish mining alpha={a} gamma={g}: Eyal-Sirer revenue {theory:.4f}")
    print(f"{'model':<34}{'blocks':>9}{'wall s':>9}{'revenue':>9}{'95% CI':>18}")

    t0 = time.perf_counter()
    race = simulate_selfish_mining(a, g, n, seed=args.seed)
    wall = time.perf_counter() - t0
    print(
        f"{'race model (attacks.races)':<34}{n:>9,}{wall:>9.2f}{race.estimate:>9.4f}"
        f"   [{race.ci_low:.4f}, {race.ci_high:.4f}]"
    )

    t0 = time.perf_counter()
    net = selfish_mining_experiment(a, g, n, seed=args.seed)
    wall = time.perf_counter() - t0
    print(
        f"{'network simulator (SimPy, 3 nodes)':<34}{n:>9,}{wall:>9.2f}{net.revenue:>9.4f}"
        f"   [{net.ci_low:.4f}, {net.ci_high:.4f}]"
    )
    print(f"  network: {n / wall:,.0f} blocks/s; target 100,000 blocks in < 30 s")

    q, z, trials = 0.3, 2, 2000
    t0 = time.perf_counter()
    ds = double_spend_experiment(q, z, trials, seed=args.seed)
    wall = time.perf_counter() - t0
    print(
        f"double spend q={q} z={z}, {trials} races in the network: {wall:.2f} s, "
        f"{ds.n_blocks:,} blocks, success {ds.estimate:.4f} "
        f"[{ds.ci_low:.4f}, {ds.ci_high:.4f}], exact {double_spend_probability(q, z):.4f}, "
        f"Nakamoto {ds.nakamoto:.4f}"
    )

    t0 = time.perf_counter()
    gl = ghost_vs_longest(0.4, seed=args.seed)
    wall = time.perf_counter() - t0
    print(
        f"GHOST vs longest chain (lambda*D = {gl['ghost']['lambda_d']:g}, 9 nodes, both rules): "
        f"{wall:.2f} s; attacker wins under longest: {gl['longest']['attacker_wins']}, "
        f"under GHOST: {gl['ghost']['attacker_wins']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
