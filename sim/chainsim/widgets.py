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
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as W

from chainsim import plotting
from chainsim.errors import ChainSimError, ConfigError

__all__ = [
    "CHAIN_MAX_BLOCKS",
    "FORKS_DELAYS_S",
    "FORKS_INTERVALS_S",
    "FORKS_NETWORK",
    "FRAUD_MAX_POPULATION",
    "LANGUAGES",
    "ChainPanel",
    "ForksPanel",
    "FraudPanel",
    "Panel",
    "chain_panel",
    "forks_panel",
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
        # A refused setting dims the last figure (it no longer matches the controls).
        self._css = W.HTML("<style>.chainsim-stale{opacity:0.3}</style>")
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
            self._css,
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
        self.figure.remove_class("chainsim-stale")
        self.summary.value = summary
        self.message.value = ""
        self.last_error = ""
        self.n_updates += 1
        self.last_update_s = time.perf_counter() - start
        return True

    def show_error(self, text: str) -> None:
        """Show a friendly message (HTML-escaped) above the figure."""
        self.last_error = text
        self.figure.add_class("chainsim-stale")
        self.summary.value = ""
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


# -- "Build a chain" --------------------------------------------------------------------

#: Most blocks a chain panel holds (bounds the mining work of one click).
CHAIN_MAX_BLOCKS = 8

_CHAIN_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Edit a block, break the chain, mine it again",
        "block": "Edit block",
        "reward": "Its reward (coins)",
        "mine_next": "Mine the first invalid block",
        "mine_all": "Mine all invalid blocks",
        "reset": "Start again",
        "data": "reward {reward:.2f}, {n_tx} tx",
        "all_valid": "All {n} blocks are valid: each links to the hash of the one before, "
        "and each hash is below the target (it starts with zeros).",
        "invalid": "{Blocks} {blocks} {are} invalid.",
        "needs_mining": " An edited block's hash misses the target, and the blocks after it "
        "no longer link to a valid block: each has to be mined again.",
        "spent": " Mining again has taken {hashes:,} hashes so far ({seconds:.2f} s).",
        "nothing_to_mine": "Nothing left that mining can fix.",
        "rules_broken": " Mining cannot fix {block_word} {blocks}: {what}. Work does not make "
        "broken rules valid; every node checks the rules, not only the hash.",
    },
    "zh": {
        "title": "修改一个区块，链就断了；再重新挖出来",
        "block": "修改区块",
        "reward": "区块奖励（币）",
        "mine_next": "重新挖第一个无效区块",
        "mine_all": "重新挖所有无效区块",
        "reset": "重新开始",
        "data": "奖励 {reward:.2f}，{n_tx} 笔交易",
        "all_valid": "全部 {n} 个区块有效：每个区块都记录了前一个区块的哈希，"
        "且自己的哈希低于目标值（以若干个 0 开头）。",
        "invalid": "区块 {blocks} 无效。",
        "needs_mining": "被修改的区块哈希不再低于目标值，其后的区块也不再链接到有效区块，"
        "必须逐个重新挖矿。",
        "spent": "重新挖矿到目前共计算了 {hashes:,} 次哈希（{seconds:.2f} 秒）。",
        "nothing_to_mine": "没有挖矿能修复的区块了。",
        "rules_broken": "挖矿修复不了区块 {blocks}：{what}。工作量不能让违反规则的区块变得有效；"
        "每个节点都会检查规则，而不仅仅是哈希。",
    },
}


# Broken rules that mining a block again repairs.
_MINING_FIXES = {"proof-of-work", "prev-hash-mismatch"}

# Plain words for the ledger rules a visitor can break from the chain panel.
_RULE_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "coinbase-too-large": "reward above the allowed",
        "missing-output": "spends coins that do not exist",
        "bad-signature": "signature does not match",
        "merkle-root-mismatch": "data does not match header",
    },
    "zh": {
        "coinbase-too-large": "奖励超过允许值",
        "missing-output": "花费了不存在的币",
        "bad-signature": "签名不匹配",
        "merkle-root-mismatch": "数据与区块头不符",
    },
}


class ChainPanel(Panel):
    """A short mined chain: edit one block's data, see the break spread, re-mine.

    The chain comes from :func:`chainsim.ledger.make_chain` (real headers, signed
    payments, proof of work at a teaching difficulty). Moving the *reward* slider
    rewrites the miner's reward in the chosen block (its coinbase output) with
    :func:`chainsim.ledger.tamper_transaction`, and every later block is re-linked to
    its predecessor's new hash without mining, so that block and every later one fail
    proof of work. The buttons mine the blocks again, one at a time or all at once,
    and the panel counts the hashes that cost.

    Parameters
    ----------
    n_blocks : int
        Blocks in the chain, 2 to :data:`CHAIN_MAX_BLOCKS`.
    seed : int
        Makes the chain (keys, payments, nonces) reproducible.
    bits : int, optional
        Compact difficulty target (default :data:`chainsim.ledger.TEACHING_BITS`:
        about 65,536 hashes a block, well under a second).
    language : {"en", "zh"}
        Language of the labels.
    """

    def __init__(
        self,
        n_blocks: int = 5,
        *,
        seed: int = 0,
        bits: int | None = None,
        language: str = "en",
    ) -> None:
        from chainsim import ledger

        super().__init__(language=language, title=label(_CHAIN_LABELS, "title", language))
        self._ledger = ledger
        self.hashes_spent = 0
        self.mining_s = 0.0
        self.blocks: list[Any] = []
        self.original: list[Any] = []
        self.block = self._styled(
            W.IntSlider(
                value=1, min=1, max=1, continuous_update=False, description=self._t("block")
            )
        )
        self.block.add_class("chainsim-slider-block")
        self.reward = self._styled(
            W.FloatSlider(
                value=0.0,
                min=0.0,
                max=1.0,
                step=0.01,
                readout_format=".2f",
                continuous_update=False,
                description=self._t("reward"),
            )
        )
        self.reward.add_class("chainsim-slider-reward")
        self.mine_next = W.Button(
            description=self._t("mine_next"), button_style="warning", layout=W.Layout(width="auto")
        )
        self.mine_next.add_class("chainsim-button-mine")
        self.mine_all = W.Button(description=self._t("mine_all"), layout=W.Layout(width="auto"))
        self.mine_all.add_class("chainsim-button-mine-all")
        self.reset = W.Button(description=self._t("reset"), layout=W.Layout(width="auto"))
        self.reset.add_class("chainsim-button-reset")
        self.figure.layout.max_width = "560px"
        self._syncing = False
        self._start_error: ChainSimError | None = None
        try:
            if (
                isinstance(n_blocks, bool)
                or not isinstance(n_blocks, int)
                or not (2 <= n_blocks <= CHAIN_MAX_BLOCKS)
            ):
                raise ConfigError(
                    f"n_blocks must be a whole number from 2 to {CHAIN_MAX_BLOCKS}, "
                    f"got {n_blocks!r}"
                )
            self.bits = ledger.TEACHING_BITS if bits is None else bits
            self.original = ledger.make_chain(n_blocks, seed=seed, bits=self.bits)
            self.blocks = list(self.original)
            self.block.max = n_blocks - 1
            self.block.value = min(2, n_blocks - 1)
            self._sync_reward()
        except ChainSimError as exc:
            self._start_error = exc
        self.block.observe(self._on_block, names="value")
        self.mine_next.on_click(self._click_mine_next)
        self.mine_all.on_click(self._click_mine_all)
        self.reset.on_click(self._click_reset)
        for button in (self.mine_next, self.mine_all, self.reset):
            button.layout.margin = "2px 6px 2px 0"
        buttons = W.Box(
            [self.mine_next, self.mine_all, self.reset],
            layout=W.Layout(display="flex", flex_flow="row wrap", width="100%"),
        )
        self._finish([self._row([self.block, self.reward]), buttons], [self.reward])

    def _t(self, key: str, **fields: Any) -> str:
        return label(_CHAIN_LABELS, key, self.language, **fields)

    # -- the chain's data ------------------------------------------------------------
    def _reward_sat(self, index: int) -> int:
        return int(self.blocks[index].transactions[0].outputs[0].value_sat)

    def _sync_reward(self) -> None:
        """Put the chosen block's current reward on the slider (without editing)."""
        coin = self._ledger.COIN
        original = self.original[self.block.value].transactions[0].outputs[0].value_sat
        self._syncing = True
        try:
            self.reward.max = round(original / coin + 5.0, 2)
            self.reward.value = round(self._reward_sat(self.block.value) / coin, 2)
        finally:
            self._syncing = False

    def _on_block(self, change: dict[str, Any]) -> None:
        if self.blocks:
            self._sync_reward()

    def _on_change(self, change: dict[str, Any] | None = None) -> None:
        if self._syncing or not self.blocks:
            return
        try:
            self.edit(self.block.value, float(self.reward.value))
        except ChainSimError as exc:
            self.show_error(self._text("error_prefix") + str(exc))
        except Exception:
            self.show_error(self._text("unexpected"))

    def edit(self, index: int, reward_coins: float) -> None:
        """Set the miner's reward of block ``index`` and re-link the later blocks."""
        value = round(reward_coins * self._ledger.COIN)
        if value == self._reward_sat(index):
            return
        self.blocks = self._ledger.tamper_transaction(
            self.blocks, index, 0, output_index=0, value_sat=value, relink=True
        )
        self.refresh()

    def report(self) -> Any:
        """:func:`chainsim.ledger.validate_chain` of the current chain."""
        return self._ledger.validate_chain(self.blocks)

    # -- mining ------------------------------------------------------------------------
    def mine_first_invalid(self) -> int | None:
        """Mine the first block with a broken link or proof of work again.

        Returns
        -------
        int or None
            Its index; None when no block needs mining (or there is no chain).
        """
        if not self.blocks:
            return None
        by_block = self.report().rules_by_block()
        minable = [b for b, rules in by_block.items() if _MINING_FIXES & set(rules)]
        if not minable:
            self.summary.value = f"<p>{html.escape(self._t('nothing_to_mine'))}</p>"
            return None
        i = min(minable)
        ledger = self._ledger
        cap = int(20 * ledger.expected_hashes(self.blocks[i].header.bits)) + 1_000
        start = time.perf_counter()
        mined, results = ledger.remine_chain(
            self.blocks[: i + 1], start_index=i, max_hashes_per_block=cap
        )
        self.mining_s += time.perf_counter() - start
        self.hashes_spent += sum(r.hashes_tried for r in results)
        # later blocks keep pointing at their predecessor (still without valid work)
        self.blocks = ledger.relink_chain(mined + self.blocks[i + 1 :], i + 1)
        return i

    def mine_all_invalid(self) -> int:
        """Mine every block with a broken link or proof of work again, in order.

        Returns
        -------
        int
            How many blocks were mined. Blocks that break another rule (a reward
            larger than allowed, say) stay invalid: work cannot fix a broken rule.
        """
        n = 0
        for _ in range(len(self.blocks)):
            if self.mine_first_invalid() is None:
                break
            n += 1
        return n

    def reset_chain(self) -> None:
        """Back to the chain as first mined."""
        self.blocks = list(self.original)
        self.hashes_spent = 0
        self.mining_s = 0.0
        self._sync_reward()

    @_guard
    def _click_mine_next(self, _button: Any = None) -> None:
        if self.mine_first_invalid() is not None:
            self.refresh()

    @_guard
    def _click_mine_all(self, _button: Any = None) -> None:
        self.mine_all_invalid()
        self.refresh()

    @_guard
    def _click_reset(self, _button: Any = None) -> None:
        self.reset_chain()
        self.refresh()

    def _rule_words(self, rule: str) -> str:
        return _RULE_WORDS.get(self.language, {}).get(rule, rule)

    # -- drawing -----------------------------------------------------------------------
    def _compute(self) -> tuple[bytes, str]:
        if self._start_error is not None:
            raise self._start_error
        report = self.report()
        by_block = report.rules_by_block()
        coin = self._ledger.COIN
        rows = []
        for i, block in enumerate(self.blocks):
            rules = by_block.get(i, [])
            rows.append(
                {
                    "data": self._t(
                        "data",
                        reward=block.transactions[0].outputs[0].value_sat / coin,
                        n_tx=len(block.transactions) - 1,
                    ),
                    "prev_hash": block.header.prev_hash,
                    "hash": block.hash_hex(),
                    "links_ok": "prev-hash-mismatch" not in rules,
                    "meets_target": "proof-of-work" not in rules,
                    "problems": ", ".join(
                        self._rule_words(r) for r in rules if r not in _MINING_FIXES
                    ),
                }
            )
        ax = plotting.plot_chain(rows, language=self.language)
        png = plotting.figure_png(ax.figure, dpi=2 * int(ax.figure.dpi))
        if report.ok:
            text = self._t("all_valid", n=len(self.blocks))
        else:
            broken = report.broken_blocks
            many = len(broken) > 1
            text = self._t(
                "invalid",
                Blocks="Blocks" if many else "Block",
                blocks=", ".join(str(b) for b in broken),
                are="are" if many else "is",
            )
        if any(_MINING_FIXES & set(rules) for rules in by_block.values()):
            text += self._t("needs_mining")
        unfixable = sorted(b for b, rules in by_block.items() if set(rules) - _MINING_FIXES)
        if unfixable:
            what = sorted(
                {self._rule_words(r) for b in unfixable for r in by_block[b]}
                - {self._rule_words(r) for r in _MINING_FIXES}
            )
            text += self._t(
                "rules_broken",
                block_word="blocks" if len(unfixable) > 1 else "block",
                blocks=", ".join(str(b) for b in unfixable),
                what=", ".join(what),
            )
        if self.hashes_spent:
            text += self._t("spent", hashes=self.hashes_spent, seconds=self.mining_s)
        return png, f"<p style='line-height:1.4'>{html.escape(text)}</p>"


def chain_panel(
    n_blocks: int = 5, *, seed: int = 0, bits: int | None = None, language: str = "en"
) -> ChainPanel:
    """The "Build a chain" demo (see :class:`ChainPanel`).

    Examples
    --------
    >>> panel = chain_panel(4, bits=0x2000FFFF)  # EASY_BITS: ~256 hashes a block
    >>> panel.report().ok
    True
    >>> panel.reward.value = panel.reward.value - 1.0   # edit block 2's data
    >>> panel.report().broken_blocks
    (2, 3)
    >>> panel.mine_first_invalid(), panel.report().broken_blocks
    (2, (3,))
    >>> panel.mine_all_invalid(), panel.report().ok
    (1, True)
    """
    return ChainPanel(n_blocks, seed=seed, bits=bits, language=language)


# -- "Forks under delay" ----------------------------------------------------------------

#: Settings of the small network the forks demo simulates (bounded work per change).
FORKS_NETWORK = {"n_nodes": 30, "degree": 4, "n_miners": 10, "n_blocks": 60}

#: Block intervals offered (seconds) and one-way link latencies (seconds).
FORKS_INTERVALS_S = (2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
FORKS_DELAYS_S = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

_FORKS_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Forks appear when blocks come faster than the network spreads them",
        "interval": "Block interval",
        "delay": "Link latency",
        "rerun": "Run again (new luck)",
        "summary": (
            "Of {n_blocks} blocks mined, {n_stale} ended up stale: a stale rate of "
            "{stale:.0%}. A block took {delay:.1f} s on average to reach a node ({t90:.1f} s "
            "to reach 90 % of the {n_nodes} nodes), against one block every {interval:g} s. "
            "Theory for a fixed delay D, (D/T) / (1 + D/T), expects about {theory:.0%}."
        ),
    },
    "zh": {
        "title": "出块比网络传播还快时，就会出现分叉",
        "interval": "出块间隔",
        "delay": "链路延迟",
        "rerun": "再运行一次（换个运气）",
        "summary": (
            "共挖出 {n_blocks} 个区块，其中 {n_stale} 个成为孤块，孤块率 {stale:.0%}。"
            "一个区块平均 {delay:.1f} 秒到达一个节点（到达 {n_nodes} 个节点中的 90% 需要 "
            "{t90:.1f} 秒），而平均每 {interval:g} 秒出一个块。"
            "固定延迟 D 下的理论公式 (D/T)/(1 + D/T) 估计约为 {theory:.0%}。"
        ),
    },
}


def _seconds(value: float) -> str:
    return f"{value:g} s"


class ForksPanel(Panel):
    """Block interval and network delay sliders driving a small simulation.

    Each change runs :func:`chainsim.simulate` on a small network
    (:data:`FORKS_NETWORK`: 30 nodes, 10 miners, 60 blocks, a few hundredths of a
    second) and draws the block tree (:func:`chainsim.plotting.plot_block_tree`), with
    the stale rate and the closed form :func:`chainsim.analysis.stale_rate_fixed_delay`
    for the measured propagation delay.

    Parameters
    ----------
    block_interval_s : float
        Starting block interval, one of :data:`FORKS_INTERVALS_S`.
    delay_s : float
        Starting one-way latency of every network link, one of :data:`FORKS_DELAYS_S`
        (a block crosses a link in three messages: inv, getdata, block).
    seed : int
        Seed of the first run ("Run again" moves to the next seed).
    language : {"en", "zh"}
        Language of the labels.
    """

    def __init__(
        self,
        block_interval_s: float = 10.0,
        delay_s: float = 1.0,
        *,
        seed: int = 1,
        language: str = "en",
    ) -> None:
        super().__init__(language=language, title=label(_FORKS_LABELS, "title", language))
        self.seed = seed
        self.results: Any = None
        self.stale_rate = float("nan")
        self._start_error: ChainSimError | None = None
        for name, value, allowed in (
            ("block_interval_s", block_interval_s, FORKS_INTERVALS_S),
            ("delay_s", delay_s, FORKS_DELAYS_S),
        ):
            if value not in allowed:
                self._start_error = ConfigError(
                    f"{name} must be one of {', '.join(f'{v:g}' for v in allowed)} in this "
                    f"demo, got {value!r}"
                )
        self.interval = self._styled(
            W.SelectionSlider(
                options=[(_seconds(v), v) for v in FORKS_INTERVALS_S],
                value=block_interval_s if block_interval_s in FORKS_INTERVALS_S else 10.0,
                continuous_update=False,
                description=self._t("interval"),
            )
        )
        self.interval.add_class("chainsim-slider-interval")
        self.delay = self._styled(
            W.SelectionSlider(
                options=[(_seconds(v), v) for v in FORKS_DELAYS_S],
                value=delay_s if delay_s in FORKS_DELAYS_S else 1.0,
                continuous_update=False,
                description=self._t("delay"),
            )
        )
        self.delay.add_class("chainsim-slider-delay")
        self.rerun = W.Button(description=self._t("rerun"), layout=W.Layout(width="auto"))
        self.rerun.add_class("chainsim-button-rerun")
        self.rerun.on_click(self._click_rerun)
        self.figure.layout.max_width = "720px"
        self._finish(
            [self._row([self.interval, self.delay]), self._row([self.rerun])],
            [self.interval, self.delay],
        )

    def _t(self, key: str, **fields: Any) -> str:
        return label(_FORKS_LABELS, key, self.language, **fields)

    @_guard
    def _click_rerun(self, _button: Any = None) -> None:
        self.seed += 1
        self.refresh()

    def config(self) -> Any:
        """The :class:`chainsim.SimConfig` of the current settings."""
        from chainsim.config import MiningConfig, NetworkConfig, RunConfig, SimConfig

        net = FORKS_NETWORK
        return SimConfig(
            network=NetworkConfig(
                n_nodes=net["n_nodes"],
                topology="random-regular",
                degree=net["degree"],
                latency_ms=float(self.delay.value) * 1000.0,
                latency_jitter=0.1,
                bandwidth_mbps=math.inf,
            ),
            mining=MiningConfig(
                block_interval_s=float(self.interval.value),
                n_miners=net["n_miners"],
                block_size_bytes=1_000_000,
            ),
            run=RunConfig(n_blocks=net["n_blocks"]),
        )

    def _compute(self) -> tuple[bytes, str]:
        if self._start_error is not None:
            exc, self._start_error = self._start_error, None
            raise exc
        import chainsim
        from chainsim import analysis, metrics

        cfg = self.config()
        res = chainsim.simulate(cfg, seed=self.seed)
        self.results = res
        self.stale_rate = float(metrics.stale_rate(res))
        fig, ax = plotting.new_figure(600, 340, language=self.language)
        plotting.plot_block_tree(res.blocks, ax, language=self.language)
        png = plotting.figure_png(fig, dpi=150)
        prop = metrics.propagation_summary(res, fractions=(0.9,))
        t90 = float(prop.get("t90_s_median", float("nan")))
        delay = float(prop.get("delay_s_mean", float("nan")))
        n_blocks = int((res.blocks["block_id"] > 0).sum())
        n_stale = int((~res.blocks["main_chain"].astype(bool)).sum())
        theory = (
            analysis.stale_rate_fixed_delay(delay, float(self.interval.value))
            if math.isfinite(delay)
            else float("nan")
        )
        text = self._t(
            "summary",
            n_blocks=n_blocks,
            n_stale=n_stale,
            stale=self.stale_rate,
            t90=t90,
            delay=delay,
            n_nodes=cfg.network.n_nodes,
            interval=float(self.interval.value),
            theory=theory,
        )
        return png, f"<p style='line-height:1.4'>{html.escape(text)}</p>"


def forks_panel(
    block_interval_s: float = 10.0,
    delay_s: float = 1.0,
    *,
    seed: int = 1,
    language: str = "en",
) -> ForksPanel:
    """The "Forks under delay" demo (see :class:`ForksPanel`).

    Examples
    --------
    >>> panel = forks_panel(block_interval_s=600.0, delay_s=0.05)
    >>> panel.stale_rate
    0.0
    >>> forks_panel(block_interval_s=-1.0).last_error  # doctest: +ELLIPSIS
    'Please check the settings: block_interval_s must be one of 2, 5, ...'
    """
    return ForksPanel(block_interval_s, delay_s, seed=seed, language=language)
