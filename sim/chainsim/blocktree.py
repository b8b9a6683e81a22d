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
(GHOST's subtree sizes) needs the node's own view: such rules are objects with an
``accept(node, block, current_tip)`` method (see :class:`Ghost`, Sompolinsky and Zohar's
heaviest-subtree rule), which the SimPy engine calls with every block a node accepts.
The engines check that a plain rule returns a block the node has accepted.

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
    "UNCLE_NEPHEW_REWARD",
    "BlockTree",
    "ForkChoice",
    "Ghost",
    "block_rewards",
    "final_tip",
    "get_fork_choice",
    "ghost_tip",
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
    uncles : list of tuple of int
        Uncle (ommer) blocks each block references (empty unless a rule such as
        :class:`Ghost` makes miners reference them).

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
        "uncles",
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
        self.uncles: list[tuple[int, ...]] = [()]

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
        uncles: tuple[int, ...] = (),
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
        uncles
            Ids of existing blocks this block references as uncles (ommers).

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
        self.uncles.append(tuple(uncles))

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


#: Nephew's bonus per uncle it references, as a fraction of the block reward (1/32:
#: Ethereum Yellow Paper, Wood 2014-2022, section 11.3 "Reward Application").
UNCLE_NEPHEW_REWARD = 1.0 / 32.0


def ghost_tip(tree: BlockTree, start: int = GENESIS) -> int:
    """GHOST over the whole tree: from ``start`` go to the heaviest child subtree.

    The weight of a subtree is the total work of its blocks. Ties go to the child
    with the smaller id (mined first), as a node that saw every block in mining
    order would choose.

    >>> tree = BlockTree()
    >>> for b, p in [(1, 0), (2, 0), (3, 1), (4, 2), (5, 2)]:
    ...     tree.add(b, p, 0, float(b))
    >>> ghost_tip(tree), final_tip(tree)   # subtree of 2 has 3 blocks, that of 1 has 2
    (4, 3)
    """
    n = len(tree)
    weight = [0.0] * n
    works, parents = tree.works, tree.parents
    for b in range(n - 1, start, -1):
        weight[b] += works[b]
        p = parents[b]
        if p >= 0:
            weight[p] += weight[b]
    x = start
    children = tree._children
    while children[x]:
        best = children[x][0]
        for c in children[x]:
            if weight[c] > weight[best]:
                best = c
        x = best
    return x


class Ghost:
    """GHOST fork choice (Sompolinsky and Zohar 2015), each node on its own view.

    *Greedy Heaviest-Observed Sub-Tree*: starting at genesis, a node repeatedly moves
    to the child whose subtree holds the most work among the blocks *it has accepted*,
    and follows the leaf where this walk ends. Blocks off the main chain still add
    weight to the branch they build on, so the honest network's forks are not wasted:
    an attacker must out-mine the whole honest subtree, not just its longest chain.
    Ties go to the child the node accepted first (first-seen, as in :func:`most_work`).

    The SimPy engine calls :meth:`accept` for every block a node accepts; it costs a
    walk from the block to genesis. Called as a plain rule ``rule(tree, current,
    candidate)`` it evaluates GHOST over the whole tree (:func:`ghost_tip`).

    Miners also reference *uncles* (Ethereum's ommers): when a miner using this rule
    mines a block at height ``h`` it lists up to ``max_uncles`` blocks it has accepted
    that are not ancestors of the new block, whose parent is an ancestor, whose height
    is in ``h - max_uncle_depth .. h - 1`` and that no ancestor within that depth
    already referenced (Ethereum: 2 uncles, depth 6; Yellow Paper section 11.1).
    Rewards follow :func:`block_rewards`.

    Parameters
    ----------
    max_uncles
        Uncles a block may reference (0: none), by default 2.
    max_uncle_depth
        How many generations back an uncle may be, by default 6.

    Examples
    --------
    >>> tree = BlockTree()
    >>> for b, p in [(1, 0), (2, 0), (3, 2), (4, 1), (5, 1)]:
    ...     tree.add(b, p, 0, float(b))
    >>> rule = Ghost(); rule.attach(tree, n_nodes=1)
    >>> [rule.accept(0, b, t) for b, t in [(1, 0), (2, 1), (3, 1), (4, 3), (5, 4)]]
    [1, 1, 3, 4, 4]

    After block 3 the subtree of 2 is heavier (2 blocks against 1); block 4 makes it
    a tie, which goes back to the subtree of 1, accepted first.

    >>> rule.uncles_for(0, 4)   # a block on 4 could reference 2 (a sibling of 1) and 5
    (2, 5)
    """

    __name__ = "ghost"

    def __init__(self, max_uncles: int = 2, max_uncle_depth: int = 6) -> None:
        if isinstance(max_uncles, bool) or not isinstance(max_uncles, int) or max_uncles < 0:
            raise ConfigError(f"max_uncles must be an integer >= 0, got {max_uncles!r}")
        if (
            isinstance(max_uncle_depth, bool)
            or not isinstance(max_uncle_depth, int)
            or max_uncle_depth < 1
        ):
            raise ConfigError(f"max_uncle_depth must be an integer >= 1, got {max_uncle_depth!r}")
        self.max_uncles = max_uncles
        self.max_uncle_depth = max_uncle_depth
        self.tree: BlockTree | None = None
        self._weight: list[dict[int, float]] = []
        self._order: list[dict[int, int]] = []

    def __repr__(self) -> str:
        return f"Ghost(max_uncles={self.max_uncles}, max_uncle_depth={self.max_uncle_depth})"

    def __call__(self, tree: BlockTree, current_tip: int, candidate: int) -> int:
        """GHOST over every block of ``tree`` (the arguments other than ``tree`` are unused)."""
        return ghost_tip(tree)

    def attach(self, tree: BlockTree, n_nodes: int) -> None:
        """Start a run: every node knows only genesis."""
        self.tree = tree
        self._weight = [{GENESIS: 0.0} for _ in range(n_nodes)]
        self._order = [{GENESIS: 0} for _ in range(n_nodes)]

    def _tree(self) -> BlockTree:
        if self.tree is None:
            raise ChainSimError("Ghost.attach(tree, n_nodes) must be called before use")
        return self.tree

    def accept(self, node: int, block: int, current_tip: int) -> int:
        """``node`` accepted ``block`` (its parent already accepted): its new tip."""
        tree = self._tree()
        w = self._weight[node]
        order = self._order[node]
        order[block] = len(order)
        work = tree.works[block]
        parents = tree.parents
        x = block
        while x >= 0:
            w[x] = w.get(x, 0.0) + work
            x = parents[x]
        c = tree.common_ancestor(current_tip, block)
        if c == current_tip:
            return self._descend(node, current_tip)
        h = tree.heights[c] + 1
        cb = tree.ancestor_at(block, h)
        cc = tree.ancestor_at(current_tip, h)
        if w[cb] > w[cc] or (w[cb] == w[cc] and order[cb] < order[cc]):
            return self._descend(node, cb)
        return current_tip

    def _descend(self, node: int, x: int) -> int:
        w = self._weight[node]
        order = self._order[node]
        children = self._tree()._children
        while True:
            best = -1
            for c in children[x]:
                if c in w and (
                    best < 0 or w[c] > w[best] or (w[c] == w[best] and order[c] < order[best])
                ):
                    best = c
            if best < 0:
                return x
            x = best

    def weight(self, node: int, block: int) -> float:
        """Work in the subtree of ``block`` as ``node`` sees it (0 if unknown)."""
        return self._weight[node].get(block, 0.0)

    def uncles_for(self, node: int, parent: int) -> tuple[int, ...]:
        """Uncles ``node`` references in a block it mines on ``parent``."""
        if self.max_uncles == 0:
            return ()
        tree = self._tree()
        w = self._weight[node]
        chain = []
        x = parent
        for _ in range(self.max_uncle_depth + 1):
            if x < 0:
                break
            chain.append(x)
            x = tree.parents[x]
        on_chain = set(chain)
        used = {u for a in chain for u in tree.uncles[a]}
        found: list[int] = []
        # chain[k] is the parent of uncles k + 1 generations back (height h - 1 - k)
        for a in chain[1:]:
            for c in tree._children[a]:
                if c in w and c not in on_chain and c not in used:
                    found.append(c)
        found.sort()
        return tuple(found[: self.max_uncles])


def block_rewards(
    tree: BlockTree,
    tip: int,
    *,
    block_reward: float = 1.0,
    max_uncle_depth: int = 6,
    nephew_reward: float = UNCLE_NEPHEW_REWARD,
) -> list[tuple[int, int, str, float]]:
    """Rewards of every block under Ethereum's uncle rule, with ``tip``'s chain as main.

    A main-chain block earns ``block_reward`` plus ``nephew_reward * block_reward``
    per uncle it references; an uncle referenced by a main-chain block ``d``
    generations younger earns ``(8 - d) / 8 * block_reward`` (7/8 for ``d = 1`` down
    to 2/8 for ``d = 6``); other blocks earn nothing. (Wood, *Ethereum Yellow Paper*,
    section 11.3 "Reward Application"; the rule of Ethereum's proof-of-work era.)

    Returns
    -------
    list of (block_id, miner, status, reward)
        ``status`` is ``"main"``, ``"uncle"`` or ``"stale"``; genesis is left out.

    >>> tree = BlockTree(); tree.add(1, 0, 7, 1.0); tree.add(2, 0, 8, 1.5)
    >>> tree.add(3, 1, 7, 2.0, uncles=(2,))
    >>> block_rewards(tree, 3)
    [(1, 7, 'main', 1.0), (2, 8, 'uncle', 0.875), (3, 7, 'main', 1.03125)]
    """
    main = set(tree.main_chain(tip))
    reward = [0.0] * len(tree)
    status = ["stale"] * len(tree)
    for b in main:
        if b == GENESIS:
            continue
        status[b] = "main"
        reward[b] += block_reward
        for u in tree.uncles[b]:
            d = tree.heights[b] - tree.heights[u]
            if u in main or status[u] == "uncle" or not 1 <= d <= max_uncle_depth:
                continue
            status[u] = "uncle"
            reward[u] = (8 - d) / 8.0 * block_reward
            reward[b] += nephew_reward * block_reward
    return [(b, tree.miners[b], status[b], reward[b]) for b in range(1, len(tree))]


#: Built-in rules by the names used in :class:`~chainsim.config.ConsensusConfig`
#: (``"ghost"`` makes a new :class:`Ghost` each time: it keeps per-node state).
FORK_CHOICES: dict[str, ForkChoice] = {"most-work": most_work, "longest": longest}


def get_fork_choice(name: str) -> ForkChoice:
    """The built-in fork-choice rule called ``name``.

    >>> get_fork_choice("longest") is longest
    True
    >>> get_fork_choice("ghost")
    Ghost(max_uncles=2, max_uncle_depth=6)
    >>> get_fork_choice("coin-flip")
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: consensus.fork_choice must be one of 'most-work', 'longest', 'ghost' (or pass fork_choice=<function> to simulate), got 'coin-flip'
    """  # noqa: E501
    if name == "ghost":
        return Ghost()
    try:
        return FORK_CHOICES[name]
    except KeyError:
        allowed = ", ".join(repr(k) for k in (*FORK_CHOICES, "ghost"))
        raise ConfigError(
            f"consensus.fork_choice must be one of {allowed} (or pass "
            f"fork_choice=<function> to simulate), got {name!r}"
        ) from None


def final_tip(tree: BlockTree, fork_choice: ForkChoice = most_work) -> int:
    """The tip a node that had seen every block, in mining order, would follow.

    With :func:`most_work` this is the block with the most cumulative work, ties going
    to the block mined first; with :class:`Ghost` it is :func:`ghost_tip`. The *main
    chain* of a run is this tip's ancestry.

    >>> tree = BlockTree(); tree.add(1, 0, 0, 1.0); tree.add(2, 0, 1, 2.0)
    >>> final_tip(tree)
    1
    """
    if isinstance(fork_choice, Ghost):
        return ghost_tip(tree)
    tip = GENESIS
    for b in range(1, len(tree)):
        tip = fork_choice(tree, tip, b)
    return tip
