"""Measured tables for placing nodes on a map: regions, latency, bandwidth, degree.

A *region* is a part of the world (North America, Europe, ...). Two nodes in the same
region talk to each other faster than two nodes on different continents. The tables
below are the 2019 figures used by the SimBlock simulator (Aoki et al. 2019, "SimBlock:
A Blockchain Network Simulator", IEEE INFOCOM Workshops), for six regions in this
order: North America, Europe, South America, Asia-Pacific, Japan, Australia.

All tables are read-only numpy arrays (or tuples) so that no run can change them for
the next one.

Examples
--------
>>> REGIONS
('NA', 'EU', 'SA', 'AP', 'JP', 'AU')
>>> float(LATENCY_MS_2019[REGIONS.index("EU"), REGIONS.index("JP")])
252.0
>>> float(UPLOAD_MBPS_2019[0]), float(DOWNLOAD_MBPS_2019[0])
(19.2, 52.0)
>>> round(outbound_degree_mean(), 3)
8.645
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chainsim.config import BITCOIN_REGION_SHARES, REGIONS

__all__ = [
    "BITCOIN_OUTBOUND_DEGREE_CDF",
    "BITCOIN_REGION_SHARES",
    "DOGECOIN_REGION_SHARES",
    "DOWNLOAD_MBPS_2019",
    "LATENCY_MS_2019",
    "LITECOIN_REGION_SHARES",
    "REGIONS",
    "REGION_NAMES",
    "UPLOAD_MBPS_2019",
    "outbound_degree_mean",
    "outbound_degree_pmf",
]


def _frozen(values: Sequence[Sequence[float]] | Sequence[float]) -> np.ndarray:
    array = np.array(values, dtype=float)
    array.setflags(write=False)
    return array


#: Long names of :data:`REGIONS`, for tables and plots.
REGION_NAMES: tuple[str, ...] = (
    "North America",
    "Europe",
    "South America",
    "Asia-Pacific",
    "Japan",
    "Australia",
)

#: One-way latency between regions in milliseconds, row = from, column = to
#: (SimBlock 2019 table, Aoki et al. 2019). The table is symmetric.
LATENCY_MS_2019: np.ndarray = _frozen(
    [
        [32, 124, 184, 198, 151, 189],
        [124, 11, 227, 237, 252, 294],
        [184, 227, 88, 325, 301, 322],
        [198, 237, 325, 85, 58, 198],
        [151, 252, 301, 58, 12, 126],
        [189, 294, 322, 198, 126, 16],
    ]
)

#: Download bandwidth of a node by region, Mbit/s (SimBlock 2019, Aoki et al. 2019).
DOWNLOAD_MBPS_2019: np.ndarray = _frozen([52.0, 40.0, 18.0, 22.8, 22.8, 29.9])

#: Upload bandwidth of a node by region, Mbit/s (SimBlock 2019, Aoki et al. 2019).
UPLOAD_MBPS_2019: np.ndarray = _frozen([19.2, 20.7, 5.8, 15.7, 10.2, 11.3])

#: Share of Litecoin nodes by region, 2019 (SimBlock, Aoki et al. 2019).
LITECOIN_REGION_SHARES: tuple[float, ...] = (0.3661, 0.4791, 0.0149, 0.1022, 0.0238, 0.0139)

#: Share of Dogecoin nodes by region, 2019 (SimBlock, Aoki et al. 2019).
DOGECOIN_REGION_SHARES: tuple[float, ...] = (0.3924, 0.4879, 0.0212, 0.0697, 0.0106, 0.0182)

#: Cumulative distribution of a Bitcoin node's number of outbound connections,
#: ``P(degree <= d)`` for ``d = 1, 2, ..., 20`` (SimBlock 2019, Aoki et al. 2019).
BITCOIN_OUTBOUND_DEGREE_CDF: tuple[float, ...] = (
    0.025,
    0.050,
    0.075,
    0.10,
    0.20,
    0.30,
    0.40,
    0.50,
    0.60,
    0.70,
    0.80,
    0.85,
    0.90,
    0.95,
    0.97,
    0.97,
    0.98,
    0.99,
    0.995,
    1.0,
)


def outbound_degree_pmf() -> np.ndarray:
    """Probability of each outbound degree ``1..20`` from :data:`BITCOIN_OUTBOUND_DEGREE_CDF`.

    Returns
    -------
    numpy.ndarray
        Shape ``(20,)``; entry ``d - 1`` is ``P(outbound degree == d)``; sums to 1.

    Examples
    --------
    >>> pmf = outbound_degree_pmf()
    >>> round(float(pmf.sum()), 12), round(float(pmf[4]), 3)
    (1.0, 0.1)
    """
    cdf = np.asarray(BITCOIN_OUTBOUND_DEGREE_CDF, dtype=float)
    pmf = np.diff(np.concatenate(([0.0], cdf)))
    return pmf / pmf.sum()


def outbound_degree_mean() -> float:
    """Mean outbound degree under :data:`BITCOIN_OUTBOUND_DEGREE_CDF` (connections per node).

    Examples
    --------
    >>> 8 < outbound_degree_mean() < 9
    True
    """
    pmf = outbound_degree_pmf()
    return float(np.dot(np.arange(1, pmf.size + 1), pmf))
