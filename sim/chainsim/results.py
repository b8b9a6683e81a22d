"""Results of a simulation: tidy tables plus metadata.

A run records events as plain rows and turns them into pandas tables once, at the end.

Tables (one row per ...)
------------------------
``blocks`` (block)
    ``block_id`` (0 is genesis), ``parent_id`` (-1 for genesis), ``height``, ``miner``
    (node id, -1 for genesis), ``t_mined_s``, ``size_bytes``, ``work`` (relative to the
    initial difficulty), ``main_chain`` (bool: on the chain every node ends up
    following).
``receipts`` (block, node)
    ``block_id``, ``node``, ``t_received_s`` (when the node accepted the block),
    ``delay_s`` (``t_received_s - t_mined_s``; 0 for the miner). Genesis is omitted.
``nodes`` (node)
    ``node``, ``region``, ``hash_share`` (0 for non-miners), ``n_blocks_mined``,
    ``n_main_chain``.
``messages`` (message kind)
    ``kind`` (``inv``, ``getdata``, ``block``, ...), ``n_messages``, ``n_bytes``.
``extras`` (protocol- and attack-specific tables, by name)
    for example ``requests`` and ``view_changes`` for PBFT, ``elections`` for Raft,
    ``slots`` for proof of stake, ``attack_events`` for attacks; saved as
    ``extra_<name>.csv``.
``meta``
    a JSON-friendly dict: ``seed`` (root entropy), ``config``, ``engine``,
    ``chainsim_version``, ``sim_time_s``, ``wall_time_s``, ``n_events``...
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from chainsim.errors import ChainSimError

__all__ = ["TABLES", "Results", "atomic_write_dir", "atomic_write_text"]

#: Column order of each table.
TABLES: dict[str, tuple[str, ...]] = {
    "blocks": (
        "block_id",
        "parent_id",
        "height",
        "miner",
        "t_mined_s",
        "size_bytes",
        "work",
        "main_chain",
    ),
    "receipts": ("block_id", "node", "t_received_s", "delay_s"),
    "nodes": ("node", "region", "hash_share", "n_blocks_mined", "n_main_chain"),
    "messages": ("kind", "n_messages", "n_bytes"),
}


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in TABLES[name]})


@dataclass
class Results:
    """The tables and metadata of one run (see the module docstring for columns)."""

    blocks: pd.DataFrame = field(default_factory=lambda: _empty("blocks"))
    receipts: pd.DataFrame = field(default_factory=lambda: _empty("receipts"))
    nodes: pd.DataFrame = field(default_factory=lambda: _empty("nodes"))
    messages: pd.DataFrame = field(default_factory=lambda: _empty("messages"))
    meta: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def seed(self) -> int | None:
        """The root seed (entropy) that repeats this run."""
        return self.meta.get("seed")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables by name."""
        return {name: getattr(self, name) for name in TABLES}

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``<table>.csv`` files and ``meta.json`` into ``directory``, atomically.

        Everything is written into a temporary sibling directory first and moved into
        place only when complete, so an interrupted run leaves no half-written files.
        An existing directory is replaced only if it holds nothing but earlier results.
        """

        for name in self.extras:
            if not name.replace("_", "").isalnum():
                raise ChainSimError(
                    f"extra table names may use letters, digits and '_', got {name!r}"
                )

        def write(tmp: Path) -> None:
            for name, table in self.tables().items():
                table.to_csv(tmp / f"{name}.csv", index=False)
            for name, table in self.extras.items():
                table.to_csv(tmp / f"extra_{name}.csv", index=False)
            (tmp / "meta.json").write_text(
                json.dumps(self.meta, indent=2, sort_keys=True, default=_json_default) + "\n",
                encoding="utf-8",
            )

        allowed = {*(f"{n}.csv" for n in TABLES), "meta.json"}
        if Path(directory).is_dir():  # earlier extra tables may be replaced too
            allowed |= {p.name for p in Path(directory).glob("extra_*.csv")}
        return atomic_write_dir(directory, write, allowed=allowed)

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Results:
        """Read tables written by :meth:`save`."""
        d = Path(directory)
        if not (d / "meta.json").is_file():
            raise ChainSimError(f"no results in {str(d)!r}: meta.json is missing")
        tables = {name: pd.read_csv(d / f"{name}.csv") for name in TABLES}
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        extras = {
            p.name[len("extra_") : -len(".csv")]: pd.read_csv(p)
            for p in sorted(d.glob("extra_*.csv"))
        }
        return cls(**tables, meta=meta, extras=extras)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {value!r}")


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_dir(
    directory: str | os.PathLike[str],
    write: Any,
    *,
    allowed: set[str] | None = None,
) -> Path:
    """Fill a fresh directory with ``write(tmp_dir)``, then move it to ``directory``.

    If ``directory`` exists it must contain only names in ``allowed`` (earlier output
    of the same kind); it is then replaced. Nothing is left behind on failure.
    """
    target = Path(directory)
    if target.exists():
        if not target.is_dir():
            raise ChainSimError(f"output path {str(target)!r} exists and is not a directory")
        extra = sorted(p.name for p in target.iterdir() if allowed is None or p.name not in allowed)
        if extra:
            raise ChainSimError(
                f"output directory {str(target)!r} already holds other files "
                f"({', '.join(extra[:3])}); choose an empty or new directory"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        write(tmp)
        if target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
