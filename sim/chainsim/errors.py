"""The ChainSim error family.

Every error raised on purpose by ChainSim is a :class:`ChainSimError`, so that a
caller (the command line, a widget, a grading helper) can catch them all and show the
message instead of a traceback. Messages name the parameter, the bad value and what
would be allowed, for example ``block_interval_s must be > 0, got -5.0``.
"""

from __future__ import annotations

__all__ = ["ChainSimError", "ConfigError", "ScenarioError", "SimulationError"]


class ChainSimError(Exception):
    """Base class of every error ChainSim raises on purpose."""


class ConfigError(ChainSimError, ValueError):
    """A configuration value or argument is invalid."""


class ScenarioError(ConfigError, KeyError):
    """An unknown scenario (preset) name was asked for."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SimulationError(ChainSimError, RuntimeError):
    """A simulation could not be run to completion."""
