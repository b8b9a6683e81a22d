"""Citations used by the scenario presets (full references, one string each).

Examples
--------
>>> "SimBlock" in SIMBLOCK_2019
True
"""

from __future__ import annotations

__all__ = [
    "BITCOIN_SIMULATOR_2016",
    "DECKER_WATTENHOFER_2013",
    "GERVAIS_2016",
    "NAKAMOTO_2008",
    "SIMBLOCK_2019",
]

#: Measured network sizes, block intervals, block sizes, propagation and stale rates.
GERVAIS_2016 = (
    "A. Gervais, G. O. Karame, K. Wüst, V. Glykantzis, H. Ritzdorf, S. Capkun: "
    "On the Security and Performance of Proof of Work Blockchains. ACM CCS 2016 "
    "(measured Bitcoin, Litecoin, Dogecoin and Ethereum figures)"
)

#: The Bitcoin-Simulator results published in the same paper (simulated, not measured).
BITCOIN_SIMULATOR_2016 = (
    "A. Gervais et al., ACM CCS 2016: Bitcoin-Simulator results (standard block relay)"
)

#: Regional latency and bandwidth tables, node shares by region, outbound-degree CDF.
SIMBLOCK_2019 = (
    "Y. Aoki, K. Otsuki, T. Kaneko, R. Banno, K. Shudo: SimBlock: A Blockchain Network "
    "Simulator. IEEE INFOCOM Workshops (CryBlock) 2019 (2019 latency, bandwidth, region "
    "and degree tables; 2 ms processing per message)"
)

#: Early Bitcoin propagation measurement.
DECKER_WATTENHOFER_2013 = (
    "C. Decker, R. Wattenhofer: Information Propagation in the Bitcoin Network. "
    "IEEE P2P 2013 (median block propagation 6.5 s, fork rate 1.69 %)"
)

#: The Bitcoin design and its ten-minute block target.
NAKAMOTO_2008 = "S. Nakamoto: Bitcoin: A Peer-to-Peer Electronic Cash System. 2008"
