"""One entry point for every consensus family: ``simulate(config)`` dispatches here.

``consensus.protocol`` picks the family. Nakamoto and GHOST run on the proof-of-work
engine (:mod:`chainsim.simulation`); ``"pos"`` runs slot-based proof of stake on the
same network and relay (:func:`chainsim.consensus.simulate_pos`); ``"pbft"`` and
``"raft"`` run the consortium protocols (:func:`chainsim.consensus.run_pbft`,
:func:`chainsim.consensus.run_raft`) on a complete network of ``network.n_nodes``
replicas, with ``run.n_blocks`` client requests sent every ``mining.block_interval_s``.

Every family returns the same :class:`~chainsim.results.Results` tables, so the same
metrics apply. For PBFT and Raft a "block" is a committed log position: ``block_id`` is
the sequence number (PBFT) or log index (Raft), ``miner`` the primary or leader that
ordered it, ``t_mined_s`` the time the client sent the request, and a receipt is the
moment a replica committed it, so ``metrics.propagation_times`` gives the latency to
finality at 50/90/100 % of replicas. The protocol's own tables (requests, commits, view
changes, elections, ...) are kept in ``results.extras``.

Examples
--------
>>> from chainsim.config import SimConfig
>>> cfg = SimConfig().override({"consensus.protocol": "pbft", "network.n_nodes": 4,
...     "mining.n_miners": 4, "network.latency_ms": 10.0, "run.n_blocks": 3,
...     "mining.block_interval_s": 1.0})
>>> res = run_protocol(cfg, seed=1)
>>> res.blocks["block_id"].tolist(), len(res.receipts)
([0, 1, 2, 3], 12)
>>> sorted(res.extras)[:3]
['commits', 'executions', 'faults']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from chainsim.config import SimConfig
from chainsim.errors import ConfigError
from chainsim.results import TABLES, Results
from chainsim.rng import SeedLike

__all__ = ["bft_config_from_sim", "consensus_to_results", "run_protocol"]


def bft_config_from_sim(config: SimConfig) -> Any:
    """The PBFT or Raft config that a :class:`SimConfig` describes."""
    from chainsim.consensus import PBFTConfig, RaftConfig

    net, run = config.network, config.run
    common: dict[str, Any] = {
        "n_requests": run.n_blocks,
        "request_interval_s": config.mining.block_interval_s,
        "latency_ms": net.latency_ms,
        "latency_jitter": net.latency_jitter,
        "processing_ms": net.processing_ms,
    }
    # Without a time limit, leave room for every request plus an hour to finish.
    common["max_time_s"] = (
        run.max_time_s
        if run.max_time_s is not None
        else min(1e9, run.n_blocks * config.mining.block_interval_s + 3600.0)
    )
    if config.consensus.protocol == "pbft":
        return PBFTConfig(n_replicas=net.n_nodes, **common)
    return RaftConfig(n_servers=net.n_nodes, **common)


def consensus_to_results(res: Any, n_nodes: int) -> Results:
    """Map a PBFT/Raft run onto the common result tables (see the module docstring)."""
    t = res.tables
    if res.protocol == "pbft":
        commits = t["commits"].rename(columns={"replica": "node", "seq": "block_id"})
        first = commits.sort_values("t_committed_s").drop_duplicates("block_id")
        orderer = first.set_index("block_id")["view"] % n_nodes
        request_of = t["requests"].dropna(subset=["seq"]).set_index("seq")
    else:
        commits = t["commits"].rename(columns={"server": "node", "index": "block_id"})
        leaders = t["leaders"].set_index("term")["leader"]
        first = commits.sort_values("t_committed_s").drop_duplicates("block_id")
        orderer = first.set_index("block_id")["term"].map(leaders)
        request_of = t["requests"].dropna(subset=["index"]).set_index("index")
    ids = np.sort(commits["block_id"].unique()).astype(np.int64)
    sent = request_of["t_sent_s"].groupby(level=0).min() if len(request_of) else pd.Series()
    # A position holding no client request (a Raft no-op, a PBFT null request) counts
    # from its first commit.
    t_first = first.set_index("block_id")["t_committed_s"]
    t_mined = pd.Series(ids, index=ids).map(sent).fillna(pd.Series(t_first)).to_numpy(float)
    blocks = pd.DataFrame(
        {
            "block_id": np.concatenate([[0], ids]),
            "parent_id": np.concatenate([[-1], np.concatenate([[0], ids[:-1]])]),
            "height": np.arange(len(ids) + 1),
            "miner": np.concatenate([[-1], orderer.reindex(ids).fillna(-1).to_numpy(int)]),
            "t_mined_s": np.concatenate([[0.0], t_mined]),
            "size_bytes": 0,
            "work": 1.0,
            "main_chain": True,
        }
    )
    receipts = commits[["block_id", "node", "t_committed_s"]].rename(
        columns={"t_committed_s": "t_received_s"}
    )
    receipts = receipts.sort_values(["block_id", "node"], kind="stable").reset_index(drop=True)
    mined_at = dict(zip(blocks["block_id"], blocks["t_mined_s"], strict=True))
    receipts["delay_s"] = receipts["t_received_s"] - receipts["block_id"].map(mined_at)
    per_node = blocks[blocks["block_id"] != 0]["miner"].value_counts()
    nodes = pd.DataFrame(
        {
            "node": np.arange(n_nodes),
            "region": -1,
            "hash_share": 0.0,
            "n_blocks_mined": [int(per_node.get(i, 0)) for i in range(n_nodes)],
        }
    )
    nodes["n_main_chain"] = nodes["n_blocks_mined"]
    extras = {name: table for name, table in t.items() if name != "messages"}
    meta = {**res.meta, "protocol": res.protocol, "n_nodes": n_nodes}
    meta.setdefault("n_blocks", len(ids))
    return Results(
        blocks=blocks[list(TABLES["blocks"])],
        receipts=receipts,
        nodes=nodes,
        messages=t["messages"],
        meta=meta,
        extras=extras,
    )


def run_protocol(config: SimConfig, seed: SeedLike = None, *, graph: Any = None) -> Results:
    """Run ``config.consensus.protocol`` ("pos", "pbft" or "raft") as common tables."""
    protocol = config.consensus.protocol
    if protocol == "pos":
        from chainsim.consensus import simulate_pos

        return simulate_pos(config, seed, graph=graph)
    if protocol in ("pbft", "raft"):
        if graph is not None:
            raise ConfigError(
                f"consensus.protocol {protocol!r} runs on a complete network of replicas; "
                "a custom graph is not allowed"
            )
        from chainsim.consensus import run_pbft, run_raft

        runner = run_pbft if protocol == "pbft" else run_raft
        res = runner(bft_config_from_sim(config), seed)
        out = consensus_to_results(res, config.network.n_nodes)
        out.meta["config"] = config.to_dict()
        out.meta.setdefault("engine", "simpy")
        return out
    raise ConfigError(
        f"consensus.protocol {protocol!r} is not run by run_protocol; "
        "'nakamoto' and 'ghost' run on the proof-of-work engine"
    )
