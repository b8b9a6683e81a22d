"""Metrics: pure functions over the tables of a :class:`~chainsim.results.Results`.

A metric reads the ``blocks``, ``receipts`` and ``nodes`` tables (columns documented in
:mod:`chainsim.results`) and returns a number or a small tidy table; nothing here looks
inside a running simulation. The same functions therefore work on a run loaded from
CSV files.

Conventions
-----------
- The genesis block (``block_id`` 0, ``miner`` -1) is never counted as mined.
- A block is *stale* when it is not on the main chain; the stale rate is stale blocks
  over mined blocks.
- Propagation shares are over all ``n_nodes`` nodes of the ``nodes`` table, the miner
  included (it "receives" its own block with delay 0).
- A node's *tip* is replayed from its receipts in time order with the most cumulative
  work rule (first seen wins ties); a *reorganisation* happens when the tip moves to a
  block that does not descend from the old tip, and its depth is the number of blocks
  abandoned from the old tip's branch.

All functions are vectorised with numpy and pandas: a million receipts take well under
a second.

Examples
--------
A chain 0 <- 1 <- 2 with a stale sibling 3 of block 2, on two nodes:

>>> import pandas as pd
>>> from chainsim.results import Results
>>> blocks = pd.DataFrame({
...     "block_id": [0, 1, 2, 3], "parent_id": [-1, 0, 1, 1], "height": [0, 1, 2, 2],
...     "miner": [-1, 0, 0, 1], "t_mined_s": [0.0, 10.0, 20.0, 21.0],
...     "size_bytes": [0, 1000, 1000, 1000], "work": [1.0] * 4,
...     "main_chain": [True, True, True, False]})
>>> receipts = pd.DataFrame({
...     "block_id": [1, 1, 2, 2, 3, 3], "node": [0, 1, 0, 1, 1, 0],
...     "t_received_s": [10.0, 11.0, 20.0, 22.0, 21.0, 22.0],
...     "delay_s": [0.0, 1.0, 0.0, 2.0, 0.0, 1.0]})
>>> nodes = pd.DataFrame({"node": [0, 1], "region": [0, 0], "hash_share": [0.5, 0.5],
...     "n_blocks_mined": [2, 1], "n_main_chain": [2, 0]})
>>> res = Results(blocks=blocks, receipts=receipts, nodes=nodes)
>>> stale_rate(res)
0.3333333333333333
>>> propagation_times(res)[["block_id", "t50_s", "t100_s"]].to_dict("list")
{'block_id': [1, 2, 3], 't50_s': [0.0, 0.0, 0.0], 't100_s': [1.0, 2.0, 1.0]}
>>> reorg_depths(res)[["node", "old_tip", "new_tip", "depth"]].to_dict("records")
[]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chainsim.errors import ChainSimError, ConfigError
from chainsim.results import Results

__all__ = [
    "chain_growth_rate",
    "fork_lengths",
    "informed_fraction",
    "propagation_summary",
    "propagation_times",
    "reorg_depths",
    "revenue_shares",
    "stale_rate",
    "summary",
    "time_to_consistency",
]

GENESIS_ID = 0
DEFAULT_FRACTIONS: tuple[float, ...] = (0.5, 0.9, 1.0)


# ----------------------------------------------------------------------- helpers


def _mined(blocks: pd.DataFrame) -> pd.DataFrame:
    """Blocks without genesis."""
    return blocks[blocks["block_id"].to_numpy() != GENESIS_ID]


def _n_nodes(results: Results) -> int:
    """Number of nodes: the ``nodes`` table, else ``meta['n_nodes']``, else receivers."""
    if len(results.nodes):
        return len(results.nodes)
    if "n_nodes" in results.meta:
        return int(results.meta["n_nodes"])
    return int(results.receipts["node"].nunique())


def _fraction_label(f: float) -> str:
    """Column name for a propagation share: 0.5 -> ``t50_s``, 0.999 -> ``t99.9_s``."""
    return f"t{round(f * 100, 6):g}_s"


def _check_fractions(fractions: Sequence[float]) -> tuple[float, ...]:
    try:
        fs = tuple(float(f) for f in fractions)
    except (TypeError, ValueError):
        raise ConfigError(
            f"fractions must be a sequence of numbers in (0, 1], got {fractions!r}"
        ) from None
    if not fs:
        raise ConfigError("fractions must not be empty")
    for f in fs:
        if not 0.0 < f <= 1.0:  # also rejects nan
            raise ConfigError(f"fractions must be in (0, 1], got {f!r}")
    return fs


def _group_sort(groups: np.ndarray, values: np.ndarray, *, stable: bool = False) -> np.ndarray:
    """Order that sorts by ``groups`` (non-negative ints), then by ``values``.

    Equivalent to ``np.lexsort((values, groups))`` but about twice as fast on a million
    rows: sort by value, then a stable sort by group (a radix sort when the group
    numbers fit in 16 bits). With ``stable`` equal values keep their input order.
    """
    order = np.argsort(values, kind="stable" if stable else "quicksort")
    top = int(groups.max()) if groups.size else 0
    small = groups.astype(np.uint16 if top < 2**16 else np.int64)
    return order[np.argsort(small[order], kind="stable")]


@dataclass(frozen=True)
class _Tree:
    """The block tree as position-indexed arrays (position = row in ``ids``)."""

    ids: np.ndarray  # block ids, sorted ascending
    index: pd.Index  # block id -> position
    parent: np.ndarray  # parent position, -1 for a root
    height: np.ndarray
    main: np.ndarray  # bool: on the main chain (genesis always)
    total_work: np.ndarray  # cumulative work from the root, float
    genesis: int  # position of genesis

    def positions(self, block_ids: np.ndarray) -> np.ndarray:
        return np.asarray(self.index.get_indexer(pd.Index(block_ids)), dtype=np.int64)


def _tree(results: Results) -> _Tree:
    b = results.blocks.sort_values("block_id", kind="stable")
    ids = b["block_id"].to_numpy(dtype=np.int64)
    if not (ids == GENESIS_ID).any():
        # No genesis row: add a virtual one so every chain has a common root.
        ids = np.concatenate([[GENESIS_ID], ids])
        b = pd.concat(
            [
                pd.DataFrame(
                    {
                        "block_id": [GENESIS_ID],
                        "parent_id": [-1],
                        "height": [0],
                        "work": [0.0],
                        "main_chain": [True],
                    }
                ),
                b,
            ],
            ignore_index=True,
        )
    index = pd.Index(ids)
    if not index.is_unique:
        raise ChainSimError("blocks table has duplicate block_id values")
    parent = np.asarray(index.get_indexer(b["parent_id"].to_numpy(dtype=np.int64)), np.int64)
    height = b["height"].to_numpy(dtype=np.int64)
    main = b["main_chain"].to_numpy(dtype=bool).copy()
    genesis = int(index.get_loc(GENESIS_ID))
    main[genesis] = True
    orphan = (parent < 0) & (np.arange(len(ids)) != genesis)
    if orphan.any():
        bad = ids[orphan][0]
        raise ChainSimError(f"block {bad} has a parent that is not in the blocks table")
    if "work" in b:
        work = b["work"].to_numpy(dtype=float)
        work = np.where(np.isfinite(work), work, 1.0)
    else:
        work = np.ones(len(ids))
    # Cumulative work, parents before children (heights grow by one along parent links).
    total = work.copy()
    order = np.argsort(height, kind="stable").tolist()
    par = parent.tolist()
    tot = total.tolist()
    for i in order:
        p = par[i]
        if p >= 0:
            tot[i] = tot[p] + tot[i]
    return _Tree(ids, index, parent, height, main, np.asarray(tot), genesis)


def _main_ancestor_height(tree: _Tree) -> np.ndarray:
    """Height of each block's deepest main-chain ancestor (itself if on the main chain)."""
    anc = np.arange(len(tree.ids))
    off = ~tree.main[anc]
    while off.any():
        anc[off] = tree.parent[anc[off]]
        if (anc < 0).any():
            raise ChainSimError("a block does not descend from genesis")
        off = ~tree.main[anc]
    return np.asarray(tree.height[anc])


def _tip_changes(results: Results, tree: _Tree) -> pd.DataFrame:
    """Every change of a node's tip: node, t_received_s, old (pos), new (pos).

    Replays each node's receipts in time order (recording order breaks time ties) and
    follows the block with the most cumulative work, the first seen among equals.
    """
    r = results.receipts
    node = r["node"].to_numpy(dtype=np.int64)
    t = r["t_received_s"].to_numpy(dtype=float)
    pos = tree.positions(r["block_id"].to_numpy(dtype=np.int64))
    known = (pos >= 0) & (pos != tree.genesis)
    if not known.all():
        node, t, pos = node[known], t[known], pos[known]
    order = _group_sort(node - node.min() if node.size else node, t, stable=True)
    node, t, pos = node[order], t[order], pos[order]
    work = tree.total_work[pos]
    start = np.ones(len(node), dtype=bool)
    start[1:] = node[1:] != node[:-1]
    best = pd.Series(work).groupby(node).cummax().to_numpy()
    before = np.empty_like(best)
    before[1:] = best[:-1]
    before[start] = tree.total_work[tree.genesis]
    change = work > before
    c_node, c_t, c_new = node[change], t[change], pos[change]
    c_old = np.empty_like(c_new)
    c_old[1:] = c_new[:-1]
    first = np.ones(len(c_node), dtype=bool)
    first[1:] = c_node[1:] != c_node[:-1]
    c_old[first] = tree.genesis
    return pd.DataFrame({"node": c_node, "t_received_s": c_t, "old": c_old, "new": c_new})


def _common_ancestor(tree: _Tree, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Position of the deepest common ancestor of each pair (vectorised)."""
    a = a.copy()
    b = b.copy()
    while True:
        differ = a != b
        if not differ.any():
            return a
        ha = tree.height[a]
        hb = tree.height[b]
        up_a = differ & (ha >= hb)
        up_b = differ & (hb >= ha)
        a[up_a] = tree.parent[a[up_a]]
        b[up_b] = tree.parent[b[up_b]]
        if (a < 0).any() or (b < 0).any():
            raise ChainSimError("two blocks have no common ancestor (is genesis missing?)")


# ------------------------------------------------------------------------ metrics


def stale_rate(results: Results) -> float:
    """Share of mined blocks that are not on the main chain.

    Parameters
    ----------
    results : Results
        Uses the ``blocks`` table (genesis excluded).

    Returns
    -------
    float
        Stale blocks / mined blocks, in [0, 1]; NaN when no block was mined.

    Examples
    --------
    >>> import pandas as pd
    >>> from chainsim.results import Results
    >>> blocks = pd.DataFrame({"block_id": [0, 1, 2, 3], "main_chain": [True, True, False, True]})
    >>> stale_rate(Results(blocks=blocks))
    0.3333333333333333
    """
    mined = _mined(results.blocks)
    if len(mined) == 0:
        return math.nan
    return float((~mined["main_chain"].to_numpy(dtype=bool)).sum() / len(mined))


def propagation_times(
    results: Results, fractions: Sequence[float] = DEFAULT_FRACTIONS
) -> pd.DataFrame:
    """Time for each block to reach given shares of the nodes.

    For a share ``f`` and ``n`` nodes, the time is the delay of the ``ceil(f n)``-th
    node to accept the block (the miner, with delay 0, is the first). A block that
    never reached that many nodes gets NaN.

    Parameters
    ----------
    results : Results
        Uses ``blocks`` (which blocks), ``receipts`` (``block_id``, ``delay_s``) and the
        number of nodes (``nodes`` table).
    fractions : sequence of float, optional
        Shares in (0, 1], by default (0.5, 0.9, 1.0).

    Returns
    -------
    pandas.DataFrame
        One row per mined block (sorted by ``block_id``): ``block_id``, one column
        per share named ``t50_s``, ``t90_s``, ``t100_s`` ... (seconds after mining),
        and ``n_received`` (nodes that accepted the block).

    Raises
    ------
    ConfigError
        If a share is outside (0, 1].

    Examples
    --------
    Ten nodes receive a block after 0, 1, ..., 9 s: half of them (5 nodes) have it
    after 4 s, 90 % (9 nodes) after 8 s:

    >>> import pandas as pd
    >>> from chainsim.results import Results
    >>> blocks = pd.DataFrame({"block_id": [0, 1], "t_mined_s": [0.0, 5.0]})
    >>> receipts = pd.DataFrame({"block_id": [1] * 10, "node": range(10),
    ...     "delay_s": [float(d) for d in range(10)]})
    >>> res = Results(blocks=blocks, receipts=receipts, meta={"n_nodes": 10})
    >>> propagation_times(res).iloc[0].to_dict()
    {'block_id': 1.0, 't50_s': 4.0, 't90_s': 8.0, 't100_s': 9.0, 'n_received': 10.0}
    """
    fs = _check_fractions(fractions)
    n = _n_nodes(results)
    block_ids = np.sort(_mined(results.blocks)["block_id"].to_numpy(dtype=np.int64))
    r = results.receipts
    bid = r["block_id"].to_numpy(dtype=np.int64)
    delay = r["delay_s"].to_numpy(dtype=float)
    order = _group_sort(bid - bid.min() if bid.size else bid, delay)
    bid = bid[order]
    delay = delay[order]
    # Group boundaries of the sorted receipts.
    if len(bid):
        starts = np.flatnonzero(np.concatenate([[True], bid[1:] != bid[:-1]]))
        group_ids = bid[starts]
        counts = np.diff(np.concatenate([starts, [len(bid)]]))
    else:
        starts = group_ids = counts = np.zeros(0, dtype=np.int64)
    g = np.searchsorted(group_ids, block_ids)
    g_ok = g < len(group_ids)
    g_ok[g_ok] = group_ids[g[g_ok]] == block_ids[g_ok]
    g = np.where(g_ok, g, 0)
    received = np.where(g_ok, counts[g] if len(counts) else 0, 0)
    out: dict[str, Any] = {"block_id": block_ids}
    for f in fs:
        # ceil with a tolerance: 0.9 * 10 is 9.000000000000002 in floating point.
        k = max(1, math.ceil(f * n - 1e-9))
        ok = received >= k
        col = np.full(len(block_ids), np.nan)
        if ok.any():
            col[ok] = delay[starts[g[ok]] + k - 1]
        out[_fraction_label(f)] = col
    out["n_received"] = received.astype(np.int64)
    return pd.DataFrame(out)


def propagation_summary(
    results: Results, fractions: Sequence[float] = DEFAULT_FRACTIONS
) -> dict[str, float]:
    """Pooled propagation figures over all blocks.

    Parameters
    ----------
    results : Results
        As for :func:`propagation_times`.
    fractions : sequence of float, optional
        Shares in (0, 1], by default (0.5, 0.9, 1.0).

    Returns
    -------
    dict of str to float
        For each share, ``t50_s_median`` and ``t50_s_mean`` (and so on): median and
        mean over the blocks that reached that share; ``n_blocks`` (mined blocks);
        ``fully_propagated`` (share of blocks that reached every node);
        ``delay_s_median`` and ``delay_s_mean`` over every receipt except the miner's
        own. NaN where there is nothing to average.

    Examples
    --------
    >>> import pandas as pd
    >>> from chainsim.results import Results
    >>> blocks = pd.DataFrame({"block_id": [0, 1, 2], "miner": [-1, 0, 1]})
    >>> receipts = pd.DataFrame({"block_id": [1, 1, 2, 2], "node": [0, 1, 1, 0],
    ...     "delay_s": [0.0, 2.0, 0.0, 4.0]})
    >>> s = propagation_summary(Results(blocks=blocks, receipts=receipts,
    ...     meta={"n_nodes": 2}), fractions=(1.0,))
    >>> s["t100_s_median"], s["delay_s_mean"], s["fully_propagated"]
    (3.0, 3.0, 1.0)
    """
    fs = _check_fractions(fractions)
    per_block = propagation_times(results, fs)
    out: dict[str, float] = {}
    for f in fs:
        col = per_block[_fraction_label(f)].to_numpy()
        col = col[np.isfinite(col)]
        label = _fraction_label(f)
        out[f"{label}_median"] = float(np.median(col)) if col.size else math.nan
        out[f"{label}_mean"] = float(np.mean(col)) if col.size else math.nan
    n_nodes = _n_nodes(results)
    out["n_blocks"] = float(len(per_block))
    out["fully_propagated"] = (
        float(np.mean(per_block["n_received"].to_numpy() >= n_nodes))
        if len(per_block)
        else math.nan
    )
    r = results.receipts
    delay = r["delay_s"].to_numpy(dtype=float)
    if "miner" in results.blocks:
        miner_of = pd.Series(
            results.blocks["miner"].to_numpy(), index=results.blocks["block_id"].to_numpy()
        )
        miner = miner_of.reindex(r["block_id"].to_numpy()).to_numpy()
        delay = delay[r["node"].to_numpy() != miner]
    out["delay_s_median"] = float(np.median(delay)) if delay.size else math.nan
    out["delay_s_mean"] = float(np.mean(delay)) if delay.size else math.nan
    return out


def informed_fraction(results: Results, times_s: Sequence[float] | np.ndarray) -> np.ndarray:
    """Average share of nodes that hold a block ``t`` seconds after it was mined.

    The curve ``f(t)`` of Decker and Wattenhofer (2013), pooled over all mined blocks:
    the number of (block, node) receipts with ``delay_s <= t`` over ``n_blocks *
    n_nodes``. Feed it to :func:`chainsim.analysis.decker_wattenhofer_stale_rate` to
    predict the stale rate from the observed propagation.

    Parameters
    ----------
    results : Results
        Uses ``blocks`` (how many were mined), ``receipts`` (``delay_s``) and the
        number of nodes.
    times_s : sequence of float
        Times after mining, in seconds.

    Returns
    -------
    numpy.ndarray
        ``f(t)`` for each time, in [0, 1]; NaN everywhere without mined blocks.

    Examples
    --------
    >>> import pandas as pd
    >>> from chainsim.results import Results
    >>> blocks = pd.DataFrame({"block_id": [0, 1, 2]})
    >>> receipts = pd.DataFrame({"block_id": [1, 1, 2, 2], "node": [0, 1, 1, 0],
    ...     "delay_s": [0.0, 2.0, 0.0, 4.0]})
    >>> res = Results(blocks=blocks, receipts=receipts, meta={"n_nodes": 2})
    >>> informed_fraction(res, [0.0, 1.0, 3.0, 10.0]).tolist()
    [0.5, 0.5, 0.75, 1.0]
    """
    t = np.asarray(times_s, dtype=float)
    mined_ids = _mined(results.blocks)["block_id"].to_numpy()
    pairs = len(mined_ids) * _n_nodes(results)
    if pairs == 0:
        return np.full(t.shape, np.nan)
    r = results.receipts
    keep = np.isin(r["block_id"].to_numpy(), mined_ids)
    delays = np.sort(r["delay_s"].to_numpy(dtype=float)[keep])
    return np.searchsorted(delays, t, side="right") / pairs


def chain_growth_rate(results: Results) -> float:
    """Main-chain blocks per second of simulated time.

    The main chain's length (genesis excluded) divided by the time from genesis to
    the mining of its last block. (Dividing by the time of the last block rather
    than a fixed horizon makes this the usual ratio estimator; its bias is a factor
    ``n / (n - 1)`` for ``n`` Poisson blocks, negligible for long runs.)

    Parameters
    ----------
    results : Results
        Uses ``blocks`` (``main_chain``, ``t_mined_s``).

    Returns
    -------
    float
        Blocks per second; NaN without main-chain blocks or elapsed time.

    Examples
    --------
    >>> import pandas as pd
    >>> from chainsim.results import Results
    >>> blocks = pd.DataFrame({"block_id": [0, 1, 2, 3], "t_mined_s": [0.0, 5.0, 6.0, 20.0],
    ...     "main_chain": [True, True, False, True]})
    >>> chain_growth_rate(Results(blocks=blocks))
    0.1
    """
    b = results.blocks
    mined = _mined(b)
    main = mined[mined["main_chain"].to_numpy(dtype=bool)]
    if len(main) == 0:
        return math.nan
    genesis = b.loc[b["block_id"].to_numpy() == GENESIS_ID, "t_mined_s"]
    t0 = float(genesis.iloc[0]) if len(genesis) else 0.0
    elapsed = float(main["t_mined_s"].max()) - t0
    return len(main) / elapsed if elapsed > 0 else math.nan


def fork_lengths(results: Results) -> pd.DataFrame:
    """The forks off the main chain and their lengths.

    A fork is a maximal subtree of stale blocks whose root's parent is on the main
    chain. Its ``length`` is the number of blocks on its longest branch (1 for a
    single stale block); ``n_blocks`` counts all its blocks.

    Parameters
    ----------
    results : Results
        Uses ``blocks`` (``block_id``, ``parent_id``, ``height``, ``t_mined_s``,
        ``main_chain``).

    Returns
    -------
    pandas.DataFrame
        One row per fork, sorted by ``root_id``: ``root_id`` (first stale block),
        ``fork_point_id`` (its main-chain parent), ``height`` (of the root),
        ``t_mined_s`` (of the root), ``length``, ``n_blocks``.

    Examples
    --------
    >>> import pandas as pd
    >>> from chainsim.results import Results
    >>> blocks = pd.DataFrame({
    ...     "block_id": [0, 1, 2, 3, 4, 5], "parent_id": [-1, 0, 1, 1, 3, 2],
    ...     "height": [0, 1, 2, 2, 3, 3], "t_mined_s": [0.0, 1, 2, 2.5, 3, 4],
    ...     "main_chain": [True, True, True, False, False, True]})
    >>> fork_lengths(Results(blocks=blocks))[["root_id", "fork_point_id", "length"]]
       root_id  fork_point_id  length
    0        3              1       2
    """
    tree = _tree(results)
    stale = np.flatnonzero(~tree.main)
    columns = ["root_id", "fork_point_id", "height", "t_mined_s", "length", "n_blocks"]
    if stale.size == 0:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns}).astype(
            {"t_mined_s": float}
        )
    root = stale.copy()
    while True:
        p = tree.parent[root]
        move = (p >= 0) & ~tree.main[np.maximum(p, 0)]
        if not move.any():
            break
        root[move] = p[move]
    frame = pd.DataFrame({"root": root, "h": tree.height[stale]})
    grouped = frame.groupby("root")["h"].agg(["max", "size"])
    roots = grouped.index.to_numpy(dtype=np.int64)
    t_by_pos = (
        results.blocks.set_index("block_id")["t_mined_s"].reindex(tree.ids).to_numpy(dtype=float)
        if "t_mined_s" in results.blocks
        else np.full(len(tree.ids), np.nan)
    )
    out = pd.DataFrame(
        {
            "root_id": tree.ids[roots],
            "fork_point_id": tree.ids[tree.parent[roots]],
            "height": tree.height[roots],
            "t_mined_s": t_by_pos[roots],
            "length": grouped["max"].to_numpy() - tree.height[roots] + 1,
            "n_blocks": grouped["size"].to_numpy(),
        }
    )
    return out.sort_values("root_id", kind="stable").reset_index(drop=True)


def reorg_depths(results: Results) -> pd.DataFrame:
    """Every reorganisation that a node went through, and its depth.

    Each node's receipts are replayed in time order (ties in recording order) with
    the most-cumulative-work rule, first seen winning ties. When the tip moves to a
    block that does not descend from the old tip, the node reorganises; the depth is
    the number of blocks abandoned, ``height(old tip) - height(common ancestor)``.

    Parameters
    ----------
    results : Results
        Uses ``blocks`` (tree and ``work``) and ``receipts``.

    Returns
    -------
    pandas.DataFrame
        One row per reorganisation, sorted by node and time: ``node``,
        ``t_received_s`` (when the new tip arrived), ``old_tip``, ``new_tip`` (block
        ids), ``depth`` (blocks, >= 1).

    Examples
    --------
    Node 0 follows 1 <- 2, sees 1 <- 3 (a tie: it stays), then 3 <- 4 and reorganises
    one block deep:

    >>> import pandas as pd
    >>> from chainsim.results import Results
    >>> blocks = pd.DataFrame({
    ...     "block_id": [0, 1, 2, 3, 4], "parent_id": [-1, 0, 1, 1, 3],
    ...     "height": [0, 1, 2, 2, 3], "work": [1.0] * 5,
    ...     "main_chain": [True, True, False, True, True]})
    >>> receipts = pd.DataFrame({"block_id": [1, 2, 3, 4], "node": [0] * 4,
    ...     "t_received_s": [1.0, 2.0, 3.0, 4.0], "delay_s": [0.0] * 4})
    >>> reorg_depths(Results(blocks=blocks, receipts=receipts)).to_dict("records")
    [{'node': 0, 't_received_s': 4.0, 'old_tip': 2, 'new_tip': 4, 'depth': 1}]
    """
    tree = _tree(results)
    return _reorgs(tree, _tip_changes(results, tree))


def _reorgs(tree: _Tree, changes: pd.DataFrame) -> pd.DataFrame:
    old = changes["old"].to_numpy()
    new = changes["new"].to_numpy()
    # A child of the old tip is the common case and never a reorganisation.
    cand = np.flatnonzero(tree.parent[new] != old)
    lca = _common_ancestor(tree, old[cand], new[cand])
    depth = tree.height[old[cand]] - tree.height[lca]
    keep = depth > 0
    rows = cand[keep]
    return pd.DataFrame(
        {
            "node": changes["node"].to_numpy()[rows],
            "t_received_s": changes["t_received_s"].to_numpy()[rows],
            "old_tip": tree.ids[old[rows]],
            "new_tip": tree.ids[new[rows]],
            "depth": depth[keep].astype(np.int64),
        }
    )


def revenue_shares(results: Results) -> pd.DataFrame:
    """Each miner's share of the main chain beside its share of the hash rate.

    Parameters
    ----------
    results : Results
        Uses ``nodes`` (``hash_share``) and ``blocks`` (``miner``, ``main_chain``).

    Returns
    -------
    pandas.DataFrame
        One row per miner (a node with ``hash_share > 0`` or a mined block), sorted
        by node: ``node``, ``hash_share``, ``revenue_share`` (its main-chain blocks
        over all main-chain blocks, genesis excluded), ``n_blocks_mined``,
        ``n_main_chain``.

    Examples
    --------
    >>> import pandas as pd
    >>> from chainsim.results import Results
    >>> blocks = pd.DataFrame({"block_id": [0, 1, 2, 3, 4], "miner": [-1, 0, 1, 0, 0],
    ...     "main_chain": [True, True, True, False, True]})
    >>> nodes = pd.DataFrame({"node": [0, 1, 2], "hash_share": [0.6, 0.4, 0.0]})
    >>> revenue_shares(Results(blocks=blocks, nodes=nodes)).round(4).to_dict("list")
    {'node': [0, 1], 'hash_share': [0.6, 0.4], 'revenue_share': [0.6667, 0.3333], \
'n_blocks_mined': [3, 1], 'n_main_chain': [2, 1]}
    """
    mined = _mined(results.blocks)
    miner = mined["miner"].to_numpy(dtype=np.int64)
    main = mined["main_chain"].to_numpy(dtype=bool)
    n_mined = pd.Series(miner).value_counts()
    n_main = pd.Series(miner[main]).value_counts()
    if len(results.nodes):
        share = pd.Series(
            results.nodes["hash_share"].to_numpy(dtype=float),
            index=results.nodes["node"].to_numpy(dtype=np.int64),
        )
    else:
        share = pd.Series(dtype=float)
    miners = np.union1d(share.index[share.to_numpy() > 0].to_numpy(), n_mined.index.to_numpy())
    miners = miners.astype(np.int64)
    total_main = int(main.sum())
    main_counts = n_main.reindex(miners, fill_value=0).to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "node": miners,
            "hash_share": share.reindex(miners).to_numpy(dtype=float),
            "revenue_share": main_counts / total_main if total_main else np.nan,
            "n_blocks_mined": n_mined.reindex(miners, fill_value=0).to_numpy(dtype=np.int64),
            "n_main_chain": main_counts,
        }
    )


def time_to_consistency(results: Results) -> pd.DataFrame:
    """When every node agreed, for good, on each main-chain block.

    A node is *consistent about* main-chain block ``b`` from the moment its tip
    contains ``b`` and keeps containing it until the end of the run (tips replayed
    as in :func:`reorg_depths`). The network is consistent about ``b`` once every
    node is; ``time_to_consistency_s`` is that moment minus the time ``b`` was
    mined. Blocks that some node never settled on get NaN.

    Parameters
    ----------
    results : Results
        Uses ``blocks``, ``receipts`` and ``nodes`` (all nodes must agree).

    Returns
    -------
    pandas.DataFrame
        One row per main-chain block (genesis excluded), by height: ``block_id``,
        ``height``, ``t_mined_s``, ``t_consistent_s``, ``time_to_consistency_s``.

    Examples
    --------
    Block 1 reaches node 1 after 3 s; block 2 reaches node 1 after 1 s, but node 1
    first follows the competing block 3 (mined by node 1 at 20.5 s) and switches to
    the main chain only when block 4 arrives at 31 s:

    >>> import pandas as pd
    >>> from chainsim.results import Results
    >>> blocks = pd.DataFrame({
    ...     "block_id": [0, 1, 2, 3, 4], "parent_id": [-1, 0, 1, 1, 2],
    ...     "height": [0, 1, 2, 2, 3], "t_mined_s": [0.0, 10.0, 20.0, 20.5, 30.0],
    ...     "work": [1.0] * 5, "main_chain": [True, True, True, False, True]})
    >>> receipts = pd.DataFrame({
    ...     "block_id": [1, 1, 2, 3, 2, 3, 4, 4], "node": [0, 1, 0, 1, 1, 0, 0, 1],
    ...     "t_received_s": [10.0, 13.0, 20.0, 20.5, 21.0, 21.5, 30.0, 31.0],
    ...     "delay_s": [0.0, 3.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0]})
    >>> nodes = pd.DataFrame({"node": [0, 1]})
    >>> res = Results(blocks=blocks, receipts=receipts, nodes=nodes)
    >>> time_to_consistency(res)[["block_id", "time_to_consistency_s"]].to_dict("list")
    {'block_id': [1, 2, 4], 'time_to_consistency_s': [3.0, 11.0, 1.0]}
    """
    tree = _tree(results)
    return _consistency(results, tree, _tip_changes(results, tree))


def _consistency(results: Results, tree: _Tree, changes: pd.DataFrame) -> pd.DataFrame:
    mh = _main_ancestor_height(tree)
    node = changes["node"].to_numpy()
    t = changes["t_received_s"].to_numpy()
    m = mh[changes["new"].to_numpy()]
    # Suffix minimum per node: the lowest main-chain height the node will still fall to.
    s = pd.Series(m[::-1]).groupby(node[::-1]).cummin().to_numpy()[::-1]
    first = np.ones(len(node), dtype=bool)
    first[1:] = node[1:] != node[:-1]
    prev = np.empty_like(s)
    prev[1:] = s[:-1]
    prev[first] = 0
    record = s > prev
    main_pos = np.flatnonzero(tree.main & (np.arange(len(tree.ids)) != tree.genesis))
    main_pos = main_pos[np.argsort(tree.height[main_pos], kind="stable")]
    top = int(tree.height[main_pos].max()) if main_pos.size else 0
    settled = np.full(top + 2, -np.inf)
    np.maximum.at(settled, prev[record] + 1, t[record])
    settled = np.maximum.accumulate(settled)
    # Heights every node settled on: the minimum over nodes of its final suffix value.
    final = pd.Series(s).groupby(node).last() if len(node) else pd.Series(dtype=float)
    all_nodes = (
        results.nodes["node"].to_numpy(dtype=np.int64)
        if len(results.nodes)
        else np.unique(results.receipts["node"].to_numpy(dtype=np.int64))
    )
    agreed = int(final.reindex(all_nodes, fill_value=0).min()) if len(all_nodes) else 0
    h = tree.height[main_pos]
    t_cons = np.where(h <= agreed, settled[np.minimum(h, top + 1)], np.nan)
    t_mined = (
        results.blocks.set_index("block_id")["t_mined_s"]
        .reindex(tree.ids[main_pos])
        .to_numpy(dtype=float)
    )
    return pd.DataFrame(
        {
            "block_id": tree.ids[main_pos],
            "height": h,
            "t_mined_s": t_mined,
            "t_consistent_s": t_cons,
            "time_to_consistency_s": t_cons - t_mined,
        }
    )


def summary(results: Results) -> dict[str, float]:
    """The headline numbers of a run, as printed by ``chainsim run``.

    Parameters
    ----------
    results : Results
        A complete set of tables.

    Returns
    -------
    dict of str to float
        ``n_nodes``, ``n_blocks`` (mined), ``n_main_chain``, ``n_stale``,
        ``stale_rate``, ``mean_block_interval_s``, ``chain_growth_rate_per_s``,
        ``t50_s_median``, ``t90_s_median``, ``t100_s_median`` (seconds to reach that
        share of nodes, median over blocks), ``max_fork_length``, ``n_reorgs``,
        ``max_reorg_depth``, ``time_to_consistency_s_median``. Counts are ints.

    Examples
    --------
    >>> from chainsim.results import Results
    >>> summary(Results())["n_blocks"]
    0
    """
    mined = _mined(results.blocks)
    n_blocks = len(mined)
    n_main = int(mined["main_chain"].to_numpy(dtype=bool).sum())
    out: dict[str, float] = {
        "n_nodes": _n_nodes(results),
        "n_blocks": n_blocks,
        "n_main_chain": n_main,
        "n_stale": n_blocks - n_main,
        "stale_rate": stale_rate(results),
    }
    if n_blocks:
        genesis = results.blocks.loc[results.blocks["block_id"] == GENESIS_ID, "t_mined_s"]
        t0 = float(genesis.iloc[0]) if len(genesis) else 0.0
        out["mean_block_interval_s"] = (float(mined["t_mined_s"].max()) - t0) / n_blocks
    else:
        out["mean_block_interval_s"] = math.nan
    out["chain_growth_rate_per_s"] = chain_growth_rate(results) if n_blocks else math.nan
    prop = propagation_summary(results) if n_blocks else {}
    for label in ("t50_s", "t90_s", "t100_s"):
        out[f"{label}_median"] = prop.get(f"{label}_median", math.nan)
    if n_blocks:
        forks = fork_lengths(results)
        tree = _tree(results)
        changes = _tip_changes(results, tree)
        reorgs = _reorgs(tree, changes)
        ttc = _consistency(results, tree, changes)["time_to_consistency_s"].to_numpy()
        ttc = ttc[np.isfinite(ttc)]
        out["max_fork_length"] = int(forks["length"].max()) if len(forks) else 0
        out["n_reorgs"] = len(reorgs)
        out["max_reorg_depth"] = int(reorgs["depth"].max()) if len(reorgs) else 0
        out["time_to_consistency_s_median"] = float(np.median(ttc)) if ttc.size else math.nan
    else:
        out.update(
            max_fork_length=0, n_reorgs=0, max_reorg_depth=0, time_to_consistency_s_median=math.nan
        )
    return out
