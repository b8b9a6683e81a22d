"""One seed, many named random streams.

A simulation draws random numbers for different purposes: building the topology,
placing nodes in regions, jittering link latencies, mining, relaying, the transaction
workload, attacks. Each purpose gets its own :class:`numpy.random.Generator`, derived
from one root :class:`numpy.random.SeedSequence` and the purpose's *name*. Changing how
many numbers the network model draws therefore leaves the mining draws unchanged, which
gives common random numbers when two configurations are compared.

Examples
--------
>>> streams = RandomStreams(42)
>>> a = streams.generator("mining").random()
>>> b = RandomStreams(42).generator("mining").random()
>>> a == b
True
>>> streams.generator("mining") is streams.generator("mining")
True
>>> RandomStreams(42).generator("network").random() != a
True
"""

from __future__ import annotations

import zlib
from typing import TypeAlias

import numpy as np

from chainsim.errors import ConfigError

__all__ = ["RandomStreams", "SeedLike", "as_seed_sequence", "derive_seed", "stream_key"]

SeedLike: TypeAlias = int | np.random.SeedSequence | None


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """Turn ``seed`` (non-negative int, SeedSequence or None) into a SeedSequence.

    ``None`` draws fresh entropy from the operating system; the entropy is kept in
    the returned sequence so that the run can be repeated.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ConfigError(f"seed must be a non-negative integer or None, got {seed!r}")
    if seed < 0:
        raise ConfigError(f"seed must be a non-negative integer or None, got {seed}")
    return np.random.SeedSequence(int(seed))


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (independent of Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


def derive_seed(seed: SeedLike, *path: int | str) -> np.random.SeedSequence:
    """A child SeedSequence for ``path`` (names or integers), stable across runs.

    >>> a = derive_seed(7, "replication", 3).generate_state(1)[0]
    >>> bool(a == derive_seed(7, "replication", 3).generate_state(1)[0])
    True
    """
    root = as_seed_sequence(seed)
    key = tuple(stream_key(p) if isinstance(p, str) else int(p) for p in path)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + key)


class RandomStreams:
    """Named numpy generators derived from one seed.

    Parameters
    ----------
    seed
        A non-negative integer, a :class:`numpy.random.SeedSequence`, or ``None``
        for fresh entropy.

    Attributes
    ----------
    seed_sequence : numpy.random.SeedSequence
        The root sequence; ``seed_sequence.entropy`` repeats the run.
    """

    __slots__ = ("_generators", "seed_sequence")

    def __init__(self, seed: SeedLike = None) -> None:
        self.seed_sequence = as_seed_sequence(seed)
        self._generators: dict[str, np.random.Generator] = {}

    @property
    def entropy(self) -> int:
        """The root entropy (the seed to give to repeat this run)."""
        entropy = self.seed_sequence.entropy
        assert isinstance(entropy, int)
        return entropy

    def child(self, *path: int | str) -> np.random.SeedSequence:
        """A SeedSequence for a named purpose (see :func:`derive_seed`)."""
        return derive_seed(self.seed_sequence, *path)

    def generator(self, name: str) -> np.random.Generator:
        """The generator for ``name``; the same object on every call."""
        gen = self._generators.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.child(name)))
            self._generators[name] = gen
        return gen

    __getitem__ = generator

    def __repr__(self) -> str:
        return f"RandomStreams(entropy={self.seed_sequence.entropy})"
