"""Shared fixtures: a tiny config and a fixed seed."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig

SEED = 20261128


@pytest.fixture
def seed() -> int:
    return SEED


@pytest.fixture
def tiny_config() -> SimConfig:
    """Twenty nodes, four miners, ten blocks: runs in milliseconds."""
    return SimConfig(
        network=NetworkConfig(n_nodes=20, topology="random-regular", degree=4),
        mining=MiningConfig(block_interval_s=60.0, n_miners=4, block_size_bytes=100_000),
        run=RunConfig(n_blocks=10),
    )
