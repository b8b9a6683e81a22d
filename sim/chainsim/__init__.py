"""ChainSim: an open blockchain simulator and courseware.

A SimPy discrete-event simulation of peer-to-peer networks, mining, consensus protocols
and attacks, with Bitcoin-compatible ledger primitives, closed forms from the
literature to check it against, and the tools that lessons, assignments and public
demos call.

``import chainsim`` stays light: it never imports matplotlib or ipywidgets, and heavy
submodules load on first use.

>>> import chainsim
>>> chainsim.SimConfig().network.n_nodes
100
"""

from __future__ import annotations

import importlib
from typing import Any

from chainsim.config import (
    ConsensusConfig,
    MiningConfig,
    NetworkConfig,
    RunConfig,
    SimConfig,
    WorkloadConfig,
)
from chainsim.errors import ChainSimError, ConfigError, ScenarioError, SimulationError
from chainsim.rng import RandomStreams

__version__ = "0.1.0.dev0"

__all__ = [
    "ChainSimError",
    "ConfigError",
    "ConsensusConfig",
    "MiningConfig",
    "NetworkConfig",
    "RandomStreams",
    "Results",
    "RunConfig",
    "ScenarioError",
    "SimConfig",
    "SimulationError",
    "WorkloadConfig",
    "get_scenario",
    "list_scenarios",
    "simulate",
]

# name -> module that defines it; loaded on first attribute access.
_LAZY = {
    "simulate": "chainsim.simulation",
    "Simulation": "chainsim.simulation",
    "Results": "chainsim.results",
    "get_scenario": "chainsim.scenarios",
    "list_scenarios": "chainsim.scenarios",
}
_SUBMODULES = {
    "analysis",
    "attacks",
    "blocktree",
    "courseware",
    "engine",
    "cli",
    "experiments",
    "fraud",
    "ledger",
    "metrics",
    "network",
    "plotting",
    "protocols",
    "reproductions",
    "results",
    "scenarios",
    "simulation",
    "stats",
    "teaching",
    "validation",
    "widgets",
    "workload",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"chainsim.{name}")
    raise AttributeError(f"module 'chainsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
