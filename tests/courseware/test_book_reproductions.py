"""The book's reproduction pages and scaling guide: structure checked without building.

The slow build of both editions (``test_book.py``) executes these pages; here quick
checks keep the two editions in step: identical code cells in the English and the
Chinese page, the scale and seed stated in each page and used by its code, every page
in the table of contents, and no executable cell in the scaling guide.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
PAGES = sorted(p.name for p in (BOOK / "en" / "reproductions").glob("*.md"))
CELL = re.compile(r"```\{code-cell\} ipython3\n(.*?)\n```\n", re.S)
REPRODUCTIONS = {
    "stale_rate_vs_interval",
    "stale_rate_vs_block_size",
    "selfish_mining_revenue",
    "double_spend_vs_confirmations",
    "propagation_percentiles",
}


def cells(path: Path) -> list[str]:
    return CELL.findall(path.read_text(encoding="utf-8"))


def test_one_page_per_reproduction_in_each_edition() -> None:
    assert len(PAGES) == len(REPRODUCTIONS)
    called = set()
    for name in PAGES:
        for lang in ("en", "zh"):
            assert (BOOK / lang / "reproductions" / name).is_file(), f"{lang}/{name}"
        code = "\n".join(cells(BOOK / "en" / "reproductions" / name))
        called |= set(re.findall(r"reproductions\.(\w+)\(", code))
    assert called == REPRODUCTIONS


@pytest.mark.parametrize("name", PAGES)
def test_chinese_page_runs_the_same_code(name: str) -> None:
    en = cells(BOOK / "en" / "reproductions" / name)
    zh = cells(BOOK / "zh" / "reproductions" / name)
    assert len(en) >= 4
    assert en == zh


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_states_the_scale_and_seed_it_runs(lang: str, name: str) -> None:
    text = (BOOK / lang / "reproductions" / name).read_text(encoding="utf-8")
    found = re.search(r"^SCALE, SEED = ([0-9.]+), ([0-9]+)$", text, re.M)
    assert found, "the setup cell sets SCALE and SEED"
    scale, seed = found.groups()
    assert f"`scale={float(scale):g}`" in text, "the prose states the scale"
    assert seed in text.split("```{code-cell}")[0], "the prose states the seed"
    assert "scale=SCALE, seed=SEED" in text or "scale=SCALE, replications=4, seed=SEED" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_index_lists_reproductions_and_scaling_guide(lang: str) -> None:
    index = (BOOK / lang / "index.md").read_text(encoding="utf-8")
    assert "\nreproductions/*\n" in index
    assert "\nscaling-guide\n" in index


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scaling_guide_runs_nothing_and_keeps_the_measurements(lang: str) -> None:
    text = (BOOK / lang / "scaling-guide.md").read_text(encoding="utf-8")
    assert "{code-cell}" not in text and "jupytext" not in text
    assert "--executor processes" in text and "--executor tcp://" in text
    assert "dask ssh" in text and "Kubernetes" in text
    assert "2026-11-28" in text
    assert "| 10,000 | 100 | 7.2 s | 200 MB | 149 MB |" in text
    assert "SPEED_" not in text, "placeholders of the measured speed table left"
