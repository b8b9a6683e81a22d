"""The nbgrader course in assignments/: the notebook builder and the real grading pipeline.

The pipeline test copies the course (``nbgrader_config.py`` and the text sources) into a
temporary folder, builds the instructor notebook from its text source and runs the real
``nbgrader`` command line with its SQLite gradebook: generate_assignment, student import,
autograde of four submissions written here, manual grading through the gradebook API
(what formgrader does), generate_feedback and export to CSV.

The four students:

* ``ada`` answers everything with the instructor's solution;
* ``bob`` submits the release untouched;
* ``cyd`` gets tasks 1 and 3 right, writes a verifier that passes the visible tests but
  accepts over-long proofs (caught by the hidden tests), and an off-by-one nonce search;
* ``dee`` writes a wrong ``leading_zero_bits`` and edits its read-only test cell so that
  it passes, and solves task 4 correctly.
"""

from __future__ import annotations

import csv
import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from chainsim.courseware import assignments as builder
from chainsim.errors import ChainSimError, ConfigError

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "assignments"
ASSIGNMENT = "01-merkle-pow"
STUDENTS = {
    "ada": ("Ada", "Lovelace"),
    "bob": ("Bob", "Untouched"),
    "cyd": ("Cyd", "Partial"),
    "dee": ("Dee", "Tamper"),
}
# Points of each autograder test cell, as written in the text source.
TEST_POINTS = {
    "test_merkle_tree_hash": 3.0,
    "test_verify_inclusion": 3.0,
    "test_leading_zero_bits": 2.0,
    "test_find_nonce": 2.0,
}
WRITTEN = "written"
WRITTEN_POINTS = 4.0
ADA_MANUAL = 3.0  # the score a grader gives ada's written answer

# Expected autograder points per student and test cell.
EXPECTED = {
    "ada": dict(TEST_POINTS),
    "bob": dict.fromkeys(TEST_POINTS, 0.0),
    "cyd": {
        "test_merkle_tree_hash": 3.0,
        "test_verify_inclusion": 0.0,
        "test_leading_zero_bits": 2.0,
        "test_find_nonce": 0.0,
    },
    "dee": {
        "test_merkle_tree_hash": 0.0,
        "test_verify_inclusion": 0.0,
        "test_leading_zero_bits": 0.0,
        "test_find_nonce": 2.0,
    },
}

# cyd: right shape, but leftover proof hashes are ignored (only hidden tests catch it).
CYD_VERIFY = """\
def verify_inclusion(leaf, index, tree_size, proof, root):
    if not 0 <= index < tree_size:
        return False
    h = leaf_hash(leaf)
    sizes = []
    m, n = index, tree_size
    while n > 1:
        k = 1
        while 2 * k < n:
            k *= 2
        sizes.append((m < k))
        m, n = (m, k) if m < k else (m - k, n - k)
    if len(proof) < len(sizes):
        return False
    for went_left, sibling in zip(reversed(sizes), proof[-len(sizes):] if sizes else []):
        h = node_hash(h, sibling) if went_left else node_hash(sibling, h)
    return h == root
"""
# cyd: starts counting at nonce 1.
CYD_FIND_NONCE = """\
def find_nonce(data, k, max_tries):
    for nonce in range(1, max_tries + 1):
        digest = sha256(data + nonce.to_bytes(8, "big"))
        if leading_zero_bits(digest) >= k:
            return nonce
    return None
"""
# dee: counts whole zero bytes only.
DEE_LEADING_ZERO_BITS = """\
def leading_zero_bits(digest):
    n = 0
    for byte in digest:
        if byte:
            break
        n += 8
    return n
"""
DEE_TAMPERED_TEST = "# tests removed\nassert leading_zero_bits(bytes(32)) == 256\n"
# dee: correct, and independent of the wrong leading_zero_bits.
DEE_FIND_NONCE = """\
def find_nonce(data, k, max_tries):
    if not 0 <= k <= 256 or max_tries < 0:
        raise ValueError("bad k or max_tries")
    bound = 1 << (256 - k)
    for nonce in range(max_tries):
        if int.from_bytes(sha256(data + nonce.to_bytes(8, "big")), "big") < bound:
            return nonce
    return None
"""


# --------------------------------------------------------------------------------------
# The builder (fast, no kernels)
# --------------------------------------------------------------------------------------


def _cells_by_id(nb: Any) -> dict[str, Any]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def test_build_writes_schema_v3_notebook_deterministically(tmp_path: Path) -> None:
    shutil.copytree(COURSE / "src", tmp_path / "src")
    (first,) = builder.build_course(tmp_path)
    assert first == tmp_path / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    data = first.read_bytes()
    (again,) = builder.build_course(tmp_path, [ASSIGNMENT])
    assert again.read_bytes() == data  # rebuilding is byte-identical

    nb = nbformat.read(first, as_version=4)
    nbformat.validate(nb)
    # nbgrader's own metadata validator accepts it.
    from nbgrader.nbgraderformat import MetadataValidator

    MetadataValidator().validate_nb(nb)
    keys = {"schema_version", "grade", "solution", "locked", "grade_id", "points"}
    graded = [c for c in nb.cells if "nbgrader" in c.metadata]
    assert len(graded) == 18
    for cell in graded:
        meta = cell.metadata["nbgrader"]
        assert keys <= set(meta), meta
        assert meta["schema_version"] == 3
        assert cell.id == meta["grade_id"]
        assert "lines_to_next_cell" not in cell.metadata
    assert nb.metadata.kernelspec.name == "python3"
    assert "jupytext" not in nb.metadata


def test_points_and_cell_kinds_of_first_assignment() -> None:
    nb = builder.load_source(COURSE / "src" / f"{ASSIGNMENT}.py")
    cells = {c.grade_id: c for c in builder.graded_cells(nb)}
    tests = {g: c.points for g, c in cells.items() if c.kind == "autograder tests"}
    assert tests == TEST_POINTS
    answers = [g for g, c in cells.items() if c.kind == "autograded answer"]
    assert answers == ["merkle_tree_hash", "verify_inclusion", "leading_zero_bits", "find_nonce"]
    manual = [c for c in cells.values() if c.kind == "manually graded answer"]
    assert [(c.grade_id, c.cell_type, c.points) for c in manual] == [
        (WRITTEN, "markdown", WRITTEN_POINTS)
    ]
    assert builder.max_score(nb, autograded_only=True) == 10.0
    assert builder.max_score(nb) == 14.0
    source = _cells_by_id(nb)
    for grade_id in TEST_POINTS:
        assert builder.BEGIN_HIDDEN in source[grade_id].source, grade_id
    assert "BEGIN MARK SCHEME" in source[WRITTEN].source


def _passes(func: Any, cases: list[tuple[tuple[Any, ...], Any]]) -> bool:
    try:
        return all(func(*args) == want for args, want in cases)
    except Exception:
        return False


RFC6962_HEX_LEAVES = (
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)
_ROOT8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")


def test_graded_answers_are_not_shipped_by_chainsim() -> None:
    """Students must write these: nothing in chainsim may pass a task's visible tests.

    A helper may share a name (``chainsim.teaching.leading_zero_bits`` reads a 64-digit
    hex string, for the lessons) as long as it is not the answer to the task.
    """
    import chainsim

    leaves = [bytes.fromhex(h) for h in RFC6962_HEX_LEAVES]
    proof = [
        bytes.fromhex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        bytes.fromhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        bytes.fromhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ]
    # The visible-test cases a finished answer must satisfy, per graded name.
    cases: dict[str, list[tuple[tuple[Any, ...], Any]]] = {
        "leading_zero_bits": [((b"\x00\x0f",), 12), ((b"\x01",), 7), ((b"",), 0)],
        # ... also when called on the hex digits, as a hex-reading helper would be.
        "leading_zero_bits_hex": [(("000f",), 12), (("01",), 7)],
        "find_nonce": [((b"chainsim", 3, 14), 13), ((b"chainsim", 3, 13), None)],
        "merkle_tree_hash": [((leaves,), _ROOT8)],
        "verify_inclusion": [((leaves[0], 0, 8, proof, _ROOT8), True)],
    }
    package = Path(chainsim.__file__).parent
    for path in package.rglob("*.py"):
        if "courseware" not in path.parts:
            assert _ROOT8.hex() not in path.read_text(encoding="utf-8"), path
    checked = 0
    for info in pkgutil.walk_packages([str(package)], prefix="chainsim."):
        if info.name.startswith("chainsim.courseware"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional dependency is missing: nothing importable then
            continue
        checked += 1
        for key, name_cases in cases.items():
            name = key.removesuffix("_hex")
            func = getattr(module, name, None)
            if callable(func):
                assert not _passes(func, name_cases), f"{info.name}.{name} answers the task"
    assert checked > 5


def _source(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "src" / "x.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ('# %% nbgrader={"grade_id": "t", "grade": true, "locked": true}\nassert 1\n', "points"),
        ('# %% nbgrader={"grade_id": "t", "grade": true, "points": 1}\nassert 1\n', "locked"),
        ('# %% nbgrader={"grade_id": "bad id", "solution": true}\nx = 1\n', "grade_id"),
        ('# %% nbgrader={"grade_id": "a", "solutoin": true}\nx = 1\n', "solutoin"),
        ('# %% nbgrader={"grade_id": "a", "solution": true}\nx = 1\n', "BEGIN SOLUTION"),
        (
            '# %% nbgrader={"grade_id": "a", "locked": true}\n### BEGIN SOLUTION\n'
            "x = 1\n### END SOLUTION\n",
            "only solution cells",
        ),
        (
            '# %% nbgrader={"grade_id": "t", "grade": true, "locked": true, "points": 1}\n'
            "### BEGIN HIDDEN TESTS\nassert 1\n",
            "never closed",
        ),
        (
            '# %% nbgrader={"grade_id": "t", "grade": true, "locked": true, "points": 1}\n'
            "# === BEGIN MARK SCHEME ===\n# === END MARK SCHEME ===\nassert 1\n",
            "mark scheme",
        ),
        (
            '# %% nbgrader={"grade_id": "a", "locked": true}\nx = 1\n\n'
            '# %% nbgrader={"grade_id": "a", "locked": true}\ny = 1\n',
            "already used",
        ),
        ('# %% [markdown] nbgrader={"grade_id": "w", "solution": true}\n# text\n', "markdown"),
        (
            '# %% nbgrader={"grade_id": "a", "locked": true, "schema_version": 2}\nx = 1\n',
            "schema_version",
        ),
    ],
)
def test_malformed_sources_are_rejected_with_the_cell_named(
    tmp_path: Path, cells: str, message: str
) -> None:
    path = _source(tmp_path, cells)
    with pytest.raises(ConfigError, match=message) as info:
        builder.load_source(path)
    assert "x.py cell" in str(info.value)


def test_cli_builds_and_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(COURSE / "src", tmp_path / "src")
    assert builder.main(["build", "--course-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "10 autograded + 4 manual = 14 points" in out
    assert builder.notebook_path(tmp_path, ASSIGNMENT).is_file()
    assert builder.main(["check", "--course-dir", str(tmp_path), "no-such-id"]) == 2
    assert "no-such-id" in capsys.readouterr().err
    with pytest.raises(ChainSimError, match="assignment_id"):
        builder.notebook_path(tmp_path, "../escape")


def test_find_sources_rejects_missing_folder_and_duplicate_formats(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no src/ folder"):
        builder.find_sources(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("# %%\nx = 1\n")
    (tmp_path / "src" / "a.md").write_text("x\n")
    with pytest.raises(ConfigError, match="two sources"):
        builder.find_sources(tmp_path)


def _load_config(monkeypatch: pytest.MonkeyPatch, course_id: str | None) -> Any:
    from traitlets.config.loader import PyFileConfigLoader

    if course_id is None:
        monkeypatch.delenv("CHAINSIM_COURSE_ID", raising=False)
    else:
        monkeypatch.setenv("CHAINSIM_COURSE_ID", course_id)
    return PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()


def test_course_config(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _load_config(monkeypatch, None)
    assert config.CourseDirectory.course_id == "chainsim-101"
    assert Path(config.CourseDirectory.root) == COURSE  # wherever the folder is
    assert config.ExecutePreprocessor.timeout == 30
    assert config.Autograde.create_student is False
    # Another institution sets its own id without editing the file.
    other = _load_config(monkeypatch, "szu-blockchain-2026-fall")
    assert other.CourseDirectory.course_id == "szu-blockchain-2026-fall"


# --------------------------------------------------------------------------------------
# The real nbgrader pipeline
# --------------------------------------------------------------------------------------


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Only the course's nbgrader_config.py applies: no user-level Jupyter config.
    config_dir = course / ".jupyter-config"
    config_dir.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        TQDM_DISABLE="1",
        PYTHONDONTWRITEBYTECODE="1",
        JUPYTER_CONFIG_DIR=str(config_dir),
    )
    env.pop("CHAINSIM_COURSE_ID", None)
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _edit(release: Any, changes: dict[str, str]) -> Any:
    nb = nbformat.from_dict(release)
    cells = _cells_by_id(nb)
    for grade_id, text in changes.items():
        cells[grade_id].source = text
    return nb


def _submit(course: Path, student: str, nb: Any) -> None:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-28 12:00:00.000000 UTC\n")


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the whole pipeline once; the tests below inspect what it left behind."""
    from nbgrader.api import Gradebook
    from nbgrader.validator import Validator

    course = tmp_path_factory.mktemp("course")
    shutil.copy(COURSE / "nbgrader_config.py", course)
    shutil.copytree(COURSE / "src", course / "src")
    (source_path,) = builder.build_course(course)
    source = nbformat.read(source_path, as_version=4)

    source_check = Validator().validate(str(source_path))

    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    release_path = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    release = nbformat.read(release_path, as_version=4)
    release_inverted = Validator(invert=True).validate(str(release_path))
    release_check = Validator().validate(str(release_path))

    with open(course / "students.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "first_name", "last_name", "email"])
        for sid, (first, last) in STUDENTS.items():
            writer.writerow([sid, first, last, f"{sid}@example.edu"])
    _nbgrader(course, "db", "student", "import", "students.csv")

    solutions = {
        gid: cell.source
        for gid, cell in _cells_by_id(source).items()
        if cell.metadata["nbgrader"]["solution"]
    }
    # ada writes the model answer (not the mark scheme below it).
    solutions[WRITTEN] = solutions[WRITTEN].split("=== BEGIN MARK SCHEME")[0].strip()
    _submit(course, "ada", _edit(release, solutions))
    _submit(course, "bob", _edit(release, {}))
    _submit(
        course,
        "cyd",
        _edit(
            release,
            {
                "merkle_tree_hash": solutions["merkle_tree_hash"],
                "verify_inclusion": CYD_VERIFY,
                "leading_zero_bits": solutions["leading_zero_bits"],
                "find_nonce": CYD_FIND_NONCE,
            },
        ),
    )
    dee_nb = _edit(
        release,
        {
            "leading_zero_bits": DEE_LEADING_ZERO_BITS,
            "test_leading_zero_bits": DEE_TAMPERED_TEST,
            "find_nonce": DEE_FIND_NONCE,
        },
    )
    _submit(course, "dee", dee_nb)
    dee_check = Validator().validate(
        str(course / "submitted" / "dee" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    )

    _nbgrader(course, "autograde", ASSIGNMENT)

    def grades() -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "chainsim-101") as gb:
            for sid in STUDENTS:
                nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, sid)
                out[sid] = {
                    "cells": {
                        g.name: (g.score, g.needs_manual_grade, g.auto_score) for g in nb.grades
                    },
                    "score": nb.score,
                }
        return out

    after_autograde = grades()
    # A grader marks ada's written answer: the gradebook update formgrader's
    # "save grade" request makes (nbgrader/server_extensions/formgrader/apihandlers.py).
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "chainsim-101") as gb:
        grade = gb.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ada")
        grade.manual_score = ADA_MANUAL
        grade.needs_manual_grade = False
        gb.db.commit()
    after_manual = grades()

    _nbgrader(course, "generate_feedback", ASSIGNMENT)
    _nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))

    return {
        "course": course,
        "source": source,
        "release": release,
        "source_check": source_check,
        "release_inverted": release_inverted,
        "release_check": release_check,
        "dee_check": dee_check,
        "after_autograde": after_autograde,
        "after_manual": after_manual,
        "rows": rows,
    }


pipeline = pytest.mark.notebooks


def _autograded(course: Path, student: str) -> Any:
    path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return nbformat.read(path, as_version=4)


@pipeline
@pytest.mark.slow
def test_validator_passes_source_and_fails_release(graded_course: dict[str, Any]) -> None:
    assert graded_course["source_check"] == {}
    # invert=True reports cells that *pass*: the release's stubs must pass none.
    assert graded_course["release_inverted"] == {}
    failed = graded_course["release_check"]["failed"]
    assert len(failed) == len(TEST_POINTS) + 1  # every test cell, plus the blank answer


@pipeline
@pytest.mark.slow
def test_release_hides_solutions_hidden_tests_and_mark_scheme(
    graded_course: dict[str, Any],
) -> None:
    release = graded_course["release"]
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "MARK SCHEME", "Model answer", "== 2695"):
        assert marker not in text, marker
    cells = _cells_by_id(release)
    assert "raise NotImplementedError()" in cells["find_nonce"].source
    assert "def find_nonce(data: bytes, k: int, max_tries: int)" in cells["find_nonce"].source
    assert cells[WRITTEN].source == "YOUR ANSWER HERE (在此作答)"
    # Visible tests stay; locked cells carry nbgrader's checksums.
    assert "Task 4: visible tests passed." in cells["test_find_nonce"].source
    assert all("checksum" in c.metadata["nbgrader"] for c in cells.values())
    assert not any((graded_course["course"] / "release" / ASSIGNMENT).glob("*.py"))


@pipeline
@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_autograde_scores_each_test_cell_exactly(
    graded_course: dict[str, Any], student: str
) -> None:
    cells = graded_course["after_autograde"][student]["cells"]
    got = {name: cells[name][0] for name in TEST_POINTS}
    assert got == EXPECTED[student]
    assert graded_course["after_autograde"][student]["score"] == sum(EXPECTED[student].values())


@pipeline
@pytest.mark.slow
def test_written_answer_waits_for_a_grader_unless_left_blank(
    graded_course: dict[str, Any],
) -> None:
    auto = graded_course["after_autograde"]
    # ada wrote an answer: it needs a human; bob left the stub: zero, nothing to grade.
    assert auto["ada"]["cells"][WRITTEN][1] is True
    assert auto["bob"]["cells"][WRITTEN] == (0.0, False, 0.0)
    manual = graded_course["after_manual"]
    assert manual["ada"]["cells"][WRITTEN][:2] == (ADA_MANUAL, False)
    assert manual["ada"]["score"] == sum(TEST_POINTS.values()) + ADA_MANUAL


@pipeline
@pytest.mark.slow
def test_tampered_test_cell_is_restored_and_graded(graded_course: dict[str, Any]) -> None:
    # The validator students can run already flags the edited read-only cell ...
    changed = graded_course["dee_check"]["changed"]
    assert [c["source"] for c in changed] == [DEE_TAMPERED_TEST.strip()]
    # ... and autograde put the instructor's cell back, hidden tests included.
    original = _cells_by_id(graded_course["source"])["test_leading_zero_bits"].source
    cell = _cells_by_id(_autograded(graded_course["course"], "dee"))["test_leading_zero_bits"]
    assert cell.source == original
    assert builder.BEGIN_HIDDEN in cell.source
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["AssertionError"]
    assert graded_course["after_autograde"]["dee"]["cells"]["test_leading_zero_bits"][0] == 0.0


@pipeline
@pytest.mark.slow
def test_hidden_tests_run_at_grading(graded_course: dict[str, Any]) -> None:
    """cyd's verifier passes every visible test; a hidden test fails it."""
    cell = _cells_by_id(_autograded(graded_course["course"], "cyd"))["test_verify_inclusion"]
    streams = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert "Task 2: visible tests passed." in streams
    assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["AssertionError"]


@pipeline
@pytest.mark.slow
def test_feedback_html_per_student(graded_course: dict[str, Any]) -> None:
    course = graded_course["course"]
    totals = {sid: graded_course["after_manual"][sid]["score"] for sid in STUDENTS}
    for sid, total in totals.items():
        html_path = course / "feedback" / sid / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert html_path.is_file(), sid
        html = html_path.read_text(encoding="utf-8")
        assert f"Score: {total:.1f} / 14.0" in html, sid  # the notebook total at the top
        assert "MARK SCHEME" not in html


@pipeline
@pytest.mark.slow
def test_export_csv_has_one_row_per_student(graded_course: dict[str, Any]) -> None:
    rows = graded_course["rows"]
    assert sorted(r["student_id"] for r in rows) == sorted(STUDENTS)
    assert {r["assignment"] for r in rows} == {ASSIGNMENT}
    scores = {r["student_id"]: float(r["score"]) for r in rows}
    assert scores == {
        "ada": sum(TEST_POINTS.values()) + ADA_MANUAL,
        "bob": 0.0,
        "cyd": 5.0,
        "dee": 2.0,
    }
    assert {float(r["max_score"]) for r in rows} == {14.0}
    names = {r["student_id"]: (r["first_name"], r["last_name"]) for r in rows}
    assert names == STUDENTS
