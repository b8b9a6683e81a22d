"""Transaction workload: arrivals, fees, a mempool, and the metrics lessons need.

Users send transactions at random moments: a *Poisson process* with rate
``tx_rate_per_s``, so gaps between transactions are exponential. Each pays a *fee rate*
(satoshis per byte) drawn from a log-normal distribution, because a few users pay far
more than the typical one. Waiting transactions sit in the *mempool*; a miner fills
its block with the highest fee rates first, up to the block size limit. When demand
exceeds ``block_size_bytes / tx_size_bytes / block_interval_s`` transactions per
second, the mempool grows without bound and low-fee transactions wait longer and
longer: the reason block size and fees are argued about.

Everything here is pure and seeded (numpy ``Generator`` only, no SimPy), so the engine
can drive it from its own processes and lessons can use it directly.

Examples
--------
>>> from chainsim.config import WorkloadConfig
>>> cfg = WorkloadConfig(tx_rate_per_s=5.0, tx_size_bytes=250)
>>> small = simulate_workload(cfg, block_size_bytes=250_000, block_interval_s=600.0,
...                           duration_s=36_000.0, seed=1).summary()
>>> big = simulate_workload(cfg, block_size_bytes=2_000_000, block_interval_s=600.0,
...                         duration_s=36_000.0, seed=1).summary()

Blocks of 1,000 transactions every 600 s carry at most 1.67 tx/s, a third of the
demand, so the mempool keeps growing; eight times larger blocks keep up:

>>> round(small["throughput_tx_per_s"], 2), round(big["throughput_tx_per_s"], 2)
(1.64, 4.91)
>>> small["mempool_n_txs_final"] > 100_000, big["mempool_n_txs_final"]
(True, 0.0)
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from chainsim.config import WorkloadConfig
from chainsim.errors import ConfigError
from chainsim.rng import SeedLike, as_seed_sequence

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_CONSECUTIVE_FAILURES",
    "BlockFill",
    "Mempool",
    "TxArrivals",
    "WorkloadRun",
    "block_times",
    "confirmation_times",
    "generate_arrivals",
    "simulate_workload",
    "throughput_tx_per_s",
    "workload_on_chain",
]

#: Block assembly gives up after this many transactions in a row that do not fit
#: (Bitcoin Core ``BlockAssembler``, ``MAX_CONSECUTIVE_FAILURES``).
MAX_CONSECUTIVE_FAILURES = 1000


def _rng(rng: np.random.Generator | None, seed: SeedLike) -> np.random.Generator:
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise ConfigError(f"rng must be a numpy Generator, got {type(rng).__name__}")
        return rng
    return np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if math.isnan(v) or (v < 0 if allow_zero else v <= 0) or math.isinf(v):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{name} must be finite and {bound}, got {value!r}")
    return v


@dataclass(frozen=True)
class TxArrivals:
    """Transactions arriving over time, as parallel arrays (index = transaction id).

    Attributes
    ----------
    t_arrival_s : numpy.ndarray
        Arrival times, seconds, ascending.
    size_bytes : numpy.ndarray
        Sizes, bytes (int64).
    fee_rate_sat_per_byte : numpy.ndarray
        Fee rates, satoshis per byte.
    """

    t_arrival_s: np.ndarray
    size_bytes: np.ndarray
    fee_rate_sat_per_byte: np.ndarray

    def __len__(self) -> int:
        return int(self.t_arrival_s.size)

    @property
    def fee_sat(self) -> np.ndarray:
        """Fee of each transaction, satoshis (fee rate times size, rounded)."""
        return np.rint(self.fee_rate_sat_per_byte * self.size_bytes).astype(np.int64)

    def arrived_between(self, t0_s: float, t1_s: float) -> range:
        """Ids of transactions with ``t0_s < t_arrival_s <= t1_s``."""
        lo = int(np.searchsorted(self.t_arrival_s, t0_s, side="right"))
        hi = int(np.searchsorted(self.t_arrival_s, t1_s, side="right"))
        return range(lo, hi)


def generate_arrivals(
    config: WorkloadConfig,
    duration_s: float,
    *,
    rng: np.random.Generator | None = None,
    seed: SeedLike = None,
    t_start_s: float = 0.0,
) -> TxArrivals:
    """Poisson arrivals with log-normal fee rates over ``(t_start_s, t_start_s + duration_s]``.

    Parameters
    ----------
    config : WorkloadConfig
        ``tx_rate_per_s`` (tx/s), ``tx_size_bytes``, ``fee_rate_median_sat_per_byte``
        and ``fee_rate_sigma`` (sigma of the log of the fee rate).
    duration_s : float
        Length of the window, seconds.
    rng : numpy.random.Generator, optional
        The generator to draw from (e.g. ``RandomStreams(seed)["workload"]``).
    seed : int, SeedSequence or None
        Used when ``rng`` is not given.
    t_start_s : float
        Start of the window, seconds.

    Returns
    -------
    TxArrivals
        Sorted arrivals. Given the count, Poisson arrival times are independent and
        uniform over the window, which is how they are drawn.

    Examples
    --------
    >>> arr = generate_arrivals(WorkloadConfig(tx_rate_per_s=2.0), 1000.0, seed=3)
    >>> 1800 < len(arr) < 2200, bool(np.all(np.diff(arr.t_arrival_s) >= 0))
    (True, True)
    >>> len(generate_arrivals(WorkloadConfig(), 1000.0, seed=3))  # rate 0: no transactions
    0
    """
    if not isinstance(config, WorkloadConfig):
        raise ConfigError(f"config must be a WorkloadConfig, got {type(config).__name__}")
    duration = _positive("duration_s", duration_s, allow_zero=True)
    gen = _rng(rng, seed)
    n = int(gen.poisson(config.tx_rate_per_s * duration)) if config.tx_rate_per_s > 0 else 0
    t = np.sort(gen.uniform(t_start_s, t_start_s + duration, size=n))
    if config.fee_rate_median_sat_per_byte > 0:
        mu = math.log(config.fee_rate_median_sat_per_byte)
        fee_rate = gen.lognormal(mean=mu, sigma=config.fee_rate_sigma, size=n)
    else:
        fee_rate = np.zeros(n)
    size = np.full(n, config.tx_size_bytes, dtype=np.int64)
    return TxArrivals(t, size, fee_rate)


def block_times(
    block_interval_s: float,
    duration_s: float,
    *,
    rng: np.random.Generator | None = None,
    seed: SeedLike = None,
) -> np.ndarray:
    """Times of blocks found by a Poisson process of mean interval ``block_interval_s``.

    >>> times = block_times(600.0, 60_000.0, seed=5)
    >>> 70 < times.size < 130 and bool(times[-1] <= 60_000.0)
    True
    """
    interval = _positive("block_interval_s", block_interval_s)
    duration = _positive("duration_s", duration_s, allow_zero=True)
    gen = _rng(rng, seed)
    n = int(gen.poisson(duration / interval))
    return np.sort(gen.uniform(0.0, duration, size=n))


@dataclass(frozen=True, slots=True)
class BlockFill:
    """Transactions chosen for one block.

    Attributes
    ----------
    tx_ids : tuple of int
        Chosen transactions, highest fee rate first.
    size_bytes : int
        Their total size, bytes.
    fees_sat : float
        Their total fees, satoshis.
    """

    tx_ids: tuple[int, ...]
    size_bytes: int
    fees_sat: float


@dataclass
class Mempool:
    """Waiting transactions, ordered by fee rate (ties: first come, first served).

    Examples
    --------
    >>> pool = Mempool()
    >>> pool.add([0, 1, 2], fee_rates=[5.0, 50.0, 20.0], sizes=[250, 250, 250])
    >>> pool.fill_block(500).tx_ids
    (1, 2)
    >>> len(pool), pool.size_bytes
    (1, 250)
    """

    _heap: list[tuple[float, int]] = field(default_factory=list, repr=False)
    _entries: dict[int, tuple[float, int]] = field(default_factory=dict, repr=False)
    size_bytes: int = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, tx_id: object) -> bool:
        return tx_id in self._entries

    def add(
        self, tx_ids: Iterable[int], *, fee_rates: Iterable[float], sizes: Iterable[int]
    ) -> None:
        """Add transactions (ids must be unique; re-adding a waiting id is an error)."""
        for tx_id, rate, size in zip(tx_ids, fee_rates, sizes, strict=True):
            tx_id, rate, size = int(tx_id), float(rate), int(size)
            if tx_id in self._entries:
                raise ConfigError(f"transaction {tx_id} is already in the mempool")
            if size <= 0 or math.isnan(rate) or rate < 0:
                raise ConfigError(
                    f"transaction {tx_id}: size must be > 0 and fee rate >= 0, "
                    f"got {size} and {rate}"
                )
            self._entries[tx_id] = (rate, size)
            heapq.heappush(self._heap, (-rate, tx_id))
            self.size_bytes += size

    def remove(self, tx_ids: Iterable[int]) -> None:
        """Drop transactions (e.g. confirmed by another miner's block); unknown ids are ignored."""
        for tx_id in tx_ids:
            entry = self._entries.pop(int(tx_id), None)
            if entry is not None:
                self.size_bytes -= entry[1]
        if len(self._heap) > 4 * len(self._entries) + 64:  # drop stale heap entries
            self._heap = [(-r, i) for i, (r, _) in self._entries.items()]
            heapq.heapify(self._heap)

    def fill_block(self, max_size_bytes: int, *, remove: bool = True) -> BlockFill:
        """Pick transactions by fee rate, highest first, up to ``max_size_bytes``.

        A transaction that does not fit is skipped; assembly stops when the block is
        full or after :data:`MAX_CONSECUTIVE_FAILURES` misses in a row.

        Parameters
        ----------
        max_size_bytes : int
            Space for transactions, bytes.
        remove : bool
            Take the chosen transactions out of the mempool (default). With False
            the mempool is unchanged (a template that may still be discarded).
        """
        if max_size_bytes < 0:
            raise ConfigError(f"max_size_bytes must be >= 0, got {max_size_bytes}")
        chosen: list[int] = []
        popped: list[tuple[float, int]] = []
        room, fees, failures = int(max_size_bytes), 0.0, 0
        while self._heap and room > 0 and failures < MAX_CONSECUTIVE_FAILURES:
            item = heapq.heappop(self._heap)
            entry = self._entries.get(item[1])
            if entry is None or -item[0] != entry[0]:
                continue  # stale: removed earlier
            popped.append(item)
            rate, size = entry
            if size <= room:
                chosen.append(item[1])
                room -= size
                fees += rate * size
                failures = 0
            else:
                failures += 1
        for item in popped:
            heapq.heappush(self._heap, item)
        fill = BlockFill(tuple(chosen), int(max_size_bytes) - room, fees)
        if remove:
            self.remove(chosen)
        return fill


def throughput_tx_per_s(n_confirmed: int, duration_s: float) -> float:
    """Confirmed transactions per second.

    >>> throughput_tx_per_s(600, 120.0)
    5.0
    """
    return n_confirmed / _positive("duration_s", duration_s)


def confirmation_times(t_arrival_s: np.ndarray, t_confirmed_s: np.ndarray) -> np.ndarray:
    """Waiting time of each confirmed transaction, seconds (unconfirmed: NaN dropped).

    >>> confirmation_times(np.array([0.0, 5.0, 7.0]), np.array([10.0, np.nan, 12.0]))
    array([10.,  5.])
    """
    waits = np.asarray(t_confirmed_s, dtype=float) - np.asarray(t_arrival_s, dtype=float)
    return waits[~np.isnan(waits)]


@dataclass(frozen=True)
class WorkloadRun:
    """Result of :func:`simulate_workload`.

    Attributes
    ----------
    arrivals : TxArrivals
        Every transaction sent.
    t_confirmed_s : numpy.ndarray
        Time each transaction was included in a block (NaN if never).
    block_index : numpy.ndarray
        Index of the including block (-1 if never).
    blocks : list of dict
        Per block: ``block_index``, ``t_s``, ``n_txs``, ``size_bytes``, ``fees_sat``,
        ``mempool_n_txs`` and ``mempool_bytes`` (left waiting after the block).
    duration_s : float
        Length of the run, seconds.
    """

    arrivals: TxArrivals
    t_confirmed_s: np.ndarray
    block_index: np.ndarray
    blocks: list[dict[str, Any]]
    duration_s: float

    def confirmation_times(self) -> np.ndarray:
        """Waiting times of confirmed transactions, seconds."""
        return confirmation_times(self.arrivals.t_arrival_s, self.t_confirmed_s)

    def summary(self) -> dict[str, float]:
        """Headline numbers: counts, throughput, waits, fees, final mempool size."""
        waits = self.confirmation_times()
        confirmed = ~np.isnan(self.t_confirmed_s)
        fees = self.arrivals.fee_sat
        last = self.blocks[-1] if self.blocks else None
        return {
            "n_arrived": float(len(self.arrivals)),
            "n_confirmed": float(confirmed.sum()),
            "n_blocks": float(len(self.blocks)),
            "throughput_tx_per_s": throughput_tx_per_s(int(confirmed.sum()), self.duration_s),
            "confirmation_time_median_s": float(np.median(waits)) if waits.size else math.nan,
            "confirmation_time_mean_s": float(waits.mean()) if waits.size else math.nan,
            "confirmation_time_p90_s": float(np.quantile(waits, 0.9)) if waits.size else math.nan,
            "fees_paid_sat": float(fees[confirmed].sum()),
            "mempool_n_txs_final": float(last["mempool_n_txs"])
            if last
            else float(len(self.arrivals)),
        }

    def to_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(transactions, blocks)`` as pandas tables.

        ``transactions`` columns: ``tx_id``, ``t_arrival_s``, ``size_bytes``,
        ``fee_rate_sat_per_byte``, ``fee_sat``, ``t_confirmed_s``, ``block_index``,
        ``confirmation_time_s``.
        """
        import pandas as pd

        a = self.arrivals
        txs = pd.DataFrame(
            {
                "tx_id": np.arange(len(a)),
                "t_arrival_s": a.t_arrival_s,
                "size_bytes": a.size_bytes,
                "fee_rate_sat_per_byte": a.fee_rate_sat_per_byte,
                "fee_sat": a.fee_sat,
                "t_confirmed_s": self.t_confirmed_s,
                "block_index": self.block_index,
                "confirmation_time_s": self.t_confirmed_s - a.t_arrival_s,
            }
        )
        columns = ["block_index", "t_s", "n_txs", "size_bytes", "fees_sat"]
        columns += ["mempool_n_txs", "mempool_bytes"]
        return txs, pd.DataFrame(self.blocks, columns=columns)


def simulate_workload(
    config: WorkloadConfig,
    *,
    block_size_bytes: int,
    block_interval_s: float,
    duration_s: float,
    seed: SeedLike = None,
    block_times_s: Sequence[float] | np.ndarray | None = None,
) -> WorkloadRun:
    """Send transactions, mine blocks that take the best fee rates, record what waits.

    One chain, no forks: each block takes transactions from the mempool by fee rate
    up to ``block_size_bytes``. Block times are Poisson with mean
    ``block_interval_s`` unless ``block_times_s`` is given (e.g. from a simulation's
    main chain).

    Parameters
    ----------
    config : WorkloadConfig
        Arrival rate, transaction size and fee-rate distribution.
    block_size_bytes : int
        Space for transactions in each block, bytes.
    block_interval_s : float
        Mean time between blocks, seconds.
    duration_s : float
        Length of the run, seconds.
    seed : int, SeedSequence or None
        Seeds the arrivals and (if drawn) the block times, as separate streams.
    block_times_s : array-like, optional
        Times of blocks, seconds (sorted ascending, within ``[0, duration_s]``).

    Returns
    -------
    WorkloadRun
        Per-transaction arrays, per-block rows and :meth:`WorkloadRun.summary`.
    """
    if isinstance(block_size_bytes, bool) or not isinstance(block_size_bytes, int | np.integer):
        raise ConfigError(f"block_size_bytes must be an integer, got {block_size_bytes!r}")
    if block_size_bytes < 0:
        raise ConfigError(f"block_size_bytes must be >= 0, got {block_size_bytes}")
    duration = _positive("duration_s", duration_s)
    root = as_seed_sequence(seed)
    tx_seed, block_seed = root.spawn(2)
    arrivals = generate_arrivals(config, duration, seed=tx_seed)
    if block_times_s is None:
        times = block_times(block_interval_s, duration, seed=block_seed)
    else:
        _positive("block_interval_s", block_interval_s)
        times = np.asarray(block_times_s, dtype=float)
        if times.ndim != 1 or np.any(np.diff(times) < 0) or np.any(np.isnan(times)):
            raise ConfigError("block_times_s must be a sorted 1-D sequence of times in seconds")
    n = len(arrivals)
    t_confirmed = np.full(n, np.nan)
    block_of = np.full(n, -1, dtype=np.int64)
    pool = Mempool()
    rows: list[dict[str, Any]] = []
    last_t = -math.inf
    for b, t in enumerate(times):
        new = arrivals.arrived_between(last_t, float(t))
        pool.add(
            new,
            fee_rates=arrivals.fee_rate_sat_per_byte[new.start : new.stop],
            sizes=arrivals.size_bytes[new.start : new.stop],
        )
        last_t = float(t)
        fill = pool.fill_block(int(block_size_bytes))
        ids = np.fromiter(fill.tx_ids, dtype=np.int64, count=len(fill.tx_ids))
        t_confirmed[ids] = t
        block_of[ids] = b
        rows.append(
            {
                "block_index": b,
                "t_s": float(t),
                "n_txs": len(fill.tx_ids),
                "size_bytes": fill.size_bytes,
                "fees_sat": fill.fees_sat,
                "mempool_n_txs": len(pool),
                "mempool_bytes": pool.size_bytes,
            }
        )
    return WorkloadRun(arrivals, t_confirmed, block_of, rows, duration)


def workload_on_chain(
    results: Any,
    config: WorkloadConfig | None = None,
    *,
    seed: SeedLike = None,
) -> WorkloadRun:
    """Run the transaction workload against the main chain of a network simulation.

    Forks matter here: only main-chain blocks confirm transactions, so a network with
    many stale blocks confirms fewer per second than its block interval promises. The
    blocks are the main-chain blocks of ``results`` (genesis excluded), in the order and
    at the times they were mined; each carries up to the run's
    ``mining.block_size_bytes`` of transactions.

    Parameters
    ----------
    results : chainsim.results.Results
        A finished simulation (its ``meta["config"]`` holds the config used).
    config : WorkloadConfig, optional
        Arrival rate and fees; default: the run's own ``workload`` section.
    seed : int, SeedSequence or None
        Default: the ``"workload"`` stream of the run's seed, so one seed repeats both.

    Returns
    -------
    WorkloadRun

    Raises
    ------
    ConfigError
        If the arrival rate is 0 (nothing to send).

    Examples
    --------
    >>> import chainsim
    >>> from chainsim.config import WorkloadConfig
    >>> cfg = chainsim.get_scenario("teaching").override({"run.n_blocks": 20})
    >>> res = chainsim.simulate(cfg, seed=3)
    >>> run = workload_on_chain(res, WorkloadConfig(tx_rate_per_s=2.0))
    >>> int(run.summary()["n_blocks"]) == int(res.blocks["main_chain"].sum()) - 1
    True
    """
    from chainsim.config import SimConfig
    from chainsim.rng import RandomStreams

    sim_config = SimConfig.from_dict(results.meta["config"])
    wl = config if config is not None else sim_config.workload
    if wl.tx_rate_per_s <= 0:
        raise ConfigError(
            f"workload.tx_rate_per_s must be > 0 to send transactions, got {wl.tx_rate_per_s!r}"
        )
    if seed is None:
        seed = RandomStreams(results.meta["seed"]).child("workload")
    blocks = results.blocks
    main = blocks[blocks["main_chain"].astype(bool) & (blocks["block_id"] != 0)]
    times = np.sort(main["t_mined_s"].to_numpy(dtype=float))
    duration = float(max(results.meta.get("sim_time_s", 0.0), times[-1] if len(times) else 0.0))
    return simulate_workload(
        wl,
        block_size_bytes=int(sim_config.mining.block_size_bytes),
        block_interval_s=float(sim_config.mining.block_interval_s),
        duration_s=max(duration, 1e-9),
        seed=seed,
        block_times_s=times,
    )
