"""The public Voila gallery, served by a real Voila server and driven in real Chromium.

One Voila server (started from ``courses/demos`` so that its ``voila.json`` applies) and
one headless Chromium (Debian's ``chromium``, driven by Playwright) serve every test in
this module. For each demo the test opens ``/voila/render/<demo>.ipynb``, waits for the
widgets, moves a slider with the keyboard, and checks that the figure was redrawn and
that the page shows no error. Screenshots go to ``artifacts/screenshots/`` and the
measured first-render and redraw times to ``artifacts/demo_timings.json`` (recorded,
not asserted: speed targets live in benchmarks/).

The browser tests skip, with the reason, only when ``chromium`` is not installed
(``make test`` installs it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMOS_DIR = ROOT / "courses" / "demos"
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
TIMINGS = ARTIFACTS / "demo_timings.json"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

# Each demo: the CSS class of the slider the test moves, the key pressed on it, and
# whether a phone-sized screenshot is taken too.
DEMOS: dict[str, dict[str, Any]] = {
    "build-a-chain": {"slider": "chainsim-slider-reward", "key": "ArrowLeft", "phone": True},
    "forks-under-delay": {"slider": "chainsim-slider-delay", "key": "ArrowRight", "phone": True},
    "ponzi-scheme": {"slider": "chainsim-slider-return", "key": "ArrowRight", "phone": True},
    # Chinese editions: the same panels with language="zh"
    "build-a-chain-zh": {"slider": "chainsim-slider-reward", "key": "ArrowLeft", "phone": False},
    "forks-under-delay-zh": {
        "slider": "chainsim-slider-delay",
        "key": "ArrowRight",
        "phone": False,
    },
    "ponzi-scheme-zh": {"slider": "chainsim-slider-return", "key": "ArrowRight", "phone": True},
}

# Text that would mean a cell or a callback failed in the page.
ERROR_MARKERS = (
    "Traceback",
    "There was an error when executing cell",
    "Error in widget",
    "Exception",
    "Sorry, something went wrong",
    "抱歉，这组参数出了问题",
)

RENDER_TIMEOUT_MS = 90_000
REDRAW_TIMEOUT_MS = 30_000

_timings: dict[str, dict[str, float]] = {}
_server_log = Path()


# -- cheap checks of the committed notebooks (no browser) ----------------------------


def _demo_notebooks() -> list[Path]:
    return sorted(DEMOS_DIR.glob("*.ipynb"))


def test_gallery_lists_every_demo() -> None:
    names = {p.stem for p in _demo_notebooks()}
    assert "index" in names, "the gallery needs an index.ipynb"
    missing = set(DEMOS) - names
    assert not missing, f"demos without a notebook: {sorted(missing)}"
    index = nbformat.read(DEMOS_DIR / "index.ipynb", as_version=4)
    text = "\n".join(c.source for c in index.cells)
    for name in DEMOS:
        assert f"{name}.ipynb" in text, f"index.ipynb does not link to {name}"


@pytest.mark.parametrize("path", _demo_notebooks(), ids=lambda p: p.name)
def test_demo_notebook_is_clean(path: Path) -> None:
    """No outputs committed, and code cells only call chainsim.widgets."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.get("outputs", []) == [], f"{path.name}: outputs are committed"
        assert cell.get("execution_count") is None, f"{path.name}: execution count kept"
        for line in cell.source.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            assert line.startswith(("from chainsim.widgets import", "import chainsim.widgets")) or (
                "_panel(" in line
            ), f"{path.name}: demo cells only call chainsim.widgets, got {line!r}"


def test_voila_config_is_public_safe() -> None:
    cfg = json.loads((DEMOS_DIR / "voila.json").read_text(encoding="utf-8"))
    voila = cfg["VoilaConfiguration"]
    assert voila["strip_sources"] is True
    assert voila["show_tracebacks"] is False
    assert cfg["VoilaExecutor"]["timeout"] > 0
    culling = cfg["MappingKernelManager"]
    assert culling["cull_interval"] > 0
    assert culling["cull_idle_timeout"] > 0


# -- the real server and browser -----------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_http(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited early with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"voila did not answer at {url} within {timeout_s:.0f} s")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it)")
    return path


@pytest.fixture(scope="module")
def voila_url(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Voila server serving courses/demos with its voila.json; always stopped."""
    port = _free_port()
    global _server_log
    log_path = tmp_path_factory.mktemp("voila") / "voila.log"
    _server_log = log_path
    env = dict(os.environ, TQDM_DISABLE="1", MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    cmd = [
        sys.executable,
        "-m",
        "voila",
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        ".",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=DEMOS_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(url + "/", proc, timeout_s=60)
        yield url
    except BaseException:
        print(log_path.read_text(encoding="utf-8", errors="replace")[-5000:])
        raise
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop voila and the kernels it started (its own process group only)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # kernels left in the group


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module", autouse=True)
def _write_timings() -> Iterator[None]:
    yield
    if _timings:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        TIMINGS.write_text(json.dumps(_timings, indent=2, sort_keys=True) + "\n")


def _open_demo(page: Any, url: str) -> float:
    """Open a Voila page and wait until its widgets are shown; return seconds taken."""
    start = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded", timeout=RENDER_TIMEOUT_MS)
    page.wait_for_selector("#loading", state="detached", timeout=RENDER_TIMEOUT_MS)
    page.wait_for_selector("#rendered_cells", state="visible", timeout=RENDER_TIMEOUT_MS)
    page.wait_for_selector("img.chainsim-figure", state="visible", timeout=RENDER_TIMEOUT_MS)
    page.wait_for_function(
        "() => { const i = document.querySelector('img.chainsim-figure');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=RENDER_TIMEOUT_MS,
    )
    return time.perf_counter() - start


def _assert_no_error(page: Any, where: str) -> None:
    body = page.inner_text("body")
    for marker in ERROR_MARKERS:
        assert marker not in body, f"{where}: the page shows {marker!r}:\n{body[:2000]}"
    stderr = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
    assert stderr.count() == 0, f"{where}: a cell wrote to stderr: {stderr.first.inner_text()}"
    message = page.locator(".chainsim-message").first.inner_text().strip()
    assert page.locator("img.chainsim-figure.chainsim-stale").count() == 0, where
    assert message == "", f"{where}: the panel shows a message: {message}"


def _screenshot(page: Any, name: str) -> Path:
    """Save the whole rendered page (Voila scrolls inside a container, so the viewport
    is first stretched to the height of the content)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(document.body.scrollHeight,"
        " ...Array.from(document.querySelectorAll('#rendered_cells, .voila-notebooks, main'))"
        ".map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": int(min(height + 40, 6000))})
    page.wait_for_timeout(200)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def _figure_src(page: Any) -> str:
    return str(page.get_attribute("img.chainsim-figure", "src"))


@pytest.mark.browser
@pytest.mark.slow
def test_gallery_pages(browser: Any, voila_url: str) -> None:
    """The Voila tree lists the demos and the index page links to each of them."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    try:
        page.goto(voila_url + "/", timeout=RENDER_TIMEOUT_MS)
        for name in DEMOS:
            page.wait_for_selector(f"text={name}.ipynb", timeout=RENDER_TIMEOUT_MS)
        page.goto(voila_url + "/voila/render/index.ipynb", timeout=RENDER_TIMEOUT_MS)
        page.wait_for_selector("#loading", state="detached", timeout=RENDER_TIMEOUT_MS)
        page.wait_for_selector("#rendered_cells", state="visible", timeout=RENDER_TIMEOUT_MS)
        hrefs = page.eval_on_selector_all("#rendered_cells a", "els => els.map(e => e.href)")
        for name in DEMOS:
            assert any(h.endswith(f"/voila/render/{name}.ipynb") for h in hrefs), (name, hrefs)
        _assert_no_error_text(page, "index")
        _screenshot(page, "index")
        # a link really opens its demo
        first = next(iter(DEMOS))
        page.click(f"#rendered_cells a[href$='{first}.ipynb']")
        page.wait_for_selector("img.chainsim-figure", state="visible", timeout=RENDER_TIMEOUT_MS)
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.slow
def test_server_hides_files_and_culls_kernels(browser: Any, voila_url: str) -> None:
    """The running server applies voila.json: no notebook, code or config downloads, and
    idle-kernel culling is on (Voila logs it once the first kernel has started)."""
    for path in ("ponzi-scheme.ipynb", "voila.json", "README.md"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{voila_url}/voila/files/{path}", timeout=10)
        assert err.value.code in (403, 404), (path, err.value.code)
    deadline = time.monotonic() + 30
    log = ""
    while time.monotonic() < deadline:
        log = _server_log.read_text(encoding="utf-8", errors="replace")
        if "Culling kernels" in log:
            break
        time.sleep(0.5)
    assert "Culling kernels with idle durations > 900 seconds at 60 second intervals" in log
    assert "Culling kernels even with connected clients" in log


def _assert_no_error_text(page: Any, where: str) -> None:
    body = page.inner_text("body")
    for marker in ERROR_MARKERS:
        assert marker not in body, f"{where}: the page shows {marker!r}"


def _wait_for_new_figure(page: Any, old_src: str) -> None:
    page.wait_for_function(
        "(old) => { const i = document.querySelector('img.chainsim-figure');"
        " return i && i.src !== old && i.complete && i.naturalWidth > 0; }",
        arg=old_src,
        timeout=REDRAW_TIMEOUT_MS,
    )


def _press(page: Any, slider_class: str, key: str) -> None:
    handle = page.locator(f".{slider_class} .noUi-handle").first
    handle.focus()
    handle.press(key)


def _wait_for_readout(page: Any, slider_class: str, text: str) -> None:
    page.wait_for_function(
        "([cls, text]) => { const r = document.querySelector('.' + cls + ' .widget-readout');"
        " return r && r.innerText.trim() === text; }",
        arg=[slider_class, text],
        timeout=REDRAW_TIMEOUT_MS,
    )


def _chain_remine(page: Any) -> None:
    """After the edit, mining the first invalid block again redraws the chain."""
    summary = page.inner_text(".chainsim-summary")
    assert "invalid" in summary, summary
    before = _figure_src(page)
    page.click(".chainsim-button-mine")
    _wait_for_new_figure(page, before)
    page.wait_for_function(
        "(old) => document.querySelector('.chainsim-summary').innerText !== old",
        arg=summary,
        timeout=REDRAW_TIMEOUT_MS,
    )
    assert "hashes" in page.inner_text(".chainsim-summary")
    _assert_no_error(page, "build-a-chain after mining")
    # mining the rest makes the whole chain valid again
    before = _figure_src(page)
    page.click(".chainsim-button-mine-all")
    _wait_for_new_figure(page, before)
    page.wait_for_function(
        "() => document.querySelector('.chainsim-summary').innerText.includes('are valid')",
        timeout=REDRAW_TIMEOUT_MS,
    )
    _screenshot(page, "build-a-chain-remined")


def _fraud_bad_input(page: Any) -> None:
    """Impossible settings (a fund paying out more than 100 % of each deposit) give a
    friendly message in the page, then good settings clear it."""
    from chainsim.fraud import PRESETS

    fund = PRESETS["legitimate-fund"].title
    page.select_option(".chainsim-select-scheme select", label=fund)
    _wait_for_readout(page, "chainsim-slider-levels", "0")  # the fund pays no commission
    _press(page, "chainsim-slider-levels", "ArrowRight")
    _wait_for_readout(page, "chainsim-slider-levels", "1")
    _press(page, "chainsim-slider-operator", "End")
    _wait_for_readout(page, "chainsim-slider-operator", "60%")
    _press(page, "chainsim-slider-commission", "End")
    page.wait_for_function(
        "() => document.querySelector('.chainsim-message').innerText.includes('Please check')",
        timeout=REDRAW_TIMEOUT_MS,
    )
    message = page.inner_text(".chainsim-message")
    assert "operator_cut" in message and "commission" in message, message
    assert "chainsim-stale" in (page.get_attribute("img.chainsim-figure", "class") or "")
    _assert_no_error_text(page, "ponzi-scheme with impossible settings")
    _screenshot(page, "ponzi-scheme-bad-input")
    _press(page, "chainsim-slider-commission", "Home")
    page.wait_for_function(
        "() => document.querySelector('.chainsim-message').innerText.trim() === ''",
        timeout=REDRAW_TIMEOUT_MS,
    )


_EXTRA_CHECKS = {"build-a-chain": _chain_remine, "ponzi-scheme": _fraud_bad_input}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("name", list(DEMOS))
def test_demo_renders_and_redraws(browser: Any, voila_url: str, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    spec = DEMOS[name]
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        first_render_s = _open_demo(page, f"{voila_url}/voila/render/{name}.ipynb")
        _assert_no_error(page, name)
        html = page.content()
        assert "chainsim.widgets" not in html, "sources are not stripped"

        before = _figure_src(page)
        handle = page.locator(f".{spec['slider']} .noUi-handle").first
        handle.focus()
        start = time.perf_counter()
        handle.press(spec["key"])
        _wait_for_new_figure(page, before)
        redraw_s = time.perf_counter() - start
        _assert_no_error(page, f"{name} after moving the slider")
        extra = _EXTRA_CHECKS.get(name)
        if extra is not None:
            extra(page)
        _screenshot(page, name)
        _timings[name] = {
            "first_render_s": round(first_render_s, 3),
            "redraw_s": round(redraw_s, 3),
        }
    finally:
        page.close()

    if spec["phone"]:
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        try:
            phone = context.new_page()
            phone_s = _open_demo(phone, f"{voila_url}/voila/render/{name}.ipynb")
            _assert_no_error(phone, f"{name} (phone)")
            # nothing wider than the screen: no sideways scrolling
            overflow = phone.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 2, f"{name} is {overflow}px wider than a 390px phone screen"
            fig_w = phone.evaluate(
                "() => document.querySelector('img.chainsim-figure').getBoundingClientRect().width"
            )
            assert fig_w <= 390, fig_w
            _screenshot(phone, f"{name}-phone")
            _timings[name]["phone_first_render_s"] = round(phone_s, 3)
        finally:
            context.close()
