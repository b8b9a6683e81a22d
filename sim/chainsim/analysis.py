"""Closed forms from the literature that the simulator is checked against.

A *closed form* is a formula that predicts what a simulation should show on average:
the chance that an attacker with a share ``q`` of the hash rate reverses a payment
after ``z`` confirmations, the revenue of a selfish-mining pool, the stale rate that a
propagation delay causes, the quorum sizes of a BFT protocol. Each function here cites
its source; the statistical tests compare them with simulated estimates.

Conventions: shares (``q``, ``alpha``, ``gamma``) are fractions in [0, 1]; times are
seconds; rates are per second. Invalid arguments raise
:class:`~chainsim.errors.ConfigError` naming the parameter, the value and what is
allowed.

Examples
--------
>>> round(double_spend_probability(0.1, 6), 6)
0.000591
>>> round(nakamoto_attack_probability(0.1, 6), 7)
0.0002428
>>> selfish_mining_threshold(0.5)
0.25
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import special

from chainsim.errors import ConfigError

__all__ = [
    "PBFTQuorums",
    "decker_wattenhofer_stale_rate",
    "double_spend_probability",
    "double_spend_probability_beta",
    "longest_chain_attack_threshold",
    "longest_chain_growth_rate",
    "nakamoto_attack_probability",
    "pbft_quorums",
    "raft_majority",
    "selfish_mining_revenue",
    "selfish_mining_threshold",
    "stale_rate_estimate",
    "stale_rate_fixed_delay",
]


# --------------------------------------------------------------------------- checks


def _plain(value: object) -> object:
    """numpy scalars as Python numbers, so that messages read ``1.5``, not ``np.float64(1.5)``."""
    item = getattr(value, "item", None)
    return item() if callable(item) and np.ndim(value) == 0 else value  # type: ignore[arg-type]


def _share(name: str, value: float) -> float:
    """``value`` as a float in [0, 1], else a ConfigError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{name} must be a number in [0, 1], got {value!r}")
    x = float(value)
    if not 0.0 <= x <= 1.0:  # also rejects nan
        raise ConfigError(f"{name} must be in [0, 1], got {_plain(value)!r}")
    return x


def _count(name: str, value: int, *, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``, else a ConfigError naming ``name``."""
    what = "a non-negative integer" if minimum == 0 else f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ConfigError(f"{name} must be {what}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be {what}, got {_plain(value)!r}")
    return int(value)


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (or >= 0), else a ConfigError naming ``name``."""
    bound = ">= 0" if allow_zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{name} must be a finite number {bound}, got {value!r}")
    x = float(value)
    ok = math.isfinite(x) and (x >= 0.0 if allow_zero else x > 0.0)
    if not ok:
        raise ConfigError(f"{name} must be a finite number {bound}, got {_plain(value)!r}")
    return x


# ------------------------------------------------------------------- double spending


def nakamoto_attack_probability(q: float, z: int) -> float:
    """Nakamoto's estimate of an attacker catching up from ``z`` blocks behind.

    Section 11 of the Bitcoin whitepaper (Nakamoto 2008) approximates the number of
    blocks the attacker mined while the merchant waited for ``z`` blocks by a Poisson
    variable with mean ``lambda = z q / p`` and adds the gambler's-ruin chance of
    catching up from the remaining deficit::

        P = 1 - sum_{k=0..z} (lambda^k e^-lambda / k!) (1 - (q/p)^(z-k))

    The Poisson step is an approximation (the true count is negative binomial); see
    :func:`double_spend_probability` for the exact value.

    Parameters
    ----------
    q : float
        Attacker's share of the hash rate, in [0, 1]; the honest share is ``p = 1 - q``.
    z : int
        Confirmations the merchant waits for (blocks), ``z >= 0``.

    Returns
    -------
    float
        Probability in [0, 1]; 1 when ``q >= p`` or ``z == 0``.

    Raises
    ------
    ConfigError
        If ``q`` is outside [0, 1] or ``z`` is not a non-negative integer.

    Examples
    --------
    The two tables of the whitepaper, section 11:

    >>> for z in range(11):
    ...     print(z, f"{nakamoto_attack_probability(0.1, z):.7f}")
    0 1.0000000
    1 0.2045873
    2 0.0509779
    3 0.0131722
    4 0.0034552
    5 0.0009137
    6 0.0002428
    7 0.0000647
    8 0.0000173
    9 0.0000046
    10 0.0000012
    >>> for z in range(0, 51, 5):
    ...     print(z, f"{nakamoto_attack_probability(0.3, z):.7f}")
    0 1.0000000
    5 0.1773523
    10 0.0416605
    15 0.0101008
    20 0.0024804
    25 0.0006132
    30 0.0001522
    35 0.0000379
    40 0.0000095
    45 0.0000024
    50 0.0000006
    >>> nakamoto_attack_probability(1.5, 3)
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: q must be in [0, 1], got 1.5
    """
    q = _share("q", q)
    z = _count("z", z)
    p = 1.0 - q
    if q >= p or z == 0:
        return 1.0
    if q == 0.0:
        return 0.0
    lam = z * q / p
    ratio = q / p
    k = np.arange(z + 1)
    # Poisson pmf in log space: stable for large z.
    log_pmf = k * math.log(lam) - lam - special.gammaln(k + 1)
    total = float(np.sum(np.exp(log_pmf) * (1.0 - ratio ** (z - k))))
    return min(1.0, max(0.0, 1.0 - total))


def double_spend_probability(q: float, z: int) -> float:
    """Exact probability that a double-spend race succeeds (Rosenfeld 2014).

    The merchant accepts a payment once its block has ``z`` confirmations (the payment
    block counts as the first). Meanwhile the attacker mines a conflicting branch in
    private from the same parent. The number ``m`` of attacker blocks by then is
    negative binomial, ``P(m) = C(m + z - 1, m) p^z q^m``, and from a deficit ``z - m``
    the attacker catches up with probability ``(q/p)^(z-m)`` (1 when ``m >= z``).
    Summing gives (Rosenfeld, "Analysis of hashrate-based double spending", 2014)::

        r(q, z) = 1 - sum_{m=0..z} C(m + z - 1, m) (p^z q^m - q^z p^m)     (q < p)

    and 1 when ``q >= p``. (It is evaluated as ``P(m > z) + sum_{m<=z} C(m + z - 1, m)
    q^z p^m``, the same sum with positive terms, so that tiny probabilities keep their
    relative precision.) As in the whitepaper, "catching up" (an equally long
    branch) counts as success; equivalently the attacker needs a strictly longer
    branch but pre-mined one block. :func:`double_spend_probability_beta` gives the
    same value in Grunspan and Perez-Marco's closed form.

    Parameters
    ----------
    q : float
        Attacker's share of the hash rate, in [0, 1].
    z : int
        Confirmations the merchant waits for (blocks), ``z >= 0``.

    Returns
    -------
    float
        Probability in [0, 1]; 1 when ``q >= 1/2`` or ``z == 0``.

    Raises
    ------
    ConfigError
        If ``q`` is outside [0, 1] or ``z`` is not a non-negative integer.

    Examples
    --------
    >>> round(double_spend_probability(0.1, 1), 12)  # r(q, 1) = 2q
    0.2
    >>> round(double_spend_probability(0.3, 6), 5), round(nakamoto_attack_probability(0.3, 6), 5)
    (0.15645, 0.13211)
    >>> double_spend_probability(0.5, 100)
    1.0
    >>> double_spend_probability(0.2, -1)
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: z must be a non-negative integer, got -1
    """
    q = _share("q", q)
    z = _count("z", z)
    p = 1.0 - q
    if q >= p or z == 0:
        return 1.0
    if q == 0.0:
        return 0.0
    # Rosenfeld's sum rearranged into positive terms (no cancellation when r is tiny):
    # 1 - sum_{m<=z} C(m+z-1, m) p^z q^m is P(attacker has more than z blocks), which
    # is P(Binomial(2z, p) <= z - 1), and the other part is a plain sum.
    m = np.arange(z + 1)
    log_c = special.gammaln(m + z) - special.gammaln(m + 1) - special.gammaln(z)
    ahead = float(special.bdtr(z - 1, 2 * z, p))
    behind = float(np.sum(np.exp(log_c + z * math.log(q) + m * math.log(p))))
    return min(1.0, ahead + behind)


def double_spend_probability_beta(q: float, z: int) -> float:
    """The double-spend probability as a regularized incomplete beta function.

    Grunspan and Perez-Marco ("Double spend races", 2017) show that Rosenfeld's sum
    equals ``I_{4pq}(z, 1/2)`` for ``q < p``; this function evaluates that form with
    :func:`scipy.special.betainc` and must agree with
    :func:`double_spend_probability` (a test checks it).

    Parameters
    ----------
    q : float
        Attacker's share of the hash rate, in [0, 1].
    z : int
        Confirmations (blocks), ``z >= 0``.

    Returns
    -------
    float
        Probability in [0, 1]; 1 when ``q >= 1/2`` or ``z == 0``.

    Raises
    ------
    ConfigError
        If ``q`` is outside [0, 1] or ``z`` is not a non-negative integer.

    Examples
    --------
    >>> round(double_spend_probability_beta(0.3, 6), 5)
    0.15645
    """
    q = _share("q", q)
    z = _count("z", z)
    p = 1.0 - q
    if q >= p or z == 0:
        return 1.0
    return float(special.betainc(z, 0.5, 4.0 * p * q))


# --------------------------------------------------------------------- selfish mining


def selfish_mining_revenue(alpha: float, gamma: float) -> float:
    """Relative revenue of a selfish-mining pool (Eyal and Sirer 2014).

    A pool with a share ``alpha`` of the hash rate keeps its blocks private and
    publishes them strategically; ``gamma`` is the share of honest miners that mine on
    the pool's block during a tie. Eyal and Sirer ("Majority is not enough", 2014,
    eq. 8) find the pool's share of main-chain blocks::

        R = [alpha (1-alpha)^2 (4 alpha + gamma (1 - 2 alpha)) - alpha^3]
            / [1 - alpha (1 + (2 - alpha) alpha)]

    The formula holds for ``alpha < 1/2``; at ``alpha >= 1/2`` the pool's private
    branch eventually never loses, so the revenue share is 1.

    Parameters
    ----------
    alpha : float
        Pool's share of the hash rate, in [0, 1].
    gamma : float
        Share of honest hash rate that mines on the pool's branch in a tie, in [0, 1].

    Returns
    -------
    float
        The pool's long-run share of main-chain blocks, in [0, 1].

    Raises
    ------
    ConfigError
        If ``alpha`` or ``gamma`` is outside [0, 1].

    Examples
    --------
    >>> round(selfish_mining_revenue(1 / 3, 0.0), 12)  # break-even at the threshold
    0.333333333333
    >>> round(selfish_mining_revenue(0.4, 0.5), 4)
    0.5256
    >>> selfish_mining_revenue(0.6, 0.0)
    1.0
    """
    a = _share("alpha", alpha)
    g = _share("gamma", gamma)
    if a >= 0.5:
        return 1.0
    num = a * (1.0 - a) ** 2 * (4.0 * a + g * (1.0 - 2.0 * a)) - a**3
    den = 1.0 - a * (1.0 + (2.0 - a) * a)
    return min(1.0, max(0.0, num / den))


def selfish_mining_threshold(gamma: float) -> float:
    """Smallest pool share for which selfish mining pays (Eyal and Sirer 2014).

    Selfish mining beats honest mining when ``alpha > (1 - gamma) / (3 - 2 gamma)``:
    1/3 at ``gamma = 0``, 1/4 at ``gamma = 1/2`` and 0 at ``gamma = 1``.

    Parameters
    ----------
    gamma : float
        Share of honest hash rate that mines on the pool's branch in a tie, in [0, 1].

    Returns
    -------
    float
        The threshold share of the hash rate, in [0, 1/3].

    Raises
    ------
    ConfigError
        If ``gamma`` is outside [0, 1].

    Examples
    --------
    >>> [round(selfish_mining_threshold(g), 6) for g in (0.0, 0.5, 1.0)]
    [0.333333, 0.25, 0.0]
    """
    g = _share("gamma", gamma)
    return (1.0 - g) / (3.0 - 2.0 * g)


# ------------------------------------------------------------------ delay and forks


def stale_rate_estimate(delay_s: float, block_interval_s: float) -> float:
    """The usual first-order estimate of the stale rate from a delay: ``1 - exp(-D / T)``.

    With block discovery a Poisson process of mean interval ``T`` and every block
    reaching all miners after exactly ``D`` seconds, ``1 - exp(-D / T)`` is the chance
    that another block is found while a block is in flight: exactly the share of chain
    heights at which a competing block appears (a fork). The share of *blocks* that end
    up stale is ``(D/T) / (1 + D/T)`` (see :func:`stale_rate_fixed_delay`); the two
    agree to first order in ``D/T`` (0.0165 and 0.0164 at D = 10 s, T = 600 s) and part
    as ``D/T`` grows (0.39 and 0.33 at D = T/2).

    Parameters
    ----------
    delay_s : float
        Effective propagation delay ``D`` in seconds, ``>= 0``.
    block_interval_s : float
        Mean block interval ``T`` in seconds, ``> 0``.

    Returns
    -------
    float
        Probability in [0, 1).

    Raises
    ------
    ConfigError
        If ``delay_s < 0`` or ``block_interval_s <= 0`` (or either is not finite).

    Examples
    --------
    >>> round(stale_rate_estimate(10.0, 600.0), 6)
    0.016529
    >>> stale_rate_estimate(0.0, 600.0)
    0.0
    """
    d = _positive("delay_s", delay_s, allow_zero=True)
    t = _positive("block_interval_s", block_interval_s)
    return -math.expm1(-d / t)


def stale_rate_fixed_delay(delay_s: float, block_interval_s: float) -> float:
    """Share of blocks that go stale when every block reaches every miner ``D`` s later.

    Blocks then come in levels: the first block found at least ``D`` after the previous
    level began, plus the ``Poisson(D/T)`` competitors found while it is in flight. One
    block per level stays on the main chain, so the main chain grows at
    ``lambda / (1 + lambda D)`` (Sompolinsky and Zohar 2015) and the stale rate is
    ``(D/T) / (1 + D/T)``. Exact for many small miners; a miner that sees its own block
    at once makes the rate slightly lower when there are few miners.

    Parameters
    ----------
    delay_s : float
        Propagation delay ``D`` in seconds, ``>= 0``.
    block_interval_s : float
        Mean block interval ``T`` in seconds, ``> 0``.

    Returns
    -------
    float
        Stale blocks over blocks mined, in [0, 1).

    Examples
    --------
    >>> round(stale_rate_fixed_delay(1.0, 10.0), 6)
    0.090909
    >>> round(stale_rate_fixed_delay(10.0, 600.0), 6)
    0.016393
    """
    d = _positive("delay_s", delay_s, allow_zero=True)
    t = _positive("block_interval_s", block_interval_s)
    return (d / t) / (1.0 + d / t)


def decker_wattenhofer_stale_rate(
    times_s: Sequence[float] | np.ndarray,
    informed_fraction: Sequence[float] | np.ndarray,
    block_interval_s: float,
) -> float:
    """Stale rate from a propagation curve (Decker and Wattenhofer 2013).

    Decker and Wattenhofer ("Information propagation in the Bitcoin network", 2013)
    model a conflicting block as the chance that an uninformed node finds one while a
    block spreads: ``r = 1 - (1 - p)^(integral of (1 - f(t)) dt)``, where ``f(t)`` is
    the fraction of nodes (hash rate) informed ``t`` seconds after the block was found
    and ``p`` the probability of finding a block in one second. Here ``p = 1 -
    exp(-1 / T)`` (they used ``p ~ 1/T``, which differs by O(1/T^2)), so that a step
    curve (nobody informed until ``D``, everybody after) gives exactly
    :func:`stale_rate_estimate`.

    The integral uses the trapezoidal rule over the given samples; before the first
    sample the curve is taken as its first value and after the last as fully informed
    (``f = 1``).

    Parameters
    ----------
    times_s : sequence of float
        Sample times in seconds after the block was found, non-decreasing, ``>= 0``.
    informed_fraction : sequence of float
        ``f(t)`` at those times, each in [0, 1], same length as ``times_s``.
    block_interval_s : float
        Mean block interval ``T`` in seconds, ``> 0``.

    Returns
    -------
    float
        Probability in [0, 1).

    Raises
    ------
    ConfigError
        If the arrays are empty, differ in length, hold times that are negative or
        decreasing, or fractions outside [0, 1]; or if ``block_interval_s <= 0``.

    Examples
    --------
    A step at 10 s agrees with the simple estimate:

    >>> r = decker_wattenhofer_stale_rate([0.0, 10.0, 10.0], [0.0, 0.0, 1.0], 600.0)
    >>> bool(abs(r - stale_rate_estimate(10.0, 600.0)) < 1e-12)
    True
    """
    t_interval = _positive("block_interval_s", block_interval_s)
    t = np.asarray(times_s, dtype=float)
    f = np.asarray(informed_fraction, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ConfigError(f"times_s must be a non-empty 1-D sequence, got shape {t.shape}")
    if f.shape != t.shape:
        raise ConfigError(
            f"informed_fraction must have the same length as times_s ({t.size}), "
            f"got shape {f.shape}"
        )
    if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(np.diff(t) < 0):
        raise ConfigError("times_s must be finite, >= 0 and non-decreasing")
    if not np.all((f >= 0.0) & (f <= 1.0)):
        bad = float(f[~((f >= 0.0) & (f <= 1.0))][0])
        raise ConfigError(f"informed_fraction values must be in [0, 1], got {bad!r}")
    u = 1.0 - f
    uninformed_s = u[0] * t[0] + float(np.sum(0.5 * (u[1:] + u[:-1]) * np.diff(t)))
    # (1 - p)^I with p = 1 - exp(-1/T) is exp(-I/T).
    return -math.expm1(-uninformed_s / t_interval)


def longest_chain_growth_rate(block_rate_per_s: float, delay_s: float) -> float:
    """Growth rate of the longest chain under delay: ``lambda / (1 + lambda D)``.

    Sompolinsky and Zohar ("Secure high-rate transaction processing in Bitcoin",
    2015) bound the growth of the honest main chain from below by
    ``beta = lambda / (1 + lambda D)`` when honest blocks are found at rate
    ``lambda`` and take at most ``D`` seconds to reach everybody: blocks found while
    another is still in flight may be wasted on forks.

    Parameters
    ----------
    block_rate_per_s : float
        Honest block rate ``lambda`` in blocks per second, ``> 0``.
    delay_s : float
        Propagation delay bound ``D`` in seconds, ``>= 0``.

    Returns
    -------
    float
        Main-chain blocks per second.

    Raises
    ------
    ConfigError
        If ``block_rate_per_s <= 0`` or ``delay_s < 0``.

    Examples
    --------
    >>> longest_chain_growth_rate(1 / 600, 0.0) == 1 / 600
    True
    >>> longest_chain_growth_rate(1.0, 1.0)
    0.5
    """
    lam = _positive("block_rate_per_s", block_rate_per_s)
    d = _positive("delay_s", delay_s, allow_zero=True)
    return lam / (1.0 + lam * d)


def longest_chain_attack_threshold(block_rate_per_s: float, delay_s: float) -> float:
    """Attacker share that outgrows a delayed longest chain (Sompolinsky and Zohar).

    All miners together find blocks at rate ``lambda``; an attacker with share ``q``
    mines privately with no delay (rate ``q lambda``) while the honest chain grows at
    :func:`longest_chain_growth_rate` of the honest rate ``(1 - q) lambda``. The
    attacker outgrows it when ``q lambda > (1 - q) lambda / (1 + (1 - q) lambda D)``,
    i.e. when ``q`` exceeds the smaller root of ``x q^2 - (2 + x) q + 1 = 0`` with
    ``x = lambda D``::

        q* = (2 + x - sqrt(4 + x^2)) / (2 x)

    which is 1/2 at ``x = 0`` and falls towards ``1/x`` as ``x`` grows: the 50 % bound
    of longest chain erodes at high block rates (GHOST keeps it).

    Parameters
    ----------
    block_rate_per_s : float
        Total block rate ``lambda`` of all miners in blocks per second, ``> 0``.
    delay_s : float
        Propagation delay ``D`` of honest blocks in seconds, ``>= 0``.

    Returns
    -------
    float
        The threshold share, in (0, 1/2].

    Raises
    ------
    ConfigError
        If ``block_rate_per_s <= 0`` or ``delay_s < 0``.

    Examples
    --------
    >>> longest_chain_attack_threshold(1 / 600, 0.0)
    0.5
    >>> round(longest_chain_attack_threshold(1.0, 2.0), 4)  # lambda D = 2
    0.2929
    """
    lam = _positive("block_rate_per_s", block_rate_per_s)
    d = _positive("delay_s", delay_s, allow_zero=True)
    x = lam * d
    if x == 0.0:
        return 0.5
    # Rationalised form of (2 + x - sqrt(4 + x^2)) / (2x): no cancellation for small x.
    return 2.0 / (2.0 + x + math.sqrt(4.0 + x * x))


# ------------------------------------------------------------------------ BFT quorums


class PBFTQuorums(NamedTuple):
    """Quorum sizes of PBFT for ``n`` replicas (Castro and Liskov 1999)."""

    n: int
    """Number of replicas."""
    f: int
    """Byzantine replicas tolerated: ``(n - 1) // 3``."""
    prepare: int
    """Matching prepares (besides the pre-prepare) to become prepared: ``2f``."""
    commit: int
    """Matching commits to commit locally: ``2f + 1``."""
    reply: int
    """Matching replies a client needs: ``f + 1``."""


def pbft_quorums(n: int) -> PBFTQuorums:
    """Fault tolerance and quorum sizes of PBFT with ``n`` replicas.

    Castro and Liskov ("Practical Byzantine fault tolerance", 1999): ``n >= 3f + 1``
    replicas tolerate ``f`` Byzantine ones; a request is prepared after the
    pre-prepare and ``2f`` matching prepares, committed after ``2f + 1`` commits, and
    a client accepts ``f + 1`` matching replies.

    Parameters
    ----------
    n : int
        Number of replicas, ``>= 1``.

    Returns
    -------
    PBFTQuorums
        ``(n, f, prepare, commit, reply)``.

    Raises
    ------
    ConfigError
        If ``n`` is not an integer >= 1.

    Examples
    --------
    >>> pbft_quorums(4)
    PBFTQuorums(n=4, f=1, prepare=2, commit=3, reply=2)
    >>> pbft_quorums(64).f
    21
    """
    n = _count("n", n, minimum=1)
    f = (n - 1) // 3
    return PBFTQuorums(n=n, f=f, prepare=2 * f, commit=2 * f + 1, reply=f + 1)


def raft_majority(n: int) -> int:
    """Votes (or replicas) that form a majority in a Raft cluster of ``n`` servers.

    Raft (Ongaro and Ousterhout 2014) elects a leader and commits an entry with a
    majority, ``n // 2 + 1``; ``2f + 1`` servers therefore tolerate ``f`` crashes.

    Parameters
    ----------
    n : int
        Number of servers, ``>= 1``.

    Returns
    -------
    int
        The majority size.

    Raises
    ------
    ConfigError
        If ``n`` is not an integer >= 1.

    Examples
    --------
    >>> [raft_majority(n) for n in (1, 2, 3, 4, 5)]
    [1, 2, 2, 3, 3]
    """
    n = _count("n", n, minimum=1)
    return n // 2 + 1
