"""chainsim.plotting: layouts and drawings of result tables (no display needed)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsim import plotting
from chainsim.errors import ConfigError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _blocks(rows: list[tuple[int, int, int, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["block_id", "parent_id", "height", "main_chain"])


# A main chain 0-1-2-3-4, a one-block fork at height 2 (block 5), and a two-block
# branch from block 1 (6, then 7) that itself forks at height 3 (8).
TREE = _blocks(
    [
        (0, -1, 0, True),
        (1, 0, 1, True),
        (2, 1, 2, True),
        (3, 2, 3, True),
        (4, 3, 4, True),
        (5, 1, 2, False),
        (6, 1, 2, False),
        (7, 6, 3, False),
        (8, 6, 3, False),
    ]
)


def test_layout_puts_main_chain_in_lane_zero_and_each_branch_in_its_own_lane() -> None:
    lay = plotting.block_tree_layout(TREE).set_index("block_id")
    assert (lay.loc[[0, 1, 2, 3, 4], "y"] == 0).all()
    assert (lay["x"] == TREE.set_index("block_id")["height"]).all()
    # forks from block 1: two new lanes; block 7 continues 6's lane, 8 opens another
    assert lay.loc[5, "y"] != lay.loc[6, "y"]
    assert lay.loc[7, "y"] == lay.loc[6, "y"]
    assert lay.loc[8, "y"] not in {0, lay.loc[7, "y"]}
    # no two blocks share a grid point, and the lanes are packed (3 branches, 2 lanes)
    assert not lay.duplicated(["x", "y"]).any()
    assert lay["y"].max() == 2


def test_layout_reuses_lanes_for_forks_far_apart() -> None:
    rows = [(i, i - 1, i, True) for i in range(10)]
    rows += [(10 + k, h - 1, h, False) for k, h in enumerate((2, 5, 8))]
    lay = plotting.block_tree_layout(_blocks(rows)).set_index("block_id")
    assert (lay.loc[[10, 11, 12], "y"] == 1).all()


def test_layout_is_deterministic_whatever_the_row_order() -> None:
    a = plotting.block_tree_layout(TREE).set_index("block_id").sort_index()
    shuffled = TREE.sample(frac=1.0, random_state=3)
    b = plotting.block_tree_layout(shuffled).set_index("block_id").sort_index()
    pd.testing.assert_frame_equal(a, b)


def test_block_tree_counts_and_truncation() -> None:
    ax = plotting.plot_block_tree(TREE)
    assert ax.get_title() == "Block tree: 5 on the main chain, 4 stale"
    chain = _blocks([(i, i - 1, i, True) for i in range(50)])
    ax = plotting.plot_block_tree(chain, max_blocks=10)
    assert "last 10 of 50 shown" in ax.get_title()
    lo, hi = ax.get_xlim()
    assert lo > 39 - 1 and hi < 49 + 1  # only the highest ten blocks are drawn


def test_block_tree_in_chinese() -> None:
    ax = plotting.plot_block_tree(TREE, language="zh")
    assert ax.get_xlabel() == "高度（区块）"
    assert ax.get_title() == "区块树：主链 5 个，孤块 4 个"
    png = plotting.figure_png(ax.figure)
    assert png.startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: plotting.plot_block_tree(TREE.drop(columns="main_chain")), "main_chain"),
        (lambda: plotting.plot_block_tree(TREE, max_blocks=0), "max_blocks"),
        (lambda: plotting.plot_block_tree(TREE, language="fr"), "language"),
        (lambda: plotting.plot_block_tree([1, 2]), "DataFrame"),  # type: ignore[arg-type]
        (lambda: plotting.new_figure(0, 100), "pixels"),
    ],
)
def test_bad_arguments_raise_config_errors(call, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=match):
        call()


def test_propagation_median_line_reaches_everyone_at_the_median_time() -> None:
    # Three nodes; block 1 reaches all in 0.5 s, block 2 in 0.3 s, block 3 in 0.9 s.
    receipts = pd.DataFrame(
        {
            "block_id": [1, 1, 1, 2, 2, 2, 3, 3, 3],
            "node": [0, 1, 2] * 3,
            "delay_s": [0.0, 0.2, 0.5, 0.0, 0.1, 0.3, 0.0, 0.4, 0.9],
        }
    )
    ax = plotting.plot_propagation(receipts)
    median = [ln for ln in ax.get_lines() if ln.get_label() == "median block"]
    assert len(median) == 1
    x, y = median[0].get_data()
    assert np.isclose(np.max(y), 1.0)
    assert np.isclose(np.max(x), 0.5)  # the median of 0.5, 0.3 and 0.9
    # when the network has more nodes than received the blocks, 100 % is never reached
    ax = plotting.plot_propagation(receipts, n_nodes=6)
    median = [ln for ln in ax.get_lines() if ln.get_label() == "median block"]
    assert np.max(median[0].get_data()[1]) <= 0.5 + 1e-9


def test_chain_cards_show_status_and_reason() -> None:
    rows = [
        {
            "data": "genesis",
            "prev_hash": "0" * 64,
            "hash": "00ab" * 16,
            "links_ok": True,
            "meets_target": True,
        },
        {
            "data": "Alice pays Bob 5",
            "prev_hash": "00ab" * 16,
            "hash": "ff01" * 16,
            "links_ok": True,
            "meets_target": False,
        },
        {
            "data": "Bob pays Carol 2",
            "prev_hash": "00cd" * 16,
            "hash": "00ef" * 16,
            "links_ok": False,
            "meets_target": True,
        },
    ]
    ax = plotting.plot_chain(rows)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("valid") == 1
    assert texts.count("INVALID") == 2
    assert texts.count("• no proof of work") == 1
    assert texts.count("• link broken") == 1
    rows[0]["problems"] = "coinbase-too-large"
    texts = [t.get_text() for t in plotting.plot_chain(rows).texts]
    assert texts.count("valid") == 0
    assert "• coinbase-too-large" in texts
    ax = plotting.plot_chain(rows, language="zh")
    assert any(t.get_text().startswith("无效") for t in ax.texts)


def test_scheme_panels_and_collapse_marker() -> None:
    cash = pd.DataFrame(
        {
            "day": np.arange(5),
            "members": [10, 20, 40, 60, 60],
            "reserves": [5e4, 9e4, 1.5e5, 4e4, 0.0],
            "winners": [0, 1, 3, 6, 8],
            "losers": [10, 19, 37, 54, 52],
        }
    )
    axes = plotting.plot_scheme(cash, collapse_day=4)
    assert len(axes) == 3
    assert all(ax.figure is axes[0].figure for ax in axes)
    markers = [ln for ln in axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert len(markers) == 1 and markers[0].get_xdata()[0] == 4
    assert "collapse (day 4)" in axes[0].get_title(loc="right")
    # reserves are drawn in millions of yuan
    reserves_line = axes[1].get_lines()[0]
    assert np.isclose(np.max(reserves_line.get_ydata()), 0.15)
    axes = plotting.plot_scheme(cash, collapse_day=None, language="zh")
    assert axes[2].get_xlabel() == "天数"
    assert not any(ln.get_linestyle() == "--" for ln in axes[0].get_lines())
    with pytest.raises(ConfigError, match="losers"):
        plotting.plot_scheme(cash.drop(columns="losers"))


def test_figure_png_changes_with_the_data() -> None:
    a = plotting.plot_block_tree(TREE)
    b = plotting.plot_block_tree(TREE[TREE["main_chain"]])
    png_a, png_b = plotting.figure_png(a.figure), plotting.figure_png(b.figure)
    assert png_a.startswith(PNG_MAGIC) and png_b.startswith(PNG_MAGIC)
    assert png_a != png_b


def test_import_chainsim_stays_light_but_plotting_brings_matplotlib() -> None:
    code = (
        "import sys, chainsim\n"
        "assert 'matplotlib' not in sys.modules, 'chainsim imported matplotlib'\n"
        "assert 'ipywidgets' not in sys.modules, 'chainsim imported ipywidgets'\n"
        "import chainsim.plotting\n"
        "assert 'matplotlib' in sys.modules\n"
        "assert 'ipywidgets' not in sys.modules, 'plotting imported ipywidgets'\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'plotting imported pyplot'\n"
        "import chainsim.widgets\n"
        "assert 'ipywidgets' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@st.composite
def _random_trees(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=60))
    parents = [-1] + [draw(st.integers(min_value=0, max_value=i - 1)) for i in range(1, n)]
    heights = [0] * n
    for i in range(1, n):
        heights[i] = heights[parents[i]] + 1
    tip = max(range(n), key=lambda i: (heights[i], -i))  # first-seen highest block
    main = [False] * n
    while tip != -1:
        main[tip] = True
        tip = parents[tip]
    return _blocks(list(zip(range(n), parents, heights, main, strict=True)))


@settings(max_examples=60, deadline=None)
@given(_random_trees())
def test_layout_properties_on_random_trees(blocks: pd.DataFrame) -> None:
    lay = plotting.block_tree_layout(blocks)
    assert len(lay) == len(blocks)
    assert not lay.duplicated(["x", "y"]).any()  # blocks never overlap
    assert (lay["x"].to_numpy() == blocks["height"].to_numpy()).all()
    assert ((lay["y"] == 0) == lay["main_chain"]).all()  # lane 0 is the main chain only
    n_branches = (blocks["main_chain"] == False).sum()  # noqa: E712
    assert lay["y"].max() <= n_branches
