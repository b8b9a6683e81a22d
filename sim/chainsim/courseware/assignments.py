"""Build nbgrader assignment notebooks from text sources.

An nbgrader course keeps each assignment's *instructor* notebook in
``source/<assignment_id>/``; ``nbgrader generate_assignment`` turns it into the student
version by clearing ``### BEGIN SOLUTION`` regions and ``### BEGIN HIDDEN TESTS``
regions. Everything else in ``source/<assignment_id>/`` is copied to students, so the
text we edit and review (a jupytext ``py:percent`` file) lives apart, in
``src/<assignment_id>.py``, and the ``.ipynb`` is generated from it (and git-ignored).

In the text source each cell starts with a jupytext header; nbgrader cells carry their
metadata as JSON on that line::

    # %% nbgrader={"grade_id": "merkle_tree_hash", "solution": true}
    def merkle_tree_hash(leaves):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

    # %% nbgrader={"grade_id": "test_merkle_tree_hash", "grade": true, "locked": true, "points": 3}
    assert ...

Missing flags default to ``false`` and every nbgrader cell is written with the full
cell-metadata schema version 3 (``schema_version``, ``grade``, ``solution``, ``locked``,
``grade_id``, ``points``). The builder checks what nbgrader would only discover later
(duplicate ids, unbalanced markers, a graded cell without points, a test cell that
students could edit) and names the cell at fault.

Cell kinds (nbgrader's names):

========================  =====  ========  ======  ======
kind                      grade  solution  locked  task
========================  =====  ========  ======  ======
autograded answer         no     yes       no      no
autograder tests          yes    no        yes     no
manually graded answer    yes    yes       no      no
manually graded task      no     no        yes     yes
read-only                 no     no        yes     no
========================  =====  ========  ======  ======

Command line::

    python -m chainsim.courseware.assignments build [--course-dir DIR] [ASSIGNMENT_ID ...]
    python -m chainsim.courseware.assignments check [--course-dir DIR] [ASSIGNMENT_ID ...]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainsim.errors import ChainSimError, ConfigError

__all__ = [
    "SCHEMA_VERSION",
    "SOURCE_DIR",
    "SOURCE_SUFFIXES",
    "GradedCell",
    "build_assignment",
    "build_course",
    "check_notebook",
    "find_sources",
    "graded_cells",
    "load_source",
    "main",
    "max_score",
    "normalize_nbgrader_metadata",
    "notebook_path",
]

#: nbgrader cell-metadata schema written into every nbgrader cell.
SCHEMA_VERSION = 3
#: Folder (relative to the course root) holding the text sources.
SOURCE_DIR = "src"
#: Text-source formats read through jupytext, in order of preference.
SOURCE_SUFFIXES = (".py", ".md")

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
BEGIN_MARK_SCHEME = "BEGIN MARK SCHEME"
END_MARK_SCHEME = "END MARK SCHEME"

_FLAGS = ("grade", "solution", "locked", "task")
_ALLOWED_KEYS = {*_FLAGS, "grade_id", "points", "schema_version"}
_GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ASSIGNMENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Cell metadata kept from the text source; jupytext's layout hints are dropped.
_KEPT_CELL_METADATA = ("nbgrader", "tags")
_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


@dataclass(frozen=True, slots=True)
class GradedCell:
    """One nbgrader cell of a notebook.

    Attributes
    ----------
    grade_id : str
        nbgrader's id of the cell (unique within the notebook).
    kind : str
        ``"autograded answer"``, ``"autograder tests"``, ``"manually graded answer"``,
        ``"manually graded task"`` or ``"read-only"``.
    points : float
        Points the cell is worth (0 for cells that are not graded).
    cell_type : str
        ``"code"`` or ``"markdown"``.
    """

    grade_id: str
    kind: str
    points: float
    cell_type: str

    @property
    def autograded(self) -> bool:
        """True for test cells, whose points the autograder awards."""
        return self.kind == "autograder tests"


def _kind(meta: Mapping[str, Any]) -> str:
    if meta.get("task"):
        return "manually graded task"
    if meta["grade"] and meta["solution"]:
        return "manually graded answer"
    if meta["grade"]:
        return "autograder tests"
    if meta["solution"]:
        return "autograded answer"
    return "read-only"


def normalize_nbgrader_metadata(
    meta: Mapping[str, Any], *, cell_type: str, where: str = "cell"
) -> dict[str, Any]:
    """Complete and check one cell's nbgrader metadata (schema version 3).

    Parameters
    ----------
    meta : mapping
        The ``nbgrader`` entry written in the text source. Flags left out
        (``grade``, ``solution``, ``locked``, ``task``) are false.
    cell_type : {"code", "markdown"}
        The notebook cell type.
    where : str
        Where the cell is, used in error messages (for example ``"src/01.py cell 3"``).

    Returns
    -------
    dict
        ``grade``, ``grade_id``, ``locked``, ``points``, ``schema_version`` and
        ``solution`` (plus ``task`` for task cells). ``points`` is 0 for cells that are
        not graded.

    Raises
    ------
    ConfigError
        On unknown keys, a missing or malformed ``grade_id``, missing or negative
        ``points`` on a graded cell, points on an ungraded cell, a test cell that is not
        locked, a locked solution cell, or a flag combination nbgrader rejects.

    Examples
    --------
    >>> meta = normalize_nbgrader_metadata({"grade_id": "f", "solution": True}, cell_type="code")
    >>> meta == {"grade": False, "grade_id": "f", "locked": False, "points": 0,
    ...          "schema_version": 3, "solution": True}
    True
    >>> normalize_nbgrader_metadata({"grade_id": "t", "grade": True}, cell_type="code")
    Traceback (most recent call last):
    ...
    chainsim.errors.ConfigError: cell 't': points must be given for a graded cell, got none
    """
    if not isinstance(meta, Mapping):
        raise ConfigError(f"{where}: nbgrader metadata must be a JSON object, got {meta!r}")
    unknown = sorted(set(meta) - _ALLOWED_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown nbgrader key(s) {unknown}; allowed are {sorted(_ALLOWED_KEYS)}"
        )
    version = meta.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ConfigError(f"{where}: schema_version must be {SCHEMA_VERSION}, got {version!r}")
    flags: dict[str, bool] = {}
    for flag in _FLAGS:
        value = meta.get(flag, False)
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {flag} must be true or false, got {value!r}")
        flags[flag] = value
    grade_id = meta.get("grade_id")
    if not isinstance(grade_id, str) or not _GRADE_ID.match(grade_id):
        raise ConfigError(
            f"{where}: grade_id must be 1-64 letters, digits, '_' or '-', got {grade_id!r}"
        )
    where = f"{where} {grade_id!r}" if where == "cell" else f"{where} ({grade_id!r})"
    if cell_type not in ("code", "markdown"):
        raise ConfigError(f"{where}: nbgrader cells must be code or markdown, got {cell_type!r}")

    points = meta.get("points")
    if flags["grade"] or flags["task"]:
        if points is None:
            raise ConfigError(f"{where}: points must be given for a graded cell, got none")
        if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
            raise ConfigError(f"{where}: points must be a number > 0, got {points!r}")
    elif points not in (None, 0):
        raise ConfigError(
            f"{where}: points must be 0 or absent on a cell that is not graded, got {points!r}"
        )

    if flags["task"]:
        if cell_type != "markdown" or flags["grade"] or flags["solution"]:
            raise ConfigError(
                f"{where}: a task cell must be markdown with grade and solution false"
            )
        flags["locked"] = True
    elif flags["solution"] and flags["locked"]:
        raise ConfigError(f"{where}: a solution cell cannot be locked (students must edit it)")
    elif flags["grade"] and not flags["solution"] and not flags["locked"]:
        raise ConfigError(
            f"{where}: an autograder test cell must be locked, so that students cannot edit it"
        )
    if cell_type == "markdown" and not flags["task"] and flags["grade"] != flags["solution"]:
        raise ConfigError(
            f"{where}: a markdown cell must be both grade and solution (a written answer) "
            f"or neither, got grade={flags['grade']} solution={flags['solution']}"
        )
    if not (flags["grade"] or flags["solution"] or flags["locked"] or flags["task"]):
        raise ConfigError(
            f"{where}: a cell with nbgrader metadata must be graded, a solution or locked; "
            "drop the metadata for an ordinary cell"
        )

    out: dict[str, Any] = {
        "grade": flags["grade"],
        "grade_id": grade_id,
        "locked": flags["locked"],
        "points": points if (flags["grade"] or flags["task"]) else 0,
        "schema_version": SCHEMA_VERSION,
        "solution": flags["solution"],
    }
    if flags["task"]:
        out["task"] = True
    return out


def _regions(lines: Sequence[str], begin: str, end: str, *, where: str) -> int:
    """Count balanced, non-nested ``begin``/``end`` regions; raise on a mismatch."""
    inside = False
    n_regions = 0
    for number, line in enumerate(lines, start=1):
        if begin in line:
            if inside:
                raise ConfigError(f"{where}: nested {begin!r} at line {number}")
            inside = True
            n_regions += 1
        elif end in line:
            if not inside:
                raise ConfigError(f"{where}: {end!r} without {begin!r} at line {number}")
            inside = False
    if inside:
        raise ConfigError(f"{where}: {begin!r} is never closed by {end!r}")
    return n_regions


def _check_cell(cell: Any, meta: Mapping[str, Any] | None, where: str) -> None:
    lines = cell.source.split("\n")
    n_solution = _regions(lines, BEGIN_SOLUTION, END_SOLUTION, where=where)
    n_hidden = _regions(lines, BEGIN_HIDDEN, END_HIDDEN, where=where)
    n_scheme = _regions(lines, BEGIN_MARK_SCHEME, END_MARK_SCHEME, where=where)
    kind = _kind(meta) if meta else "ordinary"
    if n_solution and not (meta and meta["solution"]):
        raise ConfigError(f"{where}: {BEGIN_SOLUTION!r} in a {kind} cell; only solution cells")
    if meta and meta["solution"] and cell.cell_type == "code" and not n_solution:
        raise ConfigError(
            f"{where}: a code solution cell needs a {BEGIN_SOLUTION!r} ... {END_SOLUTION!r} "
            "region (otherwise nbgrader replaces the whole cell, signature included)"
        )
    if n_hidden and kind != "autograder tests":
        raise ConfigError(f"{where}: {BEGIN_HIDDEN!r} in a {kind} cell; only test cells")
    # nbgrader removes mark schemes from task cells; in a written answer the scheme is
    # safe only when the whole cell is replaced by the answer stub (no solution region).
    scheme_ok = kind == "manually graded task" or (
        kind == "manually graded answer" and cell.cell_type == "markdown" and not n_solution
    )
    if n_scheme and not scheme_ok:
        raise ConfigError(
            f"{where}: a mark scheme may only sit in a task cell or in a written answer "
            "without solution regions (it would leak to students)"
        )


def check_notebook(nb: Any, *, where: str = "notebook") -> None:
    """Check a notebook's nbgrader cells before nbgrader sees them.

    Checks each cell's metadata (see :func:`normalize_nbgrader_metadata`), that
    grade ids are unique, and that solution, hidden-test and mark-scheme markers are
    balanced and sit only in cells where nbgrader removes them.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook (its nbgrader metadata already normalized or as written).
    where : str
        Name used in error messages.

    Raises
    ------
    ConfigError
        Naming the cell (index and grade id) and the problem.
    """
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        here = f"{where} cell {index}"
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is not None:
            meta = normalize_nbgrader_metadata(meta, cell_type=cell.cell_type, where=here)
            grade_id = meta["grade_id"]
            if grade_id in seen:
                raise ConfigError(
                    f"{here}: grade_id {grade_id!r} is already used by cell {seen[grade_id]}"
                )
            seen[grade_id] = index
            here = f"{here} ({grade_id!r})"
        _check_cell(cell, meta, here)


def graded_cells(nb: Any) -> list[GradedCell]:
    """List a notebook's nbgrader cells in order, with kind and points.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A notebook whose nbgrader metadata has been normalized (for example one
        returned by :func:`load_source`).

    Returns
    -------
    list of GradedCell
    """
    out = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        out.append(
            GradedCell(
                grade_id=meta["grade_id"],
                kind=_kind(meta),
                points=float(meta.get("points", 0) or 0),
                cell_type=cell.cell_type,
            )
        )
    return out


def max_score(nb: Any, *, autograded_only: bool = False) -> float:
    """Total points of a notebook.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A normalized notebook.
    autograded_only : bool
        Count only the autograder test cells (the points ``nbgrader autograde``
        awards without a human).

    Returns
    -------
    float
        Points.
    """
    return sum(c.points for c in graded_cells(nb) if c.autograded or not autograded_only)


def load_source(path: str | Path) -> Any:
    """Read a text source into an nbgrader-ready notebook.

    The source is read with jupytext (``py:percent`` or MyST markdown). Each nbgrader
    cell's metadata is completed to schema version 3 and checked; jupytext's layout
    metadata is dropped; cells get stable ids (the grade id, else ``cell-<index>``)
    so that rebuilding gives an identical file; the kernel is Python 3.

    Parameters
    ----------
    path : str or Path
        The text source, for example ``assignments/src/01-merkle-pow.py``.

    Returns
    -------
    nbformat.NotebookNode
        A version-4 notebook.

    Raises
    ------
    ConfigError
        If the file is missing, has an unknown suffix, or a cell is malformed.
    """
    import jupytext  # jupytext and nbformat come with the "notebooks" extra
    import nbformat

    path = Path(path)
    if path.suffix not in SOURCE_SUFFIXES:
        raise ConfigError(f"source must end in one of {SOURCE_SUFFIXES}, got {str(path)!r}")
    if not path.is_file():
        raise ConfigError(f"source file {str(path)!r} does not exist")
    fmt = "py:percent" if path.suffix == ".py" else None
    text_nb = jupytext.read(path, fmt=fmt)

    nb = nbformat.v4.new_notebook()
    nb.metadata = nbformat.from_dict(
        {
            "kernelspec": dict(_KERNELSPEC),
            "language_info": {"name": "python"},
        }
    )
    for index, cell in enumerate(text_nb.cells):
        if cell.cell_type not in ("code", "markdown"):
            raise ConfigError(
                f"{path.name} cell {index}: cell type must be code or markdown, "
                f"got {cell.cell_type!r}"
            )
        where = f"{path.name} cell {index}"
        metadata: dict[str, Any] = {}
        for key in _KEPT_CELL_METADATA:
            if key in cell.metadata:
                metadata[key] = cell.metadata[key]
        cell_id = f"cell-{index}"
        if "nbgrader" in metadata:
            metadata["nbgrader"] = normalize_nbgrader_metadata(
                metadata["nbgrader"], cell_type=cell.cell_type, where=where
            )
            cell_id = metadata["nbgrader"]["grade_id"]
        if cell.cell_type == "code":
            maker = nbformat.v4.new_code_cell
        else:
            maker = nbformat.v4.new_markdown_cell
        new = maker(source=cell.source.rstrip("\n"), metadata=metadata)
        new["id"] = cell_id
        nb.cells.append(new)
    check_notebook(nb, where=path.name)
    nbformat.validate(nb)
    return nb


def find_sources(course_dir: str | Path, assignment_ids: Sequence[str] = ()) -> list[Path]:
    """Text sources of a course, sorted by assignment id.

    Parameters
    ----------
    course_dir : str or Path
        The course root (the folder holding ``nbgrader_config.py`` and ``src/``).
    assignment_ids : sequence of str
        Only these assignments; all when empty.

    Returns
    -------
    list of Path

    Raises
    ------
    ConfigError
        If ``src/`` is missing, an asked-for assignment has no source, or one
        assignment has sources in two formats.
    """
    src = Path(course_dir) / SOURCE_DIR
    if not src.is_dir():
        raise ConfigError(f"course_dir {str(course_dir)!r} has no {SOURCE_DIR}/ folder")
    by_id: dict[str, Path] = {}
    for path in sorted(src.iterdir()):
        if path.suffix in SOURCE_SUFFIXES and path.is_file() and not path.name.startswith("."):
            if path.stem in by_id:
                raise ConfigError(
                    f"assignment {path.stem!r} has two sources: {by_id[path.stem].name} "
                    f"and {path.name}; keep one"
                )
            by_id[path.stem] = path
    wanted = list(assignment_ids) or sorted(by_id)
    missing = [a for a in wanted if a not in by_id]
    if missing:
        raise ConfigError(
            f"no text source for assignment(s) {missing} in {src}; available are {sorted(by_id)}"
        )
    return [by_id[a] for a in wanted]


def notebook_path(course_dir: str | Path, assignment_id: str) -> Path:
    """Where nbgrader expects the instructor notebook: ``source/<id>/<id>.ipynb``.

    >>> notebook_path("assignments", "01-merkle-pow").as_posix()
    'assignments/source/01-merkle-pow/01-merkle-pow.ipynb'
    """
    if not _ASSIGNMENT_ID.match(assignment_id):
        raise ConfigError(
            "assignment_id must start with a letter or digit and contain only letters, "
            f"digits, '.', '_' or '-', got {assignment_id!r}"
        )
    return Path(course_dir) / "source" / assignment_id / f"{assignment_id}.ipynb"


def build_assignment(source: str | Path, course_dir: str | Path | None = None) -> Path:
    """Generate ``source/<id>/<id>.ipynb`` from the text source ``src/<id>.py``.

    Parameters
    ----------
    source : str or Path
        The text source; the assignment id is its file stem.
    course_dir : str or Path, optional
        Course root to write into; defaults to the folder above ``src/``.

    Returns
    -------
    Path
        The notebook written (byte-identical when rebuilt from the same source).

    Raises
    ------
    ConfigError
        If the source is malformed (see :func:`load_source`).
    """
    import nbformat

    source = Path(source)
    course = Path(course_dir) if course_dir is not None else source.resolve().parent.parent
    target = notebook_path(course, source.stem)
    nb = load_source(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb) + "\n"
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def build_course(course_dir: str | Path, assignment_ids: Sequence[str] = ()) -> list[Path]:
    """Build every assignment's notebook (or only ``assignment_ids``).

    Parameters
    ----------
    course_dir : str or Path
        The course root.
    assignment_ids : sequence of str
        Only these assignments; all when empty.

    Returns
    -------
    list of Path
        The notebooks written.
    """
    return [build_assignment(s, course_dir) for s in find_sources(course_dir, assignment_ids)]


def _default_course_dir() -> Path:
    here = Path.cwd()
    if (here / "nbgrader_config.py").is_file() and (here / SOURCE_DIR).is_dir():
        return here
    return here / "assignments"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``build`` writes the notebooks, ``check`` only checks the sources.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    int
        0 on success, 2 when a source is malformed (the message is printed).
    """
    parser = argparse.ArgumentParser(
        prog="python -m chainsim.courseware.assignments",
        description="Generate nbgrader source notebooks from the text sources in src/.",
    )
    parser.add_argument("command", choices=("build", "check"))
    parser.add_argument("assignment_ids", nargs="*", metavar="ASSIGNMENT_ID", help="default: all")
    parser.add_argument(
        "--course-dir",
        type=Path,
        default=None,
        help="course root (default: the current folder if it holds nbgrader_config.py, "
        "else ./assignments)",
    )
    args = parser.parse_intermixed_args(argv)
    course = args.course_dir if args.course_dir is not None else _default_course_dir()
    try:
        for source in find_sources(course, args.assignment_ids):
            nb = load_source(source)
            cells = graded_cells(nb)
            auto = max_score(nb, autograded_only=True)
            total = max_score(nb)
            if args.command == "build":
                target = build_assignment(source, course)
                print(f"wrote {target}")
            print(
                f"{source.stem}: {len(cells)} nbgrader cells, {auto:g} autograded + "
                f"{total - auto:g} manual = {total:g} points"
            )
    except ChainSimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
