"""Named scenarios: ready-made configs of real networks, with their sources.

A *scenario* (preset) is a :class:`~chainsim.config.SimConfig` whose numbers come from
measurements of a real network, such as Bitcoin's block interval, mean block size and
node count, together with the citations and the measured figures (median propagation
time, stale rate) that a run can be compared with.

Presets: ``bitcoin``, ``litecoin``, ``dogecoin``, ``ethereum-pow`` (measured by
Gervais et al. 2016), ``simblock-bitcoin`` (SimBlock's Bitcoin settings, the
benchmark reference) and ``teaching`` (small and quick).

Examples
--------
>>> cfg = get_scenario("bitcoin")
>>> cfg.mining.block_interval_s, cfg.mining.block_size_bytes, cfg.network.n_nodes
(600.0, 534800, 6000)
>>> [s.name for s in list_scenarios()]
['bitcoin', 'litecoin', 'dogecoin', 'ethereum-pow', 'simblock-bitcoin', 'teaching']
>>> describe_scenario("bitcoin").measured
{'median_propagation_s': 8.7, 'stale_rate': 0.0041}
>>> get_scenario("bitcoin").override({"network.n_nodes": 200}).network.n_nodes
200
>>> get_scenario("monero")
Traceback (most recent call last):
...
chainsim.errors.ScenarioError: unknown scenario 'monero'; choose one of: bitcoin, litecoin, dogecoin, ethereum-pow, simblock-bitcoin, teaching
"""  # noqa: E501

from __future__ import annotations

from chainsim.config import SimConfig
from chainsim.errors import ScenarioError
from chainsim.scenarios.presets import MEASURED_KEYS, PRESETS, Scenario

__all__ = [
    "MEASURED_KEYS",
    "SCENARIO_NAMES",
    "Scenario",
    "describe_scenario",
    "get_scenario",
    "list_scenarios",
]

#: Names of the presets, in listing order.
SCENARIO_NAMES: tuple[str, ...] = tuple(PRESETS)


def describe_scenario(name: str) -> Scenario:
    """The full :class:`Scenario` record (config, sources, measured figures) for ``name``.

    Parameters
    ----------
    name
        A preset name from :data:`SCENARIO_NAMES`.

    Returns
    -------
    Scenario
        A fresh record; changing its dicts does not change the preset.

    Raises
    ------
    ScenarioError
        If ``name`` is not a preset; the message lists the names.

    Examples
    --------
    >>> describe_scenario("dogecoin").config.mining.block_interval_s
    60.0
    """
    builder = PRESETS.get(name) if isinstance(name, str) else None
    if builder is None:
        raise ScenarioError(
            f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIO_NAMES)}"
        )
    return builder()


def get_scenario(name: str) -> SimConfig:
    """The :class:`~chainsim.config.SimConfig` of the preset ``name``.

    Parameters
    ----------
    name
        A preset name from :data:`SCENARIO_NAMES`.

    Returns
    -------
    SimConfig
        Change it with ``.override({"network.n_nodes": 500, ...})``.

    Raises
    ------
    ScenarioError
        If ``name`` is not a preset; the message lists the names.

    Examples
    --------
    >>> get_scenario("teaching").network.n_nodes
    50
    """
    return describe_scenario(name).config


def list_scenarios() -> list[Scenario]:
    """Every preset as a :class:`Scenario` record, in listing order.

    Examples
    --------
    >>> all(s.sources for s in list_scenarios())
    True
    """
    return [builder() for builder in PRESETS.values()]
