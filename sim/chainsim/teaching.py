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
import functools
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
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chainsim.config import SimConfig
from chainsim.errors import ConfigError
from chainsim.results import Results

__all__ = [
    "CHECKS",
    "GENESIS_FIELDS",
    "QUIZZES",
    "SWEEP_INTERVALS_S",
    "CheckReport",
    "Panel",
    "avalanche_counts",
    "avalanche_panel",
    "bit_difference",
    "block_intervals",
    "block_time_panel",
    "chain_rows",
    "check",
    "figure_png",
    "flip_bit",
    "fork_panel",
    "genesis_header",
    "header_panel",
    "leading_zero_bits",
    "lesson_check",
    "lesson_language",
    "lesson_quiz",
    "new_axes",
    "panel",
    "plot_avalanche",
    "plot_block_times",
    "plot_header_hash",
    "plot_stale_rates",
    "plot_tamper",
    "propagation_panel",
    "quiz",
    "run",
    "stale_rate_panel",
    "stale_rate_sweep",
    "tamper_panel",
    "tampered_chain",
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
    "bits_changed": {
        "en": "{k} of {n} hash bits changed",
        "zh": "哈希的 {n} 个比特中有 {k} 个改变",
    },
    "bit_grid": {
        "en": "Changed bits (dark) after flipping input bit {bit}",
        "zh": "翻转输入第 {bit} 个比特后改变的比特（深色）",
    },
    "flip_hist_x": {
        "en": "hash bits changed by one input-bit flip",
        "zh": "翻转一个输入比特后改变的哈希比特数",
    },
    "flip_hist_y": {"en": "share of trials", "zh": "试验占比"},
    "binomial": {"en": "coin flips: Binomial(256, 1/2)", "zh": "抛硬币：二项分布 B(256, 1/2)"},
    "zero_bits": {"en": "leading zero bits of the hash", "zh": "哈希开头的 0 比特数"},
    "needed": {"en": "needed (target)", "zh": "所需（目标值）"},
    "valid": {"en": "valid proof of work", "zh": "工作量证明有效"},
    "invalid": {"en": "not valid: hash above the target", "zh": "无效：哈希大于目标值"},
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

    Matplotlib (>= 3.6) falls back glyph by glyph along the *explicit* families of
    ``font.family`` (a generic name such as ``sans-serif`` resolves to one font only),
    so the family list becomes DejaVu Sans, then the first installed CJK font, then
    ``sans-serif``: Latin text keeps DejaVu Sans and Chinese characters come from the
    CJK font. Only installed fonts are named, so no "font not found" warning appears.

    Returns
    -------
    list of str
        The resulting ``font.family`` list.
    """
    installed = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [name for name in CJK_FONTS if name in installed][:1]
    base = [name for name in matplotlib.rcParams["font.sans-serif"] if name in installed][:1]
    families = (base or ["DejaVu Sans"]) + cjk + ["sans-serif"]
    matplotlib.rcParams["font.family"] = families
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


# --------------------------------------------------------------------------- lesson 1: hashes

#: Fields of Bitcoin's genesis block header (Bitcoin Core, chainparams.cpp; see
#: FACTS.md). Its hash is 000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f.
GENESIS_FIELDS: dict[str, Any] = {
    "version": 1,
    "prev_hash": "00" * 32,
    "merkle_root": "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
    "time": 1231006505,
    "bits": 0x1D00FFFF,
    "nonce": 2083236893,
}


def genesis_header(**changes: int) -> Any:
    """Bitcoin's genesis block header, optionally with some fields changed.

    Returns
    -------
    chainsim.ledger.BlockHeader

    Examples
    --------
    >>> genesis_header().hash_hex()
    '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f'
    >>> genesis_header(nonce=1).check_pow()
    False
    """
    from chainsim.ledger.header import BlockHeader

    return BlockHeader(**{**GENESIS_FIELDS, **changes})


def flip_bit(data: bytes, bit: int) -> bytes:
    """``data`` with bit number ``bit`` inverted (bit 0 = highest bit of byte 0).

    Examples
    --------
    >>> flip_bit(b"a", 7)
    b'`'
    """
    n_bits = 8 * len(data)
    if isinstance(bit, bool) or not isinstance(bit, int | np.integer) or not 0 <= bit < n_bits:
        raise ConfigError(f"bit must be an integer in [0, {n_bits - 1}], got {bit!r}")
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def _bits(digest: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(digest, dtype=np.uint8))


def bit_difference(a: bytes, b: bytes) -> int:
    """How many bits differ between two equally long byte strings.

    Examples
    --------
    >>> bit_difference(bytes([0, 255]), bytes([1, 255]))
    1
    """
    if len(a) != len(b):
        raise ConfigError(f"b must have len(a) = {len(a)} bytes, got {len(b)}")
    return int(np.count_nonzero(_bits(a) != _bits(b)))


def avalanche_counts(message: str, n_trials: int, seed: int) -> np.ndarray:
    """Hash bits changed (of 256) when one random bit of ``message`` is flipped.

    Parameters
    ----------
    message : str
        Non-empty text, hashed as UTF-8 with SHA-256.
    n_trials : int
        How many random single-bit flips to try.
    seed : int
        Seed of the random bit positions.

    Returns
    -------
    numpy.ndarray of int
        One count per trial, each in [0, 256]; about 128 on average.

    Examples
    --------
    >>> counts = avalanche_counts("hello", 200, seed=1)
    >>> counts.shape, bool(100 < counts.mean() < 156)
    ((200,), True)
    """
    from chainsim.ledger.hashing import sha256

    data = message.encode("utf-8")
    if not data:
        raise ConfigError("message must be non-empty text, got ''")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ConfigError(f"n_trials must be a positive integer, got {n_trials!r}")
    rng = np.random.default_rng(seed)
    original = sha256(data)
    positions = rng.integers(0, 8 * len(data), size=n_trials)
    return np.array([bit_difference(original, sha256(flip_bit(data, int(p)))) for p in positions])


def plot_avalanche(
    message: str, bit: int, *, n_trials: int = 300, seed: int = 0, lang: str | None = None
) -> Figure:
    """Two panels: which hash bits one flip changes, and how many over many flips.

    Parameters
    ----------
    message : str
        Text hashed with SHA-256 (UTF-8).
    bit : int
        Input bit to flip (0 = highest bit of the first byte); wrapped modulo the
        message length in bits.
    n_trials, seed : int
        Random flips for the histogram and their seed.
    lang : str, optional
        Label language.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from chainsim.ledger.hashing import sha256

    data = message.encode("utf-8") or b" "
    bit = int(bit) % (8 * len(data))
    before, after = sha256(data), sha256(flip_bit(data, bit))
    changed = (_bits(before) != _bits(after)).reshape(16, 16)
    fig = Figure(figsize=(9.0, 3.6), layout="constrained")
    grid, hist = fig.subplots(1, 2, width_ratios=[1, 1.5])
    grid.imshow(changed, cmap="Greys", vmin=0, vmax=1.6)
    grid.set_xticks([])
    grid.set_yticks([])
    grid.set_title(text("bit_grid", lang, bit=bit), fontsize=9)
    grid.set_xlabel(text("bits_changed", lang, k=int(changed.sum()), n=256))
    counts = avalanche_counts(message or " ", n_trials, seed)
    edges = np.arange(90.5, 167.5, 2.0)
    hist.hist(counts, bins=edges, density=True, color="#4c72b0", alpha=0.8)
    k = np.arange(90, 168)
    from scipy.stats import binom

    hist.plot(k, binom.pmf(k, 256, 0.5), color="#dd8452", lw=2, label=text("binomial", lang))
    hist.axvline(int(changed.sum()), color="black", ls="--", lw=1)
    hist.set_xlabel(text("flip_hist_x", lang))
    hist.set_ylabel(text("flip_hist_y", lang))
    hist.legend(fontsize=8, loc="upper left")
    return fig


def avalanche_panel(message: str = "Hello, blockchain!", *, seed: int = 0) -> Panel:
    """A text box and a bit slider driving :func:`plot_avalanche`."""
    box = widgets.Text(
        value=message,
        description="message",
        continuous_update=False,
        style={"description_width": "initial"},
    )
    bit = slider(0, 0, 8 * 64 - 1, 1, "bit", integer=True)

    def draw(message: str, bit: int) -> Figure:
        return plot_avalanche(message, bit, seed=seed)

    return panel(draw, {"message": box, "bit": bit})


def leading_zero_bits(hash_hex: str) -> int:
    """Leading zero bits of a 256-bit hash given as 64 hex characters.

    Examples
    --------
    >>> leading_zero_bits("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
    43
    """
    value = int(hash_hex, 16)
    return 256 - value.bit_length()


def plot_header_hash(nonce: int, time: int, *, lang: str | None = None) -> Figure:
    """The genesis header with ``nonce`` and ``time``: its hash against the target.

    Draws the leading zero bits of the hash beside the number the target demands
    (32 for bits 0x1d00ffff): only the real nonce and time clear the bar.
    """
    header = genesis_header(nonce=int(nonce), time=int(time))
    digest = header.hash_hex()
    zeros = leading_zero_bits(digest)
    needed = 256 - header.target.bit_length()
    ok = header.check_pow()
    fig = Figure(figsize=(8.0, 2.6), layout="constrained")
    ax = fig.add_subplot()
    ax.barh([1], [zeros], color="#55a868" if ok else "#c44e52", height=0.5)
    ax.barh([0], [needed], color="#8c8c8c", height=0.5)
    ax.set_yticks([0, 1], [text("needed", lang), text("zero_bits", lang)])
    ax.set_xlim(0, 64)
    ax.set_title(f"{digest[:32]}\n{digest[32:]}", family="monospace", fontsize=9)
    ax.set_xlabel(text("valid" if ok else "invalid", lang))
    return fig


def header_panel() -> Panel:
    """Sliders for the genesis header's nonce and time around their real values."""
    real_nonce, real_time = GENESIS_FIELDS["nonce"], GENESIS_FIELDS["time"]
    nonce = slider(real_nonce, real_nonce - 20, real_nonce + 20, 1, "nonce", integer=True)
    time = slider(real_time, real_time - 20, real_time + 20, 1, "time", integer=True)

    def draw(nonce: int, time: int) -> Figure:
        return plot_header_hash(nonce, time)

    return panel(draw, {"nonce": nonce, "time": time})


def chain_rows(blocks: Sequence[Any], report: Any) -> list[dict[str, Any]]:
    """Rows for :func:`chainsim.plotting.plot_chain` from ledger blocks and a report.

    Parameters
    ----------
    blocks : sequence of chainsim.ledger.Block
        The chain, genesis first.
    report : chainsim.ledger.ChainReport
        ``validate_chain(blocks)``.

    Returns
    -------
    list of dict
        ``data``, ``prev_hash``, ``hash``, ``links_ok`` and ``meets_target`` per block;
        any header or transaction rule other than the link counts against the proof
        of work (the card turns red either way).
    """
    rules = report.rules_by_block()
    rows = []
    for i, block in enumerate(blocks):
        broken = rules.get(i, [])
        rows.append(
            {
                "data": f"{len(block.transactions)} tx",
                "prev_hash": block.header.prev_hash,
                "hash": block.hash_hex(),
                "links_ok": "prev-hash-mismatch" not in broken,
                "meets_target": not [r for r in broken if r != "prev-hash-mismatch"],
            }
        )
    return rows


def _chain(n_blocks: int, seed: int) -> list[Any]:
    key = (n_blocks, seed)
    if key not in _CHAINS:
        from chainsim.ledger import EASY_BITS, make_chain

        _CHAINS[key] = list(make_chain(n_blocks, seed=seed, bits=EASY_BITS))
    return _CHAINS[key]


_CHAINS: dict[tuple[int, int], list[Any]] = {}


def tampered_chain(n_blocks: int, tampered: int, remine: bool, seed: int) -> list[Any]:
    """A small valid chain with one transaction changed in block ``tampered``.

    ``tampered = -1`` leaves the chain alone; ``remine=True`` then redoes the proof of
    work from the tampered block on (:func:`chainsim.ledger.remine_chain`), which is
    the work a forger must redo.

    Examples
    --------
    >>> from chainsim.ledger import validate_chain
    >>> validate_chain(tampered_chain(4, 2, remine=False, seed=1)).broken_blocks
    (2, 3)
    >>> validate_chain(tampered_chain(4, 2, remine=True, seed=1)).ok
    True
    """
    from chainsim.ledger import remine_chain, tamper_transaction

    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or not 2 <= n_blocks <= 12:
        raise ConfigError(f"n_blocks must be an integer in [2, 12], got {n_blocks!r}")
    if not -1 <= tampered < n_blocks:
        raise ConfigError(f"tampered must be in [-1, {n_blocks - 1}], got {tampered!r}")
    blocks = _chain(n_blocks, seed)
    if tampered < 0:
        return list(blocks)
    blocks = list(tamper_transaction(blocks, tampered))
    return list(remine_chain(blocks, start_index=tampered)[0]) if remine else blocks


def plot_tamper(
    n_blocks: int, tampered: int, remine: bool, *, seed: int = 0, lang: str | None = None
) -> Figure:
    """Cards of a small chain after tampering (and maybe re-mining), green or red."""
    from chainsim.ledger import validate_chain
    from chainsim.plotting import plot_chain

    blocks = tampered_chain(n_blocks, tampered, remine, seed)
    rows = chain_rows(blocks, validate_chain(blocks))
    ax = plot_chain(rows, language=lang or lesson_language(), columns=min(n_blocks, 5))
    return ax.figure  # type: ignore[return-value]


def tamper_panel(n_blocks: int = 5, *, seed: int = 0) -> Panel:
    """Pick a block to tamper with and whether to re-mine: the chain redraws."""
    lang = lesson_language()
    none = {"en": "none", "zh": "不修改"}[lang]
    label = {"en": "tamper with block", "zh": "篡改区块"}[lang]
    options = [(none, -1)] + [(str(i), i) for i in range(n_blocks)]
    which = widgets.Dropdown(
        options=options, value=-1, description=label, style={"description_width": "initial"}
    )
    remine = widgets.Checkbox(
        value=False, description={"en": "re-mine", "zh": "重新挖矿"}[lang], indent=False
    )

    def draw(tampered: int, remine: bool) -> Figure:
        return plot_tamper(n_blocks, tampered, remine, seed=seed, lang=lang)

    return panel(draw, {"tampered": which, "remine": remine})


# --------------------------------------------------------------------------- lesson 2: mining

#: Block intervals (s) of the stale-rate sweep: Bitcoin's 600 s down to one second.
SWEEP_INTERVALS_S: tuple[float, ...] = (600.0, 150.0, 60.0, 20.0, 10.0, 5.0, 2.0, 1.0)


@functools.lru_cache(maxsize=128)
def run(config: SimConfig, seed: int) -> Results:
    """``chainsim.simulate(config, seed=seed)``, remembered (panels redraw often).

    Results are shared between calls: treat them as read-only.
    """
    from chainsim.simulation import simulate

    return simulate(config, seed=seed)


def block_intervals(results: Results) -> np.ndarray:
    """Seconds between consecutive mined blocks (stale ones included), in time order.

    Examples
    --------
    >>> import pandas as pd
    >>> blocks = pd.DataFrame({"block_id": [0, 1, 2, 3], "t_mined_s": [0.0, 5.0, 12.0, 13.0]})
    >>> block_intervals(Results(blocks=blocks)).tolist()
    [5.0, 7.0, 1.0]
    """
    times = np.sort(results.blocks["t_mined_s"].to_numpy(dtype=float))
    return np.diff(times)


def plot_block_times(
    intervals_s: np.ndarray,
    block_interval_s: float,
    ax: Axes | None = None,
    *,
    lang: str | None = None,
) -> Axes:
    """Histogram of block intervals with the exponential density of mean ``T``.

    Parameters
    ----------
    intervals_s : numpy.ndarray
        Seconds between blocks.
    block_interval_s : float
        The configured mean ``T`` (s); the curve is ``exp(-t/T) / T``.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    lang : str, optional
        Label language.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = ax if ax is not None else new_axes()
    t_max = max(4.0 * block_interval_s, float(np.max(intervals_s, initial=0.0)))
    ax.hist(intervals_s, bins=30, range=(0, t_max), density=True, color="#4c72b0", alpha=0.8)
    t = np.linspace(0, t_max, 200)
    label = _pick({"en": "exponential, mean T", "zh": "指数分布，均值 T"}, lang)
    ax.plot(t, np.exp(-t / block_interval_s) / block_interval_s, color="#dd8452", lw=2, label=label)
    mean = float(np.mean(intervals_s)) if len(intervals_s) else float("nan")
    ax.axvline(mean, color="black", ls="--", lw=1)
    ax.set_xlabel(_pick({"en": "time between blocks (s)", "zh": "相邻区块的时间间隔（秒）"}, lang))
    ax.set_ylabel(_pick({"en": "density", "zh": "概率密度"}, lang))
    share = float(np.mean(intervals_s > 2 * block_interval_s)) if len(intervals_s) else 0.0
    ax.set_title(
        _pick(
            {
                "en": "{n} blocks: mean {m:.0f} s (T = {T:g} s); longer than 2T: {p:.0%}",
                "zh": "{n} 个区块：平均 {m:.0f} 秒（T = {T:g} 秒）；超过 2T 的占 {p:.0%}",
            },
            lang,
        ).format(n=len(intervals_s), m=mean, T=block_interval_s, p=share),
        fontsize=10,
    )
    ax.legend()
    return ax


def block_time_panel(config: SimConfig, *, seed: int = 0) -> Panel:
    """Sliders for the block interval and the number of blocks; a histogram of times."""
    lang = lesson_language()
    interval = slider(config.mining.block_interval_s, 1, 1000, 0.1, "T (s)", log=True)
    n_blocks = slider(
        300, 50, 2000, 50, _pick({"en": "blocks", "zh": "区块数"}, lang), integer=True
    )

    def draw(block_interval_s: float, n_blocks: int) -> Figure:
        cfg = config.override(
            {"mining.block_interval_s": round(block_interval_s, 3), "run.n_blocks": n_blocks}
        )
        ax = plot_block_times(block_intervals(run(cfg, seed)), cfg.mining.block_interval_s)
        return ax.figure  # type: ignore[return-value]

    return panel(draw, {"block_interval_s": interval, "n_blocks": n_blocks})


def propagation_panel(config: SimConfig, *, seed: int = 0) -> Panel:
    """Sliders for the number of nodes and the block size; the propagation curves."""
    from chainsim import metrics
    from chainsim.plotting import plot_propagation

    lang = lesson_language()
    nodes = slider(
        config.network.n_nodes,
        10,
        500,
        10,
        _pick({"en": "nodes", "zh": "节点数"}, lang),
        integer=True,
    )
    size = slider(config.mining.block_size_bytes / 1000, 1, 4000, 0.1, "kB", log=True)

    def draw(n_nodes: int, size_kb: float) -> Figure:
        cfg = config.override(
            {
                "network.n_nodes": n_nodes,
                "mining.block_size_bytes": int(size_kb * 1000),
                "run.n_blocks": 30,
            }
        )
        results = run(cfg, seed)
        ax = plot_propagation(results.receipts, n_nodes, new_axes(), language=lang)
        t90 = metrics.propagation_summary(results)["t90_s_median"]
        ax.axvline(t90, color="black", ls="--", lw=1)
        ax.set_title(
            _pick({"en": "90 % of nodes after {t:.2f} s (median block)",
                   "zh": "中位区块 {t:.2f} 秒后到达 90% 的节点"}, lang).format(t=t90),
            fontsize=10,
        )  # fmt: skip
        return ax.figure  # type: ignore[return-value]

    return panel(draw, {"n_nodes": nodes, "size_kb": size})


def fork_panel(
    config: SimConfig, *, seed: int = 0, n_blocks: int = 60, block_interval_s: float = 2.0
) -> Panel:
    """A block-interval slider (starting at ``block_interval_s``) above a block tree."""
    from chainsim.plotting import plot_block_tree

    lang = lesson_language()
    interval = slider(block_interval_s, 0.5, 600, 0.1, "T (s)", log=True)

    def draw(block_interval_s: float) -> Figure:
        cfg = config.override(
            {"mining.block_interval_s": round(block_interval_s, 3), "run.n_blocks": n_blocks}
        )
        ax = plot_block_tree(run(cfg, seed).blocks, new_axes((8.0, 3.6)), language=lang)
        return ax.figure  # type: ignore[return-value]

    return panel(draw, {"block_interval_s": interval})


def stale_rate_sweep(
    config: SimConfig,
    intervals_s: Sequence[float] = SWEEP_INTERVALS_S,
    *,
    seed: int = 0,
    n_blocks: int = 300,
) -> pd.DataFrame:
    """Simulate each block interval and compare the stale rate with ``1 - exp(-D/T)``.

    Parameters
    ----------
    config : SimConfig
        The base configuration (network, block size ...).
    intervals_s : sequence of float
        Block intervals ``T`` to simulate (s).
    seed : int
        One seed for every run (common random numbers across intervals).
    n_blocks : int
        Blocks mined per run.

    Returns
    -------
    pandas.DataFrame
        One row per interval: ``block_interval_s``, ``n_blocks``, ``n_stale``,
        ``stale_rate``, ``ci_low``, ``ci_high`` (95 % Wilson interval), ``delay_s``
        (median time for a block to reach half of the nodes, the effective delay
        ``D``) and ``theory`` (``1 - exp(-D/T)``, see
        :func:`chainsim.analysis.stale_rate_estimate`).

    Examples
    --------
    >>> import chainsim
    >>> table = stale_rate_sweep(chainsim.get_scenario("teaching"), [60.0, 1.0], n_blocks=100)
    >>> rates = table["stale_rate"].tolist()
    >>> list(table["block_interval_s"]), rates[1] > rates[0]
    ([60.0, 1.0], True)
    """
    from chainsim import metrics
    from chainsim.analysis import stale_rate_estimate
    from chainsim.stats import binomial_ci

    rows = []
    for interval in intervals_s:
        cfg = config.override(
            {"mining.block_interval_s": float(interval), "run.n_blocks": n_blocks}
        )
        results = run(cfg, seed)
        n_mined = int((results.blocks["parent_id"] >= 0).sum())
        rate = metrics.stale_rate(results)
        n_stale = round(rate * n_mined)
        low, high = binomial_ci(n_stale, n_mined)
        delay = float(metrics.propagation_summary(results, fractions=(0.5,))["t50_s_median"])
        rows.append(
            {
                "block_interval_s": float(interval),
                "n_blocks": n_mined,
                "n_stale": n_stale,
                "stale_rate": rate,
                "ci_low": low,
                "ci_high": high,
                "delay_s": delay,
                "theory": stale_rate_estimate(delay, float(interval)),
            }
        )
    return pd.DataFrame(rows)


def plot_stale_rates(
    table: pd.DataFrame, ax: Axes | None = None, *, lang: str | None = None
) -> Axes:
    """Simulated stale rates (with 95 % intervals) and the closed form, against ``T``."""
    ax = ax if ax is not None else new_axes()
    x = table["block_interval_s"].to_numpy()
    y = table["stale_rate"].to_numpy()
    err = np.vstack([y - table["ci_low"].to_numpy(), table["ci_high"].to_numpy() - y])
    ax.errorbar(x, y, yerr=np.clip(err, 0, None), fmt="o", color="#4c72b0", capsize=3,
                label=_pick({"en": "simulated", "zh": "模拟"}, lang))  # fmt: skip
    order = np.argsort(x)
    ax.plot(x[order], table["theory"].to_numpy()[order], color="#dd8452", lw=2,
            label=_pick({"en": "1 - exp(-D/T)", "zh": "1 - exp(-D/T)"}, lang))  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel(_pick({"en": "block interval T (s)", "zh": "出块间隔 T（秒）"}, lang))
    ax.set_ylabel(_pick({"en": "stale rate", "zh": "孤块率"}, lang))
    ax.set_ylim(bottom=0)
    ax.set_title(
        _pick({"en": "Effective delay D = {d:.2f} s (median time to reach half the nodes)",
               "zh": "有效延迟 D = {d:.2f} 秒（区块到达一半节点的中位时间）"}, lang)
        .format(d=float(table["delay_s"].median())),
        fontsize=10,
    )  # fmt: skip
    ax.legend()
    return ax


def stale_rate_panel(config: SimConfig, *, seed: int = 0) -> Panel:
    """A block-size slider (it sets the delay) above the stale-rate sweep."""
    lang = lesson_language()
    size = slider(config.mining.block_size_bytes / 1000, 1, 4000, 0.1, "kB", log=True)
    n_blocks = slider(
        300,
        100,
        1000,
        100,
        _pick({"en": "blocks per run", "zh": "每次运行的区块数"}, lang),
        integer=True,
    )

    def draw(size_kb: float, n_blocks: int) -> Figure:
        cfg = config.override({"mining.block_size_bytes": int(size_kb * 1000)})
        table = stale_rate_sweep(cfg, seed=seed, n_blocks=n_blocks)
        return plot_stale_rates(table, lang=lang).figure  # type: ignore[return-value]

    return panel(draw, {"size_kb": size, "n_blocks": n_blocks})


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


# --------------------------------------------------------------------------- lesson exercises

_GENESIS_HASH = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
_GENESIS_TARGET = 0xFFFF * 256 ** (0x1D - 3)  # bits 0x1d00ffff (FACTS.md)

#: The "check yourself" questions of the lessons, by key, in both languages:
#: (question, options, index of the right option, explanation).
QUIZZES: dict[str, dict[str, tuple[str, tuple[str, ...], int, str]]] = {
    "tamper": {
        "en": (
            "A chain has 10 blocks (numbered 0 to 9). Someone changes one transaction in "
            "block 3 and re-mines nothing. Which blocks fail validation?",
            (
                "Only block 3",
                "Blocks 3 and 4",
                "Blocks 3 to 9",
                "None: the change cannot be seen",
            ),
            1,
            "Block 3's hash changes, so its proof of work fails and block 4's stored "
            "previous hash no longer matches. Block 5 still matches block 4, but repairing "
            "block 4 means re-mining it, which changes its hash and breaks block 5, and so on.",
        ),
        "zh": (
            "一条链有 10 个区块（编号 0 到 9）。有人修改了区块 3 中的一笔交易，"
            "但没有重新挖矿。哪些区块无法通过验证？",
            ("只有区块 3", "区块 3 和区块 4", "区块 3 到区块 9", "没有：这个修改看不出来"),
            1,
            "区块 3 的哈希变了，所以它的工作量证明不再满足，区块 4 中保存的前一区块哈希也对不上了。"
            "区块 5 仍然与区块 4 相符；但要修好区块 4 就得重新挖它，它的哈希随之改变，"
            "又会打断区块 5，如此一直到链的末端。",
        ),
    },
    "stale": {
        "en": (
            "Blocks take 10 s to reach most miners. If the block interval drops from 600 s "
            "to 60 s, the stale rate roughly...",
            ("stays the same", "becomes 10 times smaller", "becomes about 10 times larger"),
            2,
            "The stale rate is about 1 - exp(-D/T): for a small delay D it is close to D/T, "
            "so dividing the interval T by 10 multiplies it by about 10.",
        ),
        "zh": (
            "区块传到大多数矿工需要 10 秒。如果出块间隔从 600 秒降到 60 秒，孤块率大约会……",
            ("保持不变", "变为原来的十分之一", "变为原来的大约 10 倍"),
            2,
            "孤块率约为 1 - exp(-D/T)：延迟 D 较小时约等于 D/T，"
            "所以出块间隔 T 缩小为十分之一时，孤块率约增大为 10 倍。",
        ),
    },
}

#: The code exercises: name -> (cases, hint by language).
CHECKS: dict[str, tuple[list[tuple[tuple[Any, ...], Any]], dict[str, str]]] = {
    "meets_target": (
        [
            ((_GENESIS_HASH, _GENESIS_TARGET), True),
            ((_GENESIS_HASH, 2**200), False),
            (("00" * 32, 0), True),
            (("ff" * 32, 2**256 - 1), True),
            (("80" + "00" * 31, 2**255 - 1), False),
        ],
        {
            "en": "compare int(hash_hex, 16) with target; equal counts as valid.",
            "zh": "比较 int(hash_hex, 16) 和 target；相等也算有效。",
        },
    ),
    "expected_stale_rate": (
        [
            ((10.0, 600.0), 1 - float(np.exp(-10 / 600))),
            ((10.0, 60.0), 1 - float(np.exp(-10 / 60))),
            ((0.0, 600.0), 0.0),
            ((2.0, 1.0), 1 - float(np.exp(-2.0))),
        ],
        {
            "en": "the stale rate is about 1 - exp(-delay_s / interval_s); use math.exp.",
            "zh": "孤块率约为 1 - exp(-delay_s / interval_s)；可以用 math.exp。",
        },
    ),
}


def lesson_quiz(key: str, *, lang: str | None = None) -> widgets.VBox:
    """The multiple-choice question ``key`` of :data:`QUIZZES`, in the lesson's language.

    Examples
    --------
    >>> q = lesson_quiz("tamper", lang="en")
    >>> q.verdict(1).startswith("✔"), q.verdict(0).startswith("✘")
    (True, True)
    """
    if key not in QUIZZES:
        raise ConfigError(f"key must be one of {sorted(QUIZZES)}, got {key!r}")
    lang = lang or lesson_language()
    question, options, answer, explanation = QUIZZES[key][lang]
    return quiz(question, options, answer, explanation, lang=lang)


def lesson_check(
    name: str, function: Callable[..., Any], *, lang: str | None = None
) -> CheckReport:
    """Run the cases of exercise ``name`` (see :data:`CHECKS`) on ``function``.

    Examples
    --------
    >>> def meets_target(hash_hex, target):
    ...     return int(hash_hex, 16) <= target
    >>> lesson_check("meets_target", meets_target, lang="en").passed
    True
    >>> lesson_check("meets_target", lambda h, t: int(h, 16) < t, lang="en").n_passed
    3
    """
    if name not in CHECKS:
        raise ConfigError(f"name must be one of {sorted(CHECKS)}, got {name!r}")
    cases, hint = CHECKS[name]
    return check(function, cases, hint=hint, lang=lang)
