"""The block tree and the built-in fork-choice rules."""

from __future__ import annotations

import pytest

from chainsim.blocktree import (
    BlockTree,
    Ghost,
    final_tip,
    get_fork_choice,
    longest,
    most_work,
)
from chainsim.errors import ChainSimError, ConfigError


@pytest.fixture
def forked() -> BlockTree:
    """0 <- 1 <- 3 and 0 <- 2 (work 3) <- 4."""
    tree = BlockTree()
    tree.add(1, 0, miner=7, t_mined_s=1.0)
    tree.add(2, 0, miner=8, t_mined_s=2.0, work=3.0)
    tree.add(3, 1, miner=7, t_mined_s=3.0)
    tree.add(4, 3, miner=7, t_mined_s=4.0)
    return tree


def test_tree_bookkeeping(forked):
    assert len(forked) == 5
    assert forked.parents == [-1, 0, 0, 1, 3]
    assert forked.heights == [0, 1, 1, 2, 3]
    assert forked.total_works == [0.0, 1.0, 3.0, 2.0, 3.0]
    assert forked.children(0) == [1, 2]
    assert forked.children(4) == []
    assert list(forked.ancestors(4)) == [4, 3, 1, 0]
    assert forked.main_chain(4) == [0, 1, 3, 4]
    assert forked.ancestor_at(4, 1) == 1
    assert forked.is_ancestor(1, 4) and not forked.is_ancestor(2, 4)
    assert forked.is_ancestor(4, 4) and not forked.is_ancestor(4, 1)
    assert forked.common_ancestor(4, 2) == 0
    assert forked.common_ancestor(4, 3) == 3
    assert forked.miner(2) == 8 and forked.work(2) == 3.0 and forked.parent(3) == 1


def test_children_is_a_copy(forked):
    forked.children(0).append(99)
    assert forked.children(0) == [1, 2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((5, 9, 0, 9.0), "parent_id must be an existing block"),
        ((7, 0, 0, 9.0), "block_id must be the next id 5"),
        ((5, 4, 0, 3.5), "t_mined_s must not precede"),
        ((5, 4, 0, 9.0, 0, 0.0), "work must be > 0"),
    ],
)
def test_add_rejects_bad_blocks(forked, args, message):
    with pytest.raises(ChainSimError, match=message):
        forked.add(*args)


def test_ancestor_at_checks_height(forked):
    with pytest.raises(ChainSimError, match="height must be in 0..3"):
        forked.ancestor_at(4, 5)


def test_most_work_and_longest_disagree_when_work_differs(forked):
    # 4 has height 3 and work 3; 2 has height 1 and work 3
    assert most_work(forked, 4, 2) == 4  # equal work: keep current
    assert most_work(forked, 3, 2) == 2  # 3 > 2
    assert longest(forked, 2, 3) == 3
    assert longest(forked, 3, 2) == 3
    assert longest(forked, 3, 1) == 3


def test_final_tip_breaks_ties_towards_the_earliest_block(forked):
    assert final_tip(forked) == 2  # work 3 first reached by block 2
    assert final_tip(forked, longest) == 4
    assert final_tip(BlockTree()) == 0


def test_get_fork_choice():
    assert get_fork_choice("most-work") is most_work
    assert get_fork_choice("longest") is longest
    assert isinstance(get_fork_choice("ghost"), Ghost)
    assert get_fork_choice("ghost") is not get_fork_choice("ghost")  # per-run state
    with pytest.raises(ConfigError, match="consensus.fork_choice must be one of"):
        get_fork_choice("heaviest")
