"""The Sphinx book: both editions build with warnings as errors, with the key pages.

The slow test runs ``book/build.py`` (``sphinx -W --keep-going`` per edition, myst-nb
executing every lesson) into a temporary directory, once for the module, and records
the build time in ``artifacts/book_timing.json``. The quick tests cover the small
Sphinx extension that renders the glossary and the API list.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
GLOSSARY = ROOT / "courses" / "glossary.csv"
LESSONS = sorted(
    p.relative_to(ROOT / "courses" / "en") for p in (ROOT / "courses" / "en").rglob("*.md")
)


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- quick


def test_each_edition_links_to_the_lessons_of_its_language() -> None:
    for lang in ("en", "zh"):
        link = BOOK / lang / "lessons"
        assert link.is_symlink(), f"{link} must be a symlink committed in git"
        assert link.resolve() == (ROOT / "courses" / lang).resolve()
        assert (BOOK / lang / "conf.py").is_file()
        for page in ("index", "student-guide", "instructor-guide", "glossary", "api"):
            assert (BOOK / lang / f"{page}.md").is_file(), f"{lang}/{page}.md"


def test_glossary_renders_in_each_language(tmp_path: Path) -> None:
    ext = load(BOOK / "_shared" / "chainsim_book.py", "chainsim_book_under_test")
    rows = ext.read_glossary(GLOSSARY)
    en = "\n".join(ext.glossary_rst(rows, "en"))
    zh = "\n".join(ext.glossary_rst(rows, "zh"))
    assert en.startswith(".. glossary::") and "\n   stale block\n      *孤块/陈旧块* — " in en
    assert "\n   孤块/陈旧块\n      *stale block* — " in zh

    broken = tmp_path / "glossary.csv"
    with open(GLOSSARY, encoding="utf-8") as src, open(broken, "w", encoding="utf-8") as dst:
        lines = src.read().splitlines()
        dst.write("\n".join([lines[0], "hash,,a digest,摘要"]) + "\n")
    with pytest.raises(ValueError, match=r"glossary.csv:2: glossary entry lacks zh"):
        ext.read_glossary(broken)


def test_api_module_list_keeps_only_existing_modules() -> None:
    common = load(BOOK / "_shared" / "conf_common.py", "conf_common_under_test")
    found = common.existing_modules(("chainsim.config", "chainsim.no_such_module"))
    assert found == ["chainsim.config"]
    assert "chainsim.simulation" in common.existing_modules()


# --------------------------------------------------------------------------- build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("book")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BOOK / "build.py"), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-8000:]
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    per_edition = dict(re.findall(r"^(en|zh): built in ([0-9.]+) s", done.stdout, re.M))
    (artifacts / "book_timing.json").write_text(
        json.dumps({"total_s": round(seconds, 1), **per_edition}, indent=2) + "\n",
        encoding="utf-8",
    )
    (artifacts / "book_build.log").write_text(log, encoding="utf-8")
    return out


def html(built: Path, page: str) -> str:
    return (built / page).read_text(encoding="utf-8")


@pytest.mark.book
@pytest.mark.slow
def test_both_editions_build_without_warnings(built: Path) -> None:
    log = (ROOT / "artifacts" / "book_build.log").read_text(encoding="utf-8")
    assert log.count("build succeeded.") == 2
    assert "WARNING:" not in log
    for lang in ("en", "zh"):
        for page in ("index", "student-guide", "instructor-guide", "glossary", "api"):
            assert (built / lang / f"{page}.html").is_file(), f"{lang}/{page}.html"
    assert 'href="en/index.html"' in html(built, "index.html")


@pytest.mark.book
@pytest.mark.slow
def test_api_reference_documents_the_public_modules(built: Path) -> None:
    api = html(built, "en/api.html")
    assert 'id="chainsim.simulate"' in api
    for name in (
        "chainsim.config.SimConfig",
        "chainsim.results.Results",
        "chainsim.teaching.check",
    ):
        assert f'id="{name}"' in api, name
    # numpydoc sections are rendered by napoleon, not shown raw.
    assert "Parameters</dt>" in api or 'class="field-list' in api
    assert "----------" not in api


@pytest.mark.book
@pytest.mark.slow
@pytest.mark.parametrize("rel", LESSONS, ids=str)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lesson_pages_hold_executed_figures(built: Path, lang: str, rel: Path) -> None:
    page = built / lang / "lessons" / rel.with_suffix(".html")
    text = page.read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', text)
    assert len(images) >= 2, "executed panels must leave static figures"
    for src in images:
        assert (page.parent / src).resolve().is_file(), src
    assert "Bitcoin and Cryptocurrency Technologies" in text
    assert "application/vnd.jupyter.widget-view+json" not in text
    assert "Traceback" not in text


@pytest.mark.book
@pytest.mark.slow
def test_chinese_edition_is_in_chinese(built: Path) -> None:
    index = html(built, "zh/index.html")
    assert 'lang="zh-CN"' in index
    assert "动手模拟区块链" in index
    lesson = html(built, "zh/lessons/01-crypto/01-hashes-blocks-chain.html")
    assert "哈希、区块与链" in lesson and "雪崩效应" in lesson
    # The Chinese edition ran its own notebooks: the check-yourself feedback is Chinese.
    assert "还没有作答" in lesson
    assert "还没有作答" not in html(built, "en/lessons/01-crypto/01-hashes-blocks-chain.html")


@pytest.mark.book
@pytest.mark.slow
def test_glossary_page_lists_every_term(built: Path) -> None:
    with open(GLOSSARY, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    en, zh = html(built, "en/glossary.html"), html(built, "zh/glossary.html")
    for row in rows:
        assert f">{row['en']}<" in en, row["en"]
        assert f">{row['zh']}<" in zh, row["zh"]
