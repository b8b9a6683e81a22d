"""Difficulty retargeting against real mainnet boundaries (Bitcoin Core's rules)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainsim.ledger import (
    POW_LIMIT_BITS,
    TARGET_TIMESPAN_S,
    LedgerError,
    bits_to_target,
    difficulty_ratio,
    is_retarget_height,
    next_bits,
    next_bits_from_timespan,
    target_to_bits,
)

from .vectors import RETARGETS


@pytest.mark.parametrize(("prev_bits", "first", "last", "expected"), RETARGETS)
def test_real_retargets(prev_bits: int, first: int, last: int, expected: int) -> None:
    assert next_bits(prev_bits, first, last) == expected
    assert next_bits_from_timespan(prev_bits, float(last - first)) == expected


def test_block_32256_is_the_first_difficulty_rise() -> None:
    new = next_bits(0x1D00FFFF, 1261130161, 1262152739)
    assert new == 0x1D00D86A
    assert difficulty_ratio(0x1D00FFFF, new) == pytest.approx(1.18290, abs=1e-5)
    # The exact (unrounded) target lies just above the compact one: rounding down.
    exact = bits_to_target(0x1D00FFFF) * (1262152739 - 1261130161) // TARGET_TIMESPAN_S
    assert bits_to_target(new) <= exact < bits_to_target(new) + (1 << 208)


def test_clamps_and_limit() -> None:
    base = 0x1B04864C
    t = bits_to_target(base)
    assert next_bits(base, 0, 1) == target_to_bits(
        t * (TARGET_TIMESPAN_S // 4) // TARGET_TIMESPAN_S
    )
    assert next_bits(base, 0, 10 * TARGET_TIMESPAN_S) == target_to_bits(t * 4)
    assert next_bits(base, 100, 0) == next_bits(base, 0, 1)  # negative timespan clamps
    assert next_bits(POW_LIMIT_BITS, 0, 4 * TARGET_TIMESPAN_S) == POW_LIMIT_BITS
    assert next_bits(base, 0, TARGET_TIMESPAN_S) == base


def test_off_by_one_uses_first_block_of_the_period() -> None:
    # Measuring from the block before the period (2016 intervals, the "obvious" rule)
    # gives a different answer: Core uses the first block (2015 intervals).
    first_of_period, last = 1261130161, 1262152739
    assert next_bits(0x1D00FFFF, first_of_period, last) == 0x1D00D86A
    assert next_bits(0x1D00FFFF, first_of_period - 600, last) != 0x1D00D86A


def test_custom_timespan_and_limit() -> None:
    # A teaching chain: 10 blocks of 60 s, limit at the regtest target.
    assert next_bits(0x1F00FFFF, 0, 300, target_timespan_s=600, pow_limit_bits=0x207FFFFF) == (
        target_to_bits(bits_to_target(0x1F00FFFF) // 2)
    )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: next_bits(0x1D00FFFF, 0.5, 10), "first_block_time"),  # type: ignore[arg-type]
        (lambda: next_bits(-1, 0, 10), "prev_bits"),
        (lambda: next_bits(0x1D00FFFF, 0, 10, target_timespan_s=0), "target_timespan_s"),
        (lambda: next_bits_from_timespan(0x1D00FFFF, float("nan")), "actual_timespan_s"),
        (lambda: is_retarget_height(10, interval_blocks=0), "interval_blocks"),
    ],
)
def test_bad_arguments(call, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LedgerError, match=match):
        call()


def test_retarget_heights() -> None:
    assert [h for h in range(0, 6049) if is_retarget_height(h)] == [2016, 4032, 6048]


@given(
    bits=st.sampled_from([0x1D00FFFF, 0x1B04864C, 0x1C05A3F4, 0x17034219]),
    span=st.integers(min_value=-(10**7), max_value=10**8),
)
def test_new_target_within_factor_four(bits: int, span: int) -> None:
    old = bits_to_target(bits)
    new = bits_to_target(next_bits_from_timespan(bits, span))
    limit = bits_to_target(POW_LIMIT_BITS)
    assert new <= min(limit, old * 4)
    assert new >= min(limit, old // 4) * (1 - 2**-15)  # compact rounding only
    # More time taken never makes the next period harder.
    assert new <= bits_to_target(next_bits_from_timespan(bits, span + 1000))
