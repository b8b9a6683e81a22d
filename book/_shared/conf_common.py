"""Sphinx settings shared by the English and the Chinese edition of the ChainSim book.

Each edition's ``conf.py`` calls :func:`configure` with its language. The lessons are
the MyST notebooks of ``courses/<lang>/``, reached through the committed symlink
``book/<lang>/lessons -> ../../courses/<lang>``, and executed at build time by myst-nb
(cached, failing the build on any error).

To document another module, add its name to :data:`API_MODULES`; modules that do not
exist yet are skipped, so the list can name modules still being written.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parent
BOOK = SHARED.parent
ROOT = BOOK.parent
GLOSSARY = ROOT / "courses" / "glossary.csv"

#: Public modules for the API reference, in reading order (easy to extend).
API_MODULES: tuple[str, ...] = (
    "chainsim.config",
    "chainsim.rng",
    "chainsim.errors",
    "chainsim.results",
    "chainsim.simulation",
    "chainsim.blocktree",
    "chainsim.network",
    "chainsim.scenarios",
    "chainsim.metrics",
    "chainsim.analysis",
    "chainsim.experiments",
    "chainsim.ledger",
    "chainsim.fraud",
    "chainsim.widgets",
    "chainsim.plotting",
    "chainsim.teaching",
)

#: Set ``CHAINSIM_REPOSITORY_URL`` (e.g. https://github.com/<owner>/<repo>) to get
#: "launch on Binder" and "edit on GitHub" buttons.
REPOSITORY_URL = os.environ.get("CHAINSIM_REPOSITORY_URL", "").rstrip("/")

TITLES = {
    "en": "ChainSim: blockchains, simulated",
    "zh": "ChainSim：动手模拟区块链",
}


def existing_modules(names: tuple[str, ...] = API_MODULES) -> list[str]:
    """The names in ``names`` that can be found (imported lazily by autodoc)."""
    found = []
    for name in names:
        try:
            if importlib.util.find_spec(name) is not None:
                found.append(name)
        except ModuleNotFoundError:
            continue
    return found


def configure(namespace: dict[str, Any], lang: str) -> None:
    """Fill an edition's ``conf.py`` namespace with the shared settings."""
    if str(SHARED) not in sys.path:
        sys.path.insert(0, str(SHARED))
    # Lesson helpers label figures in the edition's language (kernels inherit this).
    os.environ["CHAINSIM_LANG"] = lang
    os.environ.setdefault("TQDM_DISABLE", "1")
    # Kernels inherit this: figures become PNG outputs even if the caller set Agg.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"

    namespace.update(
        project="ChainSim",
        author="ChainSim developers",
        copyright="2026, ChainSim developers (MIT licence)",
        language="zh_CN" if lang == "zh" else "en",
        html_title=TITLES[lang],
        extensions=[
            "myst_nb",
            "sphinx.ext.autodoc",
            "sphinx.ext.autosummary",
            "sphinx.ext.napoleon",
            "sphinx.ext.mathjax",
            "chainsim_book",
        ],
        exclude_patterns=["_build", "**/.ipynb_checkpoints", "lessons/**/README.md"],
        # Lessons: MyST notebooks, executed at build and cached per edition.
        nb_execution_mode="cache",
        nb_execution_raise_on_error=True,
        nb_execution_show_tb=True,
        nb_execution_timeout=120,
        nb_merge_streams=True,
        # No widget manager runs in the static book: show each panel's PNG fallback.
        nb_mime_priority_overrides=[
            ("html", "application/vnd.jupyter.widget-view+json", None),
            ("dirhtml", "application/vnd.jupyter.widget-view+json", None),
        ],
        myst_enable_extensions=["colon_fence", "dollarmath", "deflist"],
        myst_heading_anchors=3,
        # API reference from numpydoc docstrings.
        autosummary_generate=False,
        autodoc_member_order="bysource",
        autodoc_default_options={"members": True, "show-inheritance": True},
        autodoc_typehints="signature",
        napoleon_google_docstring=False,
        napoleon_numpy_docstring=True,
        napoleon_use_rtype=False,
        chainsim_api_modules=existing_modules(),
        chainsim_glossary=str(GLOSSARY),
        chainsim_lang=lang,
        suppress_warnings=["mystnb.unknown_mime_type"],
        html_theme="sphinx_book_theme",
        html_theme_options=_theme_options(lang),
        html_last_updated_fmt="",
    )


def _theme_options(lang: str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "show_toc_level": 2,
        "navigation_with_keys": False,
    }
    if REPOSITORY_URL:
        options.update(
            repository_url=REPOSITORY_URL,
            repository_branch="main",
            path_to_docs=f"book/{lang}",
            use_repository_button=True,
            launch_buttons={
                "binderhub_url": "https://mybinder.org",
                "notebook_interface": "jupyterlab",
            },
        )
    return options
