"""Closed forms: the arithmetic that dooms a scheme promising fixed high returns.

Two facts need no simulation:

* **Compounding.** A promise of ``r`` per day kept for ``d`` days multiplies money by
  ``(1 + r) ** d``: 0.5 % a day is about 6.2 times in a year, 38 times in two.
* **The recruitment a scheme needs.** With no real investment, the only money to pay
  the promised income is new deposits. If the members hold principal ``P`` and take
  their income ``r * P`` out every day, and each new deposit ``D`` loses a share ``c``
  to the operator and a share ``k`` to recruitment commissions, the day's inflow
  must satisfy ``(1 - c - k) * D = r * P``. Every deposit becomes principal that is
  owed income too, so ``P`` and with it the required inflow grow by the factor
  ``g = 1 + r / (1 - c - k)`` every day: geometric growth, which a finite population
  cannot supply for long.

Money is in yuan, time in days; rates are fractions per day.
"""

from __future__ import annotations

import math

import numpy as np

from chainsim.errors import ConfigError

__all__ = [
    "break_even_days",
    "compound_growth",
    "days_to_double",
    "days_until_saturation",
    "promised_liabilities",
    "required_growth_factor",
    "required_inflow",
    "required_recruits",
]


def _rate(name: str, value: float, *, lo: float = 0.0, hi: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or not lo <= value <= hi:
        raise ConfigError(f"{name} must be >= {lo:g} and <= {hi:g}, got {value!r}")
    return value


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ConfigError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


def compound_growth(daily_rate: float, days: float) -> float:
    """How many times money grows at ``daily_rate`` compounded over ``days`` days.

    Parameters
    ----------
    daily_rate
        Return per day as a fraction (0.005 is 0.5 %), in [0, 1].
    days
        Number of days (>= 0; fractions allowed).

    Returns
    -------
    float
        ``(1 + daily_rate) ** days``.

    Examples
    --------
    >>> round(compound_growth(0.005, 365), 2)   # 0.5 % a day: about 6.2x a year
    6.17
    >>> round(compound_growth(0.01, 365), 1)    # 1 % a day: 37.8x a year
    37.8
    >>> compound_growth(-0.1, 10)
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: daily_rate must be >= 0 and <= 1, got -0.1
    """
    r = _rate("daily_rate", daily_rate)
    d = _rate("days", days, hi=math.inf)
    return float((1.0 + r) ** d)


def days_to_double(daily_rate: float) -> float:
    """Days until money doubles at ``daily_rate`` compounded.

    >>> round(days_to_double(0.005), 1)
    139.0
    """
    r = _rate("daily_rate", daily_rate)
    if r == 0:
        return math.inf
    return math.log(2.0) / math.log1p(r)


def break_even_days(daily_rate: float) -> int:
    """Days of simple (non-compounded) income a member needs to get the deposit back.

    A member who withdraws only the promised income has recovered the deposit after
    ``ceil(1 / daily_rate)`` days; anyone who joins later than that many days before a
    collapse loses money.

    >>> break_even_days(0.005)
    200
    >>> break_even_days(0.01)
    100
    """
    r = _rate("daily_rate", daily_rate)
    if r == 0:
        raise ConfigError("daily_rate must be > 0 to ever break even, got 0.0")
    return math.ceil(1.0 / r - 1e-9)


def promised_liabilities(
    daily_inflow: float, daily_rate: float, days: int, *, compounding: bool = True
) -> float:
    """What a scheme owes after ``days`` days of a constant inflow and no withdrawals.

    ``daily_inflow`` is deposited at the end of each day; promised income is credited
    each day on what earlier days brought (compounded on the balance, or simple on the
    deposits).

    Parameters
    ----------
    daily_inflow
        Deposits per day (¥, >= 0).
    daily_rate
        Promised return per day (fraction in [0, 1]).
    days
        Number of days with deposits (>= 0).
    compounding
        True: ``D * ((1 + r) ** days - 1) / r``; False: ``D * days + r * D *
        days * (days - 1) / 2``.

    Examples
    --------
    >>> promised_liabilities(100.0, 0.0, 10)
    1000.0
    >>> round(promised_liabilities(100.0, 0.01, 2), 2)   # 100 * 1.01 + 100
    201.0
    >>> round(promised_liabilities(100.0, 0.01, 3, compounding=False), 2)
    303.0
    """
    d = _rate("daily_inflow", daily_inflow, hi=math.inf)
    r = _rate("daily_rate", daily_rate)
    n = _count("days", days)
    if not compounding:
        return d * n + r * d * n * (n - 1) / 2.0
    if r == 0:
        return d * n
    return d * math.expm1(n * math.log1p(r)) / r


def required_growth_factor(
    daily_return: float, *, operator_cut: float = 0.0, commission_total: float = 0.0
) -> float:
    """Daily growth factor of the deposits a scheme needs to keep paying its promises.

    ``g = 1 + daily_return / (1 - operator_cut - commission_total)``.

    Examples
    --------
    >>> required_growth_factor(0.005)
    1.005
    >>> round(required_growth_factor(0.005, operator_cut=0.15, commission_total=0.18), 5)
    1.00746
    >>> required_growth_factor(0.005, operator_cut=0.6, commission_total=0.4)
    inf
    """
    r = _rate("daily_return", daily_return)
    c = _rate("operator_cut", operator_cut)
    k = _rate("commission_total", commission_total, hi=math.inf)
    kept = 1.0 - c - k
    if kept <= 0:
        return math.inf if r > 0 else 1.0
    return 1.0 + r / kept


def required_inflow(
    daily_return: float,
    principal: float,
    days: int,
    *,
    operator_cut: float = 0.0,
    commission_total: float = 0.0,
) -> np.ndarray:
    """New deposits needed on each of the next ``days`` days to pay the promised income.

    The members hold ``principal`` (¥) and take their income out every day; each new
    deposit becomes principal too. Day ``t`` (0-based) needs
    ``daily_return * principal * g ** t / (1 - operator_cut - commission_total)``.

    Parameters
    ----------
    daily_return
        Promised return per day on principal (fraction, in [0, 1]).
    principal
        Principal owed income at the start (¥, >= 0).
    days
        How many days to compute.
    operator_cut, commission_total
        Shares of each new deposit kept by the operator or credited as commissions
        (which members also withdraw).

    Returns
    -------
    numpy.ndarray
        Required deposits per day (¥), length ``days``; each is ``g`` times the last.

    Examples
    --------
    >>> need = required_inflow(0.005, 1_000_000, 366)
    >>> round(float(need[0])), round(float(need[365]))
    (5000, 30873)
    >>> bool(np.allclose(need[1:] / need[:-1], 1.005))
    True
    """
    r = _rate("daily_return", daily_return)
    p = _rate("principal", principal, hi=math.inf)
    n = _count("days", days)
    g = required_growth_factor(r, operator_cut=operator_cut, commission_total=commission_total)
    if math.isinf(g):
        raise ConfigError(
            "operator_cut + commission_total must be < 1, or no inflow can pay the "
            f"promises; got {operator_cut + commission_total:g}"
        )
    first = r * p / (1.0 - operator_cut - commission_total)
    return first * g ** np.arange(n, dtype=np.float64)


def required_recruits(
    daily_return: float,
    principal: float,
    days: int,
    deposit_yuan: float,
    *,
    operator_cut: float = 0.0,
    commission_total: float = 0.0,
) -> np.ndarray:
    """New members needed per day: :func:`required_inflow` divided by the deposit.

    >>> need = required_recruits(0.01, 100 * 5_000, 200, 5_000)
    >>> round(float(need[0]), 2), round(float(need[-1]), 1)
    (1.0, 7.2)
    """
    dep = _rate("deposit_yuan", deposit_yuan, hi=math.inf)
    if dep <= 0:
        raise ConfigError(f"deposit_yuan must be > 0, got {deposit_yuan!r}")
    return (
        required_inflow(
            daily_return,
            principal,
            days,
            operator_cut=operator_cut,
            commission_total=commission_total,
        )
        / dep
    )


def days_until_saturation(
    daily_return: float,
    principal: float,
    population: int,
    deposit_yuan: float,
    *,
    operator_cut: float = 0.0,
    commission_total: float = 0.0,
) -> float:
    """Days until the required recruits add up to the whole ``population``.

    The cumulative required inflow over ``T`` days is ``principal * (g ** T - 1)``,
    so ``T = log(1 + population * deposit_yuan / principal) / log(g)``. After that,
    even recruiting everyone cannot pay the promises.

    Examples
    --------
    >>> round(days_until_saturation(0.01, 10 * 5_000, 10_000, 5_000))
    694
    >>> round(days_until_saturation(0.01, 10 * 5_000, 1_000_000, 5_000))
    1157
    """
    g = required_growth_factor(
        daily_return, operator_cut=operator_cut, commission_total=commission_total
    )
    p = _rate("principal", principal, hi=math.inf)
    m = _count("population", population)
    dep = _rate("deposit_yuan", deposit_yuan, hi=math.inf)
    if p <= 0:
        raise ConfigError(f"principal must be > 0, got {principal!r}")
    if g == 1.0:
        return math.inf
    if math.isinf(g):
        return 0.0
    return math.log1p(m * dep / p) / math.log(g)
