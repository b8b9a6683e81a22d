"""Theory and measurement beside the simulation: the checks behind ``chainsim validate``.

Each check runs a seeded simulation (or a seeded Monte-Carlo race), computes an
estimate with a confidence interval, and puts it beside the closed form from the
literature or a published measurement. A check *agrees* when the theory value lies in
the interval. Measured figures are a different kind of reference (a model is not
expected to match a measurement exactly), so for them the table shows the ratio instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["CHECKS", "CheckResult", "format_table", "run_checks"]

#: Measured Bitcoin figures: (value, short citation) per quantity (see FACTS.md).
BITCOIN_MEASURED: dict[str, list[tuple[float, str]]] = {
    "median_propagation_s": [
        (6.5, "Decker & Wattenhofer 2013"),
        (8.7, "Gervais et al. 2016"),
    ],
    "stale_rate": [
        (0.0169, "Decker & Wattenhofer 2013 (fork rate)"),
        (0.0041, "Gervais et al. 2016"),
    ],
}

CHECKS = ("interval", "stale", "revenue", "double-spend", "selfish", "bitcoin", "consensus")


@dataclass(frozen=True)
class CheckResult:
    """One line of the validation table."""

    check: str
    quantity: str
    parameters: str
    reference: float
    reference_kind: str  # "theory" or "measured"
    reference_source: str
    simulated: float
    ci_low: float
    ci_high: float
    agrees: bool | None  # None for measured references
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _theory_row(
    check: str,
    quantity: str,
    parameters: str,
    reference: float,
    source: str,
    estimate: tuple[float, float, float],
    note: str = "",
) -> CheckResult:
    sim, lo, hi = estimate
    return CheckResult(
        check,
        quantity,
        parameters,
        reference,
        "theory",
        source,
        sim,
        lo,
        hi,
        bool(lo <= reference <= hi),
        note,
    )


def check_interval(*, seed: int, n_blocks: int) -> list[CheckResult]:
    """Mean time between blocks equals the configured block interval."""
    from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
    from chainsim.simulation import simulate
    from chainsim.stats import mean_ci

    interval = 600.0
    cfg = SimConfig(
        network=NetworkConfig(
            n_nodes=10,
            topology="complete",
            latency_ms=100.0,
            bandwidth_mbps=math.inf,
            processing_ms=0.0,
            relay="push",
        ),
        mining=MiningConfig(block_interval_s=interval, n_miners=5, block_size_bytes=1000),
        run=RunConfig(n_blocks=max(n_blocks, 1000)),
    )
    res = simulate(cfg, seed=seed)
    times = np.sort(res.blocks.loc[res.blocks["block_id"] != 0, "t_mined_s"].to_numpy())
    gaps = np.diff(np.concatenate([[0.0], times]))
    est = mean_ci(gaps)
    return [
        _theory_row(
            "interval",
            "mean block interval (s)",
            f"T={interval:g} s",
            interval,
            "exponential block times (Nakamoto 2008)",
            est,
        )
    ]


def check_stale(*, seed: int, n_blocks: int) -> list[CheckResult]:
    """Stale rate on a network where every block reaches every node exactly D later.

    Blocks then come in "levels": the first block found at least D after the previous
    level began, plus every block found within D of it (each a competitor at the same
    height). One block per level stays on the main chain, so the stale rate is
    ``(D/T) / (1 + D/T)`` (the main chain grows at ``lambda / (1 + lambda D)``,
    Sompolinsky and Zohar 2015). The familiar ``1 - exp(-D/T)`` is the chance that a
    level has a competitor at all, and agrees with both to first order in D/T. With
    finitely many miners the rate is slightly lower: a miner sees its own block at once.
    """
    from chainsim import metrics
    from chainsim.analysis import stale_rate_estimate, stale_rate_fixed_delay
    from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
    from chainsim.simulation import simulate
    from chainsim.stats import binomial_ci

    rows = []
    delay_s, n_nodes = 1.0, 50
    for interval in (2.0, 10.0, 60.0):
        cfg = SimConfig(
            network=NetworkConfig(
                n_nodes=n_nodes,
                topology="complete",
                latency_ms=delay_s * 1000,
                latency_jitter=0.0,
                bandwidth_mbps=math.inf,
                processing_ms=0.0,
                relay="push",
            ),
            mining=MiningConfig(block_interval_s=interval, n_miners=n_nodes, block_size_bytes=1000),
            run=RunConfig(n_blocks=max(n_blocks, 2000)),
        )
        res = simulate(cfg, seed=seed)
        mined = int((res.blocks["block_id"] != 0).sum())
        rate = metrics.stale_rate(res)
        lo, hi = binomial_ci(round(rate * mined), mined)
        theory = stale_rate_fixed_delay(delay_s, interval)
        approx = stale_rate_estimate(delay_s, interval)
        rows.append(
            _theory_row(
                "stale",
                "stale rate",
                f"D={delay_s:g} s, T={interval:g} s, {n_nodes} miners",
                theory,
                "(D/T)/(1+D/T), fixed delay",
                (rate, lo, hi),
                f"first-order estimate 1 - exp(-D/T) = {approx:.4f}",
            )
        )
    return rows


def check_revenue(*, seed: int, n_blocks: int) -> list[CheckResult]:
    """Honest miners earn their hash-rate share of the main chain."""
    from chainsim import metrics
    from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
    from chainsim.simulation import simulate
    from chainsim.stats import binomial_ci

    shares = (0.4, 0.3, 0.2, 0.1)
    cfg = SimConfig(
        network=NetworkConfig(
            n_nodes=10,
            topology="complete",
            latency_ms=200.0,
            bandwidth_mbps=math.inf,
            processing_ms=0.0,
            relay="push",
        ),
        mining=MiningConfig(
            block_interval_s=600.0, n_miners=4, hash_shares=shares, block_size_bytes=1000
        ),
        run=RunConfig(n_blocks=max(n_blocks, 2000)),
    )
    res = simulate(cfg, seed=seed)
    table = metrics.revenue_shares(res).sort_values("hash_share", ascending=False)
    n_main = int(res.blocks["main_chain"].sum()) - 1
    top = table.iloc[0]
    lo, hi = binomial_ci(round(top["revenue_share"] * n_main), n_main)
    return [
        _theory_row(
            "revenue",
            "revenue share of the largest miner",
            "shares 0.4/0.3/0.2/0.1",
            float(top["hash_share"]),
            "honest mining: revenue = hash share",
            (float(top["revenue_share"]), lo, hi),
        )
    ]


def check_double_spend(
    *, q: float, z: int, seed: int, n_trials: int, network_trials: int = 0
) -> list[CheckResult]:
    """A simulated double-spend race against the exact (Rosenfeld) probability."""
    from chainsim.analysis import double_spend_probability, nakamoto_attack_probability
    from chainsim.attacks.races import simulate_double_spend

    race = simulate_double_spend(q, z, n_trials, seed=seed)
    exact = double_spend_probability(q, z)
    nakamoto = nakamoto_attack_probability(q, z)
    est = (race.estimate, race.ci_low, race.ci_high)
    nak_in = race.ci_low <= nakamoto <= race.ci_high
    note = f"Nakamoto's approximation {nakamoto:.6f} is {'inside' if nak_in else 'outside'} the CI"
    rows = [
        _theory_row(
            "double-spend",
            "attacker success probability",
            f"q={q:g}, z={z}",
            exact,
            "Rosenfeld 2014 (exact)",
            est,
            note,
        )
    ]
    if network_trials > 0 and 0.0 < q < 0.5:
        from chainsim.attacks.double_spend import double_spend_experiment

        run = double_spend_experiment(q, z, network_trials, seed=seed)
        rows.append(
            _theory_row(
                "double-spend",
                "attacker success probability (network simulator)",
                f"q={q:g}, z={z}, {network_trials} races",
                exact,
                "Rosenfeld 2014 (exact)",
                (run.estimate, run.ci_low, run.ci_high),
                "attacker and merchant as nodes of the SimPy engine",
            )
        )
    return rows


def check_selfish(
    *, alpha: float, gamma: float, seed: int, n_blocks: int, network_blocks: int = 0
) -> list[CheckResult]:
    """Selfish-mining pool revenue against Eyal and Sirer's formula."""
    from chainsim.analysis import selfish_mining_revenue, selfish_mining_threshold
    from chainsim.attacks.races import simulate_selfish_mining

    sim = simulate_selfish_mining(alpha, gamma, max(n_blocks, 100_000), seed=seed)
    theory = selfish_mining_revenue(alpha, gamma)
    threshold = selfish_mining_threshold(gamma)
    note = f"profitable above alpha = {threshold:.4f}"
    rows = [
        _theory_row(
            "selfish",
            "pool revenue share",
            f"alpha={alpha:g}, gamma={gamma:g}",
            theory,
            "Eyal and Sirer 2014",
            (sim.estimate, sim.ci_low, sim.ci_high),
            note,
        )
    ]
    if network_blocks > 0 and 0.0 < alpha < 0.5:
        from chainsim.attacks.selfish import selfish_mining_experiment

        run = selfish_mining_experiment(alpha, gamma, network_blocks, seed=seed)
        rows.append(
            _theory_row(
                "selfish",
                "pool revenue share (network simulator)",
                f"alpha={alpha:g}, gamma={gamma:g}, {network_blocks} blocks",
                theory,
                "Eyal and Sirer 2014",
                (run.revenue, run.ci_low, run.ci_high),
                "the pool as a node of the SimPy engine; gamma set by tie preference",
            )
        )
    return rows


def check_bitcoin(*, seed: int, n_nodes: int, n_blocks: int, progress: bool) -> list[CheckResult]:
    """The ``bitcoin`` preset beside measured Bitcoin figures."""
    from chainsim import metrics
    from chainsim.scenarios import get_scenario
    from chainsim.simulation import simulate
    from chainsim.stats import binomial_ci

    cfg = get_scenario("bitcoin").override({"network.n_nodes": n_nodes, "run.n_blocks": n_blocks})
    res = simulate(cfg, seed=seed, progress=progress)
    per_block = metrics.propagation_times(res, fractions=(0.5,))
    t50 = per_block["t50_s"].to_numpy()
    median, (lo, hi) = float(np.median(t50)), _median_ci(t50)
    mined = int((res.blocks["block_id"] != 0).sum())
    stale = metrics.stale_rate(res)
    s_lo, s_hi = binomial_ci(round(stale * mined), mined)
    params = f"{n_nodes} nodes, {n_blocks} blocks"
    rows = []
    for key, quantity, value, ci in (
        ("median_propagation_s", "median time to reach 50 % of nodes (s)", median, (lo, hi)),
        ("stale_rate", "stale rate", stale, (s_lo, s_hi)),
    ):
        for ref_value, source in BITCOIN_MEASURED[key]:
            rows.append(
                CheckResult(
                    "bitcoin",
                    quantity,
                    params,
                    ref_value,
                    "measured",
                    source,
                    value,
                    ci[0],
                    ci[1],
                    None,
                    f"model / measured = {value / ref_value:.2f}",
                )
            )
    return rows


def _median_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Distribution-free CI of a median from order statistics."""
    from scipy import stats

    x = np.sort(values)
    n = len(x)
    if n < 3:
        return float(x[0]), float(x[-1])
    k = int(stats.binom.ppf((1 - level) / 2, n, 0.5))
    lo_i, hi_i = max(k - 1, 0), min(n - k, n - 1)
    return float(x[lo_i]), float(x[hi_i])


def run_checks(
    *,
    only: Iterable[str] | None = None,
    q: float = 0.1,
    z: int = 2,
    alpha: float = 0.35,
    gamma: float = 0.5,
    seed: int = 1,
    n_nodes: int = 1000,
    n_blocks: int = 300,
    n_trials: int = 200_000,
    n_pbft: int = 4,
    n_raft: int = 5,
    n_runs: int = 30,
    network_trials: int = 300,
    network_blocks: int = 0,
    progress: bool = False,
) -> list[CheckResult]:
    """Run the validation checks (all, or those named in ``only``)."""
    chosen = list(only) if only else list(CHECKS)
    rows: list[CheckResult] = []
    for name in CHECKS:
        if name not in chosen:
            continue
        if name == "interval":
            rows += check_interval(seed=seed, n_blocks=n_blocks)
        elif name == "stale":
            rows += check_stale(seed=seed, n_blocks=n_blocks)
        elif name == "revenue":
            rows += check_revenue(seed=seed, n_blocks=n_blocks)
        elif name == "double-spend":
            rows += check_double_spend(
                q=q, z=z, seed=seed, n_trials=n_trials, network_trials=network_trials
            )
        elif name == "selfish":
            rows += check_selfish(
                alpha=alpha,
                gamma=gamma,
                seed=seed,
                n_blocks=n_blocks,
                network_blocks=network_blocks,
            )
        elif name == "bitcoin":
            rows += check_bitcoin(seed=seed, n_nodes=n_nodes, n_blocks=n_blocks, progress=progress)
        elif name == "consensus":
            from chainsim.consensus.validate import safety_check_rows

            rows += safety_check_rows(n_pbft=n_pbft, n_raft=n_raft, n_runs=n_runs, seed=seed)
    return rows


def format_table(rows: list[CheckResult]) -> str:
    """A plain-text table: quantity, reference, simulated with CI, verdict."""
    header = ("check", "quantity", "parameters", "reference", "simulated [95% CI]", "verdict")
    lines = []
    for r in rows:
        verdict = ("agrees" if r.agrees else "DIFFERS") if r.agrees is not None else r.note
        ref = f"{r.reference:.6g} ({r.reference_kind}: {r.reference_source})"
        sim = f"{r.simulated:.6g} [{r.ci_low:.6g}, {r.ci_high:.6g}]"
        lines.append((r.check, r.quantity, r.parameters, ref, sim, verdict))
        if r.agrees is not None and r.note:
            lines.append(("", "", "", "", "", r.note))
    widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(len(header))]
    out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for line in lines:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return "\n".join(out)
