"""The block tree and fork-choice rules.

Every block points to its *parent*, the block it was built on, so all blocks ever
mined form a tree rooted at the genesis block (id 0). A node usually knows only part
of the tree and follows one *tip*: the leaf its fork-choice rule prefers. Two blocks
with the same parent are a *fork*; the branch that loses leaves *stale* blocks
behind.

A fork-choice rule is a plain function ``fork_choice(tree, current_tip, candidate)``
that returns the tip a node should follow after it accepts ``candidate`` while
following ``current_tip``. :func:`most_work` is Nakamoto consensus as Bitcoin runs it
(the chain with the most cumulative work; on a tie the block seen first is kept);
:func:`longest` counts blocks instead of work. A student's rule with the same
signature can be passed to :func:`chainsim.simulate`. The engines hand the rule the
tree of *every* block mined so far, including blocks the node has not received yet;
rules that compare the two chains ending at ``current_tip`` and ``candidate`` (as
these do) see only blocks the node has, while a rule that looks at other branches
(GHOST's subtree sizes) would need the node's own view. The engines check that the
rule returns a block the node has accepted.

Examples
--------
>>> tree = BlockTree()
>>> tree.add(1, 0, miner=3, t_mined_s=10.0)
>>> tree.add(2, 0, miner=5, t_mined_s=11.0)     # a fork: two children of genesis
>>> tree.add(3, 2, miner=5, t_mined_s=30.0)
>>> most_work(tree, 1, 2)                        # a tie keeps the block seen first
1
>>> most_work(tree, 1, 3)                        # more work wins
3
>>> tree.main_chain(3)
[0, 2, 3]
>>> tree.children(0)
[1, 2]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeAlias

from chainsim.errors import ChainSimError, ConfigError

__all__ = [
    "FORK_CHOICES",
    "GENESIS",
    "BlockTree",
    "ForkChoice",
    "final_tip",
    "get_fork_choice",
    "longest",
    "most_work",
]

#: Id of the genesis block, known to every node from the start.
GENESIS = 0


class BlockTree:
    """All blocks of a run, as parallel lists indexed by block id.

    Block ids are consecutive integers in the order blocks are mined, starting with
    the genesis block 0 (parent -1, height 0, miner -1, mined at 0 s, work 0). The
    lists are public for fast read access by engines (do not modify them); use
    :meth:`add` to grow the tree.

    Attributes
    ----------
    parents, heights, miners : list of int
        Parent id (-1 for genesis), height (genesis 0) and miner node (-1 for genesis).
    t_mined_s : list of float
        Time each block was mined, in seconds.
    size_bytes : list of int
        Block size in bytes.
    works : list of float
        Work of each block relative to the initial difficulty (1.0 without retargeting).
    total_works : list of float
        Cumulative work from genesis up to and including each block.

    Examples
    --------
    >>> tree = BlockTree()
    >>> tree.add(1, 0, miner=0, t_mined_s=5.0, work=1.0)
    >>> tree.add(2, 1, miner=1, t_mined_s=9.0, work=2.0)
    >>> tree.height(2), tree.total_work(2), list(tree.ancestors(2))
    (2, 3.0, [2, 1, 0])
    >>> tree.is_ancestor(1, 2), tree.is_ancestor(2, 1)
    (True, False)
    """

    __slots__ = (
        "_children",
        "heights",
        "miners",
        "parents",
        "size_bytes",
        "t_mined_s",
        "total_works",
        "works",
    )

    def __init__(self, genesis_size_bytes: int = 0) -> None:
        self.parents: list[int] = [-1]
        self.heights: list[int] = [0]
        self.miners: list[int] = [-1]
        self.t_mined_s: list[float] = [0.0]
        self.size_bytes: list[int] = [int(genesis_size_bytes)]
        self.works: list[float] = [0.0]
        self.total_works: list[float] = [0.0]
        self._children: list[list[int]] = [[]]

    def __len__(self) -> int:
        return len(self.parents)

    def __repr__(self) -> str:
        return f"BlockTree(n_blocks={len(self) - 1}, max_height={max(self.heights)})"

    def add(
        self,
        block_id: int,
        parent_id: int,
        miner: int,
        t_mined_s: float,
        size_bytes: int = 0,
        work: float = 1.0,
    ) -> None:
        """Add a block; ids must be consecutive (``block_id == len(tree)``).

        Parameters
        ----------
        block_id
            The new block's id: the number of blocks already in the tree.
        parent_id
            An existing block.
        miner
            Node id of the miner.
        t_mined_s
            Time of mining in seconds; not earlier than the parent's.
        size_bytes
            Block size in bytes.
        work
            Work of the block relative to the initial difficulty, > 0.

        Raises
        ------
        ChainSimError
            For a non-consecutive id, an unknown parent, a time before the parent's or
            non-positive work.
        """
        n = len(self.parents)
        if block_id != n:
            raise ChainSimError(f"block_id must be the next id {n}, got {block_id}")
        if not 0 <= parent_id < n:
            raise ChainSimError(
                f"parent_id must be an existing block (0..{n - 1}), got {parent_id}"
            )
        if t_mined_s < self.t_mined_s[parent_id]:
            raise ChainSimError(
                f"t_mined_s must not precede the parent's time "
                f"({self.t_mined_s[parent_id]}), got {t_mined_s}"
            )
        if not work > 0:
            raise ChainSimError(f"work must be > 0, got {work}")
        self.parents.append(parent_id)
        self.heights.append(self.heights[parent_id] + 1)
        self.miners.append(miner)
        self.t_mined_s.append(t_mined_s)
        self.size_bytes.append(size_bytes)
        self.works.append(work)
        self.total_works.append(self.total_works[parent_id] + work)
        self._children.append([])
        self._children[parent_id].append(block_id)

    # --- queries -------------------------------------------------------------
    def parent(self, block_id: int) -> int:
        """Parent id of ``block_id`` (-1 for genesis)."""
        return self.parents[block_id]

    def height(self, block_id: int) -> int:
        """Number of blocks between genesis and ``block_id`` (genesis: 0)."""
        return self.heights[block_id]

    def miner(self, block_id: int) -> int:
        """Node that mined ``block_id`` (-1 for genesis)."""
        return self.miners[block_id]

    def work(self, block_id: int) -> float:
        """Work of ``block_id`` alone, relative to the initial difficulty."""
        return self.works[block_id]

    def total_work(self, block_id: int) -> float:
        """Cumulative work of the chain ending at ``block_id``."""
        return self.total_works[block_id]

    def children(self, block_id: int) -> list[int]:
        """Blocks built directly on ``block_id``, in mining order (a copy)."""
        return list(self._children[block_id])

    def ancestors(self, block_id: int) -> Iterator[int]:
        """``block_id``, its parent, ... back to genesis."""
        parents = self.parents
        b = block_id
        while b >= 0:
            yield b
            b = parents[b]

    def ancestor_at(self, block_id: int, height: int) -> int:
        """The ancestor of ``block_id`` at ``height`` (``block_id`` itself at its height).

        >>> tree = BlockTree(); tree.add(1, 0, 0, 1.0); tree.add(2, 1, 0, 2.0)
        >>> tree.ancestor_at(2, 1)
        1
        """
        if not 0 <= height <= self.heights[block_id]:
            raise ChainSimError(
                f"height must be in 0..{self.heights[block_id]} for block {block_id}, got {height}"
            )
        parents = self.parents
        b = block_id
        for _ in range(self.heights[block_id] - height):
            b = parents[b]
        return b

    def is_ancestor(self, ancestor: int, block_id: int) -> bool:
        """True if ``ancestor`` is on the chain ending at ``block_id`` (itself included)."""
        h = self.heights[ancestor]
        if h > self.heights[block_id]:
            return False
        return self.ancestor_at(block_id, h) == ancestor

    def common_ancestor(self, a: int, b: int) -> int:
        """The highest block that is an ancestor of both ``a`` and ``b``.

        >>> tree = BlockTree(); tree.add(1, 0, 0, 1.0); tree.add(2, 0, 1, 1.5)
        >>> tree.common_ancestor(1, 2)
        0
        """
        heights, parents = self.heights, self.parents
        while heights[a] > heights[b]:
            a = parents[a]
        while heights[b] > heights[a]:
            b = parents[b]
        while a != b:
            a, b = parents[a], parents[b]
        return a

    def main_chain(self, tip: int) -> list[int]:
        """Block ids from genesis to ``tip``."""
        chain = list(self.ancestors(tip))
        chain.reverse()
        return chain


#: ``fork_choice(tree, current_tip, candidate) -> tip to follow``.
ForkChoice: TypeAlias = Callable[[BlockTree, int, int], int]


def most_work(tree: BlockTree, current_tip: int, candidate: int) -> int:
    """Nakamoto fork choice: the chain with the most cumulative work; ties keep current.

    Keeping the current tip on a tie is Bitcoin's *first-seen* rule: a node does not
    switch between equally good chains.

    >>> tree = BlockTree(); tree.add(1, 0, 0, 1.0, work=1.0); tree.add(2, 0, 1, 2.0, work=2.0)
    >>> most_work(tree, 1, 2), most_work(tree, 2, 1)
    (2, 2)
    """
    works = tree.total_works
    return candidate if works[candidate] > works[current_tip] else current_tip


def longest(tree: BlockTree, current_tip: int, candidate: int) -> int:
    """Longest-chain fork choice: the most blocks (height); ties keep current.

    It differs from :func:`most_work` only when blocks carry different work (with
    difficulty retargeting).

    >>> tree = BlockTree(); tree.add(1, 0, 0, 1.0, work=1.0); tree.add(2, 0, 1, 2.0, work=2.0)
    >>> longest(tree, 1, 2)
    1
    """
    heights = tree.heights
    return candidate if heights[candidate] > heights[current_tip] else current_tip


#: Built-in rules by the names used in :class:`~chainsim.config.ConsensusConfig`.
FORK_CHOICES: dict[str, ForkChoice] = {"most-work": most_work, "longest": longest}


def get_fork_choice(name: str) -> ForkChoice:
    """The built-in fork-choice rule called ``name``.

    >>> get_fork_choice("longest") is longest
    True
    >>> get_fork_choice("coin-flip")
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: consensus.fork_choice must be one of 'most-work', 'longest' (or pass fork_choice=<function> to simulate), got 'coin-flip'
    """  # noqa: E501
    try:
        return FORK_CHOICES[name]
    except KeyError:
        allowed = ", ".join(repr(k) for k in FORK_CHOICES)
        raise ConfigError(
            f"consensus.fork_choice must be one of {allowed} (or pass "
            f"fork_choice=<function> to simulate), got {name!r}"
        ) from None


def final_tip(tree: BlockTree, fork_choice: ForkChoice = most_work) -> int:
    """The tip a node that had seen every block, in mining order, would follow.

    With :func:`most_work` this is the block with the most cumulative work, ties going
    to the block mined first. The *main chain* of a run is this tip's ancestry.

    >>> tree = BlockTree(); tree.add(1, 0, 0, 1.0); tree.add(2, 0, 1, 2.0)
    >>> final_tip(tree)
    1
    """
    tip = GENESIS
    for b in range(1, len(tree)):
        tip = fork_choice(tree, tip, b)
    return tip
