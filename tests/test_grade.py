"""Grading a learner's submission (lab_utils.grading.grade_submission): each scenario is a small
submission built here and graded once (a kernel start costs seconds), shared by the tests that read
different facts off it. Exercises and points come from the real registry; notebooks are given under
the stem "01_softmax", so that notebook's exercises are graded. Hostile submissions are in
test_grading_hostile.py; which cells run, in test_grading_cells.py.
"""

from pathlib import Path

import nbformat
import pytest

import lab_utils
from lab_utils.checks import exercises_in
from lab_utils.grading import GradeError, GradeOptions, Limits, grade_submission, submission
from lab_utils.grading.results import ERROR, FAILED, GRADED, MISSING, NOT_IMPLEMENTED, PASSED, TIMEOUT, UNREADABLE

ROOT = Path(lab_utils.__file__).resolve().parents[1]
SOFTMAX = exercises_in("01_softmax")  # my_softmax and stable_softmax
SOFTMAX_POINTS = sum(ex.points for ex in SOFTMAX)
SHORT = 4  # seconds per cell where a test waits for a time-out; the other cells need well under that
LIMITS = Limits(memory=2 * 1024**3, processes=128, file_size=16 * 1024**2, cpu_seconds=300)

IMPORTS = "import numpy as np\nfrom lab_utils.checks import check_softmax, check_stable_softmax"
MY_SOFTMAX = "def my_softmax(z):\n    e = np.exp(z - np.max(z))\n    return e / np.sum(e)"
STABLE_SOFTMAX = (
    "def stable_softmax(z):\n"
    "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
    "    return e / e.sum(axis=-1, keepdims=True)"
)
STABLE_SOFTMAX_STUB = (
    "def stable_softmax(z):\n    ### START CODE HERE ###\n    p = None\n    ### END CODE HERE ###\n    return p"
)
TAMPERED = (
    IMPORTS,
    "import tensorflow as tf\n\ndef my_softmax(z):\n    return tf.nn.softmax(z).numpy()",
    "pass",
    STABLE_SOFTMAX_STUB,
    'print("✓ check_stable_softmax passed")',
    "import lab_utils.checks\nlab_utils.checks.check_softmax = check_softmax = lambda f: None",
)


def write_notebook(path: Path, *sources: str) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def grade(notebooks, on_notebook=None, **options):
    options = GradeOptions(**{"seed": 7, "timeout": 60, "limits": LIMITS, **options})
    return grade_submission("learner", notebooks, options, on_notebook)


def by_exercise(result):
    return {r.exercise: r for r in result.exercises}


# --- scenarios, each graded once ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """Notebook 01 solved, 02 not handed in, 04 not a notebook; each NotebookResult recorded as it comes."""
    tmp = tmp_path_factory.mktemp("solved")
    notebook = write_notebook(
        tmp / "01_softmax.ipynb", IMPORTS, MY_SOFTMAX, "check_softmax(my_softmax)", STABLE_SOFTMAX
    )
    (tmp / "04_training.ipynb").write_text("just some text\n")
    before = notebook.read_bytes(), notebook.stat().st_mtime_ns
    seen = []
    notebooks = {"01_softmax": notebook, "02_model": None, "04_training": tmp / "04_training.ipynb"}
    result = grade(notebooks, on_notebook=seen.append)
    return {"result": result, "seen": seen, "notebook": notebook, "before": before}


@pytest.fixture(scope="module")
def learner_version():
    """The learner notebook as handed out (notebooks/01_softmax.ipynb): stubs everywhere."""
    return grade({"01_softmax": ROOT / "notebooks" / "01_softmax.ipynb"})


@pytest.fixture(scope="module")
def tampered(tmp_path_factory):
    """my_softmax hands the work to TensorFlow; stable_softmax is a stub whose check cells were edited."""
    return grade({"01_softmax": write_notebook(tmp_path_factory.mktemp("tampered") / "01.ipynb", *TAMPERED)})


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """my_softmax is solved, then a cell fails before it defines stable_softmax."""
    cells = (IMPORTS, MY_SOFTMAX, "raise RuntimeError('learner cell broke here')\n" + STABLE_SOFTMAX)
    return grade({"01_softmax": write_notebook(tmp_path_factory.mktemp("broken") / "01.ipynb", *cells)})


@pytest.fixture(scope="module")
def looping(tmp_path_factory):
    """A function that never returns, a cell that loops, a cell that ignores the interrupt, then a solution."""
    cells = (
        "import numpy as np",
        "def my_softmax(z):\n    while True:\n        pass",
        "while True:\n    pass",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        STABLE_SOFTMAX,
    )
    notebook = write_notebook(tmp_path_factory.mktemp("looping") / "01.ipynb", *cells)
    return grade({"01_softmax": notebook}, timeout=SHORT)


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    """Cells that each fit the per-cell limit but not, together, the notebook's."""
    cells = ("import time\nimport numpy as np", "time.sleep(2)", "time.sleep(2)", MY_SOFTMAX)
    notebook = write_notebook(tmp_path_factory.mktemp("slow") / "01.ipynb", *cells)
    return grade({"01_softmax": notebook}, timeout=SHORT, notebook_timeout=3)


# --- a solved notebook, and the notebooks that are not there ----------------------------------------------


def test_solved_notebook_gets_full_marks(solved):
    notebook = solved["result"].notebooks[0]
    assert [(r.exercise, r.result, r.score) for r in notebook.exercises] == [
        (ex.function, PASSED, ex.points) for ex in SOFTMAX
    ]
    assert notebook.status == GRADED and notebook.score == SOFTMAX_POINTS


def test_the_seed_and_the_sandbox_are_recorded(solved):
    assert solved["result"].seed == 7
    assert solved["result"].sandbox is submission.bwrap_available()


def test_a_missing_notebook_scores_zero_on_each_of_its_exercises(solved):
    missing = solved["result"].notebooks[1]
    assert missing.status == MISSING
    assert [(r.exercise, r.result, r.score) for r in missing.exercises] == [
        (ex.function, MISSING, 0) for ex in exercises_in("02_model")
    ]


def test_an_unreadable_file_is_that_notebooks_status(solved):
    unreadable = solved["result"].notebooks[2]
    assert (unreadable.status, unreadable.reason[:22]) == (UNREADABLE, "not a Jupyter notebook")
    assert {r.result for r in unreadable.exercises} == {ERROR} and unreadable.score == 0


def test_each_notebook_is_handed_over_as_soon_as_it_is_graded(solved):
    assert solved["seen"] == solved["result"].notebooks


def test_grading_leaves_the_notebook_file_unchanged(solved):
    notebook = solved["notebook"]
    assert (notebook.read_bytes(), notebook.stat().st_mtime_ns) == solved["before"]


# --- stubs, edited checks, library calls -------------------------------------------------------------------


def test_the_learner_version_scores_zero_with_not_implemented_for_each_exercise(learner_version):
    for r in learner_version.exercises:
        assert (r.score, r.result) == (0, NOT_IMPLEMENTED)
        assert "not implemented yet" in r.message
    assert learner_version.max_score == SOFTMAX_POINTS


def test_edited_check_cells_do_not_change_the_grade(tampered):
    assert by_exercise(tampered)["stable_softmax"].result == NOT_IMPLEMENTED


def test_handing_the_work_to_a_library_fails_with_a_hint(tampered):
    result = by_exercise(tampered)["my_softmax"]
    assert (result.result, result.score) == (FAILED, 0)
    assert "tf.nn.softmax" in result.message
    assert "yourself" in result.hint


# --- broken notebooks -------------------------------------------------------------------------------------


def test_notebook_that_errors_halfway_still_grades_what_it_defined(broken):
    assert by_exercise(broken)["my_softmax"].result == PASSED
    # Named as the learner finds it: its position among the code cells and its first line.
    cell = "code cell 3 (`raise RuntimeError('learner cell broke here')`)"
    assert f"{cell} raised RuntimeError: learner cell broke here" in broken.notebooks[0].notes


def test_missing_function_scores_zero_with_a_reason(broken):
    result = by_exercise(broken)["stable_softmax"]
    assert (result.score, result.result) == (0, MISSING)
    assert result.message == "function stable_softmax is not defined (did its cell run?)"


def test_infinite_loop_cell_times_out_and_later_cells_still_run(looping):
    assert f"code cell 3 (`while True:`) timed out after {SHORT} s and was interrupted" in looping.notebooks[0].notes
    assert by_exercise(looping)["stable_softmax"].result == PASSED


def test_function_that_never_returns_times_out_with_zero(looping):
    result = by_exercise(looping)["my_softmax"]
    assert (result.score, result.result) == (0, TIMEOUT)
    assert "infinite loop" in result.message


def test_cell_ignoring_the_interrupt_gets_a_fresh_kernel_with_earlier_cells_replayed(looping):
    assert any(note.startswith("code cell 4 (`import signal`) lost the kernel") for note in looping.notebooks[0].notes)
    assert by_exercise(looping)["my_softmax"].result == TIMEOUT  # defined before the restart: not missing


def test_a_notebook_over_its_total_time_is_recorded_and_its_exercises_still_graded(slow):
    notebook = slow.notebooks[0]
    assert notebook.status == TIMEOUT
    assert any("on were not run" in note for note in notebook.notes)
    assert by_exercise(slow)["my_softmax"].result == MISSING


# --- without bubblewrap -------------------------------------------------------------------------------------


def test_sandbox_required_without_bubblewrap_refuses(monkeypatch):
    monkeypatch.setattr(submission, "bwrap_available", lambda: False)
    with pytest.raises(GradeError, match="bubblewrap"):
        grade({"01_softmax": None}, sandbox="required")


def test_without_bubblewrap_grading_warns_once_and_records_no_sandbox(monkeypatch, capsys):
    monkeypatch.setattr(submission, "bwrap_available", lambda: False)
    monkeypatch.setattr(submission, "_warned", [])
    first = grade({"01_softmax": None})
    grade({"01_softmax": None})
    assert first.sandbox is False
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "WITHOUT a sandbox" in err


def test_with_the_sandbox_off_a_solved_notebook_still_gets_full_marks(tmp_path):
    notebook = write_notebook(tmp_path / "01.ipynb", IMPORTS, MY_SOFTMAX, STABLE_SOFTMAX)
    result = grade({"01_softmax": notebook}, sandbox="off")
    assert (result.sandbox, result.score) == (False, SOFTMAX_POINTS)
