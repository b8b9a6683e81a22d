"""Build both editions of the ChainSim book with warnings as errors.

Usage::

    python book/build.py [OUTDIR] [--edition en|zh ...]

Each edition is a separate Sphinx project (``book/en``, ``book/zh``) built into
``OUTDIR/<edition>`` (default ``book/_build/html``); ``OUTDIR/index.html`` links to
both. Exit status is non-zero if any edition fails or warns.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent
EDITIONS = ("en", "zh")

LANDING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ChainSim book</title></head>
<body><h1>ChainSim</h1><ul>
<li><a href="en/index.html">English edition</a></li>
<li><a href="zh/index.html">中文版</a></li>
</ul></body></html>
"""


def build(outdir: Path, editions: tuple[str, ...] = EDITIONS) -> dict[str, float]:
    """Build ``editions`` into ``outdir/<edition>``; return seconds per edition."""
    outdir.mkdir(parents=True, exist_ok=True)
    seconds = {}
    failed = []
    for edition in editions:
        start = time.perf_counter()
        command = [
            sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
            "-d", str(outdir / ".doctrees" / edition),
            str(BOOK / edition), str(outdir / edition),
        ]  # fmt: skip
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(edition)
        seconds[edition] = time.perf_counter() - start
    (outdir / "index.html").write_text(LANDING, encoding="utf-8")
    if failed:
        raise subprocess.CalledProcessError(1, f"sphinx ({', '.join(failed)})")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default=str(BOOK / "_build" / "html"))
    parser.add_argument("--edition", action="append", choices=EDITIONS)
    args = parser.parse_args(argv)
    try:
        seconds = build(Path(args.outdir), tuple(args.edition or EDITIONS))
    except subprocess.CalledProcessError as err:
        print(f"book build failed: {err}", file=sys.stderr)
        return 1
    for edition, value in seconds.items():
        print(f"{edition}: built in {value:.1f} s -> {Path(args.outdir) / edition}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
