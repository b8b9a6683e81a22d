"""Small helpers the lessons call: panels, figures and "check yourself" feedback.

A lesson cell should stay about ten lines long, so anything longer lives here, with
tests. Three kinds of helper:

* **panels** (``*_panel``): a few ipywidgets controls driving one matplotlib figure.
  Sliders use ``continuous_update=False`` and the figure is redrawn through
  :func:`ipywidgets.interactive_output`. A panel also carries a static PNG of its
  current figure, so a notebook executed headless (the book, the tests) still shows
  the figure where no widget manager runs.
* **figure helpers** (``plot_*``): draw onto a matplotlib ``Axes`` and return it.
* **feedback**: :func:`check` runs a learner's function on a few cases and prints a
  readable pass/fail report; :func:`quiz` asks a multiple-choice question and answers
  immediately.

Labels follow the lesson's language: ``"zh"`` when the notebook runs from a folder
named ``zh`` (``courses/zh/...``) or when ``CHAINSIM_LANG=zh``, else English. The code
cells of both language editions are therefore identical. Chinese labels need a CJK
font; :func:`use_cjk_fonts` (called on import) adds Noto Sans CJK SC as a fallback
font when it is installed.

This module imports matplotlib and ipywidgets, so ``import chainsim`` never loads it;
lessons import it explicitly (``from chainsim import teaching``).
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chainsim.errors import ConfigError

__all__ = [
    "CheckReport",
    "Panel",
    "check",
    "figure_png",
    "lesson_language",
    "new_axes",
    "panel",
    "quiz",
    "text",
    "use_cjk_fonts",
]

#: Languages the lessons are written in.
LANGUAGES: tuple[str, ...] = ("en", "zh")

#: CJK fonts tried, in order, as fallbacks for Chinese labels.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
)

# Every label a helper draws, in both languages. Keys are short and stable.
_TEXT: dict[str, dict[str, str]] = {
    "pass_all": {"en": "All {n} checks pass. Well done!", "zh": "全部 {n} 项检查通过，做得好！"},
    "pass_some": {
        "en": "{k} of {n} checks pass. Look at the failing ones:",
        "zh": "{n} 项检查中通过 {k} 项。请看没有通过的几项：",
    },
    "not_yet": {
        "en": "Not attempted yet: replace the `...` in {name} and run the cell again.",
        "zh": "还没有作答：把 {name} 中的 `...` 换成你的代码，再运行这个单元格。",
    },
    "returned": {"en": "returned {got!r}, expected {want!r}", "zh": "返回 {got!r}，应为 {want!r}"},
    "raised": {"en": "raised {err}", "zh": "抛出异常 {err}"},
    "hint": {"en": "Hint: {hint}", "zh": "提示：{hint}"},
    "correct": {"en": "Correct.", "zh": "正确。"},
    "wrong": {"en": "Not quite, try again.", "zh": "不太对，再想一想。"},
    "choose": {"en": "Choose an answer.", "zh": "请选择一个答案。"},
    "static_note": {
        "en": "Open this page in JupyterLab or on Binder to move the controls.",
        "zh": "在 JupyterLab 或 Binder 中打开本页即可拖动控件。",
    },
}


# --------------------------------------------------------------------------- language


def lesson_language(path: str | os.PathLike[str] | None = None) -> str:
    """The language a lesson runs in: ``"en"`` or ``"zh"``.

    ``CHAINSIM_LANG`` wins when set; otherwise the nearest folder named ``en`` or
    ``zh`` in ``path`` (default: the working directory, which Jupyter sets to the
    notebook's folder); otherwise ``"en"``.

    Parameters
    ----------
    path : path-like, optional
        Where the notebook runs. Defaults to :func:`os.getcwd`.

    Returns
    -------
    str
        ``"en"`` or ``"zh"``.

    Examples
    --------
    >>> lesson_language("/repo/courses/zh/01-crypto") if "CHAINSIM_LANG" not in os.environ else "zh"
    'zh'
    """
    env = os.environ.get("CHAINSIM_LANG", "").strip().lower()
    if env:
        if env not in LANGUAGES:
            raise ConfigError(f"CHAINSIM_LANG must be one of {LANGUAGES}, got {env!r}")
        return env
    parts = Path(path if path is not None else os.getcwd()).parts
    for part in reversed(parts):
        if part in LANGUAGES:
            return part
    return "en"


def text(key: str, lang: str | None = None, **fields: Any) -> str:
    """A helper label in the lesson's language, with ``fields`` filled in.

    Examples
    --------
    >>> text("pass_all", "en", n=3)
    'All 3 checks pass. Well done!'
    >>> text("pass_all", "zh", n=3)
    '全部 3 项检查通过，做得好！'
    """
    if key not in _TEXT:
        raise ConfigError(f"text key must be one of {sorted(_TEXT)}, got {key!r}")
    lang = lang or lesson_language()
    if lang not in LANGUAGES:
        raise ConfigError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    return _TEXT[key][lang].format(**fields)


def _pick(labels: Mapping[str, str], lang: str | None) -> str:
    return labels[lang or lesson_language()]


# --------------------------------------------------------------------------- figures


def use_cjk_fonts() -> list[str]:
    """Put an installed CJK font after the default font, for Chinese labels.

    Matplotlib (>= 3.6) falls back glyph by glyph along ``font.sans-serif``, so Latin
    text keeps DejaVu Sans and Chinese characters come from the CJK font. Only fonts
    that are installed are added, so no "font not found" warning is raised.

    Returns
    -------
    list of str
        The resulting ``font.sans-serif`` list.
    """
    installed = {f.name for f in font_manager.fontManager.ttflist}
    current = list(matplotlib.rcParams["font.sans-serif"])
    cjk = [name for name in CJK_FONTS if name in installed and name not in current]
    first = [name for name in current if name in installed][:1] or ["DejaVu Sans"]
    rest = [name for name in current if name not in first]
    families = first + cjk + rest
    matplotlib.rcParams["font.sans-serif"] = families
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return families


def new_axes(figsize: tuple[float, float] = (6.4, 3.6)) -> Axes:
    """A fresh ``Axes`` on its own :class:`~matplotlib.figure.Figure`.

    The figure is not registered with pyplot, so the inline backend does not show it
    by itself; :func:`figure_png` or a :class:`Panel` displays it.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The PNG bytes of ``fig``.

    Examples
    --------
    >>> ax = new_axes()
    >>> figure_png(ax.figure)[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# --------------------------------------------------------------------------- panels


class Panel(widgets.VBox):
    """Controls above a figure, with a static PNG for pages rendered without a kernel.

    Build one with :func:`panel`. In JupyterLab and Voila the widget view is shown; a
    renderer without a widget manager (the Sphinx book, ``nbconvert``) falls back to
    the ``image/png`` of the figure drawn for the initial control values.
    """

    def __init__(self, children: Sequence[widgets.Widget], **kwargs: Any) -> None:
        super().__init__(children=list(children), **kwargs)
        self.png: bytes = b""
        self.n_draws = 0

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):  # (data, metadata)
            data, meta = bundle
        else:
            data, meta = bundle, {}
        if data is not None and self.png:
            data = dict(data)
            data["image/png"] = base64.b64encode(self.png).decode("ascii")
            data["text/plain"] = text("static_note")
        return (data, meta) if meta else data


def panel(
    draw: Callable[..., Figure],
    controls: Mapping[str, widgets.ValueWidget],
    *,
    header: widgets.Widget | None = None,
) -> Panel:
    """Controls that redraw a figure when a value changes.

    Parameters
    ----------
    draw : callable
        ``draw(**values) -> Figure``; called once at once with the initial values and
        again after each change (sliders should use ``continuous_update=False``).
    controls : mapping of str to widget
        The keyword each widget's value is passed as.
    header : widget, optional
        Shown above the controls (for example a title or a readout).

    Returns
    -------
    Panel
        A VBox: header, controls, then the figure output.
    """
    box = Panel([])

    def show(**values: Any) -> None:
        from IPython.display import Image, display

        fig = draw(**values)
        box.png = figure_png(fig)
        box.n_draws += 1
        display(Image(data=box.png, format="png"))

    out = widgets.interactive_output(show, dict(controls))
    row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
    box.children = ([header] if header is not None else []) + [row, out]
    return box


def slider(
    value: float,
    low: float,
    high: float,
    step: float,
    description: str,
    *,
    integer: bool = False,
    log: bool = False,
) -> widgets.ValueWidget:
    """A slider that only fires when released (``continuous_update=False``)."""
    style = {"description_width": "initial"}
    layout = widgets.Layout(width="360px")
    common = {
        "description": description,
        "continuous_update": False,
        "style": style,
        "layout": layout,
    }
    if log:
        return widgets.FloatLogSlider(
            value=value, min=np.log10(low), max=np.log10(high), step=step, **common
        )
    if integer:
        return widgets.IntSlider(
            value=int(value), min=int(low), max=int(high), step=int(step), **common
        )
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, **common)


# --------------------------------------------------------------------------- feedback


@dataclass
class CheckReport:
    """The outcome of :func:`check`: which cases passed, and readable messages.

    Attributes
    ----------
    name : str
        The checked function's name.
    n_cases : int
        How many cases ran.
    failures : list of str
        One message per failing case (empty when all pass).
    attempted : bool
        False while the function still raises ``NotImplementedError`` or returns
        ``Ellipsis`` (the untouched starter code).
    lang : str
        Language of the messages.
    """

    name: str
    n_cases: int
    failures: list[str] = field(default_factory=list)
    attempted: bool = True
    hint: str = ""
    lang: str = "en"

    @property
    def passed(self) -> bool:
        """True when every case passed."""
        return self.attempted and not self.failures

    @property
    def n_passed(self) -> int:
        """How many cases passed."""
        return self.n_cases - len(self.failures) if self.attempted else 0

    def __str__(self) -> str:
        if not self.attempted:
            return "… " + text("not_yet", self.lang, name=self.name)
        if self.passed:
            return "✔ " + text("pass_all", self.lang, n=self.n_cases)
        lines = ["✘ " + text("pass_some", self.lang, k=self.n_passed, n=self.n_cases)]
        lines += [f"  - {message}" for message in self.failures]
        if self.hint:
            lines.append(text("hint", self.lang, hint=self.hint))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else ("#9a6700" if not self.attempted else "#cf222e")
        body = html.escape(str(self)).replace("\n", "<br>")
        return f'<div style="border-left:4px solid {colour};padding:4px 8px">{body}</div>'


def _same(got: Any, want: Any, rel_tol: float) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        try:
            return bool(np.isclose(float(got), float(want), rtol=rel_tol, atol=0.0))
        except (TypeError, ValueError):
            return False
    try:
        return bool(got == want)
    except Exception:  # an odd type whose == raises is simply not equal
        return False


def check(
    function: Callable[..., Any],
    cases: Iterable[tuple[Sequence[Any], Any]],
    *,
    hint: str | Mapping[str, str] = "",
    rel_tol: float = 1e-6,
    lang: str | None = None,
) -> CheckReport:
    """Run ``function`` on ``cases`` and report, readably, which ones pass.

    A case is ``(args, expected)``; floats are compared with relative tolerance
    ``rel_tol``. Exceptions are reported as failures, never raised, so the feedback
    always shows. A function that raises ``NotImplementedError`` or returns
    ``Ellipsis`` (the starter stub ``return ...``) counts as not attempted yet.

    Parameters
    ----------
    function : callable
        The learner's function.
    cases : iterable of (args, expected)
        Positional arguments and the expected return value.
    hint : str or mapping of language to str, optional
        Shown under failures.
    rel_tol : float, optional
        Relative tolerance for floats (default 1e-6).
    lang : str, optional
        ``"en"`` or ``"zh"``; default :func:`lesson_language`.

    Returns
    -------
    CheckReport
        Printed or displayed as the feedback.

    Examples
    --------
    >>> def double(x):
    ...     return 2 * x
    >>> print(check(double, [((1,), 2), ((2.5,), 5.0)], lang="en"))
    ✔ All 2 checks pass. Well done!
    >>> print(check(lambda x: x + 2, [((1,), 2), ((2,), 4)], lang="en"))
    ✘ 1 of 2 checks pass. Look at the failing ones:
      - <lambda>(1) returned 3, expected 2
    >>> def todo(x):
    ...     return ...  # the starter stub
    >>> check(todo, [((1,), 2)], lang="en").attempted
    False
    """
    lang = lang or lesson_language()
    name = getattr(function, "__name__", "function")
    cases = list(cases)
    report = CheckReport(name=name, n_cases=len(cases), lang=lang)
    report.hint = hint if isinstance(hint, str) else hint.get(lang, "")
    for args, want in cases:
        call = f"{name}({', '.join(repr(a) for a in args)})"
        try:
            got = function(*args)
        except NotImplementedError:
            report.attempted = False
            return report
        except Exception as err:
            report.failures.append(f"{call} " + text("raised", lang, err=repr(err)))
            continue
        if got is Ellipsis:  # the untouched starter: `return ...`
            report.attempted = False
            return report
        if not _same(got, want, rel_tol):
            report.failures.append(f"{call} " + text("returned", lang, got=got, want=want))
    return report


@dataclass
class _QuizState:
    answer: int
    explanation: str
    lang: str


def quiz(
    question: str,
    options: Sequence[str],
    answer: int,
    explanation: str = "",
    *,
    lang: str | None = None,
) -> widgets.VBox:
    """A multiple-choice question that answers as soon as an option is picked.

    Parameters
    ----------
    question : str
        The question (plain text or simple HTML).
    options : sequence of str
        The choices.
    answer : int
        Index of the right choice in ``options``.
    explanation : str, optional
        Shown with the verdict.
    lang : str, optional
        Language of the verdict; default :func:`lesson_language`.

    Returns
    -------
    ipywidgets.VBox
        The question, the choices and a feedback line; ``.check(index)`` returns the
        feedback for a choice (used by tests and by the widget itself).
    """
    if not options:
        raise ConfigError("options must hold at least one choice, got an empty sequence")
    if not 0 <= answer < len(options):
        raise ConfigError(f"answer must be an index in [0, {len(options) - 1}], got {answer}")
    state = _QuizState(answer=answer, explanation=explanation, lang=lang or lesson_language())
    choices = widgets.RadioButtons(
        options=list(options), value=None, layout=widgets.Layout(width="auto")
    )
    feedback = widgets.HTML(value=text("choose", state.lang))

    def verdict(index: int | None) -> str:
        if index is None:
            return text("choose", state.lang)
        if index == state.answer:
            return (
                "✔ "
                + text("correct", state.lang)
                + (f" {state.explanation}" if explanation else "")
            )
        return "✘ " + text("wrong", state.lang)

    def on_change(change: Mapping[str, Any]) -> None:
        value = change["new"]
        feedback.value = html.escape(verdict(None if value is None else list(options).index(value)))

    choices.observe(on_change, names="value")
    box = _Quiz([widgets.HTML(value=f"<b>{question}</b>"), choices, feedback])
    box.verdict = verdict
    box.question = question
    box.options = list(options)
    return box


class _Quiz(widgets.VBox):
    """A quiz VBox that also renders as plain HTML where widgets cannot run."""

    verdict: Callable[[int | None], str]
    question: str
    options: list[str]

    def __init__(self, children: Sequence[widgets.Widget]) -> None:
        super().__init__(children=list(children))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is None:
            return bundle
        data = dict(data)
        items = "".join(f"<li>{html.escape(o)}</li>" for o in self.options)
        data["text/html"] = f"<p><b>{self.question}</b></p><ol type='A'>{items}</ol>"
        return (data, bundle[1]) if isinstance(bundle, tuple) else data


use_cjk_fonts()
