"""The named presets: measured settings of real proof-of-work networks, with sources.

Every number below carries its source (see :mod:`chainsim.scenarios.sources`).
Choices that are ours, not measured, are stated in each preset's ``notes``.

Choices shared by all presets
-----------------------------
- Network tables (regions, latency, bandwidth) are SimBlock's 2019 tables
  (Aoki et al. 2019) and 2 ms processing per message (SimBlock); latency jitter is
  ChainSim's default (10 % relative spread per link, drawn once).
- Miners: FACTS.md holds no cited pool-share distribution, so each preset has equal
  miners (20, or 5 for ``teaching``). With honest miners, propagation and stale rate
  depend on where blocks are found rather than on who finds them, so equal shares are
  a small approximation; pass ``mining.hash_shares`` for a skewed mix.
- Relay: the measurements (2013-2016) predate compact blocks (BIP 152, 2016), so the
  Bitcoin-family presets use inv -> getdata -> block relay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainsim.config import (
    BITCOIN_REGION_SHARES,
    MiningConfig,
    NetworkConfig,
    RunConfig,
    SimConfig,
)
from chainsim.network.regions import DOGECOIN_REGION_SHARES, LITECOIN_REGION_SHARES
from chainsim.scenarios.sources import (
    BITCOIN_SIMULATOR_2016,
    DECKER_WATTENHOFER_2013,
    GERVAIS_2016,
    NAKAMOTO_2008,
    SIMBLOCK_2019,
)

__all__ = ["MEASURED_KEYS", "PRESETS", "Scenario"]

#: Keys of :attr:`Scenario.measured` and :attr:`Scenario.simulated_reference`.
MEASURED_KEYS: tuple[str, ...] = (
    "median_propagation_s",
    "median_propagation_s_low",
    "median_propagation_s_high",
    "stale_rate",
)


@dataclass(frozen=True)
class Scenario:
    """A named preset: a config plus where its numbers come from.

    Attributes
    ----------
    name : str
        The preset name, e.g. ``"bitcoin"``.
    title : str
        One line for listings.
    description : str
        A paragraph: what the preset models and how.
    sources : tuple of str
        Full citations of every number used.
    config : SimConfig
        The configuration to simulate.
    measured : dict of str to float
        Measured figures of the real network for comparison with the model:
        ``median_propagation_s`` (s, time for a block to reach half of the nodes) and
        ``stale_rate`` (fraction of blocks that end off the main chain); where the
        source gives a range, ``median_propagation_s`` is its midpoint and
        ``median_propagation_s_low`` / ``_high`` its ends. Empty for ``teaching``.
    measured_source : str
        Citation of :attr:`measured`.
    simulated_reference : dict of str to float
        The same figures from a published simulator for the same setting, if any.
    simulated_reference_source : str
        Citation of :attr:`simulated_reference`.
    notes : tuple of str
        Modelling choices and approximations that are ours rather than measured.
    """

    name: str
    title: str
    description: str
    sources: tuple[str, ...]
    config: SimConfig
    measured: dict[str, float] = field(default_factory=dict)
    measured_source: str = ""
    simulated_reference: dict[str, float] = field(default_factory=dict)
    simulated_reference_source: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-friendly values (the config as :meth:`SimConfig.to_dict`)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "sources": list(self.sources),
            "config": self.config.to_dict(),
            "measured": dict(self.measured),
            "measured_source": self.measured_source,
            "simulated_reference": dict(self.simulated_reference),
            "simulated_reference_source": self.simulated_reference_source,
            "notes": list(self.notes),
        }


_EQUAL_MINERS = "20 miners with equal hash-rate shares (no cited pool-share distribution is used)."
_VALIDATION = (
    "Block validation time is not modelled (network.validation_ms = 0) and the "
    "bandwidth tables are from 2019, later than the 2015-16 measurement; expect the "
    "model to propagate blocks faster than measured (compare with 'chainsim validate'), "
    "or set network.validation_ms to study the effect."
)
_DEGREE = (
    "Topology: each node opens a number of outbound connections drawn from SimBlock's "
    "measured Bitcoin outbound-degree distribution (mean 8.6) to random peers."
)


def _config(
    *,
    n_nodes: int,
    shares: tuple[float, ...],
    interval_s: float,
    size_bytes: int,
    n_miners: int = 20,
    relay: str = "inv",
    n_blocks: int = 100,
) -> SimConfig:
    return SimConfig(
        network=NetworkConfig(
            n_nodes=n_nodes,
            topology="bitcoin",
            region_shares=shares,
            relay=relay,
            processing_ms=2.0,  # SimBlock 2019
        ),
        mining=MiningConfig(
            block_interval_s=interval_s, n_miners=n_miners, block_size_bytes=size_bytes
        ),
        run=RunConfig(n_blocks=n_blocks),
    )


def _bitcoin() -> Scenario:
    return Scenario(
        name="bitcoin",
        title="Bitcoin as measured in 2015-16 (Gervais et al. 2016)",
        description=(
            "Bitcoin's proof-of-work network at the size and block size measured by "
            "Gervais et al. (2016): about 6,000 reachable nodes, a 10-minute block "
            "interval and 534.8 kB mean blocks, relayed with inv -> getdata -> block. "
            "Nodes sit in six regions with Bitcoin's 2019 node shares and the 2019 "
            "latency and bandwidth tables of SimBlock (Aoki et al. 2019). Measured: "
            "median propagation 8.7 s, stale rate 0.41 % (Gervais et al. 2016); an "
            "earlier measurement found 6.5 s and a 1.69 % fork rate (Decker and "
            "Wattenhofer 2013)."
        ),
        sources=(GERVAIS_2016, SIMBLOCK_2019, DECKER_WATTENHOFER_2013, NAKAMOTO_2008),
        config=_config(
            n_nodes=6_000,  # ~6000 nodes measured (Gervais et al. 2016)
            shares=BITCOIN_REGION_SHARES,  # SimBlock 2019
            interval_s=600.0,  # 10 min (Nakamoto 2008; Gervais et al. 2016)
            size_bytes=534_800,  # mean block 534.8 kB (Gervais et al. 2016)
        ),
        measured={"median_propagation_s": 8.7, "stale_rate": 0.0041},
        measured_source=GERVAIS_2016,
        simulated_reference={"median_propagation_s": 13.62, "stale_rate": 0.0163},
        simulated_reference_source=BITCOIN_SIMULATOR_2016 + ", 0.5 MB blocks, 10 min interval",
        notes=(
            "6,000 nodes, the measured network size: propagation time grows with the "
            "number of hops, so a smaller network would understate it. Use --nodes for "
            "quicker runs.",
            _DEGREE,
            _EQUAL_MINERS,
            _VALIDATION,
            "Region shares and network tables are SimBlock's 2019 figures, a few years "
            "after the 2015-16 measurement.",
        ),
    )


def _litecoin() -> Scenario:
    return Scenario(
        name="litecoin",
        title="Litecoin as measured in 2015-16 (Gervais et al. 2016)",
        description=(
            "Litecoin: about 800 nodes, 2.5-minute blocks of 6.11 kB on average "
            "(Gervais et al. 2016), Litecoin's 2019 node shares by region (SimBlock, "
            "Aoki et al. 2019). Measured: median propagation 1.02 s, stale rate 0.273 %."
        ),
        sources=(GERVAIS_2016, SIMBLOCK_2019),
        config=_config(
            n_nodes=800,  # ~800 nodes (Gervais et al. 2016)
            shares=LITECOIN_REGION_SHARES,  # SimBlock 2019
            interval_s=150.0,  # 2.5 min (Gervais et al. 2016)
            size_bytes=6_110,  # 6.11 kB (Gervais et al. 2016)
        ),
        measured={"median_propagation_s": 1.02, "stale_rate": 0.00273},
        measured_source=GERVAIS_2016,
        notes=(
            _DEGREE + " Approximation: Litecoin's node software derives from Bitcoin "
            "Core, and no Litecoin degree distribution is used.",
            _EQUAL_MINERS,
            _VALIDATION,
            "Latency and bandwidth tables are SimBlock's 2019 Bitcoin-network tables.",
        ),
    )


def _dogecoin() -> Scenario:
    return Scenario(
        name="dogecoin",
        title="Dogecoin as measured in 2015-16 (Gervais et al. 2016)",
        description=(
            "Dogecoin: about 600 nodes, 1-minute blocks of 8 kB on average (Gervais et "
            "al. 2016), Dogecoin's 2019 node shares by region (SimBlock, Aoki et al. "
            "2019). Measured: median propagation 0.85 s, stale rate 0.619 %."
        ),
        sources=(GERVAIS_2016, SIMBLOCK_2019),
        config=_config(
            n_nodes=600,  # ~600 nodes (Gervais et al. 2016)
            shares=DOGECOIN_REGION_SHARES,  # SimBlock 2019
            interval_s=60.0,  # 1 min (Gervais et al. 2016)
            size_bytes=8_000,  # 8 kB (Gervais et al. 2016)
        ),
        measured={"median_propagation_s": 0.85, "stale_rate": 0.00619},
        measured_source=GERVAIS_2016,
        notes=(
            _DEGREE + " Approximation: Dogecoin's node software derives from Bitcoin "
            "Core, and no Dogecoin degree distribution is used.",
            _EQUAL_MINERS,
            _VALIDATION,
            "Latency and bandwidth tables are SimBlock's 2019 Bitcoin-network tables.",
        ),
    )


def _ethereum_pow() -> Scenario:
    return Scenario(
        name="ethereum-pow",
        title="Ethereum proof of work as measured in 2015-16 (Gervais et al. 2016)",
        description=(
            "Ethereum before the move to proof of stake: about 4,000 nodes, a block "
            "every 10-20 s (15 s here, the middle of the measured range) and 1.5 kB "
            "blocks on average (Gervais et al. 2016). Blocks are pushed to peers "
            "unsolicited. Measured: median propagation 0.5-0.75 s, stale rate 6.8 %."
        ),
        sources=(GERVAIS_2016, SIMBLOCK_2019),
        config=_config(
            n_nodes=4_000,  # ~4000 nodes (Gervais et al. 2016)
            shares=BITCOIN_REGION_SHARES,  # approximation: no Ethereum table available
            interval_s=15.0,  # midpoint of 10-20 s (Gervais et al. 2016)
            size_bytes=1_500,  # 1.5 kB (Gervais et al. 2016)
            relay="push",
        ),
        measured={
            "median_propagation_s": 0.625,
            "median_propagation_s_low": 0.5,
            "median_propagation_s_high": 0.75,
            "stale_rate": 0.068,
        },
        measured_source=GERVAIS_2016,
        notes=(
            "Block interval 15 s, the midpoint of the 10-20 s range measured by "
            "Gervais et al. (2016).",
            "Region shares: Bitcoin's 2019 shares (SimBlock) stand in for Ethereum's, "
            "for which no table is used.",
            _DEGREE + " Approximation: Ethereum's devp2p peer selection differs.",
            "Relay: Ethereum sends whole blocks to some peers and announces them to the "
            "others; modelled as unsolicited push to every peer, which for 1.5 kB blocks "
            "costs little extra time.",
            "Fork choice: most cumulative work; Ethereum's uncle references and uncle "
            "rewards are not modelled.",
            _EQUAL_MINERS,
            _VALIDATION,
        ),
    )


def _simblock_bitcoin() -> Scenario:
    return Scenario(
        name="simblock-bitcoin",
        title="SimBlock's Bitcoin settings: the benchmark reference (1,000 nodes)",
        description=(
            "The reference scenario for ChainSim's speed benchmark: SimBlock's Bitcoin "
            "settings (Aoki et al. 2019): six regions with the 2019 latency and "
            "bandwidth tables and Bitcoin's node shares, the measured Bitcoin "
            "outbound-degree distribution, 535 kB blocks every 600 s relayed with "
            "inv -> getdata -> block (no compact blocks), 2 ms processing per message; "
            "1,000 nodes and 100 blocks."
        ),
        sources=(SIMBLOCK_2019, GERVAIS_2016),
        config=_config(
            n_nodes=1_000,
            shares=BITCOIN_REGION_SHARES,  # SimBlock 2019
            interval_s=600.0,
            size_bytes=535_000,  # SimBlock's Bitcoin block size
            n_blocks=100,
        ),
        measured={"median_propagation_s": 8.7, "stale_rate": 0.0041},
        measured_source=GERVAIS_2016,
        simulated_reference={"median_propagation_s": 13.62, "stale_rate": 0.0163},
        simulated_reference_source=BITCOIN_SIMULATOR_2016 + ", 0.5 MB blocks, 10 min interval",
        notes=(
            "Latency jitter: ChainSim draws one log-normal factor per link (10 % spread) "
            "instead of SimBlock's per-message draw.",
            _EQUAL_MINERS,
            "Keep this preset fixed: benchmark figures in the README refer to it.",
        ),
    )


def _teaching() -> Scenario:
    return Scenario(
        name="teaching",
        title="A small, quick network for lessons (50 nodes, 1-minute blocks)",
        description=(
            "Fifty Bitcoin-like nodes in six regions (SimBlock 2019 tables, Aoki et al. "
            "2019), five equal miners, 100 kB blocks every 60 s, 50 blocks. Runs in "
            "well under a second, and with one-minute blocks forks are common enough "
            "to see."
        ),
        sources=(SIMBLOCK_2019,),
        config=_config(
            n_nodes=50,
            shares=BITCOIN_REGION_SHARES,  # SimBlock 2019
            interval_s=60.0,
            size_bytes=100_000,
            n_miners=5,
            n_blocks=50,
        ),
        notes=(
            "Not a model of a real network: sizes are chosen for speed and visible forks.",
            "5 miners with equal hash-rate shares.",
        ),
    )


#: Preset builders by name, in listing order.
PRESETS: dict[str, Callable[[], Scenario]] = {
    "bitcoin": _bitcoin,
    "litecoin": _litecoin,
    "dogecoin": _dogecoin,
    "ethereum-pow": _ethereum_pow,
    "simblock-bitcoin": _simblock_bitcoin,
    "teaching": _teaching,
}
