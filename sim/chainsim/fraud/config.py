"""The settings of an investment scheme, validated, with named presets.

A :class:`SchemeConfig` describes one scheme: who can join and how fast people are
recruited, what each participant pays in, what is promised to them ("static income", a
fixed daily return, and "dynamic income", commissions on the deposits of the people they
recruit, several levels deep), when they may take money out, and what the operator
takes. ``payout_rule`` decides what kind of scheme it is:

``"promised"``
    Participants are owed what was promised, whatever the scheme holds. With no real
    investment behind it (``external_yield_daily = 0``) this is a Ponzi or pyramid
    scheme: old participants can only be paid with new participants' money.
``"asset-backed"``
    A legitimate fund: each participant owns a share of the money actually held, which
    earns a real external yield. Paying someone can never take another person's money.

Every field carries metadata (label, unit, min, max) that widgets read to build sliders.
Money is in yuan (¥), time in days, rates and shares are fractions (0.005 is 0.5 %).

Examples
--------
>>> cfg = get_preset("ponzi-classic")
>>> cfg.daily_return, cfg.payout_rule
(0.01, 'promised')
>>> SchemeConfig(daily_return=-0.01)
Traceback (most recent call last):
...
chainsim.errors.ConfigError: daily_return must be >= 0, got -0.01
>>> SchemeConfig(operator_cut=1.5)
Traceback (most recent call last):
...
chainsim.errors.ConfigError: operator_cut must be <= 1, got 1.5
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from chainsim.config import _Validated, describe_fields, meta
from chainsim.errors import ConfigError, ScenarioError

__all__ = [
    "EXIT_RULES",
    "PAYOUT_RULES",
    "PRESETS",
    "RECRUITER_CHOICES",
    "RECRUITMENT_MODELS",
    "SchemeConfig",
    "commission_schedule",
    "describe_scheme_fields",
    "get_preset",
    "list_presets",
]

PAYOUT_RULES = ("promised", "asset-backed")
RECRUITMENT_MODELS = ("bass", "fixed")
RECRUITER_CHOICES = ("uniform", "newest")
EXIT_RULES = ("never", "at-day", "reserves-drawdown")

#: Most commission levels a scheme may have (PlusToken paid "dynamic income" on up to
#: about 10 levels; deeper schedules only add columns of zeros).
MAX_COMMISSION_LEVELS = 50


@dataclass(frozen=True, slots=True)
class SchemeConfig(_Validated):
    """One investment scheme: recruitment, deposits, promises, withdrawals, operator.

    The simulation runs in whole days. Each day, in this order: promised static income
    is credited (to members who joined on an earlier day) and the reserves earn the
    external yield and pay the management fee; new members join and deposit (the
    operator keeps ``operator_cut`` of each deposit; commissions are credited up the
    recruitment tree); members ask to withdraw and are paid from the reserves; the
    operator may exit with the reserves. If the requests of a day exceed the reserves,
    the scheme collapses: the reserves are shared pro rata among that day's requests
    and all other claims are lost.

    Parameters are described by their field metadata (see
    :func:`describe_scheme_fields`); money is in yuan, time in days.

    Examples
    --------
    >>> SchemeConfig().population
    10000
    >>> round(SchemeConfig(commission_rates=(0.1, 0.05)).commission_total, 3)
    0.15
    >>> SchemeConfig(n_founders=20, population=10)
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: n_founders must be <= population (10), got 20
    """

    _section: ClassVar[str] = ""

    payout_rule: str = field(
        default="promised",
        metadata=meta(
            "Payout rule",
            choices=PAYOUT_RULES,
            help="'promised': fixed promises paid from whatever money there is (Ponzi); "
            "'asset-backed': each member owns a share of real assets (legitimate fund)",
        ),
    )
    n_days: int = field(
        default=730, metadata=meta("Days simulated", unit="days", min=1, max=10_000)
    )
    # --- recruitment ---------------------------------------------------------------
    population: int = field(
        default=10_000,
        metadata=meta(
            "Potential participants",
            min=1,
            max=2_000_000,
            log=True,
            help="Everyone who could ever join; recruitment slows as it runs out",
        ),
    )
    n_founders: int = field(
        default=10, metadata=meta("Founding members (day 0)", min=0, max=2_000_000)
    )
    recruitment: str = field(
        default="bass",
        metadata=meta(
            "Recruitment model",
            choices=RECRUITMENT_MODELS,
            help="'bass': word of mouth, grows with members then saturates; "
            "'fixed': arrivals_per_day new members every day",
        ),
    )
    spontaneous_rate: float = field(
        default=0.0002,
        metadata=meta(
            "Joining on one's own",
            unit="1/day",
            min=0.0,
            max=1.0,
            step=0.0001,
            help="Daily chance that a non-member joins without being recruited (Bass p)",
        ),
    )
    contagion_rate: float = field(
        default=0.05,
        metadata=meta(
            "Recruitment rate",
            unit="1/day",
            min=0.0,
            max=10.0,
            step=0.005,
            help="Daily recruiting pull of the membership (Bass q): a non-member joins "
            "with chance q * members / population",
        ),
    )
    arrivals_per_day: int = field(
        default=10,
        metadata=meta("New members per day ('fixed')", unit="1/day", min=0, max=1_000_000),
    )
    recruiter_choice: str = field(
        default="uniform",
        metadata=meta(
            "Who recruits",
            choices=RECRUITER_CHOICES,
            help="'uniform': any earlier member (a bushy tree); 'newest': the newest "
            "member (a chain)",
        ),
    )
    # --- money in ------------------------------------------------------------------
    deposit_yuan: float = field(
        default=5_000.0,
        metadata=meta("Mean deposit", unit="¥", min=0.0, min_exclusive=True, max=1e9, log=True),
    )
    deposit_sigma: float = field(
        default=0.5,
        metadata=meta(
            "Deposit spread",
            min=0.0,
            max=3.0,
            step=0.1,
            help="Log-normal sigma of deposits around the mean (0: everyone pays the same)",
        ),
    )
    # --- promises ------------------------------------------------------------------
    daily_return: float = field(
        default=0.005,
        metadata=meta(
            "Promised daily return (static income)",
            unit="1/day",
            min=0.0,
            max=1.0,
            step=0.001,
            help="0.005 is 0.5 % a day; 'promised' schemes only",
        ),
    )
    compounding: bool = field(
        default=False,
        metadata=meta(
            "Compound the promised return",
            help="True: the return is paid on the whole balance; False: on the deposit",
        ),
    )
    commission_rates: tuple[float, ...] = field(
        default=(),
        metadata=meta(
            "Commission by level (dynamic income)",
            min=0.0,
            max=1.0,
            help="Share of each recruit's deposit credited to the recruiter (level 1), "
            "the recruiter's recruiter (level 2), ...",
        ),
    )
    # --- money out -----------------------------------------------------------------
    lockup_days: int = field(
        default=0,
        metadata=meta(
            "Lock-up",
            unit="days",
            min=0,
            max=10_000,
            help="No withdrawals in the first lockup_days after joining",
        ),
    )
    principal_withdrawable: bool = field(
        default=False,
        metadata=meta(
            "Deposit can be withdrawn",
            help="False: only income can be taken out until the scheme is wound up "
            "('promised' schemes)",
        ),
    )
    min_withdrawal_yuan: float = field(
        default=100.0,
        metadata=meta(
            "Withdrawal threshold",
            unit="¥",
            min=0.0,
            max=1e9,
            help="Smallest amount that may be withdrawn",
        ),
    )
    withdraw_prob: float = field(
        default=0.1,
        metadata=meta(
            "Chance of withdrawing on a day",
            unit="1/day",
            min=0.0,
            max=1.0,
            step=0.01,
        ),
    )
    withdraw_fraction: float = field(
        default=1.0,
        metadata=meta(
            "Share of the balance withdrawn",
            min=0.0,
            min_exclusive=True,
            max=1.0,
            step=0.05,
        ),
    )
    # --- operator and real assets --------------------------------------------------
    operator_cut: float = field(
        default=0.1,
        metadata=meta(
            "Operator's cut of each deposit",
            min=0.0,
            max=1.0,
            step=0.01,
        ),
    )
    management_fee_daily: float = field(
        default=0.0,
        metadata=meta(
            "Management fee",
            unit="1/day",
            min=0.0,
            max=1.0,
            step=0.0001,
            help="Share of the reserves the operator takes each day",
        ),
    )
    external_yield_daily: float = field(
        default=0.0,
        metadata=meta(
            "Real investment yield",
            unit="1/day",
            min=-0.1,
            max=0.1,
            step=0.0001,
            help="What the reserves earn from a real investment (0 for a Ponzi)",
        ),
    )
    yield_volatility_daily: float = field(
        default=0.0,
        metadata=meta(
            "Yield volatility",
            unit="1/day",
            min=0.0,
            max=0.5,
            step=0.001,
            help="Standard deviation of the daily yield",
        ),
    )
    operator_exit: str = field(
        default="never",
        metadata=meta(
            "Operator exit",
            choices=EXIT_RULES,
            help="'at-day': runs off with the reserves on exit_day; 'reserves-drawdown': "
            "when the reserves fall exit_drawdown below their peak",
        ),
    )
    exit_day: int = field(default=365, metadata=meta("Exit day", unit="days", min=0, max=10_000))
    exit_drawdown: float = field(
        default=0.2,
        metadata=meta("Exit after reserves fall by", min=0.0, max=1.0, step=0.05),
    )
    wind_up_at_end: bool = field(
        default=True,
        metadata=meta(
            "Wind up on the last day",
            help="If still running on the last day, share out the reserves against all claims",
        ),
    )

    def _check(self) -> None:
        if self.n_founders > self.population:
            raise ConfigError(
                f"n_founders must be <= population ({self.population}), got {self.n_founders}"
            )
        if len(self.commission_rates) > MAX_COMMISSION_LEVELS:
            raise ConfigError(
                f"commission_rates must have at most {MAX_COMMISSION_LEVELS} levels, "
                f"got {len(self.commission_rates)}"
            )
        if self.payout_rule == "asset-backed":
            total = self.operator_cut + self.commission_total
            if total > 1.0 + 1e-12:
                raise ConfigError(
                    "operator_cut + sum(commission_rates) must be <= 1 for an "
                    f"asset-backed fund (both come out of the deposit), got {total:g}"
                )

    @property
    def commission_total(self) -> float:
        """Sum of the commission rates over all levels (share of a deposit)."""
        return float(sum(self.commission_rates))

    @property
    def commission_levels(self) -> int:
        """Number of levels that earn commission."""
        return len(self.commission_rates)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SchemeConfig:
        """Build from a plain mapping (unknown keys are errors), the inverse of ``to_dict``.

        >>> SchemeConfig.from_dict({"daily_return": 0.01}).daily_return
        0.01
        >>> SchemeConfig.from_dict({"daily_retrun": 0.01})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        chainsim.errors.ConfigError: unknown parameter 'daily_retrun'; allowed: ...
        """
        if not isinstance(data, Mapping):
            raise ConfigError(f"a scheme config must be a mapping, got {data!r}")
        names = [f.name for f in dataclasses.fields(cls)]
        for key in data:
            if key not in names:
                raise ConfigError(f"unknown parameter {key!r}; allowed: {', '.join(names)}")
        return cls(**dict(data))


def commission_schedule(levels: int, first_rate: float, decay: float = 1.0) -> tuple[float, ...]:
    """Commission rates for ``levels`` levels: ``first_rate * decay**(level - 1)``.

    A convenience for sliders ("levels" and "rate") that builds ``commission_rates``.

    Parameters
    ----------
    levels
        Number of levels paid (0: no dynamic income).
    first_rate
        Share of a recruit's deposit paid to the direct recruiter, in [0, 1].
    decay
        Factor from one level to the next, in [0, 1] (1: every level gets the same).

    Examples
    --------
    >>> commission_schedule(3, 0.1, 0.5)
    (0.1, 0.05, 0.025)
    >>> commission_schedule(-1, 0.1)
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: levels must be >= 0 and <= 50, got -1
    """
    if (
        isinstance(levels, bool)
        or not isinstance(levels, int)
        or not (0 <= levels <= MAX_COMMISSION_LEVELS)
    ):
        raise ConfigError(f"levels must be >= 0 and <= {MAX_COMMISSION_LEVELS}, got {levels!r}")
    for name, value in (("first_rate", first_rate), ("decay", decay)):
        if not isinstance(value, int | float) or math.isnan(value) or not 0.0 <= value <= 1.0:
            raise ConfigError(f"{name} must be between 0 and 1, got {value!r}")
    return tuple(float(first_rate) * float(decay) ** k for k in range(levels))


def describe_scheme_fields() -> list[dict[str, Any]]:
    """Name, default and widget metadata of every :class:`SchemeConfig` field.

    >>> d = {f["name"]: f for f in describe_scheme_fields()}
    >>> d["daily_return"]["unit"], d["daily_return"]["max"]
    ('1/day', 1.0)
    """
    return describe_fields(SchemeConfig)


@dataclass(frozen=True, slots=True)
class _Preset:
    title: str
    title_zh: str
    description: str
    values: dict[str, Any]


#: Named presets: title (English, Chinese), a description, and the values that differ
#: from the defaults.
PRESETS: dict[str, _Preset] = {
    "ponzi-classic": _Preset(
        "Classic Ponzi scheme",
        "经典庞氏骗局",
        "A fixed 1 % a day on the deposit, no real investment; members withdraw their "
        "income, the deposit stays locked. Old members are paid with new members' money.",
        {
            "payout_rule": "promised",
            "daily_return": 0.01,
            "commission_rates": (),
            "operator_cut": 0.1,
            "withdraw_prob": 0.1,
            "principal_withdrawable": False,
        },
    ),
    "pyramid-mlm": _Preset(
        "Pyramid scheme with static and dynamic income",
        "带静态收益和动态收益的传销式骗局",
        "The pattern of China's 2018 risk notice on illegal fund-raising under the name "
        "of 'blockchain': a daily 'static income' of 0.5 % plus 'dynamic income' from "
        "recruits three levels deep, a 30-day lock-up and a withdrawal threshold.",
        {
            "payout_rule": "promised",
            "daily_return": 0.005,
            "commission_rates": (0.1, 0.05, 0.03),
            "lockup_days": 30,
            "min_withdrawal_yuan": 500.0,
            "operator_cut": 0.15,
            "withdraw_prob": 0.1,
            "contagion_rate": 0.06,
        },
    ),
    "ponzi-exit-scam": _Preset(
        "Ponzi scheme whose operator runs away",
        "运营者卷款跑路的庞氏骗局",
        "Like the classic Ponzi, but the operator disappears with the reserves once they "
        "have fallen 10 % below their peak.",
        {
            "payout_rule": "promised",
            "daily_return": 0.01,
            "operator_cut": 0.1,
            "operator_exit": "reserves-drawdown",
            "exit_drawdown": 0.1,
        },
    ),
    "legitimate-fund": _Preset(
        "Legitimate investment fund",
        "合法投资基金",
        "Members own shares of real assets earning about 5 % a year with small daily "
        "swings, minus a 0.5 % a year management fee; no entry fee, no commissions. "
        "What you get back does not depend on anyone joining after you.",
        {
            "payout_rule": "asset-backed",
            "daily_return": 0.0,
            "commission_rates": (),
            "operator_cut": 0.0,
            "management_fee_daily": 0.005 / 365,
            "external_yield_daily": 0.05 / 365,
            "yield_volatility_daily": 0.001,
            "withdraw_prob": 0.01,
            "withdraw_fraction": 0.5,
            "principal_withdrawable": True,
            "min_withdrawal_yuan": 0.0,
        },
    ),
}


def list_presets() -> list[str]:
    """Names of the presets.

    >>> list_presets()
    ['ponzi-classic', 'pyramid-mlm', 'ponzi-exit-scam', 'legitimate-fund']
    """
    return list(PRESETS)


def get_preset(name: str, **changes: Any) -> SchemeConfig:
    """The config of a preset, optionally with some fields changed.

    Raises
    ------
    ScenarioError
        For an unknown name (the message lists the known ones).

    Examples
    --------
    >>> get_preset("pyramid-mlm").commission_rates
    (0.1, 0.05, 0.03)
    >>> get_preset("legitimate-fund", population=500).population
    500
    >>> get_preset("madoff")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainsim.errors.ScenarioError: unknown scheme preset 'madoff'; known: ponzi-classic, ...
    """
    preset = PRESETS.get(name) if isinstance(name, str) else None
    if preset is None:
        raise ScenarioError(f"unknown scheme preset {name!r}; known: {', '.join(PRESETS)}")
    return SchemeConfig.from_dict({**preset.values, **changes})
