"""Sphinx configuration of the English edition (settings shared in ../_shared)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "_shared"))

from conf_common import configure

configure(globals(), "en")
