"""Headless grading (lab_utils.grade): a notebook runs in a fresh kernel and the lab's own checks grade it.

Each scenario is one small notebook built here and graded once (a kernel start costs seconds), shared by the
tests that read different facts off that one grading. The exercises and their points come from the real
registry, `lab_utils.checks.EXERCISES`; the notebooks are named `01_softmax` so that its exercises are graded.
"""

import io
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from lab_utils.checks import EXERCISES, exercises_in
from lab_utils.grade import (
    MISSING,
    NOT_IMPLEMENTED,
    PASSED,
    TIMEOUT,
    grade_notebook,
    is_check_call_cell,
    main,
    select_exercises,
)

ROOT = Path(__file__).resolve().parents[1]
SOFTMAX = exercises_in("01_softmax")  # my_softmax and stable_softmax
SOFTMAX_POINTS = sum(ex.points for ex in SOFTMAX)
SHORT = 5  # seconds per cell where a test waits for a time-out; the other cells need well under that

IMPORTS = "import numpy as np\nfrom lab_utils.checks import check_softmax, check_stable_softmax"
MY_SOFTMAX = """
def my_softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)
"""
STABLE_SOFTMAX = """
def stable_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""
MY_SOFTMAX_STUB = """
def my_softmax(z):
    ### START CODE HERE ###
    raise NotImplementedError("write my_softmax")
    ### END CODE HERE ###
"""
STABLE_SOFTMAX_STUB = """
def stable_softmax(z):
    ### START CODE HERE ###
    p = None
    ### END CODE HERE ###
    return p
"""
PREDICT_DIGIT = """
import numpy as np

def predict_digit(model, image):
    logits = np.asarray(model(np.reshape(image, (1, 784)), training=False))[0]
    e = np.exp(logits - logits.max())
    proba = e / e.sum()
    return int(np.argmax(proba)), proba
"""


SOLVED = (IMPORTS, MY_SOFTMAX, "check_softmax(my_softmax)", STABLE_SOFTMAX, "check_stable_softmax(stable_softmax)")
STUBBED = (
    IMPORTS,
    MY_SOFTMAX_STUB,
    "check_softmax(my_softmax)",
    STABLE_SOFTMAX_STUB,
    "check_stable_softmax(stable_softmax)",
)
TAMPERED = (
    IMPORTS,
    MY_SOFTMAX_STUB,
    "pass",
    STABLE_SOFTMAX_STUB,
    'print("✓ check_stable_softmax passed")',
    "import lab_utils.checks.softmax\n"
    "lab_utils.checks.softmax.check_softmax = lambda f: None\n"
    "lab_utils.checks.check_softmax = lambda f: None\n"
    "lab_utils.checks.check_stable_softmax = lambda f: None\n"
    "check_softmax = check_stable_softmax = lambda f: None",
)


def write_notebook(path: Path, *sources: str) -> Path:
    """A notebook at `path` with one code cell per source."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def grade_cells(tmp_path_factory, sources, timeout=60):
    """The grade of a notebook named 01_softmax made of these cells."""
    notebook = write_notebook(tmp_path_factory.mktemp("notebook") / "01_softmax.ipynb", *sources)
    return grade_notebook(notebook, timeout=timeout)


def by_exercise(grade):
    return {r.exercise: r for r in grade.exercises}


# --- scenarios, each graded once ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def solved_cli(tmp_path_factory):
    """A solved notebook graded through the command line's `main`, with --json."""
    tmp = tmp_path_factory.mktemp("solved")
    notebook = write_notebook(tmp / "01_softmax.ipynb", *SOLVED)
    before = notebook.read_bytes(), notebook.stat().st_mtime_ns
    out = tmp / "grade.json"
    with pytest.MonkeyPatch.context() as mp:
        stdout = io.StringIO()
        mp.setattr(sys, "stdout", stdout)
        code = main([str(notebook), "--json", str(out), "--timeout", "60"])
    return {"code": code, "stdout": stdout.getvalue(), "json": out, "notebook": notebook, "before": before}


@pytest.fixture(scope="module")
def stub_grade(tmp_path_factory):
    """The learner's version: stubs and the check cells as handed out."""
    return grade_cells(tmp_path_factory, STUBBED)


@pytest.fixture(scope="module")
def tampered_grade(tmp_path_factory):
    """The learner's version whose check cells were replaced by `pass`, a fake success and monkeypatches."""
    return grade_cells(tmp_path_factory, TAMPERED)


@pytest.fixture(scope="module")
def broken_grade(tmp_path_factory):
    """my_softmax is solved, then a cell fails before it defines stable_softmax."""
    return grade_cells(
        tmp_path_factory, (IMPORTS, MY_SOFTMAX, "raise RuntimeError('learner cell broke here')\n" + STABLE_SOFTMAX)
    )


@pytest.fixture(scope="module")
def looping_grade(tmp_path_factory):
    """A check that never returns, a cell that loops, a cell that ignores the interrupt, then a solved exercise."""
    cells = (
        "import numpy as np",
        "def my_softmax(z):\n    while True:\n        pass",
        "while True:\n    pass",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        STABLE_SOFTMAX,
    )
    return grade_cells(tmp_path_factory, cells, timeout=SHORT)


# --- a solved notebook, through the command line ---------------------------------------------------------


def test_solved_notebook_gets_full_marks(solved_cli):
    report = json.loads(solved_cli["json"].read_text())
    results = report["notebooks"][0]["exercises"]
    assert [r["exercise"] for r in results] == [ex.function for ex in SOFTMAX]
    assert all(r["result"] == PASSED for r in results), results
    assert report["score"] == report["max_score"] == SOFTMAX_POINTS


def table_rows(stdout):
    """The table's rows as (exercise, points, result) triples."""
    rows = [tuple(line.split()[:3]) for line in stdout.splitlines() if len(line.split()) >= 3]
    return [row for row in rows if row[0] != "total:" and re.fullmatch(r"[\d.]+/[\d.]+", row[1])]


def test_cli_exits_0_and_prints_the_table_and_total(solved_cli):
    stdout = solved_cli["stdout"]
    assert solved_cli["code"] == 0
    header = next(line for line in stdout.splitlines() if "exercise" in line)
    assert header.split() == ["exercise", "points", "result", "message"]
    assert table_rows(stdout) == [(ex.function, f"{ex.points}/{ex.points}", PASSED) for ex in SOFTMAX]
    assert f"total: {SOFTMAX_POINTS}/{SOFTMAX_POINTS} points" in stdout


def test_json_holds_the_same_rows_as_the_table(solved_cli):
    report = json.loads(solved_cli["json"].read_text())
    notebook = report["notebooks"][0]
    assert notebook["notebook"] == str(solved_cli["notebook"])
    rows = [(r["exercise"], f"{r['score']}/{r['points']}", r["result"]) for r in notebook["exercises"]]
    assert rows == table_rows(solved_cli["stdout"])
    assert all(r["message"] for r in notebook["exercises"])


def test_grading_leaves_the_notebook_file_unchanged(solved_cli):
    notebook = solved_cli["notebook"]
    assert (notebook.read_bytes(), notebook.stat().st_mtime_ns) == solved_cli["before"]


# --- stubs and edited check cells -------------------------------------------------------------------------


def test_stub_notebook_scores_zero_with_not_implemented_for_each_exercise(stub_grade):
    assert [r.exercise for r in stub_grade.exercises] == [ex.function for ex in SOFTMAX]
    for r in stub_grade.exercises:
        assert (r.score, r.result) == (0, NOT_IMPLEMENTED)
        assert "not implemented yet" in r.message
    assert stub_grade.max_score == SOFTMAX_POINTS


def test_edited_check_cells_do_not_change_the_grade(tampered_grade, stub_grade):
    def table(grade):
        return [(r.exercise, r.score, r.result) for r in grade.exercises]

    assert table(tampered_grade) == table(stub_grade)


# --- broken notebooks -------------------------------------------------------------------------------------


def test_notebook_that_errors_halfway_still_grades_what_it_defined(broken_grade):
    result = by_exercise(broken_grade)["my_softmax"]
    assert (result.score, result.result) == (SOFTMAX[0].points, PASSED)
    assert any("RuntimeError: learner cell broke here" in note for note in broken_grade.notes)


def test_missing_function_scores_zero_with_a_reason(broken_grade):
    result = by_exercise(broken_grade)["stable_softmax"]
    assert (result.score, result.result) == (0, MISSING)
    assert result.message == "function stable_softmax is not defined (did the cell run?)"


def test_infinite_loop_cell_times_out_and_later_cells_still_run(looping_grade):
    assert any(note == f"cell 3 timed out after {SHORT} s and was interrupted" for note in looping_grade.notes)
    result = by_exercise(looping_grade)["stable_softmax"]
    assert (result.score, result.result) == (SOFTMAX[1].points, PASSED)


def test_check_that_never_returns_times_out_with_zero(looping_grade):
    result = by_exercise(looping_grade)["my_softmax"]
    assert (result.score, result.result) == (0, TIMEOUT)
    assert "infinite loop" in result.message


def test_cell_ignoring_the_interrupt_gets_a_fresh_kernel_with_earlier_cells_replayed(looping_grade):
    assert any(note.startswith("cell 4 hung") for note in looping_grade.notes)
    # my_softmax was defined before the restart: it is graded (and times out), not reported missing.
    assert by_exercise(looping_grade)["my_softmax"].result == TIMEOUT


# --- the exercises a notebook is graded on -------------------------------------------------------------------


def test_notebook_named_after_no_exercise_is_graded_on_the_functions_it_defines(tmp_path):
    notebook = write_notebook(tmp_path / "my_own_work.ipynb", PREDICT_DIGIT)
    grade = grade_notebook(notebook, timeout=120)
    assert [(r.exercise, r.result) for r in grade.exercises] == [("predict_digit", PASSED)]


def test_copies_of_a_series_notebook_get_its_exercises():
    chosen = select_exercises("01_softmax-Copy1", set(), EXERCISES)
    assert chosen == list(SOFTMAX)


def test_unknown_notebook_defining_no_exercise_gets_none():
    assert select_exercises("scratch", {"helper"}, EXERCISES) == []


def test_only_cells_made_of_check_calls_are_skipped():
    assert is_check_call_cell("check_softmax(my_softmax)")
    assert is_check_call_cell("check_softmax(my_softmax)\nlab_utils.checks.check_dense(my_dense)")
    assert not is_check_call_cell("check_model(build_model)\nmodel = build_model(cfg)")
    assert not is_check_call_cell("%time check_softmax(my_softmax)")
    assert not is_check_call_cell("pass")


# --- unusable input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("missing.ipynb", None, "no such file"),
        ("notes.txt", "just some text\n", "not a Jupyter notebook"),
        ("other.ipynb", '{"cells": "not a list"}', "not a Jupyter notebook"),
    ],
)
def test_unusable_file_gives_a_one_line_error_and_nonzero_exit(tmp_path, capsys, name, content, reason):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    assert main([str(path)]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("grade: error:"), err
    assert reason in err and "Traceback" not in err


# --- the series notebooks, once they exist ---------------------------------------------------------------

# Notebooks without exercises (06_going_further) are left out: grading them would take minutes to check nothing.
SERIES = [
    path
    for path in sorted(ROOT.glob("solutions/*.ipynb")) + sorted(ROOT.glob("notebooks/*.ipynb"))
    if exercises_in(path.stem)
]


@pytest.mark.skipif(not SERIES, reason="no series notebooks with exercises in solutions/ or notebooks/ yet")
@pytest.mark.parametrize("path", SERIES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_series_notebook_grades_right(path):
    grade = grade_notebook(path)
    assert [r.exercise for r in grade.exercises] == [ex.function for ex in exercises_in(path.stem)]
    if path.parent.name == "solutions":
        assert all(r.result == PASSED for r in grade.exercises), grade.exercises
        assert grade.score == grade.max_score
    else:
        assert all(r.result == NOT_IMPLEMENTED for r in grade.exercises), grade.exercises
        assert grade.score == 0
