"""Interactive panels for lessons and the public Voila demos.

A panel is an :class:`ipywidgets.VBox` holding controls (sliders, text boxes, buttons),
a figure (an :class:`ipywidgets.Image` showing a PNG drawn by :mod:`chainsim.plotting`),
a plain-words summary and a message line. Every change of a control runs a small,
bounded piece of work (a capped simulation, a capped number of hashes) and redraws the
figure. Bad values never raise out of a callback: a :class:`~chainsim.errors.ChainSimError`
is shown as its (friendly) message, anything unexpected as a short apology, so a visitor
of a public demo never sees a traceback.

Panels take ``language="en"`` or ``"zh"`` for their labels. The layout wraps: controls
flow onto new lines and the figure shrinks to the screen width, so a panel is readable
on a phone (about 390 px wide).

Importing this module imports ipywidgets and matplotlib; ``import chainsim`` does not.

A demo notebook needs one line, for example::

    from chainsim.widgets import forks_panel
    forks_panel()
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as W

from chainsim import plotting
from chainsim.errors import ChainSimError, ConfigError

__all__ = [
    "LANGUAGES",
    "Panel",
    "label",
]

LANGUAGES = plotting.LANGUAGES

# Flex rules shared by the panels: controls wrap onto new lines on a narrow screen.
_ROW = {"display": "flex", "flex_flow": "row wrap", "width": "100%", "align_items": "center"}
_CONTROL = {"flex": "1 1 300px", "min_width": "240px", "max_width": "460px"}
_STYLE = {"description_width": "150px"}

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "busy": "Working…",
        "unexpected": (
            "Sorry, something went wrong with these settings. Try other values, or reload the page."
        ),
        "error_prefix": "Please check the settings: ",
    },
    "zh": {
        "busy": "计算中…",
        "unexpected": "抱歉，这组参数出了问题。请换一组数值，或刷新页面。",
        "error_prefix": "请检查参数：",
    },
}


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ConfigError(
            f"language must be one of {', '.join(repr(x) for x in LANGUAGES)}, got {language!r}"
        )
    return language


def label(table: dict[str, dict[str, str]], key: str, language: str, **fields: Any) -> str:
    """Look up ``key`` in a two-language label table and fill in ``{fields}``.

    Falls back to the English label when the ``language`` table lacks the key.

    Examples
    --------
    >>> label({"en": {"hi": "Hello {name}"}, "zh": {"hi": "你好 {name}"}}, "hi", "zh", name="A")
    '你好 A'
    >>> label({"en": {"hi": "Hello"}, "zh": {}}, "hi", "zh")
    'Hello'
    """
    _check_language(language)
    text = table.get(language, {}).get(key)
    if text is None:
        text = table["en"][key]
    return text.format(**fields)


class Panel(W.VBox):
    """Base class of the demo panels: controls, a figure, a summary and a message line.

    Subclasses build their controls, then call :meth:`_finish` with them, and implement
    :meth:`_compute` (the bounded work, returning a figure and a summary in HTML).

    Attributes
    ----------
    figure : ipywidgets.Image
        The current drawing (PNG bytes in ``figure.value``).
    summary : ipywidgets.HTML
        Plain-words result of the last successful update.
    message : ipywidgets.HTML
        Empty, or a friendly message about bad settings.
    n_updates : int
        How many updates finished successfully.
    last_update_s : float
        Wall time of the last update in seconds.
    """

    language: str

    def __init__(self, *, language: str = "en", title: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.language = _check_language(language)
        self.n_updates = 0
        self.last_update_s = 0.0
        self.last_error: str = ""
        self._title = W.HTML(f"<h3 style='margin:4px 0'>{html.escape(title)}</h3>" if title else "")
        self.figure = W.Image(
            format="png",
            layout=W.Layout(width="100%", max_width="720px", height="auto", object_fit="contain"),
        )
        self.figure.add_class("chainsim-figure")
        self.summary = W.HTML(layout=W.Layout(width="100%", max_width="720px"))
        self.summary.add_class("chainsim-summary")
        self.message = W.HTML(layout=W.Layout(width="100%", max_width="720px"))
        self.message.add_class("chainsim-message")
        self.status = W.HTML("", layout=W.Layout(min_height="1.4em"))
        self.status.add_class("chainsim-status")
        self.add_class("chainsim-panel")
        self.layout.width = "100%"
        self.layout.max_width = "760px"

    # -- helpers for subclasses --------------------------------------------------------
    def _text(self, key: str, **fields: Any) -> str:
        return label(_LABELS, key, self.language, **fields)

    @staticmethod
    def _row(children: Sequence[W.Widget]) -> W.Box:
        return W.Box(list(children), layout=W.Layout(**_ROW))

    @staticmethod
    def _styled(widget: W.Widget) -> W.Widget:
        """Give a control the shared wrapping layout and label width."""
        for key, value in _CONTROL.items():
            setattr(widget.layout, key, value)
        if hasattr(widget, "style") and hasattr(widget.style, "description_width"):
            widget.style.description_width = _STYLE["description_width"]
        return widget

    def _finish(self, rows: Sequence[W.Widget], watched: Sequence[W.Widget]) -> None:
        """Lay the panel out and redraw whenever a ``watched`` control changes."""
        self.children = [
            self._title,
            *rows,
            self.status,
            self.message,
            self.figure,
            self.summary,
        ]
        for widget in watched:
            widget.observe(self._on_change, names="value")
        self.refresh()

    def _on_change(self, change: dict[str, Any] | None = None) -> None:
        self.refresh()

    # -- the update cycle ---------------------------------------------------------------
    def _compute(self) -> tuple[bytes, str]:
        """Do the bounded work; return (PNG bytes, summary HTML). Subclasses override."""
        raise NotImplementedError

    def refresh(self) -> bool:
        """Recompute and redraw from the current control values.

        Returns
        -------
        bool
            True when the figure was redrawn; False when the settings were refused
            (the reason is then in :attr:`message`).
        """
        start = time.perf_counter()
        self.status.value = f"<i>{html.escape(self._text('busy'))}</i>"
        try:
            png, summary = self._compute()
        except ChainSimError as exc:
            self.show_error(self._text("error_prefix") + str(exc))
            return False
        except Exception:  # a public page must never show a traceback
            self.show_error(self._text("unexpected"))
            return False
        finally:
            self.status.value = ""
        self.figure.value = png
        self.summary.value = summary
        self.message.value = ""
        self.last_error = ""
        self.n_updates += 1
        self.last_update_s = time.perf_counter() - start
        return True

    def show_error(self, text: str) -> None:
        """Show a friendly message (HTML-escaped) above the figure."""
        self.last_error = text
        self.message.value = (
            "<div style='border-left:4px solid #D55E00;padding:6px 10px;background:#fff4ec;"
            f"color:#222'>{html.escape(text)}</div>"
        )


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a button callback so that it reports errors in the panel instead of raising."""

    def wrapped(self: Panel, *args: Any) -> None:
        try:
            fn(self, *args)
        except ChainSimError as exc:
            self.show_error(self._text("error_prefix") + str(exc))
        except Exception:
            self.show_error(self._text("unexpected"))

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped
