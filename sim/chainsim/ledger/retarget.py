"""Difficulty retargeting, exactly as Bitcoin Core computes it.

Every 2016 blocks Bitcoin resets the target so that blocks keep coming about every
600 s: ``new_target = old_target * actual_timespan / 1_209_600`` (two weeks), where the
actual timespan is clamped to a factor of 4 either way, the result is capped at the
proof-of-work limit, and the target is stored in compact form (which rounds it down).
Core measures the timespan from the *first* to the *last* block of the period, so it
covers only 2015 block intervals, an off-by-one kept for compatibility
(Bitcoin Core ``CalculateNextWorkRequired`` in ``pow.cpp``).

Examples
--------
The first real difficulty change, at height 32256 (period from block 30240 to 32255):

>>> hex(next_bits(0x1D00FFFF, 1261130161, 1262152739))
'0x1d00d86a'
"""

from __future__ import annotations

from chainsim.ledger.errors import LedgerError
from chainsim.ledger.pow import POW_LIMIT_BITS, bits_to_target, check_bits, target_to_bits

__all__ = [
    "RETARGET_INTERVAL_BLOCKS",
    "TARGET_SPACING_S",
    "TARGET_TIMESPAN_S",
    "difficulty_ratio",
    "is_retarget_height",
    "next_bits",
    "next_bits_from_timespan",
]

#: Blocks per difficulty period (Bitcoin Core ``DifficultyAdjustmentInterval``).
RETARGET_INTERVAL_BLOCKS = 2016
#: Target time between blocks, seconds.
TARGET_SPACING_S = 600
#: Target duration of one period, seconds (2016 * 600).
TARGET_TIMESPAN_S = 1_209_600


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LedgerError(f"{name} must be an integer (seconds), got {value!r}")
    return value


def next_bits_from_timespan(
    prev_bits: int,
    actual_timespan_s: float,
    *,
    target_timespan_s: int = TARGET_TIMESPAN_S,
    pow_limit_bits: int = POW_LIMIT_BITS,
) -> int:
    """New compact target from the measured timespan of a period.

    Float-friendly for the simulator: ``actual_timespan_s`` is truncated to whole
    seconds, as block timestamps are whole seconds.

    Parameters
    ----------
    prev_bits : int
        Compact target of the period that just ended.
    actual_timespan_s : float
        Time from the period's first to its last block, seconds (may be negative
        with out-of-order timestamps; the clamp handles it).
    target_timespan_s : int
        Intended duration of a period, seconds (Bitcoin: 1,209,600).
    pow_limit_bits : int
        Easiest allowed target in compact form (Bitcoin mainnet: 0x1d00ffff).

    Returns
    -------
    int
        The new ``bits``.

    Notes
    -----
    Python integers do not overflow: for targets above about ``2**233`` (far easier
    than mainnet's limit) Bitcoin Core's 256-bit arithmetic would wrap around, and
    this function gives the mathematically exact result instead.

    Examples
    --------
    Blocks came twice as fast: the target halves (difficulty doubles).

    >>> hex(next_bits_from_timespan(0x1C00FFFF, 604_800))
    '0x1b7fff80'
    >>> hex(next_bits_from_timespan(0x1D00FFFF, 10**9))  # capped at the limit
    '0x1d00ffff'
    """
    check_bits(prev_bits, name="prev_bits")
    check_bits(pow_limit_bits, name="pow_limit_bits")
    _check_int("target_timespan_s", target_timespan_s)
    if target_timespan_s < 4:
        raise LedgerError(f"target_timespan_s must be >= 4 seconds, got {target_timespan_s}")
    try:
        actual = int(actual_timespan_s)
    except (TypeError, ValueError, OverflowError):
        raise LedgerError(
            f"actual_timespan_s must be a finite number of seconds, got {actual_timespan_s!r}"
        ) from None
    actual = max(target_timespan_s // 4, min(actual, target_timespan_s * 4))
    limit = bits_to_target(pow_limit_bits)
    new_target = bits_to_target(prev_bits) * actual // target_timespan_s
    new_target = min(new_target, limit)
    return target_to_bits(new_target)


def next_bits(
    prev_bits: int,
    first_block_time: int,
    last_block_time: int,
    *,
    target_timespan_s: int = TARGET_TIMESPAN_S,
    pow_limit_bits: int = POW_LIMIT_BITS,
) -> int:
    """Bitcoin Core's next ``bits`` at a retarget height.

    Parameters
    ----------
    prev_bits : int
        Compact target of the period that just ended.
    first_block_time, last_block_time : int
        Timestamps (s) of the period's first and last blocks, e.g. blocks 30240 and
        32255 for the retarget at height 32256: 2015 intervals, not 2016.
    target_timespan_s : int
        Intended duration of a period, seconds.
    pow_limit_bits : int
        Easiest allowed target (compact).

    Returns
    -------
    int
        The ``bits`` of the next period.

    Examples
    --------
    >>> next_bits(0x1D00FFFF, 0, 1_209_600) == 0x1D00FFFF
    True
    >>> hex(next_bits(0x1B04864C, 0, 1))  # clamped to a factor of 4
    '0x1b012193'
    """
    _check_int("first_block_time", first_block_time)
    _check_int("last_block_time", last_block_time)
    return next_bits_from_timespan(
        prev_bits,
        last_block_time - first_block_time,
        target_timespan_s=target_timespan_s,
        pow_limit_bits=pow_limit_bits,
    )


def difficulty_ratio(old_bits: int, new_bits: int) -> float:
    """How many times harder ``new_bits`` is than ``old_bits`` (old / new target).

    The simulator can scale its mean block interval by this factor.

    >>> round(difficulty_ratio(0x1D00FFFF, 0x1D00D86A), 4)
    1.1829
    """
    return bits_to_target(old_bits) / bits_to_target(new_bits)


def is_retarget_height(height: int, *, interval_blocks: int = RETARGET_INTERVAL_BLOCKS) -> bool:
    """Whether the block at ``height`` starts a new difficulty period.

    >>> is_retarget_height(32256), is_retarget_height(32255)
    (True, False)
    """
    if interval_blocks < 1:
        raise LedgerError(f"interval_blocks must be >= 1, got {interval_blocks}")
    return height > 0 and height % interval_blocks == 0
