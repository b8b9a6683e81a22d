"""The mining schedule, difficulty retargeting and miner placement."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainsim.blocktree import BlockTree
from chainsim.engine.mining import (
    INITIAL_BITS,
    Difficulty,
    MiningSchedule,
    ScriptedSchedule,
    place_miners,
)
from chainsim.errors import ConfigError
from chainsim.ledger import next_bits
from chainsim.ledger.pow import POW_LIMIT_BITS, bits_to_target, block_work


def test_schedule_draws_exponential_time_and_finder_in_proportion():
    rng = np.random.default_rng(1)
    s = MiningSchedule([0.7, 0.2, 0.1], 10.0, (), rng)
    s.start(0.0)
    times, finders = [], []
    now = 0.0
    for _ in range(20_000):
        t = s.draw_time + s.delay
        finders.append(s.fire(t))
        times.append(t - now)
        now = t
        s.draw(now)
    assert abs(np.mean(times) - 10.0) < 4 * 10.0 / math.sqrt(len(times))
    shares = np.bincount(finders, minlength=3) / len(finders)
    assert np.allclose(shares, [0.7, 0.2, 0.1], atol=0.015)


def test_schedule_is_reproducible_and_counts_versions():
    a = MiningSchedule([0.5, 0.5], 600.0, (), np.random.default_rng(4))
    b = MiningSchedule([0.5, 0.5], 600.0, (), np.random.default_rng(4))
    a.start(0.0)
    b.start(0.0)
    assert (a.delay, a.miner) == (b.delay, b.miner)
    v = a.version
    assert a.fire(a.delay) == b.fire(b.delay)
    assert a.version == v + 1 and a.delay == math.inf


def test_zero_share_miner_never_wins():
    s = MiningSchedule([0.0, 1.0, 0.0], 1.0, (), np.random.default_rng(2))
    s.start(0.0)
    for _ in range(500):
        assert s.fire(s.draw_time + s.delay) == 1
        s.draw(s.draw_time + s.delay)


def test_shock_interrupts_the_pending_draw_and_changes_the_rate():
    s = MiningSchedule([1.0], 10.0, ((5.0, 0.25),), np.random.default_rng(3))
    s.start(0.0)
    while True:  # until the shock fires
        t = s.draw_time + s.delay
        if s.fire(t) < 0:
            break
        s.draw(t)
    assert t == pytest.approx(5.0) and s.hash_factor == 0.25
    gaps = []
    now = t
    for _ in range(4000):
        t = s.draw_time + s.delay
        assert s.fire(t) == 0
        gaps.append(t - now)
        now = t
        s.draw(now)
    assert np.mean(gaps) == pytest.approx(40.0, rel=0.06)  # a quarter of the hash rate


def test_shocks_at_time_zero_apply_before_the_first_draw():
    s = MiningSchedule([1.0], 10.0, ((0.0, 2.0),), np.random.default_rng(3))
    s.start(0.0)
    assert s.hash_factor == 2.0 and s.miner == 0


def test_set_work_redraws_only_when_the_rate_changes():
    s = MiningSchedule([0.5, 0.5], 10.0, (), np.random.default_rng(5))
    s.start(0.0)
    v = s.version
    assert not s.set_work(0, 1.0, 1.0)
    assert s.version == v
    assert s.set_work(0, 2.0, 1.0)
    assert s.version == v + 1 and s.draw_time == 1.0
    s.fire(s.draw_time + s.delay)
    assert not s.set_work(1, 4.0, 2.0)  # nothing pending: no draw
    assert s.works == [2.0, 4.0]


def test_scripted_schedule():
    s = ScriptedSchedule([(1.0, 1), (4.0, 0)])
    s.start(0.0)
    assert s.draw_time + s.delay == 1.0
    assert s.fire(1.0) == 1
    s.draw(1.0)
    assert s.draw_time + s.delay == 4.0 and s.fire(4.0) == 0
    s.draw(4.0)
    assert s.delay == math.inf
    assert not s.set_work(0, 3.0, 4.0)
    with pytest.raises(ConfigError, match="sorted"):
        ScriptedSchedule([(2.0, 0), (1.0, 0)])


def test_difficulty_without_retarget_is_constant():
    tree = BlockTree()
    d = Difficulty(tree, retarget=False, period=2, block_interval_s=10.0)
    for b in range(1, 6):
        tree.add(b, b - 1, 0, 100.0 * b, work=d.child_work[b - 1])
        d.block_added(b)
    assert d.child_work == [1.0] * 6
    assert d.bits == [INITIAL_BITS] * 6


def test_difficulty_follows_bitcoins_rule_with_the_off_by_one():
    """Period 4, T = 10 s: the retarget at height 4 measures blocks 0..3 (3 intervals)."""
    tree = BlockTree()
    d = Difficulty(tree, retarget=True, period=4, block_interval_s=10.0)
    times = [10.5, 20.9, 50.2, 60.0, 70.0, 80.0, 250.0, 260.0]
    for b, t in enumerate(times, start=1):
        tree.add(b, b - 1, 0, t, work=d.child_work[b - 1])
        d.block_added(b)
    assert d.bits[1:4] == [INITIAL_BITS] * 3
    expected4 = next_bits(INITIAL_BITS, 0, 50, target_timespan_s=40, pow_limit_bits=POW_LIMIT_BITS)
    assert d.bits[4] == expected4  # floor(50.2) - 0 = 50 s for a 40 s target
    assert d.child_work[3] == pytest.approx(block_work(expected4) / block_work(INITIAL_BITS))
    assert d.child_work[3] == pytest.approx(0.8, rel=1e-4)
    expected8 = next_bits(expected4, 60, 250, target_timespan_s=40, pow_limit_bits=POW_LIMIT_BITS)
    assert d.bits[8] == d.child_bits[7] == expected8  # clamped: 190 s > 4 * 40 s
    assert tree.works[8] == pytest.approx(d.child_work[3] / 4, rel=1e-4)


def test_difficulty_is_capped_at_the_pow_limit():
    assert bits_to_target(POW_LIMIT_BITS) / bits_to_target(INITIAL_BITS) == pytest.approx(
        16, rel=1e-4
    )
    tree = BlockTree()
    d = Difficulty(tree, retarget=True, period=2, block_interval_s=2.0)
    t = 0.0
    for b in range(1, 21):
        t += 1000.0  # far too slow: difficulty falls by 4 per period until the cap
        tree.add(b, b - 1, 0, t, work=d.child_work[b - 1])
        d.block_added(b)
    assert d.bits[-1] == POW_LIMIT_BITS
    assert d.child_work[-1] == pytest.approx(1 / 16, rel=1e-3)


def test_retarget_timespan_must_be_whole_seconds():
    with pytest.raises(ConfigError, match="must be at least 4 s"):
        Difficulty(BlockTree(), retarget=True, period=2, block_interval_s=1.0)
    Difficulty(BlockTree(), retarget=False, period=2, block_interval_s=1.0)


def test_place_miners():
    rng = np.random.default_rng(0)
    nodes = place_miners(50, 10, rng)
    assert len(set(nodes)) == 10 and all(0 <= v < 50 for v in nodes)
    with pytest.raises(ConfigError, match="mining.n_miners must be in 1..5"):
        place_miners(5, 6, rng)
