"""The bilingual lessons: executed headless, in parity, and faithful to the glossary.

* Every lesson of ``courses/en`` and ``courses/zh`` (MyST notebooks, read with jupytext)
  is executed in a real Jupyter kernel with nbclient, from the lesson's own folder (so
  the lesson helpers pick the language from the path), with a per-cell timeout. Any
  error fails the test; each lesson must also produce at least one figure, and the
  Chinese figures must not miss glyphs. Execution times go to
  ``artifacts/lesson_timings.json``.
* Parity: the same file names in both languages and identical code cells.
* Glossary: ``courses/glossary.csv`` has both languages for every entry, and a Chinese
  lesson uses the Chinese term of every glossary term its English twin uses.
* House rules: ``SEED = ...`` in the first code cell, short code cells, both reference
  syllabi named, no committed notebook outputs.
"""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
COURSES = ROOT / "courses"
LANGS = ("en", "zh")
GLOSSARY = COURSES / "glossary.csv"
ARTIFACTS = ROOT / "artifacts"
CELL_TIMEOUT_S = 120
MAX_CODE_LINES = 12


def lesson_paths(lang: str) -> list[Path]:
    """Lesson files of one language, relative to ``courses/<lang>``."""
    base = COURSES / lang
    return sorted(
        p.relative_to(base)
        for p in base.rglob("*.md")
        if "jupytext" in p.read_text(encoding="utf-8")[:500]
    )


LESSONS = lesson_paths("en")


def read(lang: str, rel: Path) -> nbformat.NotebookNode:
    return jupytext.read(COURSES / lang / rel)


def cells(nb: nbformat.NotebookNode, kind: str) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == kind]


def read_glossary(path: Path = GLOSSARY) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def uses_term(prose: str, term: str) -> bool:
    """Whether English ``prose`` uses ``term`` (word boundaries, simple plurals)."""
    pattern = r"\b" + re.escape(term) + r"(s|es)?\b"
    return re.search(pattern, prose, flags=re.IGNORECASE) is not None


def missing_zh_terms(en_prose: str, zh_prose: str, rows: list[dict[str, str]]) -> list[str]:
    """English terms used in ``en_prose`` whose Chinese term (any of ``a/b``) is absent."""
    missing = []
    for row in rows:
        if uses_term(en_prose, row["en"]):
            alternatives = [t.strip() for t in row["zh"].split("/") if t.strip()]
            if not any(t in zh_prose for t in alternatives):
                missing.append(f"{row['en']} -> {row['zh']}")
    return missing


# --------------------------------------------------------------------------- structure


def test_there_are_lessons_in_both_languages() -> None:
    assert len(LESSONS) >= 1
    assert lesson_paths("zh") == LESSONS


def test_parity_same_files_and_identical_code_cells() -> None:
    assert lesson_paths("en") == lesson_paths("zh"), "en and zh must hold the same lesson files"
    for rel in LESSONS:
        en, zh = read("en", rel), read("zh", rel)
        assert cells(en, "code") == cells(zh, "code"), f"code cells of {rel} differ"
        assert en.metadata.get("kernelspec") == zh.metadata.get("kernelspec")


@pytest.mark.parametrize("rel", LESSONS, ids=str)
@pytest.mark.parametrize("lang", LANGS)
def test_house_rules(lang: str, rel: Path) -> None:
    nb = read(lang, rel)
    code = cells(nb, "code")
    assert code and re.match(r"SEED\s*=\s*\d+", code[0]), "first code cell must set SEED = <int>"
    for source in code:
        n_lines = len([line for line in source.splitlines() if line.strip()])
        assert n_lines <= MAX_CODE_LINES, f"code cell too long ({n_lines} lines):\n{source}"
    prose = "\n".join(cells(nb, "markdown"))
    assert "Bitcoin and Cryptocurrency Technologies" in prose
    assert "区块链技术与应用" in prose
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_no_notebook_outputs_are_committed() -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "courses/en", "courses/zh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked, "the lessons must be tracked in git"
    assert not [t for t in tracked if t.endswith(".ipynb")], "lessons are MyST text, no .ipynb"


# --------------------------------------------------------------------------- glossary


def test_glossary_has_both_languages_for_each_entry() -> None:
    rows = read_glossary()
    assert len(rows) >= 20
    for row in rows:
        for column in ("en", "zh", "definition_en", "definition_zh"):
            assert row[column].strip(), f"{row} lacks {column}"
        assert re.search(r"[\u4e00-\u9fff]", row["zh"]), f"zh term is not Chinese: {row['zh']}"
        assert re.search(r"[\u4e00-\u9fff]", row["definition_zh"])
    for column in ("en", "zh"):
        terms = [row[column].lower() for row in rows]
        assert len(terms) == len(set(terms)), f"duplicate {column} terms"


def test_glossary_names_the_curriculum_terms() -> None:
    pairs = {(row["en"], row["zh"]) for row in read_glossary()}
    for pair in [
        ("block", "区块"),
        ("hash", "哈希"),
        ("Merkle tree", "默克尔树"),
        ("proof of work", "工作量证明"),
        ("proof of stake", "权益证明"),
        ("double spend", "双花"),
        ("selfish mining", "自私挖矿"),
        ("fork", "分叉"),
        ("stale block", "孤块/陈旧块"),
        ("consensus", "共识"),
    ]:
        assert pair in pairs


def test_missing_zh_terms_detects_an_inconsistent_translation() -> None:
    rows = [{"en": "stale block", "zh": "孤块/陈旧块"}, {"en": "fork", "zh": "分叉"}]
    assert missing_zh_terms("Stale blocks come from forks.", "陈旧块来自分叉。", rows) == []
    assert missing_zh_terms("Stale blocks come from forks.", "废块来自分叉。", rows) == [
        "stale block -> 孤块/陈旧块"
    ]
    assert missing_zh_terms("Nothing here.", "", rows) == []


@pytest.mark.parametrize("rel", LESSONS, ids=str)
def test_zh_lessons_use_the_glossary_terms(rel: Path) -> None:
    en_prose = "\n".join(cells(read("en", rel), "markdown"))
    zh_prose = "\n".join(cells(read("zh", rel), "markdown"))
    assert missing_zh_terms(en_prose, zh_prose, read_glossary()) == []


# --------------------------------------------------------------------------- execution


def execute(lang: str, rel: Path) -> tuple[nbformat.NotebookNode, float]:
    """Run a lesson headless from its own folder; return the notebook and seconds."""
    from nbclient import NotebookClient

    path = COURSES / lang / rel
    nb = jupytext.read(path)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def widget_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    """Outputs held by Output widgets in the executed notebook's widget state."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    outputs: list[dict] = []
    for model in state.get("state", {}).values():
        if model.get("model_name") == "OutputModel":
            outputs += model.get("state", {}).get("outputs", [])
    return outputs


def record_timing(key: str, seconds: float) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "lesson_timings.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data[key] = round(seconds, 2)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("rel", LESSONS, ids=str)
@pytest.mark.parametrize("lang", LANGS)
def test_lesson_executes_headless(lang: str, rel: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINSIM_LANG", raising=False)  # the language comes from the path
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    nb, seconds = execute(lang, rel)
    record_timing(f"{lang}/{rel.as_posix()}", seconds)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    # Output widgets (panels redraw into them) keep their outputs in the widget state:
    # an error raised by a slider callback lands there, not in the cell.
    outputs += widget_outputs(nb)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "a lesson must draw at least one figure that renders without widgets"
    for o in outputs:
        data = o.get("data", {})
        if "application/vnd.jupyter.widget-view+json" in data:
            assert "image/png" in data or "text/html" in data, "widget without static fallback"
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "missing from font" not in stderr, stderr
    assert "Traceback" not in stderr, stderr
