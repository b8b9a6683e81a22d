"""Seeding: one seed, named independent streams, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from chainsim.errors import ConfigError
from chainsim.rng import RandomStreams, as_seed_sequence, derive_seed


def test_same_seed_same_draws_per_stream():
    a, b = RandomStreams(5), RandomStreams(5)
    assert np.array_equal(a["mining"].random(10), b["mining"].random(10))


def test_streams_are_independent_of_each_other():
    # Drawing from "network" must not shift the "mining" stream (common random numbers).
    a, b = RandomStreams(5), RandomStreams(5)
    a["network"].random(1000)
    assert np.array_equal(a["mining"].random(5), b["mining"].random(5))
    assert not np.array_equal(RandomStreams(5)["network"].random(5), b["network"].random(5)[:0])


def test_different_names_and_seeds_differ():
    s = RandomStreams(5)
    assert s["mining"].random() != s["network"].random()
    assert RandomStreams(5)["mining"].random() != RandomStreams(6)["mining"].random()


def test_none_seed_records_its_entropy():
    s = RandomStreams(None)
    again = RandomStreams(s.entropy)
    assert s["x"].random() == again["x"].random()


def test_derive_seed_is_stable_and_path_dependent():
    x = derive_seed(1, "run", 3).generate_state(2)
    assert np.array_equal(x, derive_seed(1, "run", 3).generate_state(2))
    assert not np.array_equal(x, derive_seed(1, "run", 4).generate_state(2))


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_bad_seeds_are_rejected(bad):
    with pytest.raises(ConfigError, match="seed must be a non-negative integer or None"):
        as_seed_sequence(bad)
