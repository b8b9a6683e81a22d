"""Regenerate binder/requirements.txt from the installed (tested) environment.

Usage: ``python binder/pin.py > binder/requirements.txt``

Writes the header of the current file, then ``name==version`` for the top-level
packages and everything they require on Linux / CPython 3.11 (following extras),
at the versions installed in this environment.
"""

from __future__ import annotations

import importlib.metadata as md
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

TOP_LEVEL = [
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
    "nbformat",
]
MARKER_ENV = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def closure(top: list[str]) -> dict[str, str]:
    """Distribution name -> installed version, for ``top`` and all it requires."""
    seen: dict[str, tuple[str, str, set[str]]] = {}
    stack: list[tuple[str, frozenset[str]]] = [(name, frozenset()) for name in top]
    while stack:
        name, extras = stack.pop()
        key = canonicalize_name(name)
        dist = md.distribution(name)
        known = seen.get(key)
        if known and extras <= known[2]:
            continue
        all_extras = (known[2] if known else set()) | set(extras)
        seen[key] = (dist.metadata["Name"], dist.version, all_extras)
        for text in dist.requires or []:
            req = Requirement(text)
            wanted = req.marker is None or any(
                req.marker.evaluate({**MARKER_ENV, "extra": extra})
                for extra in ["", *sorted(all_extras)]
            )
            if wanted:
                stack.append((req.name, frozenset(req.extras)))
    return {name: version for name, version, _ in seen.values()}


def main() -> int:
    header = []
    current = Path(__file__).with_name("requirements.txt")
    if current.exists():
        header = [line for line in current.read_text().splitlines() if line.startswith("#")]
    pins = closure(TOP_LEVEL)
    lines = header + sorted(f"{name}=={version}" for name, version in pins.items())
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
