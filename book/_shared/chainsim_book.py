"""A small Sphinx extension for the ChainSim book.

Directives
----------
Both are reStructuredText directives: in a MyST page, wrap them in ``{eval-rst}``.

``chainsim-glossary``
    The glossary of ``courses/glossary.csv`` (columns ``en, zh, definition_en,
    definition_zh``) as a Sphinx ``glossary``, in the edition's language, with the
    other language's term beside each entry; terms can be linked with ``{term}``.
``chainsim-api``
    One section per module of ``chainsim_api_modules`` (``automodule`` with members),
    after a summary table of the modules.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

FIELDS = ("en", "zh", "definition_en", "definition_zh")

#: Functions re-exported by ``chainsim`` (name -> defining module), documented under
#: their short name (``chainsim.simulate``) when their module exists.
TOP_LEVEL = {
    "simulate": "chainsim.simulation",
    "get_scenario": "chainsim.scenarios",
    "list_scenarios": "chainsim.scenarios",
}


def read_glossary(path: str | Path) -> list[dict[str, str]]:
    """Rows of the glossary CSV; every field must be filled in."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        missing = [name for name in FIELDS if not (row.get(name) or "").strip()]
        if missing:
            raise ValueError(f"{path}:{number}: glossary entry lacks {', '.join(missing)}")
    return rows


def glossary_rst(rows: list[dict[str, str]], lang: str) -> list[str]:
    """reStructuredText lines of a sorted ``glossary`` directive in ``lang``."""
    other = "en" if lang == "zh" else "zh"
    lines = [".. glossary::", "   :sorted:", ""]
    for row in rows:
        lines.append(f"   {row[lang]}")
        lines.append(f"      *{row[other]}* — {row['definition_' + lang]}")
        lines.append("")
    return lines


class GlossaryDirective(SphinxDirective):
    """Render ``courses/glossary.csv`` in the edition's language."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        path = self.config.chainsim_glossary
        self.env.note_dependency(path)
        rows = read_glossary(path)
        container = nodes.container()
        self.state.nested_parse(
            StringList(glossary_rst(rows, self.config.chainsim_lang), source=path),
            self.content_offset,
            container,
        )
        return container.children


class ApiDirective(SphinxDirective):
    """Document every module named in ``chainsim_api_modules``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        modules = list(self.config.chainsim_api_modules)
        lines = [".. autosummary::", ""] + [f"   {name}" for name in modules] + [""]
        # The package itself: its docstring and the entry points it re-exports.
        lines += ["``chainsim``", "-" * 12, "", ".. automodule:: chainsim", "   :no-members:", ""]
        for name, module in TOP_LEVEL.items():
            if module in modules:
                lines += [f".. autofunction:: chainsim.{name}", ""]
        for name in modules:
            lines += [f"``{name}``", "-" * (len(name) + 4), "", f".. automodule:: {name}", ""]
        container = nodes.section()
        nested_parse_with_titles(self.state, StringList(lines, source="chainsim-api"), container)
        return container.children


def separate_execution_cache(app: Sphinx, config: Any) -> None:
    """One jupyter-cache per edition.

    jupyter-cache keys a notebook on its code cells only, and both editions have the
    same code: a shared cache would hand the English outputs (English figure labels)
    to the Chinese edition. myst-nb's default cache sits beside the output folder,
    shared when both editions are built side by side, so name it after the language.
    """
    if not config.nb_execution_cache_path:
        parent = Path(app.outdir).parent
        config.nb_execution_cache_path = str(parent / f".jupyter_cache-{config.chainsim_lang}")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("chainsim_glossary", "", "env")
    app.add_config_value("chainsim_lang", "en", "env")
    app.add_config_value("chainsim_api_modules", [], "env")
    app.connect("config-inited", separate_execution_cache, priority=400)
    app.add_directive("chainsim-glossary", GlossaryDirective)
    app.add_directive("chainsim-api", ApiDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
