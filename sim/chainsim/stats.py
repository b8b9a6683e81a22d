"""Confidence intervals and simple tests for comparing simulations with theory.

A simulated frequency or mean is an *estimate*; a confidence interval says how far
from the true value it may plausibly be. A closed form "agrees" with a simulation when
its value lies inside the interval at the stated level (95 % by default), and a value
far outside the interval is rejected.

- :func:`binomial_ci`: a frequency ``k / n`` (Wilson score interval), as ``(low, high)``.
- :func:`mean_ci`: the mean of independent values (Student t interval).
- :func:`ratio_ci`: a ratio of sums ``sum(x) / sum(y)`` over independent batches (delta
  method with a t quantile), e.g. a revenue share estimated from batch means.
- :func:`proportion_test`: two-sided p-value of ``k`` successes in ``n`` trials against
  a claimed probability.

Examples
--------
>>> low, high = binomial_ci(30, 100)
>>> round(low, 4), round(high, 4)
(0.2189, 0.3958)
>>> binomial_ci(30, 100).contains(0.25)
True
>>> mean, low, high = mean_ci([1.0, 2.0, 3.0, 4.0])
>>> mean
2.5
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats as _st

from chainsim.errors import ConfigError

__all__ = ["Estimate", "Interval", "binomial_ci", "mean_ci", "proportion_test", "ratio_ci"]


class Interval(NamedTuple):
    """A two-sided confidence interval ``(low, high)``; unpacks as a pair."""

    low: float
    """Lower end of the interval."""
    high: float
    """Upper end of the interval."""

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in ``[low, high]``."""
        return bool(self.low <= value <= self.high)

    @property
    def half_width(self) -> float:
        """Half the width of the interval."""
        return (self.high - self.low) / 2.0


class Estimate(NamedTuple):
    """A point estimate with its confidence interval; unpacks as ``(estimate, low, high)``."""

    estimate: float
    """The point estimate."""
    low: float
    """Lower end of the interval."""
    high: float
    """Upper end of the interval."""

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in ``[low, high]``."""
        return bool(self.low <= value <= self.high)

    @property
    def half_width(self) -> float:
        """Half the width of the interval."""
        return (self.high - self.low) / 2.0


def _level(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, int | float | np.floating):
        raise ConfigError(f"level must be a number in (0, 1), got {level!r}")
    if not 0.0 < float(level) < 1.0:
        raise ConfigError(f"level must be in (0, 1), got {level!r}")
    return float(level)


def _int(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def binomial_ci(k: int, n: int, level: float = 0.95) -> Interval:
    """Wilson score interval for a success probability from ``k`` of ``n`` trials.

    Wilson (1927): with ``z`` the normal quantile, ``p = k / n``::

        centre = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

    Unlike the textbook ``p +- z sqrt(p(1-p)/n)`` it stays inside [0, 1] and keeps
    its coverage when ``k`` is 0 or close to ``n``.

    Parameters
    ----------
    k : int
        Successes, ``0 <= k <= n``.
    n : int
        Trials, ``>= 1``.
    level : float, optional
        Confidence level in (0, 1), by default 0.95.

    Returns
    -------
    Interval
        ``(low, high)`` within [0, 1]; the estimate itself is ``k / n``.

    Raises
    ------
    ConfigError
        If ``n < 1``, ``k`` is outside [0, n] or ``level`` is outside (0, 1).

    Examples
    --------
    >>> low, high = binomial_ci(0, 50)
    >>> low, round(high, 4)
    (0.0, 0.0713)
    >>> binomial_ci(5, 3)
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: k must be an integer in [0, n=3], got 5
    """
    n = _int("n", n, 1)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= n:
        raise ConfigError(f"k must be an integer in [0, n={n}], got {k!r}")
    z = float(_st.norm.ppf(0.5 + _level(level) / 2.0))
    p = int(k) / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Interval(low, high)


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Estimate:
    """Student t interval for the mean of independent values.

    ``mean +- t_{n-1} * s / sqrt(n)`` with ``s`` the sample standard deviation. NaN
    values are an error (drop them first); with all values equal the interval has
    zero width.

    Parameters
    ----------
    values : sequence of float
        At least two finite values (e.g. one metric per replication or per batch).
    level : float, optional
        Confidence level in (0, 1), by default 0.95.

    Returns
    -------
    Estimate
        ``(estimate, low, high)`` with the sample mean as estimate.

    Raises
    ------
    ConfigError
        If fewer than two values are given, any is not finite, or ``level`` is bad.

    Examples
    --------
    >>> ci = mean_ci([1.0, 2.0, 3.0, 4.0])
    >>> ci.estimate, round(ci.low, 4), round(ci.high, 4)
    (2.5, 0.4457, 4.5543)
    """
    lev = _level(level)
    x = np.asarray(values, dtype=float).ravel()
    if x.size < 2:
        raise ConfigError(f"values must hold at least 2 numbers, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ConfigError("values must all be finite (drop NaN and inf first)")
    m = float(x.mean())
    se = float(x.std(ddof=1)) / math.sqrt(x.size)
    t = float(_st.t.ppf(0.5 + lev / 2.0, x.size - 1))
    return Estimate(m, m - t * se, m + t * se)


def ratio_ci(
    numerators: Sequence[float] | np.ndarray,
    denominators: Sequence[float] | np.ndarray,
    level: float = 0.95,
) -> Estimate:
    """Interval for ``R = sum(x) / sum(y)`` from independent batches ``(x_i, y_i)``.

    The ratio estimator of batch means: with ``b`` batches and residuals
    ``d_i = x_i - R y_i``, the standard error is ``sqrt(sum d_i^2 / (b - 1) / b) /
    mean(y)`` (delta method) and the interval uses the t quantile with ``b - 1``
    degrees of freedom. Used for a revenue share: ``x_i`` pool blocks and ``y_i``
    main-chain blocks settled in batch ``i``.

    Parameters
    ----------
    numerators, denominators : sequence of float
        Per-batch sums, same length ``b >= 2``; ``sum(denominators) > 0``.
    level : float, optional
        Confidence level in (0, 1), by default 0.95.

    Returns
    -------
    Estimate
        ``(estimate, low, high)`` with ``R`` as estimate.

    Raises
    ------
    ConfigError
        If the lengths differ, there are fewer than two batches, values are not
        finite, or the denominators sum to zero or less.

    Examples
    --------
    >>> ci = ratio_ci([3, 5, 4, 4], [10, 10, 10, 10])
    >>> ci.estimate, round(ci.low, 4), round(ci.high, 4)
    (0.4, 0.2701, 0.5299)
    """
    lev = _level(level)
    x = np.asarray(numerators, dtype=float).ravel()
    y = np.asarray(denominators, dtype=float).ravel()
    if x.shape != y.shape:
        raise ConfigError(
            f"numerators and denominators must have the same length, got {x.size} and {y.size}"
        )
    if x.size < 2:
        raise ConfigError(f"need at least 2 batches, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ConfigError("numerators and denominators must be finite")
    ysum = float(y.sum())
    if ysum <= 0:
        raise ConfigError(f"denominators must sum to > 0, got {ysum}")
    r = float(x.sum()) / ysum
    b = x.size
    d = x - r * y
    se = math.sqrt(float(np.sum(d * d)) / (b - 1) / b) / (ysum / b)
    t = float(_st.t.ppf(0.5 + lev / 2.0, b - 1))
    return Estimate(r, r - t * se, r + t * se)


def proportion_test(k: int, n: int, p0: float) -> float:
    """Two-sided p-value for ``k`` successes in ``n`` trials if the probability is ``p0``.

    Exact binomial test (:func:`scipy.stats.binomtest`). A small p-value (say below
    0.001) means the simulated frequency rejects ``p0``.

    Parameters
    ----------
    k : int
        Successes, ``0 <= k <= n``.
    n : int
        Trials, ``>= 1``.
    p0 : float
        Claimed success probability in [0, 1].

    Returns
    -------
    float
        The p-value in [0, 1].

    Raises
    ------
    ConfigError
        If ``n < 1``, ``k`` is outside [0, n] or ``p0`` is outside [0, 1].

    Examples
    --------
    >>> proportion_test(50, 100, 0.5)
    1.0
    >>> proportion_test(80, 100, 0.5) < 1e-6
    True
    """
    n = _int("n", n, 1)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= n:
        raise ConfigError(f"k must be an integer in [0, n={n}], got {k!r}")
    if isinstance(p0, bool) or not isinstance(p0, int | float | np.floating) or not 0 <= p0 <= 1:
        raise ConfigError(f"p0 must be in [0, 1], got {p0!r}")
    return float(_st.binomtest(int(k), n, float(p0)).pvalue)
