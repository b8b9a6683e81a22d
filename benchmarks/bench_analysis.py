"""Speed of the pure analysis layer: attack races and metrics over large tables.

Targets (issue 5): selfish-mining validation at one (alpha, gamma) point with 100,000
blocks in under 30 s. Metrics must stay well under a second on 10^6 receipts
(10,000 nodes x 100 blocks), so that a 10,000-node run is not dominated by analysis.
"""

from __future__ import annotations

import time

from chainsim import metrics
from chainsim.attacks.races import simulate_double_spend, simulate_selfish_mining
from chainsim.scenarios import get_scenario
from chainsim.simulation import simulate


def timed(label: str, fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    print(f"{label:<58} {time.perf_counter() - t0:8.3f} s")
    return out


def main() -> None:
    timed(
        "selfish mining, alpha=0.35 gamma=0.5, 100,000 blocks",
        simulate_selfish_mining,
        0.35,
        0.5,
        100_000,
        seed=1,
    )
    timed("selfish mining, 1,000,000 blocks", simulate_selfish_mining, 0.35, 0.5, 1_000_000, seed=1)
    timed(
        "double-spend race, q=0.3 z=6, 1,000,000 trials",
        simulate_double_spend,
        0.3,
        6,
        1_000_000,
        seed=1,
    )
    cfg = get_scenario("simblock-bitcoin").override({"network.n_nodes": 10_000})
    res = timed("simulate simblock-bitcoin, 10,000 nodes, 100 blocks", simulate, cfg, seed=1)
    print(f"  receipts: {len(res.receipts):,} rows")
    for name in ("propagation_times", "reorg_depths", "time_to_consistency", "summary"):
        timed(f"metrics.{name} on those receipts", getattr(metrics, name), res)


if __name__ == "__main__":
    main()
