"""The simulation engines and what they share.

* :mod:`chainsim.engine.mining`: the mining schedule and difficulty retargeting;
* :mod:`chainsim.engine.relay`: the relay rules, the run set-up and output;
* :mod:`chainsim.engine.simpy_engine`: the message-level SimPy model;
* :mod:`chainsim.engine.fast`: the same model in a lean event loop;
* :mod:`chainsim.engine.adversary`: hooks for attackers and fault schedules (SimPy
  engine only).

Most users call :func:`chainsim.simulate` instead.
"""

from __future__ import annotations

from chainsim.engine.adversary import Adversary, FaultState
from chainsim.engine.fast import run_fast
from chainsim.engine.mining import (
    INITIAL_BITS,
    Difficulty,
    MiningSchedule,
    ScriptedSchedule,
    place_miners,
)
from chainsim.engine.relay import MESSAGE_KINDS, RunOutput, RunSetup, compact_failures
from chainsim.engine.simpy_engine import SimPyEngine

__all__ = [
    "INITIAL_BITS",
    "MESSAGE_KINDS",
    "Adversary",
    "Difficulty",
    "FaultState",
    "MiningSchedule",
    "RunOutput",
    "RunSetup",
    "ScriptedSchedule",
    "SimPyEngine",
    "compact_failures",
    "place_miners",
    "run_fast",
]
