"""Run every benchmark script in this folder and print their reports.

Benchmarks measure speed and memory against the targets named in the issues; they are
not part of the test run. Each ``bench_*.py`` is a standalone script printing a table.

    python benchmarks/run.py            # all
    python benchmarks/run.py engine     # only bench_engine.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(a in s.stem for a in argv)]
    status = 0
    for script in scripts:
        print(f"== {script.name} ==", flush=True)
        status |= subprocess.call([sys.executable, str(script)])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
