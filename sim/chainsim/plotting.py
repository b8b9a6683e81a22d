"""Matplotlib drawings of ChainSim result tables.

Every function here takes plain tables (pandas DataFrames with the columns documented
in :mod:`chainsim.results` or in the function) and returns the matplotlib ``Axes`` it
drew on. Pass ``ax=`` to draw into an existing figure; without it a new figure is made
with :class:`matplotlib.figure.Figure` (not pyplot), so drawing never touches global
pyplot state and works the same in a script, a lesson, a grading run or a Voila demo.

Labels come in English (``language="en"``) or Simplified Chinese (``language="zh"``).
Importing this module imports matplotlib; ``import chainsim`` alone does not.

Examples
--------
>>> import pandas as pd
>>> blocks = pd.DataFrame({
...     "block_id": [0, 1, 2, 3], "parent_id": [-1, 0, 0, 1],
...     "height": [0, 1, 1, 2], "main_chain": [True, True, False, True]})
>>> ax = plot_block_tree(blocks)
>>> ax.get_xlabel()
'Height (blocks)'
>>> len(figure_png(ax.figure)) > 1000
True
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from chainsim.errors import ConfigError

__all__ = [
    "COLORS",
    "LANGUAGES",
    "block_tree_layout",
    "figure_png",
    "new_figure",
    "plot_block_tree",
    "plot_chain",
    "plot_propagation",
    "plot_scheme",
    "text",
]

#: Languages the labels are available in.
LANGUAGES: tuple[str, ...] = ("en", "zh")

#: Colours used across the figures (colour-blind friendly: Okabe & Ito 2008 palette).
COLORS: dict[str, str] = {
    "main": "#0072B2",  # blue
    "stale": "#D55E00",  # vermillion
    "ok": "#009E73",  # bluish green
    "bad": "#D55E00",
    "neutral": "#999999",
    "accent": "#E69F00",  # orange
    "members": "#0072B2",
    "reserves": "#009E73",
    "winners": "#56B4E9",  # sky blue
    "losers": "#D55E00",
    "operator": "#CC79A7",  # reddish purple
}

# Fonts that carry Chinese glyphs (Debian's fonts-noto-cjk first). Only the installed
# ones are used, and matplotlib falls back along the list glyph by glyph.
_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Serif CJK SC",
)


def _cjk_families() -> list[str]:
    """Installed CJK fonts from :data:`_CJK_FONTS`, then the default sans-serif fonts."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = [name for name in _CJK_FONTS if name in installed]
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f in installed]
    return found + [f for f in rest if f not in found] + ["DejaVu Sans"]


_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "height": "Height (blocks)",
        "branch": "Branch",
        "main_chain": "main chain",
        "stale": "stale (orphaned)",
        "genesis": "genesis",
        "tree_title": "Block tree: {n_main} on the main chain, {n_stale} stale",
        "tree_more": " (last {shown} of {total} shown)",
        "delay": "Time after the block was mined (s)",
        "share_nodes": "Share of nodes that have the block",
        "median": "median block",
        "each_block": "one line per block",
        "prop_title": "Block propagation ({n} blocks)",
        "block": "Block {i}",
        "data": "data",
        "prev": "prev",
        "hash": "hash",
        "valid": "valid",
        "invalid": "INVALID",
        "link_broken": "link broken",
        "no_pow": "no proof of work",
        "chain_title": "A chain of {n} blocks",
        "no_data": "nothing to draw yet",
        "day": "Day",
        "members": "Members",
        "reserves": "Reserves (¥ million)",
        "people": "People",
        "winners": "ahead so far (got back more than paid in)",
        "losers": "behind so far (got back less)",
        "collapse": "collapse (day {day})",
        "exit": "operator ran off (day {day})",
    },
    "zh": {
        "height": "高度（区块）",
        "branch": "分支",
        "main_chain": "主链",
        "stale": "孤块（被淘汰）",
        "genesis": "创世区块",
        "tree_title": "区块树：主链 {n_main} 个，孤块 {n_stale} 个",
        "tree_more": "（显示 {total} 个中的最后 {shown} 个）",
        "delay": "区块产生后的时间（秒）",
        "share_nodes": "已收到区块的节点比例",
        "median": "中位区块",
        "each_block": "每条线一个区块",
        "prop_title": "区块传播（{n} 个区块）",
        "block": "区块 {i}",
        "data": "数据",
        "prev": "前哈希",
        "hash": "哈希",
        "valid": "有效",
        "invalid": "无效",
        "link_broken": "链接断开",
        "no_pow": "工作量证明不满足",
        "chain_title": "{n} 个区块组成的链",
        "no_data": "暂无可绘制的数据",
        "day": "天数",
        "members": "参与人数",
        "reserves": "资金池（百万元）",
        "people": "人数",
        "winners": "目前盈利（拿回多于投入）",
        "losers": "目前亏损（拿回少于投入）",
        "collapse": "崩盘（第 {day} 天）",
        "exit": "运营者卷款跑路（第 {day} 天）",
    },
}


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ConfigError(
            f"language must be one of {', '.join(repr(x) for x in LANGUAGES)}, got {language!r}"
        )
    return language


def text(key: str, language: str = "en", **fields: Any) -> str:
    """A figure label in ``language``, with ``{fields}`` filled in.

    Parameters
    ----------
    key : str
        Label name, for example ``"height"``.
    language : {"en", "zh"}
        Language of the label.
    **fields
        Values for the ``{placeholders}`` in the label.

    Returns
    -------
    str
        The label.

    Raises
    ------
    ConfigError
        If ``language`` is not supported.

    Examples
    --------
    >>> text("block", "en", i=3)
    'Block 3'
    >>> text("block", "zh", i=3)
    '区块 3'
    """
    table = _TEXT[_check_language(language)]
    return table.get(key, _TEXT["en"].get(key, key)).format(**fields)


def new_figure(
    width_px: int = 640, height_px: int = 400, *, dpi: int = 100, language: str = "en"
) -> tuple[Figure, Axes]:
    """A new figure of a given size in pixels, with one Axes.

    The figure is made without pyplot (no global state, nothing shown by accident).
    With ``language="zh"`` the figure's fonts fall back to a CJK font for Chinese text.

    Parameters
    ----------
    width_px, height_px : int
        Size of the saved image in pixels at ``dpi``.
    dpi : int
        Dots per inch used for the size and when saving.
    language : {"en", "zh"}
        Chooses fonts able to show the labels.

    Returns
    -------
    (Figure, Axes)

    Examples
    --------
    >>> fig, ax = new_figure(390, 300)
    >>> [round(v) for v in fig.get_size_inches() * fig.dpi]
    [390, 300]
    """
    _check_language(language)
    if width_px <= 0 or height_px <= 0:
        raise ConfigError(
            f"figure size must be > 0 pixels, got {width_px} x {height_px}",
        )
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    if language == "zh":
        _use_cjk_fonts(fig)
    return fig, ax


def _use_cjk_fonts(fig: Figure) -> None:
    """Mark a figure so that text drawn on it uses CJK-capable fonts."""
    fig._chainsim_cjk = True  # type: ignore[attr-defined]


def _apply_fonts(ax: Axes) -> None:
    """Give every text of ``ax`` the CJK font list when its figure asks for it.

    Texts made later (tick labels at draw time) get the fonts from :func:`figure_png`,
    which draws CJK figures with the CJK fonts first in ``font.sans-serif``.
    """
    if not getattr(ax.figure, "_chainsim_cjk", False):
        return
    family = _cjk_families()
    from matplotlib.text import Text

    for artist in ax.findobj(Text):
        artist.set_fontfamily(family)


def _axes(ax: Axes | None, language: str, size: tuple[int, int] = (640, 400)) -> Axes:
    if ax is not None:
        if language == "zh":
            _use_cjk_fonts(ax.figure)  # type: ignore[arg-type]
        return ax
    return new_figure(*size, language=language)[1]


def figure_png(fig: Figure | Any, *, dpi: int | None = None) -> bytes:
    """Render a figure to PNG bytes (what a demo shows in an ``Image`` widget).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (``ax.figure`` of any Axes returned here).
    dpi : int, optional
        Resolution; the figure's own dpi by default.

    Returns
    -------
    bytes
        A PNG image.

    Examples
    --------
    >>> fig, ax = new_figure(200, 100)
    >>> figure_png(fig)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    buf = io.BytesIO()
    rc: dict[str, Any] = {}
    if getattr(fig, "_chainsim_cjk", False):
        rc = {"font.family": "sans-serif", "font.sans-serif": _cjk_families()}
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        fig.savefig(buf, format="png", dpi=dpi if dpi is not None else fig.dpi)
    return buf.getvalue()


def _require(table: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(f"{name} must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ConfigError(
            f"{name} must have the columns {', '.join(columns)}; missing {', '.join(missing)}"
        )


def block_tree_layout(blocks: pd.DataFrame) -> pd.DataFrame:
    """Place every block of a block tree on a grid: x is its height, y its branch lane.

    Blocks on the main chain sit in lane 0. A fork (a stale branch) gets the lowest
    lane above that is free over its span of heights; a branch keeps its lane while it
    grows, and a branch that forks again opens another. The layout is deterministic:
    children are visited main chain first, then by ``block_id``.

    Parameters
    ----------
    blocks : pandas.DataFrame
        Columns ``block_id``, ``parent_id`` (-1 for a root), ``height`` and
        ``main_chain`` (bool), as in ``Results.blocks``.

    Returns
    -------
    pandas.DataFrame
        ``block_id``, ``parent_id``, ``x`` (height), ``y`` (lane, 0 = main chain),
        ``main_chain``; one row per block, in the input order.

    Examples
    --------
    >>> blocks = pd.DataFrame({
    ...     "block_id": [0, 1, 2, 3, 4], "parent_id": [-1, 0, 0, 1, 2],
    ...     "height": [0, 1, 1, 2, 2], "main_chain": [True, True, False, True, False]})
    >>> block_tree_layout(blocks)[["block_id", "x", "y"]].to_numpy().tolist()
    [[0, 0, 0], [1, 1, 0], [2, 1, 1], [3, 2, 0], [4, 2, 1]]
    """
    _require(blocks, "blocks", ("block_id", "parent_id", "height", "main_chain"))
    ids = blocks["block_id"].to_numpy(dtype=np.int64)
    parents = blocks["parent_id"].to_numpy(dtype=np.int64)
    heights = blocks["height"].to_numpy(dtype=np.int64)
    main = blocks["main_chain"].to_numpy(dtype=bool)
    known = set(ids.tolist())
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for i, (b, p) in enumerate(zip(ids.tolist(), parents.tolist(), strict=True)):
        if p in known and p != b:
            children.setdefault(p, []).append(i)
        else:
            roots.append(i)

    def order(rows: list[int]) -> list[int]:
        return sorted(rows, key=lambda r: (not main[r], ids[r]))

    lane = np.zeros(len(ids), dtype=np.int64)
    next_lane = 1
    # iterative depth-first walk: (row, lane)
    stack: list[tuple[int, int]] = []
    for k, r in enumerate(order(roots)):
        stack.append((r, 0 if k == 0 and main[r] else -1))
    stack.reverse()
    while stack:
        r, ln = stack.pop()
        if ln < 0:
            ln = next_lane
            next_lane += 1
        lane[r] = ln
        kids = order(children.get(int(ids[r]), []))
        pushed: list[tuple[int, int]] = []
        for k, c in enumerate(kids):
            if main[c] and ln == 0:
                pushed.append((c, 0))
            elif k == 0 and not main[c] and ln != 0:
                pushed.append((c, ln))  # a branch continues in its own lane
            else:
                pushed.append((c, -1))
        stack.extend(reversed(pushed))
    # Pack the branches: each takes the lowest lane above the main chain that is free
    # over its span of heights, so short forks far apart share a lane.
    packed = np.zeros(len(ids), dtype=np.int64)
    spans = []
    for branch in np.unique(lane[lane > 0]):
        rows = np.flatnonzero(lane == branch)
        spans.append((int(heights[rows].min()), int(heights[rows].max()), int(branch), rows))
    lane_end: list[int] = []  # per packed lane (1, 2, ...): last height it holds
    for lo, hi, _, rows in sorted(spans, key=lambda t: (t[0], t[2])):
        for k, end in enumerate(lane_end):
            if end < lo:
                lane_end[k] = hi
                packed[rows] = k + 1
                break
        else:
            lane_end.append(hi)
            packed[rows] = len(lane_end)
    return pd.DataFrame(
        {
            "block_id": ids,
            "parent_id": parents,
            "x": heights,
            "y": packed,
            "main_chain": main,
        }
    )


def plot_block_tree(
    blocks: pd.DataFrame,
    ax: Axes | None = None,
    *,
    max_blocks: int = 400,
    language: str = "en",
    title: bool = True,
) -> Axes:
    """Draw a block tree: the main chain in a straight line, stale branches above it.

    Parameters
    ----------
    blocks : pandas.DataFrame
        ``Results.blocks`` or any table with ``block_id``, ``parent_id``, ``height``
        and ``main_chain``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 640 x 400 px figure by default.
    max_blocks : int
        Draw at most this many blocks (the highest ones), so that a long run stays
        readable and quick to draw.
    language : {"en", "zh"}
        Language of the labels.
    title : bool
        Put the count of main-chain and stale blocks in the title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ConfigError
        If a column is missing, ``max_blocks < 1`` or the language is unknown.

    Examples
    --------
    >>> blocks = pd.DataFrame({
    ...     "block_id": [0, 1, 2], "parent_id": [-1, 0, 0],
    ...     "height": [0, 1, 1], "main_chain": [True, True, False]})
    >>> plot_block_tree(blocks).get_title()
    'Block tree: 2 on the main chain, 1 stale'
    """
    _check_language(language)
    _require(blocks, "blocks", ("block_id", "parent_id", "height", "main_chain"))
    if max_blocks < 1:
        raise ConfigError(f"max_blocks must be >= 1, got {max_blocks}")
    ax = _axes(ax, language)
    total = len(blocks)
    n_main = int(blocks["main_chain"].astype(bool).sum())
    n_stale = total - n_main
    shown = blocks
    if total > max_blocks:
        shown = blocks.sort_values(["height", "block_id"]).tail(max_blocks)
    if len(shown) == 0:
        ax.text(0.5, 0.5, text("no_data", language), ha="center", va="center")
        ax.set_axis_off()
        _apply_fonts(ax)
        return ax
    layout = block_tree_layout(shown)
    pos = {
        int(b): (float(x), float(y))
        for b, x, y in layout[["block_id", "x", "y"]].itertuples(index=False)
    }
    segments = []
    seg_main = []
    for b, p, m in layout[["block_id", "parent_id", "main_chain"]].itertuples(index=False):
        if int(p) in pos:
            segments.append([pos[int(p)], pos[int(b)]])
            seg_main.append(bool(m))
    from matplotlib.collections import LineCollection

    if segments:
        colors = [COLORS["main"] if m else COLORS["stale"] for m in seg_main]
        ax.add_collection(LineCollection(segments, colors=colors, linewidths=1.5, zorder=1))
    big = len(layout) <= 60
    size = 60 if big else 14
    main_rows = layout[layout["main_chain"]]
    stale_rows = layout[~layout["main_chain"]]
    ax.scatter(
        main_rows["x"],
        main_rows["y"],
        s=size,
        marker="s",
        color=COLORS["main"],
        zorder=2,
        label=text("main_chain", language),
    )
    ax.scatter(
        stale_rows["x"],
        stale_rows["y"],
        s=size,
        marker="s",
        color=COLORS["stale"],
        zorder=2,
        label=text("stale", language),
    )
    n_lanes = int(layout["y"].max()) + 1
    ax.set_ylim(-0.6, max(n_lanes, 2) + 0.2)  # room for the legend above the top lane
    xmin, xmax = float(layout["x"].min()), float(layout["x"].max())
    ax.set_xlim(xmin - 0.8, xmax + 0.8)
    ax.set_xlabel(text("height", language))
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize="small", frameon=False, ncols=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        label = text("tree_title", language, n_main=n_main, n_stale=n_stale)
        if total > max_blocks:
            label += text("tree_more", language, shown=len(shown), total=total)
        ax.set_title(label, fontsize="medium")
    _apply_fonts(ax)
    return ax


def plot_propagation(
    receipts: pd.DataFrame,
    n_nodes: int | None = None,
    ax: Axes | None = None,
    *,
    max_blocks: int = 60,
    language: str = "en",
) -> Axes:
    """Draw how blocks spread: the share of nodes holding each block over time.

    One thin line per block (the share of nodes that accepted it, against the time
    since it was mined) and a thick line for the median block.

    Parameters
    ----------
    receipts : pandas.DataFrame
        ``Results.receipts``: ``block_id``, ``node`` and ``delay_s`` (seconds after the
        block was mined; 0 for its miner).
    n_nodes : int, optional
        Number of nodes in the network (the denominator of the share); by default the
        number of distinct nodes in ``receipts``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    max_blocks : int
        Draw at most this many blocks (the first ones by ``block_id``).
    language : {"en", "zh"}
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> receipts = pd.DataFrame({"block_id": [1, 1, 1, 2, 2, 2],
    ...     "node": [0, 1, 2, 0, 1, 2], "delay_s": [0.0, 0.2, 0.5, 0.0, 0.1, 0.3]})
    >>> ax = plot_propagation(receipts)
    >>> bool(ax.get_ylim()[1] >= 1.0)
    True
    """
    _check_language(language)
    _require(receipts, "receipts", ("block_id", "node", "delay_s"))
    if max_blocks < 1:
        raise ConfigError(f"max_blocks must be >= 1, got {max_blocks}")
    ax = _axes(ax, language)
    if n_nodes is None:
        n_nodes = int(receipts["node"].nunique())
    if n_nodes < 1:
        raise ConfigError(f"n_nodes must be >= 1, got {n_nodes}")
    ids = np.sort(receipts["block_id"].unique())[:max_blocks]
    if len(ids) == 0:
        ax.text(0.5, 0.5, text("no_data", language), ha="center", va="center")
        ax.set_axis_off()
        _apply_fonts(ax)
        return ax
    grid = np.linspace(0.0, 1.0, 101)[1:]
    per_block = []
    sub = receipts[receipts["block_id"].isin(ids)]
    for k, (_, grp) in enumerate(sub.groupby("block_id", sort=True)):
        delays = np.sort(grp["delay_s"].to_numpy(dtype=float))
        share = np.arange(1, len(delays) + 1) / n_nodes
        ax.step(
            delays,
            share,
            where="post",
            color=COLORS["neutral"],
            alpha=0.4,
            linewidth=0.8,
            label=text("each_block", language) if k == 0 else None,
        )
        # time at which each share of nodes is reached (inf when never reached)
        idx = np.ceil(grid * n_nodes).astype(int) - 1
        times = np.where(idx < len(delays), delays[np.minimum(idx, len(delays) - 1)], np.inf)
        per_block.append(times)
    med = np.median(np.vstack(per_block), axis=0)
    finite = np.isfinite(med)
    if finite.any():
        ax.step(
            med[finite],
            grid[finite],
            where="post",
            color=COLORS["main"],
            linewidth=2.2,
            label=text("median", language),
        )
    ax.set_ylim(0.0, 1.02)
    ax.set_xlim(left=0.0)
    ax.set_xlabel(text("delay", language))
    ax.set_ylabel(text("share_nodes", language))
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    ax.set_title(text("prop_title", language, n=len(ids)), fontsize="medium")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _apply_fonts(ax)
    return ax


def _short(value: Any, n: int = 10) -> str:
    s = str(value)
    return s if len(s) <= n else s[: n - 1] + "…"


def plot_chain(
    chain: pd.DataFrame | Sequence[Mapping[str, Any]],
    ax: Axes | None = None,
    *,
    language: str = "en",
    hash_chars: int = 14,
    columns: int | None = None,
) -> Axes:
    """Draw a short chain of blocks as cards: data, previous hash, own hash, status.

    A valid block is drawn in green; a block whose stored previous hash no longer
    matches its parent's hash ("link broken") or whose hash misses the difficulty
    target ("no proof of work") is drawn in red with the reason.

    Parameters
    ----------
    chain : pandas.DataFrame or sequence of mappings
        One row per block, in chain order, with ``data`` (str), ``prev_hash`` (hex
        str), ``hash`` (hex str), ``links_ok`` (bool: ``prev_hash`` equals the
        parent's hash) and ``meets_target`` (bool: the hash is below the target);
        optionally ``problems`` (str: any other broken rule, shown on the card).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default, sized to the number of blocks.
    language : {"en", "zh"}
        Language of the labels.
    hash_chars : int
        Characters of each hash to show.
    columns : int, optional
        Cards per row (default: all in one row up to 3, otherwise 2 per row, which
        keeps the drawing readable on a phone).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> rows = [
    ...     {"data": "genesis", "prev_hash": "00" * 32, "hash": "0a" * 32,
    ...      "links_ok": True, "meets_target": True},
    ...     {"data": "Alice pays Bob 5", "prev_hash": "0a" * 32, "hash": "f1" * 32,
    ...      "links_ok": True, "meets_target": False},
    ... ]
    >>> ax = plot_chain(rows)
    >>> sum("INVALID" in t.get_text() for t in ax.texts)
    1
    """
    _check_language(language)
    table = chain if isinstance(chain, pd.DataFrame) else pd.DataFrame(list(chain))
    _require(table, "chain", ("data", "prev_hash", "hash", "links_ok", "meets_target"))
    n = len(table)
    if columns is None:
        columns = n if n <= 3 else 2
    if columns < 1:
        raise ConfigError(f"columns must be >= 1, got {columns}")
    n_rows = max(1, math.ceil(n / columns))
    if ax is None:
        _, ax = new_figure(
            max(390, 200 * min(columns, max(n, 1))), 40 + 150 * n_rows, language=language
        )
    elif language == "zh":
        _use_cjk_fonts(ax.figure)  # type: ignore[arg-type]
    ax.set_xlim(0, columns)
    ax.set_ylim(n_rows, 0)
    ax.set_axis_off()
    if n == 0:
        ax.text(columns / 2, n_rows / 2, text("no_data", language), ha="center", va="center")
        _apply_fonts(ax)
        return ax
    fs = "small"
    for i, row in enumerate(table.itertuples(index=False)):
        r, c = divmod(i, columns)
        ok_link = bool(row.links_ok)
        ok_pow = bool(row.meets_target)
        problems = [p for p in str(getattr(row, "problems", "") or "").split(", ") if p]
        valid = ok_link and ok_pow and not problems
        color = COLORS["ok"] if valid else COLORS["bad"]
        x0, y0 = c + 0.04, r + 0.05
        ax.add_patch(
            FancyBboxPatch(
                (x0, y0),
                0.92,
                0.9,
                boxstyle="round,pad=0.0,rounding_size=0.06",
                facecolor=color + "22",
                edgecolor=color,
                linewidth=2.0,
            )
        )
        ax.text(
            x0 + 0.05,
            y0 + 0.1,
            text("block", language, i=i),
            fontweight="bold",
            fontsize="medium",
            va="center",
        )
        lines = [
            f"{text('data', language)}: {_short(row.data, 20)}",
            f"{text('prev', language)}: {_short(row.prev_hash, hash_chars)}",
            f"{text('hash', language)}: {_short(row.hash, hash_chars)}",
        ]
        for k, line in enumerate(lines):
            ax.text(
                x0 + 0.05,
                y0 + 0.25 + 0.12 * k,
                line,
                fontsize=fs,
                va="center",
                fontfamily="monospace" if k else None,
            )
        reasons = []
        if not ok_link:
            reasons.append(text("link_broken", language))
        if not ok_pow:
            reasons.append(text("no_pow", language))
        reasons += problems
        status = text("valid", language) if valid else text("invalid", language)
        ax.text(
            x0 + 0.05, y0 + 0.62, status, fontsize=fs, fontweight="bold", color=color, va="center"
        )
        for k, reason in enumerate(reasons[:2]):
            ax.text(
                x0 + 0.05,
                y0 + 0.73 + 0.1 * k,
                "• " + _short(reason, 26),
                fontsize="x-small",
                color=color,
                va="center",
            )
    _apply_fonts(ax)
    return ax


def plot_scheme(
    cashflows: pd.DataFrame,
    collapse_day: int | None = None,
    axes: Sequence[Axes] | None = None,
    *,
    operator_exit: bool = False,
    language: str = "en",
) -> list[Axes]:
    """Draw an investment scheme over time: members, reserves, winners and losers.

    Three stacked panels sharing the day axis: members who have joined, the money the
    scheme holds (¥ million), and how many members so far got back more than they paid
    in (winners) or less (losers). A dashed line marks the collapse.

    Parameters
    ----------
    cashflows : pandas.DataFrame
        ``SchemeResults.cashflows`` (see :mod:`chainsim.fraud`): one row per day with
        ``day``, ``members``, ``reserves`` (¥), ``winners`` and ``losers``.
    collapse_day : int, optional
        Day of the collapse or the operator's exit (None: no marker).
    axes : sequence of three Axes, optional
        Where to draw; by default a new figure 390 px wide (a phone screen) and
        560 px tall, drawn at twice that resolution.
    operator_exit : bool
        Label the marker as the operator's exit instead of a collapse.
    language : {"en", "zh"}
        Language of the labels.

    Returns
    -------
    list of matplotlib.axes.Axes
        The three panels, top to bottom.

    Examples
    --------
    >>> cash = pd.DataFrame({"day": [0, 1, 2], "members": [10, 30, 60],
    ...     "reserves": [4e4, 9e4, 0.0], "winners": [0, 2, 5], "losers": [10, 28, 55]})
    >>> axes = plot_scheme(cash, collapse_day=2)
    >>> [ax.get_ylabel() for ax in axes]
    ['Members', 'Reserves (¥ million)', 'People']
    """
    _check_language(language)
    _require(cashflows, "cashflows", ("day", "members", "reserves", "winners", "losers"))
    if axes is None:
        fig = Figure(figsize=(3.9, 5.6), dpi=200, layout="constrained")
        if language == "zh":
            _use_cjk_fonts(fig)
        axs = list(fig.subplots(3, 1, sharex=True))
    else:
        axs = list(axes)
        if len(axs) != 3:
            raise ConfigError(f"axes must hold 3 Axes, got {len(axs)}")
        if language == "zh":
            _use_cjk_fonts(axs[0].figure)
    day = cashflows["day"].to_numpy(dtype=float)
    ax_m, ax_r, ax_w = axs
    ax_m.plot(day, cashflows["members"], color=COLORS["members"], linewidth=1.8)
    ax_m.set_ylabel(text("members", language))
    ax_r.fill_between(
        day,
        cashflows["reserves"].to_numpy(dtype=float) / 1e6,
        color=COLORS["reserves"],
        alpha=0.35,
        linewidth=0,
    )
    ax_r.plot(day, cashflows["reserves"] / 1e6, color=COLORS["reserves"], linewidth=1.8)
    ax_r.set_ylabel(text("reserves", language))
    ax_w.plot(
        day,
        cashflows["losers"],
        color=COLORS["losers"],
        linewidth=1.8,
        label=text("losers", language),
    )
    ax_w.plot(
        day,
        cashflows["winners"],
        color=COLORS["winners"],
        linewidth=1.8,
        label=text("winners", language),
    )
    ax_w.set_ylabel(text("people", language))
    ax_w.set_xlabel(text("day", language))
    ax_w.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        fontsize="x-small",
        frameon=False,
        ncols=1,
        borderaxespad=0.1,
    )
    for ax in axs:
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3, linewidth=0.5)
        ax.tick_params(labelsize="small")
        ax.yaxis.label.set_size("small")
        ax.yaxis.set_major_formatter(matplotlib.ticker.EngFormatter(sep=""))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    ax_r.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    if len(day):
        last = max(float(day.max()), float(collapse_day or 0), 1.0)
        ax_w.set_xlim(0, last * 1.03)
    if collapse_day is not None:
        key = "exit" if operator_exit else "collapse"
        for ax in axs:
            ax.axvline(collapse_day, color=COLORS["bad"], linestyle="--", linewidth=1.2)
        ax_m.set_title(
            text(key, language, day=int(collapse_day)),
            color=COLORS["bad"],
            fontsize="small",
            loc="right",
        )
    for ax in axs:
        _apply_fonts(ax)
    return axs
