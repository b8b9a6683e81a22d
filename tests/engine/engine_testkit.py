"""Helpers for the engine tests: tiny hand-made networks with exact (dyadic) delays.

Delays are chosen as sums of powers of two (0.125 s latency, 15.625 ms processing,
62.5 ms validation, 0.125 s to upload a 125 kB block at 8 Mbit/s), so every event
time below is exact in floating point and hand computations compare with ``==``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx

from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig
from chainsim.engine.mining import ScriptedSchedule
from chainsim.simulation import Simulation

LAT = 0.125  # s, every link unless the graph says otherwise
PROC = 0.015625  # s per message
VAL = 0.0625  # s extra for messages carrying a block
TX = 0.125  # s to upload one block (125,000 bytes at 8 Mbit/s)


def exact_config(
    n_nodes: int,
    *,
    relay: str = "inv",
    n_miners: int = 1,
    n_blocks: int = 1,
    compact_failure_rate: float = 0.0,
    **network: Any,
) -> SimConfig:
    """A custom-topology config with the exact delays above."""
    net = {
        "n_nodes": n_nodes,
        "topology": "custom",
        "latency_ms": 125.0,
        "latency_jitter": 0.0,
        "bandwidth_mbps": 8.0,
        "processing_ms": 15.625,
        "validation_ms": 62.5,
        "relay": relay,
        "compact_block_bytes": 15_625,  # 1/8 of a block: 0.015625 s to upload
        "compact_failure_rate": compact_failure_rate,
        "inv_bytes": 61,
    }
    net.update(network)
    return SimConfig(
        network=NetworkConfig(**net),
        mining=MiningConfig(block_interval_s=600.0, n_miners=n_miners, block_size_bytes=125_000),
        run=RunConfig(n_blocks=n_blocks),
    )


def scripted(
    graph: nx.Graph,
    script: list[tuple[float, int]],
    miner_nodes: list[int],
    *,
    engine: str = "simpy",
    fork_choice: Callable[..., int] | None = None,
    **kw: Any,
) -> Simulation:
    """A simulation whose blocks are mined at the scripted times by the given miners."""
    cfg = exact_config(
        graph.number_of_nodes(), n_miners=len(miner_nodes), n_blocks=len(script), **kw
    )
    return Simulation(
        cfg,
        seed=0,
        graph=graph,
        engine=engine,
        log=engine == "simpy",
        miner_nodes=miner_nodes,
        schedule=ScriptedSchedule(script),
        fork_choice=fork_choice,
    )


def receipt_map(results: Any) -> dict[tuple[int, int], float]:
    """(block, node) -> time accepted."""
    r = results.receipts
    return {
        (int(b), int(v)): float(t)
        for b, v, t in zip(r["block_id"], r["node"], r["t_received_s"], strict=True)
    }
