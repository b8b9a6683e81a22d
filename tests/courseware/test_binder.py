"""Binder's environment, rebuilt from ``binder/`` alone, runs a lesson.

repo2docker reads only ``binder/`` once it exists: ``runtime.txt`` (the Python
version), ``requirements.txt`` (pinned) and ``postBuild`` (installs ChainSim with
``--no-deps``). The slow test does the same offline: a fresh virtual environment,
``pip install -r binder/requirements.txt`` (pip's cache keeps it quick), then
``binder/postBuild`` from the repository root, then one lesson executed with jupytext
and nbclient *inside* that environment, in a kernel that must be the environment's
own Python. The build time goes to ``artifacts/binder_timing.json``.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
LESSON = ROOT / "courses" / "en" / "03-mining" / "01-mining-propagation-forks.md"

#: What the lessons and demos import; each must be pinned exactly.
TOP_LEVEL = (
    "numpy",
    "pandas",
    "scipy",
    "networkx",
    "simpy",
    "tqdm",
    "coincurve",
    "matplotlib",
    "ipywidgets",
    "ipympl",
    "jupyterlab",
    "jupytext",
    "voila",
    "ipykernel",
    "nbclient",
)


def pins() -> dict[str, str]:
    out = {}
    for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"unpinned requirement: {line!r}"
            out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def test_runtime_is_python_311() -> None:
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"


def test_requirements_pin_every_package_and_cover_the_lessons() -> None:
    pinned = pins()
    for name in TOP_LEVEL:
        assert name in pinned, f"{name} is not pinned in binder/requirements.txt"
    assert "chainsim" not in pinned, "ChainSim is installed by postBuild, not requirements"
    assert not any(line.strip().startswith("-e") for line in (BINDER / "requirements.txt").open())


def test_pins_match_the_tested_environment() -> None:
    from importlib.metadata import PackageNotFoundError, version

    for name in TOP_LEVEL:
        try:
            installed = version(name)
        except PackageNotFoundError:  # pragma: no cover - everything is installed here
            pytest.fail(f"{name} is not installed in the test environment")
        assert pins()[name] == installed, f"{name}: pinned {pins()[name]}, tested {installed}"


def test_postbuild_installs_chainsim_without_dependencies() -> None:
    post = BINDER / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "postBuild must be executable"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash")
    assert re.search(r"pip install --no-deps -e \.", text)


def test_readme_has_launch_links() -> None:
    text = (BINDER / "README.md").read_text(encoding="utf-8")
    assert "urlpath=lab/tree/courses/en" in text
    assert "urlpath=lab/tree/courses/zh" in text
    assert "urlpath=voila/tree/courses/demos" in text


RUNNER = textwrap.dedent(
    """
    import sys, jupytext, nbformat
    from nbclient import NotebookClient
    path = sys.argv[1]
    nb = jupytext.read(path)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print('KERNEL', sys.prefix)"))
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    print("ERRORS", len(errors))
    print(nb.cells[-1].outputs[0].text.strip())
    """
)


@pytest.mark.binder
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_fresh_venv_from_binder_runs_a_lesson(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_PATH=str(venv / "share" / "jupyter"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        TQDM_DISABLE="1",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    start = time.perf_counter()

    def sh(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    sh(sys.executable, "-m", "venv", venv)
    sh(python, "-m", "pip", "install", "-q", "-r", BINDER / "requirements.txt")
    installed = time.perf_counter()
    sh("bash", BINDER / "postBuild")
    # The kernel must be the venv's own Python, whatever kernels the host has.
    sh(python, "-m", "ipykernel", "install", "--prefix", venv, "--name", "python3")
    built = time.perf_counter()

    runner = tmp_path / "run_lesson.py"
    runner.write_text(RUNNER, encoding="utf-8")
    done = sh(python, runner, LESSON, LESSON.parent, cwd=tmp_path)
    finished = time.perf_counter()

    assert "ERRORS 0" in done.stdout, done.stdout
    kernel_prefix = done.stdout.rsplit("KERNEL", 1)[1].strip()
    assert Path(kernel_prefix).resolve() == venv.resolve(), "the lesson ran outside the venv"
    check = sh(python, "-c", "import chainsim, pathlib; print(pathlib.Path(chainsim.__file__))")
    assert Path(check.stdout.strip()).is_relative_to(ROOT / "sim"), "postBuild: editable install"

    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "binder_timing.json").write_text(
        json.dumps(
            {
                "pip_install_s": round(installed - start, 1),
                "postbuild_and_kernel_s": round(built - installed, 1),
                "lesson_s": round(finished - built, 1),
                "total_s": round(finished - start, 1),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
