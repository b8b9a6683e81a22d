"""The scheme simulation: SimPy processes over whole days.

Four SimPy processes share one scheme and take turns every day, always in this order:

1. **income** credits the promised static income to members who joined on an earlier
   day (on the deposit, or on the whole balance when compounding), lets the reserves
   earn the external yield, and pays the operator's management fee;
2. **recruitment** brings in new members (Bass-like word of mouth from a finite
   population, a fixed number a day, or an explicit list), takes their deposits (the
   operator keeps its cut) and credits commissions to the recruiters above them;
3. **withdrawals** pays the members who ask for money, if the reserves allow; if the
   requests exceed the reserves the scheme **collapses**: the reserves are shared pro
   rata among that day's requests and every remaining claim is lost;
4. **operator** may run off with the reserves (an exit rule), winds the scheme up on
   the last day, and records the day.

Everything is kept in numpy arrays (one entry per participant) so that a scheme with
10,000 participants over two years runs in a fraction of a second. Money is in yuan.

The cash identity holds after every day, for any parameters::

    cum_deposits + cum_yield_income == cum_withdrawals + cum_operator_take + reserves

Examples
--------
>>> from chainsim.fraud import get_preset, simulate_scheme
>>> res = simulate_scheme(get_preset("ponzi-classic", population=2000), seed=1)
>>> res.outcome, res.collapse_day is not None
('collapsed', True)
>>> row = res.cashflows.iloc[-1]
>>> bool(abs(row.cum_deposits + row.cum_yield_income
...          - row.cum_withdrawals - row.cum_operator_take - row.reserves) < 1e-6)
True
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

from chainsim.errors import ChainSimError, ConfigError
from chainsim.fraud.config import SchemeConfig
from chainsim.results import atomic_write_dir
from chainsim.rng import RandomStreams, SeedLike

__all__ = [
    "CASHFLOW_COLUMNS",
    "LOSS_TOLERANCE_YUAN",
    "OUTCOMES",
    "PARTICIPANT_COLUMNS",
    "ExitRule",
    "SchemeResults",
    "simulate_scheme",
]

#: A participant "lost money" when ``net`` is below minus half a cent; smaller
#: differences are floating-point rounding.
LOSS_TOLERANCE_YUAN = 0.005

#: Column order of the participants table (one row per participant).
PARTICIPANT_COLUMNS: tuple[str, ...] = (
    "participant_id",
    "join_day",
    "recruiter_id",
    "level",
    "n_recruits",
    "paid_in",
    "static_income",
    "dynamic_income",
    "paid_out",
    "claim_left",
    "net",
)

#: Column order of the cashflows table (one row per simulated day).
CASHFLOW_COLUMNS: tuple[str, ...] = (
    "day",
    "new_members",
    "members",
    "deposits",
    "yield_income",
    "withdrawals",
    "operator_take",
    "reserves",
    "liabilities",
    "cum_deposits",
    "cum_yield_income",
    "cum_withdrawals",
    "cum_operator_take",
    "winners",
    "losers",
)

#: How a run can end.
OUTCOMES: dict[str, str] = {
    "collapsed": "withdrawal requests exceeded the reserves",
    "operator-exit": "the operator ran off with the reserves",
    "wound-up": "wound up on the last day and every claim was paid in full",
    "wound-up-short": "wound up on the last day but the reserves could not pay every claim",
    "running": "still running on the last day",
}

#: A custom exit rule: called once a day after the withdrawals with the day's state
#: (``day``, ``members``, ``reserves``, ``peak_reserves``, ``liabilities``,
#: ``deposits``, ``withdrawals``, ``new_members``, ``cum_deposits``); True makes the
#: operator run off with the reserves.
ExitRule = Callable[[Mapping[str, float]], bool]


@dataclass
class SchemeResults:
    """Tidy tables of one scheme run.

    Attributes
    ----------
    participants : pandas.DataFrame
        One row per participant (columns :data:`PARTICIPANT_COLUMNS`):
        ``participant_id`` (0, 1, ... in joining order), ``join_day``,
        ``recruiter_id`` (-1: joined on their own), ``level`` (depth in the recruitment
        tree, 1 for those who joined on their own), ``n_recruits`` (direct recruits),
        ``paid_in`` (the deposit, ¥), ``static_income`` and ``dynamic_income`` (¥
        credited: promised return, or investment gain for an asset-backed fund; and
        commissions), ``paid_out`` (¥ actually received), ``claim_left`` (¥ still owed
        but never paid: lost at a collapse), ``net`` (``paid_out - paid_in``).
    cashflows : pandas.DataFrame
        One row per day until the end of the run (columns :data:`CASHFLOW_COLUMNS`):
        ``day``, ``new_members``, ``members`` (joined so far), the day's ``deposits``,
        ``yield_income``, ``withdrawals`` (paid) and ``operator_take`` (¥), end-of-day
        ``reserves`` and ``liabilities`` (¥ promised to members), cumulative sums
        ``cum_*``, and ``winners`` / ``losers``: members who so far got back more / less
        than they paid in.
    collapse_day : int or None
        The day the scheme collapsed or the operator left; None otherwise.
    outcome : str
        One of :data:`OUTCOMES`.
    config : SchemeConfig
        The configuration that was run.
    meta : dict
        ``seed`` (root entropy), ``config``, ``chainsim_version``, ``wall_time_s``,
        ``n_participants``, ``n_days_run``, ``payout_ratio_at_end``, ``engine``.
    """

    participants: pd.DataFrame
    cashflows: pd.DataFrame
    collapse_day: int | None
    outcome: str
    config: SchemeConfig
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int | None:
        """The root seed (entropy) that repeats this run."""
        return self.meta.get("seed")

    @property
    def collapsed(self) -> bool:
        """True when the scheme collapsed or the operator ran off."""
        return self.collapse_day is not None

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``participants.csv``, ``cashflows.csv`` and ``meta.json``, atomically."""
        names = {"participants.csv", "cashflows.csv", "meta.json"}
        meta = {
            **self.meta,
            "collapse_day": self.collapse_day,
            "outcome": self.outcome,
            "config": self.config.to_dict(),
        }

        def write(tmp: Path) -> None:
            self.participants.to_csv(tmp / "participants.csv", index=False)
            self.cashflows.to_csv(tmp / "cashflows.csv", index=False)
            (tmp / "meta.json").write_text(
                json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )

        return atomic_write_dir(directory, write, allowed=names)

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> SchemeResults:
        """Read results written by :meth:`save`."""
        d = Path(directory)
        if not (d / "meta.json").is_file():
            raise ChainSimError(f"no scheme results in {str(d)!r}: meta.json is missing")
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        config = SchemeConfig.from_dict(
            {k: tuple(v) if isinstance(v, list) else v for k, v in meta["config"].items()}
        )
        return cls(
            participants=pd.read_csv(d / "participants.csv"),
            cashflows=pd.read_csv(d / "cashflows.csv"),
            collapse_day=meta.get("collapse_day"),
            outcome=meta.get("outcome", "running"),
            config=config,
            meta=meta,
        )


def simulate_scheme(
    config: SchemeConfig,
    seed: SeedLike = None,
    *,
    arrivals: pd.DataFrame | Sequence[Any] | None = None,
    exit_rule: ExitRule | None = None,
) -> SchemeResults:
    """Run one investment scheme and return its tables.

    Parameters
    ----------
    config
        The scheme (see :class:`~chainsim.fraud.SchemeConfig` and its presets).
    seed
        Non-negative int, :class:`numpy.random.SeedSequence` or None (fresh entropy,
        recorded in ``meta["seed"]``). Separate streams are used for recruitment,
        recruiters, deposits, withdrawals and the yield.
    arrivals
        Optional explicit list of who joins when, replacing the recruitment model:
        a DataFrame with a ``day`` column and optional ``recruiter_id`` (-1 or the id,
        i.e. row number, of an earlier arrival) and ``deposit`` (¥) columns, or a
        sequence of ``day``, ``(day, recruiter_id)`` or ``(day, recruiter_id,
        deposit)`` items. Days must not decrease. Missing deposits are drawn from the
        config.
    exit_rule
        Optional custom operator exit rule (see :data:`ExitRule`), checked every day
        in addition to ``config.operator_exit``.

    Returns
    -------
    SchemeResults

    Raises
    ------
    ConfigError
        If ``config`` is not a SchemeConfig or ``arrivals`` is malformed.

    Examples
    --------
    One founder pays ¥1,000 for a promised 1 % a day and takes the income out every
    day; one newcomer a day pays ¥10. The income owed soon outgrows the ¥10 a day
    coming in, and on the last day the reserves cannot repay everyone:

    >>> cfg = SchemeConfig(n_days=30, daily_return=0.01, operator_cut=0.0,
    ...                    withdraw_prob=1.0, min_withdrawal_yuan=0.0, deposit_sigma=0)
    >>> arrivals = [(0, -1, 1000.0)] + [(d, 0, 10.0) for d in range(1, 30)]
    >>> res = simulate_scheme(cfg, seed=0, arrivals=arrivals)
    >>> res.cashflows.withdrawals.head(3).round(2).tolist()
    [0.0, 10.0, 10.1]
    >>> res.outcome
    'wound-up-short'
    """
    if not isinstance(config, SchemeConfig):
        raise ConfigError(f"config must be a SchemeConfig, got {type(config).__name__}")
    if exit_rule is not None and not callable(exit_rule):
        raise ConfigError(f"exit_rule must be a function of the day's state, got {exit_rule!r}")
    streams = RandomStreams(seed)
    schedule = _parse_arrivals(arrivals, config) if arrivals is not None else None
    t0 = time.perf_counter()
    model = _Scheme(config, streams, schedule, exit_rule)
    model.run()
    wall = time.perf_counter() - t0
    return model.results(wall, streams.entropy)


@dataclass(frozen=True)
class _Schedule:
    day: np.ndarray  # int64, non-decreasing
    recruiter: np.ndarray  # int64, -1 or an earlier index
    deposit: np.ndarray  # float64, NaN: draw from the config


def _parse_arrivals(arrivals: Any, config: SchemeConfig) -> _Schedule:
    if isinstance(arrivals, pd.DataFrame):
        if "day" not in arrivals.columns:
            raise ConfigError(
                f"arrivals must have a 'day' column, got columns {list(arrivals.columns)}"
            )
        n = len(arrivals)
        days = arrivals["day"].to_numpy()
        recs = (
            arrivals["recruiter_id"].to_numpy()
            if "recruiter_id" in arrivals.columns
            else np.full(n, -1)
        )
        deps = (
            arrivals["deposit"].to_numpy(dtype=float)
            if "deposit" in arrivals.columns
            else np.full(n, np.nan)
        )
    elif isinstance(arrivals, Sequence) and not isinstance(arrivals, str):
        rows = []
        for i, item in enumerate(arrivals):
            tup = (
                tuple(item) if isinstance(item, Sequence) and not isinstance(item, str) else (item,)
            )
            if not 1 <= len(tup) <= 3:
                raise ConfigError(
                    f"arrivals[{i}] must be day, (day, recruiter_id) or "
                    f"(day, recruiter_id, deposit), got {item!r}"
                )
            rows.append((*tup, -1, math.nan)[:3] if len(tup) == 1 else (*tup, math.nan)[:3])
        n = len(rows)
        days = np.array([r[0] for r in rows], dtype=object)
        recs = np.array([r[1] for r in rows], dtype=object)
        deps = np.array([r[2] for r in rows], dtype=object)
    else:
        raise ConfigError(
            f"arrivals must be a DataFrame or a sequence of (day, recruiter_id, deposit), "
            f"got {type(arrivals).__name__}"
        )
    day_out = np.empty(n, dtype=np.int64)
    rec_out = np.empty(n, dtype=np.int64)
    dep_out = np.empty(n, dtype=np.float64)
    for i in range(n):
        d, r, p = _whole(days[i]), _whole(recs[i]), deps[i]
        if d is None:
            raise ConfigError(f"arrivals[{i}].day must be a whole number of days, got {days[i]!r}")
        if not 0 <= d < config.n_days:
            raise ConfigError(
                f"arrivals[{i}].day must be >= 0 and < n_days ({config.n_days}), got {d}"
            )
        if i and d < day_out[i - 1]:
            raise ConfigError(
                f"arrivals must be sorted by day; arrivals[{i}].day is {d} after {day_out[i - 1]}"
            )
        if r is None or not -1 <= r < i:
            raise ConfigError(
                f"arrivals[{i}].recruiter_id must be -1 or an earlier arrival's id "
                f"(0..{i - 1}), got {recs[i]!r}"
            )
        try:
            p = float(p)
        except (TypeError, ValueError):
            raise ConfigError(f"arrivals[{i}].deposit must be a number, got {p!r}") from None
        if not math.isnan(p) and not (p > 0 and math.isfinite(p)):
            raise ConfigError(f"arrivals[{i}].deposit must be > 0 yuan, got {p!r}")
        day_out[i], rec_out[i], dep_out[i] = d, r, p
    return _Schedule(day_out, rec_out, dep_out)


def _whole(x: Any) -> int | None:
    """``x`` as an int if it is a whole number (not a bool), else None."""
    if isinstance(x, bool | np.bool_):
        return None
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating) and math.isfinite(x) and float(x).is_integer():
        return int(x)
    return None


class _Scheme:
    """All state of one run; the SimPy processes are its generator methods."""

    def __init__(
        self,
        config: SchemeConfig,
        streams: RandomStreams,
        schedule: _Schedule | None,
        exit_rule: ExitRule | None,
    ) -> None:
        self.cfg = config
        self.streams = streams
        self.schedule = schedule
        self.exit_rule = exit_rule
        self.asset_backed = config.payout_rule == "asset-backed"
        self.rates = np.asarray(config.commission_rates, dtype=np.float64)
        if schedule is not None:
            cap = len(schedule.day)
            self._sched_bounds = np.searchsorted(
                schedule.day, np.arange(config.n_days + 1), side="left"
            )
        else:
            cap = config.population
        self.cap = cap
        self.join_day = np.zeros(cap, dtype=np.int64)
        self.recruiter = np.full(cap, -1, dtype=np.int64)
        self.level = np.zeros(cap, dtype=np.int64)
        self.n_recruits = np.zeros(cap, dtype=np.int64)
        self.paid_in = np.zeros(cap)
        self.principal = np.zeros(cap)  # promised: deposit not yet withdrawn
        self.earnings = np.zeros(cap)  # promised: income credited, not yet withdrawn
        self.units = np.zeros(cap)  # asset-backed: fund shares held
        self.invested = np.zeros(cap)  # value credited to own account on joining
        self.static = np.zeros(cap)
        self.dynamic = np.zeros(cap)
        self.paid_out = np.zeros(cap)
        self.n = 0
        self.total_units = 0.0
        self.reserves = 0.0
        self.peak_reserves = 0.0
        self.cum = {"deposits": 0.0, "yield_income": 0.0, "withdrawals": 0.0, "operator": 0.0}
        self.today = self._fresh_day()
        self.open = True
        self.outcome = "running"
        self.collapse_day: int | None = None
        self.payout_ratio_at_end: float | None = None
        self.rows: list[tuple[Any, ...]] = []
        self.env = simpy.Environment()

    # --- helpers ---------------------------------------------------------------------
    @staticmethod
    def _fresh_day() -> dict[str, float]:
        return {
            "new_members": 0,
            "deposits": 0.0,
            "yield_income": 0.0,
            "withdrawals": 0.0,
            "operator": 0.0,
        }

    def _nav(self) -> float:
        """Value of one fund share (asset-backed); 1 before anyone holds shares."""
        return self.reserves / self.total_units if self.total_units > 0 else 1.0

    def _claims(self, lo: int, hi: int) -> np.ndarray:
        if self.asset_backed:
            return self.units[lo:hi] * self._nav()
        return self.earnings[lo:hi] + self.principal[lo:hi]

    def _pay(self, n: int, mask: np.ndarray | None, pay: np.ndarray) -> None:
        """Pay ``pay`` (¥) to members ``0:n`` (where ``mask``) and reduce their claims."""
        pos = np.arange(n) if mask is None else np.nonzero(mask)[0]
        self.paid_out[pos] += pay
        if self.asset_backed:
            # redeem the paid share of each holding (x / x is exactly 1: a full
            # withdrawal leaves no fractional shares behind)
            value = self.units[pos] * self._nav()
            share = np.divide(pay, value, out=np.ones_like(pay), where=value > 0)
            self.units[pos] -= self.units[pos] * np.clip(share, 0.0, 1.0)
            self.total_units = float(self.units[: self.n].sum())
            self._settle_dust()
        else:
            from_earn = np.minimum(pay, self.earnings[pos])
            self.earnings[pos] -= from_earn
            self.principal[pos] = np.maximum(self.principal[pos] - (pay - from_earn), 0.0)

    def _settle_dust(self) -> None:
        """Treat a fund holding (nearly) nothing as empty.

        When the reserves are down to floating-point dust, the value of a share
        (dust / dust) is meaningless; the remaining shares are worth less than a
        billionth of the deposits and are cancelled, so a later depositor buys in at
        a sound price.
        """
        if self.total_units > 0 and self.reserves <= 1e-9 * max(1.0, self.cum["deposits"]):
            self.units[: self.n] = 0.0
            self.total_units = 0.0

    def _close(self, day: int, outcome: str) -> None:
        self.open = False
        self.outcome = outcome
        if outcome in ("collapsed", "operator-exit"):
            self.collapse_day = day

    # --- the four daily steps ----------------------------------------------------------
    def income(self, day: int) -> None:
        cfg = self.cfg
        n = self.n  # everyone here joined on an earlier day
        if not self.asset_backed and cfg.daily_return > 0 and n:
            base = self.principal[:n]
            if cfg.compounding:
                base = base + self.earnings[:n]
            inc = cfg.daily_return * base
            self.earnings[:n] += inc
            self.static[:n] += inc
        y = cfg.external_yield_daily
        if cfg.yield_volatility_daily > 0:
            # drawn every day so that the stream does not depend on the reserves
            y += cfg.yield_volatility_daily * float(self.streams["yield"].standard_normal())
        y = max(y, -0.99)
        gain = self.reserves * y
        self.reserves += gain
        self.today["yield_income"] += gain
        self.cum["yield_income"] += gain
        if cfg.management_fee_daily > 0:
            fee = self.reserves * cfg.management_fee_daily
            self.reserves -= fee
            self.today["operator"] += fee
            self.cum["operator"] += fee

    def _arrivals_today(self, day: int) -> tuple[int, np.ndarray, np.ndarray]:
        """How many join today, their recruiters (-1: none) and deposits (NaN: draw)."""
        cfg = self.cfg
        start = self.n
        if self.schedule is not None:
            lo, hi = self._sched_bounds[day], self._sched_bounds[day + 1]
            return hi - lo, self.schedule.recruiter[lo:hi], self.schedule.deposit[lo:hi]
        left = cfg.population - start
        founders = min(cfg.n_founders, left) if day == 0 else 0
        left -= founders
        if cfg.recruitment == "fixed":
            k = min(cfg.arrivals_per_day, left)
            recruited = np.ones(k, dtype=bool)
        else:
            pull = cfg.contagion_rate * start / cfg.population
            hazard = min(1.0, cfg.spontaneous_rate + pull)
            rng = self.streams["recruitment"]
            k = int(rng.binomial(left, hazard)) if left > 0 and hazard > 0 else 0
            recruited = rng.random(k) * hazard < pull if k else np.zeros(0, dtype=bool)
        pool = start + founders  # members before this batch
        recs = np.full(founders + k, -1, dtype=np.int64)
        if k and pool + k > 1:
            if cfg.recruiter_choice == "newest":
                ids = np.arange(pool, pool + k)
                recs[founders:] = np.where(recruited & (ids > 0), ids - 1, -1)
            elif pool > 0:
                who = self.streams["recruiters"].integers(0, pool, size=k)
                recs[founders:] = np.where(recruited, who, -1)
        return founders + k, recs, np.full(founders + k, np.nan)

    def recruit(self, day: int) -> None:
        cfg = self.cfg
        k, recs, deps = self._arrivals_today(day)
        if k == 0:
            return
        lo, hi = self.n, self.n + k
        missing = np.isnan(deps)
        if missing.any():
            deps = deps.copy()
            if cfg.deposit_sigma > 0:
                z = self.streams["deposits"].standard_normal(int(missing.sum()))
                sigma = cfg.deposit_sigma
                deps[missing] = cfg.deposit_yuan * np.exp(sigma * z - 0.5 * sigma * sigma)
            else:
                deps[missing] = cfg.deposit_yuan
        self.join_day[lo:hi] = day
        self.recruiter[lo:hi] = recs
        if np.all(recs < lo):
            self.level[lo:hi] = np.where(recs >= 0, self.level[np.maximum(recs, 0)] + 1, 1)
        else:  # recruiters among today's arrivals: walk in order
            for i in range(lo, hi):
                r = self.recruiter[i]
                self.level[i] = self.level[r] + 1 if r >= 0 else 1
        has = recs >= 0
        np.add.at(self.n_recruits, recs[has], 1)
        self.paid_in[lo:hi] = deps
        total = float(deps.sum())
        cut = cfg.operator_cut * total
        if self.asset_backed:
            self._settle_dust()
        nav = self._nav()
        self.n = hi
        # commissions up the tree: level 1 is the direct recruiter
        assigned = np.zeros(k)
        anc = recs.copy()
        for rate in self.rates:
            ok = anc >= 0
            if not ok.any():
                break
            amount = rate * deps[ok]
            np.add.at(self.dynamic, anc[ok], amount)
            if self.asset_backed:
                np.add.at(self.units, anc[ok], amount / nav)
            else:
                np.add.at(self.earnings, anc[ok], amount)
            assigned[ok] += amount
            anc = np.where(ok, self.recruiter[np.maximum(anc, 0)], -1)
        if self.asset_backed:
            own = (1.0 - cfg.operator_cut) * deps - assigned
            self.units[lo:hi] = own / nav
            self.invested[lo:hi] = own
            self.total_units = float(self.units[:hi].sum())
        else:
            self.principal[lo:hi] = deps
            self.invested[lo:hi] = deps
        self.reserves += total - cut
        self.today["new_members"] += k
        self.today["deposits"] += total
        self.today["operator"] += cut
        self.cum["deposits"] += total
        self.cum["operator"] += cut

    def withdraw(self, day: int) -> None:
        cfg = self.cfg
        n_elig = int(np.searchsorted(self.join_day[: self.n], day - cfg.lockup_days, "right"))
        if n_elig == 0 or cfg.withdraw_prob <= 0:
            return
        if cfg.withdraw_prob < 1:
            asking = self.streams["withdrawals"].random(n_elig) < cfg.withdraw_prob
        else:
            asking = np.ones(n_elig, dtype=bool)
        if self.asset_backed:
            available = self.units[:n_elig] * self._nav()
        elif cfg.principal_withdrawable:
            available = self.earnings[:n_elig] + self.principal[:n_elig]
        else:
            available = self.earnings[:n_elig]
        request = cfg.withdraw_fraction * available
        asking &= (request >= cfg.min_withdrawal_yuan) & (request > 0)
        if not asking.any():
            return
        req = request[asking]
        total = float(req.sum())
        if total > self.reserves * (1 + 1e-12) + 1e-9:
            paid_total = max(self.reserves, 0.0)
            pay = req * (paid_total / total)
            self._pay(n_elig, asking, pay)
            self.reserves = 0.0
            self._book_withdrawal(paid_total)
            self._close(day, "collapsed")
        else:
            self._pay(n_elig, asking, req)
            self.reserves -= total
            self._book_withdrawal(total)

    def _book_withdrawal(self, amount: float) -> None:
        self.today["withdrawals"] += amount
        self.cum["withdrawals"] += amount

    def operate(self, day: int) -> None:
        cfg = self.cfg
        self.peak_reserves = max(self.peak_reserves, self.reserves)
        if self.open:
            leave = (cfg.operator_exit == "at-day" and day == cfg.exit_day) or (
                cfg.operator_exit == "reserves-drawdown"
                and self.peak_reserves > 0
                and self.reserves < (1.0 - cfg.exit_drawdown) * self.peak_reserves
            )
            if not leave and self.exit_rule is not None:
                leave = bool(self.exit_rule(self._state(day)))
            if leave:
                take = self.reserves
                self.reserves = 0.0
                self.today["operator"] += take
                self.cum["operator"] += take
                self._close(day, "operator-exit")
        if self.open and day == cfg.n_days - 1:
            if cfg.wind_up_at_end:
                self._wind_up(day)
            else:
                self.outcome = "running"
        self._record(day)
        self.today = self._fresh_day()

    def _wind_up(self, day: int) -> None:
        n = self.n
        claims = self._claims(0, n)
        total = float(claims.sum())
        ratio = 1.0 if total <= 0 else min(1.0, max(self.reserves, 0.0) / total)
        if ratio >= 1.0 - 1e-9:  # rounding only: the claims are covered
            ratio = 1.0
        if total > 0:
            self._pay(n, None, claims * ratio)
            if ratio < 1.0:
                paid, self.reserves = max(self.reserves, 0.0), 0.0
            else:
                paid = total
                self.reserves -= total
                # every claim is settled: clear rounding dust so nothing stays owed
                self.units[:n] = 0.0
                self.total_units = 0.0
                self.earnings[:n] = 0.0
                self.principal[:n] = 0.0
            self._book_withdrawal(paid)
        self.payout_ratio_at_end = ratio
        self.open = False
        self.outcome = "wound-up" if ratio == 1.0 else "wound-up-short"

    def _state(self, day: int) -> dict[str, float]:
        return {
            "day": day,
            "members": self.n,
            "new_members": self.today["new_members"],
            "reserves": self.reserves,
            "peak_reserves": self.peak_reserves,
            "liabilities": float(self._claims(0, self.n).sum()),
            "deposits": self.today["deposits"],
            "withdrawals": self.today["withdrawals"],
            "cum_deposits": self.cum["deposits"],
        }

    def _record(self, day: int) -> None:
        n = self.n
        paid_in, paid_out = self.paid_in[:n], self.paid_out[:n]
        winners = int(np.count_nonzero(paid_out > paid_in + LOSS_TOLERANCE_YUAN))
        losers = int(np.count_nonzero(paid_out < paid_in - LOSS_TOLERANCE_YUAN))
        t = self.today
        self.rows.append(
            (
                day,
                int(t["new_members"]),
                n,
                t["deposits"],
                t["yield_income"],
                t["withdrawals"],
                t["operator"],
                self.reserves,
                float(self._claims(0, n).sum()),
                self.cum["deposits"],
                self.cum["yield_income"],
                self.cum["withdrawals"],
                self.cum["operator"],
                winners,
                losers,
            )
        )

    # --- SimPy processes ---------------------------------------------------------------
    def _daily(self, step: Callable[[int], None]) -> Generator[simpy.Event, Any, None]:
        while self.open:
            step(int(self.env.now))
            yield self.env.timeout(1)

    def _operator(self) -> Generator[simpy.Event, Any, None]:
        # Runs last every day; records the day on which the scheme ends, too.
        while True:
            self.operate(int(self.env.now))
            if not self.open:
                return
            yield self.env.timeout(1)

    def run(self) -> None:
        env = self.env
        # Started in this order, the processes also run in this order every day: SimPy
        # processes events of equal time first-scheduled, first-served.
        for step in (self.income, self.recruit, self.withdraw):
            env.process(self._daily(step))
        env.process(self._operator())
        env.run(until=self.cfg.n_days)

    def results(self, wall_time_s: float, seed: int) -> SchemeResults:
        from chainsim import __version__

        n = self.n
        claim_left = self._claims(0, n)
        if self.asset_backed:
            static = self.paid_out[:n] + claim_left - self.invested[:n] - self.dynamic[:n]
        else:
            static = self.static[:n]
        participants = pd.DataFrame(
            {
                "participant_id": np.arange(n, dtype=np.int64),
                "join_day": self.join_day[:n],
                "recruiter_id": self.recruiter[:n],
                "level": self.level[:n],
                "n_recruits": self.n_recruits[:n],
                "paid_in": self.paid_in[:n],
                "static_income": static,
                "dynamic_income": self.dynamic[:n],
                "paid_out": self.paid_out[:n],
                "claim_left": claim_left,
                "net": self.paid_out[:n] - self.paid_in[:n],
            },
            columns=list(PARTICIPANT_COLUMNS),
        )
        cashflows = pd.DataFrame.from_records(self.rows, columns=list(CASHFLOW_COLUMNS))
        for col in ("day", "new_members", "members", "winners", "losers"):
            cashflows[col] = cashflows[col].astype(np.int64)
        meta = {
            "seed": seed,
            "config": self.cfg.to_dict(),
            "chainsim_version": __version__,
            "engine": "simpy",
            "wall_time_s": wall_time_s,
            "n_participants": n,
            "n_days_run": len(self.rows),
            "outcome": self.outcome,
            "collapse_day": self.collapse_day,
            "payout_ratio_at_end": self.payout_ratio_at_end,
            "explicit_arrivals": self.schedule is not None,
        }
        return SchemeResults(
            participants=participants,
            cashflows=cashflows,
            collapse_day=self.collapse_day,
            outcome=self.outcome,
            config=self.cfg,
            meta=meta,
        )
