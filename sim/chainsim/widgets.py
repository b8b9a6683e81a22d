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
    "FRAUD_MAX_POPULATION",
    "LANGUAGES",
    "FraudPanel",
    "Panel",
    "fraud_panel",
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


# -- the investment-scheme (fraud) demo ------------------------------------------------

#: Largest population a fraud panel simulates (bounds the work of one callback).
FRAUD_MAX_POPULATION = 50_000

_FRAUD_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Who pays for the promised returns?",
        "scheme": "Scheme",
        "return": "Promised return a day",
        "levels": "Commission levels",
        "commission": "Commission, level 1",
        "recruitment": "Recruiting pull",
        "operator_cut": "Operator's cut",
        "seed": "Random seed",
        "commission_note": "Each further level earns half of the level above.",
        "members_line": (
            "{n_members:,} joined; {losers:,} got back less than they paid in "
            "({loss_share:.0%}). The operator took ¥{operator:,.0f}."
        ),
    },
    "zh": {
        "title": "承诺的高收益，是谁在买单？",
        "scheme": "模式",
        "return": "承诺日收益",
        "levels": "提成层级",
        "commission": "第 1 层提成",
        "recruitment": "拉人速度",
        "operator_cut": "运营者抽成",
        "seed": "随机种子",
        "commission_note": "每往下一层，提成减半。",
        "members_line": (
            "共 {n_members:,} 人加入；{losers:,} 人拿回的钱少于投入（{loss_share:.0%}）。"
            "运营者拿走 {operator:,.0f} 元。"
        ),
    },
}


class FraudPanel(Panel):
    """An investment scheme with sliders: promised return, commissions, recruitment.

    Each change runs :func:`chainsim.fraud.simulate_scheme` once (at most
    :data:`FRAUD_MAX_POPULATION` participants, a few hundredths of a second) and redraws
    members, reserves, and winners against losers over time
    (:func:`chainsim.plotting.plot_scheme`), with the plain summary sentence of
    :func:`chainsim.fraud.summary_sentence` below.

    Parameters
    ----------
    preset : str
        Starting scheme, a name from :func:`chainsim.fraud.list_presets`.
    population : int
        Potential participants (1 to :data:`FRAUD_MAX_POPULATION`).
    seed : int
        Seed of every run (the same settings always give the same picture).
    language : {"en", "zh"}
        Language of the labels, the figure and the summary.
    **changes
        Starting values for :class:`chainsim.fraud.SchemeConfig` fields (for example
        ``daily_return=0.01``). Bad values are reported in the panel, not raised.
    """

    def __init__(
        self,
        preset: str = "pyramid-mlm",
        *,
        population: int = 10_000,
        seed: int = 1,
        language: str = "en",
        **changes: Any,
    ) -> None:
        from chainsim import fraud

        super().__init__(language=language, title=self._fraud_text("title", language))
        self._fraud = fraud
        self.seed = seed
        self.population = population
        self.changes = dict(changes)
        self.results: Any = None
        self._loading_preset = False
        names = fraud.list_presets()
        titles = [
            (fraud.PRESETS[n].title_zh if language == "zh" else fraud.PRESETS[n].title, n)
            for n in names
        ]
        self.scheme = self._styled(
            W.Dropdown(
                options=titles,
                value=preset if preset in names else names[0],
                description=self._t("scheme"),
            )
        )
        self.scheme.add_class("chainsim-select-scheme")
        self.daily_return = self._styled(
            W.FloatSlider(
                value=0.005,
                min=0.0,
                max=0.03,
                step=0.001,
                readout_format=".1%",
                continuous_update=False,
                description=self._t("return"),
            )
        )
        self.daily_return.add_class("chainsim-slider-return")
        self.levels = self._styled(
            W.IntSlider(
                value=3, min=0, max=10, continuous_update=False, description=self._t("levels")
            )
        )
        self.levels.add_class("chainsim-slider-levels")
        self.commission = self._styled(
            W.FloatSlider(
                value=0.1,
                min=0.0,
                max=0.5,
                step=0.01,
                readout_format=".0%",
                continuous_update=False,
                description=self._t("commission"),
            )
        )
        self.commission.add_class("chainsim-slider-commission")
        self.recruitment = self._styled(
            W.FloatSlider(
                value=0.06,
                min=0.0,
                max=0.3,
                step=0.01,
                readout_format=".2f",
                continuous_update=False,
                description=self._t("recruitment"),
            )
        )
        self.recruitment.add_class("chainsim-slider-recruitment")
        self.operator_cut = self._styled(
            W.FloatSlider(
                value=0.15,
                min=0.0,
                max=0.6,
                step=0.01,
                readout_format=".0%",
                continuous_update=False,
                description=self._t("operator_cut"),
            )
        )
        self.operator_cut.add_class("chainsim-slider-operator")
        note = W.HTML(f"<small>{html.escape(self._t('commission_note'))}</small>")
        self.figure.layout.max_width = "480px"
        self.scheme.observe(self._on_preset, names="value")
        # Check the starting values once as given: sliders would silently clamp them.
        self._start_error: ChainSimError | None = None
        try:
            self._check_population()
            fraud.get_preset(preset, population=population, **changes)
        except ChainSimError as exc:
            self._start_error = exc
        except TypeError as exc:
            self._start_error = ConfigError(str(exc))
        self._load_preset(self.scheme.value, apply_changes=True)
        watched = [
            self.daily_return,
            self.levels,
            self.commission,
            self.recruitment,
            self.operator_cut,
        ]
        self._finish(
            [
                self._row([self.scheme]),
                self._row([self.daily_return, self.recruitment]),
                self._row([self.levels, self.commission]),
                self._row([self.operator_cut, note]),
            ],
            watched,
        )

    @staticmethod
    def _fraud_text(key: str, language: str, **fields: Any) -> str:
        return label(_FRAUD_LABELS, key, language, **fields)

    def _t(self, key: str, **fields: Any) -> str:
        return self._fraud_text(key, self.language, **fields)

    def _load_preset(self, name: str, *, apply_changes: bool = False) -> None:
        """Set the sliders to a preset's values without running once per slider."""
        values = dict(self._fraud.PRESETS[name].values)
        if apply_changes:
            values.update(self.changes)
        cfg_default = self._fraud.SchemeConfig()
        rates = tuple(values.get("commission_rates", cfg_default.commission_rates))
        self._loading_preset = True
        try:
            for widget, value in (
                (self.daily_return, values.get("daily_return", cfg_default.daily_return)),
                (self.levels, len(rates)),
                (self.commission, rates[0] if rates else self.commission.value),
                (self.recruitment, values.get("contagion_rate", cfg_default.contagion_rate)),
                (self.operator_cut, values.get("operator_cut", cfg_default.operator_cut)),
            ):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    if value > widget.max:  # a valid start beyond the slider's range
                        widget.max = value
                    widget.value = value  # sliders clamp; the start check reports bad values
            self.daily_return.disabled = values.get("payout_rule") == "asset-backed"
        finally:
            self._loading_preset = False

    def _on_preset(self, change: dict[str, Any]) -> None:
        self._load_preset(change["new"])
        self.refresh()

    def _on_change(self, change: dict[str, Any] | None = None) -> None:
        if not self._loading_preset:
            self.refresh()

    def _check_population(self) -> None:
        n = self.population
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= FRAUD_MAX_POPULATION:
            raise ConfigError(
                f"population must be a whole number from 1 to {FRAUD_MAX_POPULATION:,} "
                f"in this demo, got {n!r}"
            )

    def config(self) -> Any:
        """The :class:`chainsim.fraud.SchemeConfig` the controls describe.

        Raises
        ------
        ConfigError
            If the settings are impossible (the message says which and why).
        """
        fraud = self._fraud
        self._check_population()
        rates = fraud.commission_schedule(int(self.levels.value), float(self.commission.value), 0.5)
        values: dict[str, Any] = {
            **self.changes,
            "population": self.population,
            "commission_rates": rates,
            "contagion_rate": float(self.recruitment.value),
            "operator_cut": float(self.operator_cut.value),
        }
        if fraud.PRESETS[self.scheme.value].values.get("payout_rule") != "asset-backed":
            values["daily_return"] = float(self.daily_return.value)
        return fraud.get_preset(self.scheme.value, **values)

    def _compute(self) -> tuple[bytes, str]:
        fraud = self._fraud
        if self._start_error is not None:
            exc, self._start_error = self._start_error, None
            raise exc
        cfg = self.config()
        res = fraud.simulate_scheme(cfg, seed=self.seed)
        self.results = res
        axes = plotting.plot_scheme(
            res.cashflows,
            res.collapse_day,
            operator_exit=res.outcome == "operator-exit",
            language=self.language,
        )
        png = plotting.figure_png(axes[0].figure)
        sentence = fraud.summary_sentence(res, language=self.language, include_outcome=True)
        return png, f"<p style='font-size:1.05em;line-height:1.4'>{html.escape(sentence)}</p>"


def fraud_panel(
    preset: str = "pyramid-mlm",
    *,
    population: int = 10_000,
    seed: int = 1,
    language: str = "en",
    **changes: Any,
) -> FraudPanel:
    """The public investment-scheme demo (see :class:`FraudPanel`).

    Examples
    --------
    >>> panel = fraud_panel(population=2_000)
    >>> panel.n_updates, panel.last_error
    (1, '')
    >>> fraud_panel(daily_return=-0.01).last_error  # doctest: +ELLIPSIS
    'Please check the settings: daily_return must be >= 0, got -0.01'
    """
    return FraudPanel(preset, population=population, seed=seed, language=language, **changes)
