"""The grader's command line (lab_utils.course.cli) for notebooks: the table a learner reads, the JSON, and
one-line refusals of bad input.

The table is first formatted from results built as the grader builds them; then two small notebooks built here
(named `01_softmax`, so that its exercises are graded) are graded once through `main`, by the real grader, and the
tests read different facts off that run. `python -m lab_utils.grade` is also run once, as a learner types it.
A class folder (`--out`) is tested in test_course_batch.py.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from grading_class import MY_SOFTMAX, MY_SOFTMAX_STUB, STABLE_SOFTMAX, STABLE_SOFTMAX_STUB, write_notebook

from lab_utils.checks import exercises_in
from lab_utils.course.cli import format_table, main
from lab_utils.grading.results import FAILED, MISSING, NOT_IMPLEMENTED, PASSED, ExerciseResult, NotebookResult

ROOT = Path(__file__).resolve().parents[1]
SOFTMAX = exercises_in("01_softmax")
SOFTMAX_POINTS = sum(ex.points for ex in SOFTMAX)

WRONG = (
    "stable_softmax gave a wrong answer for a batch of 3 rows\n"
    "  expected: [[0.0900, 0.2447, 0.6652], ...]\n"
    "  got:      [[0.3333, 0.3333, 0.3333], ...]\n"
    "  hint: the max and the sum must keep one value per row: keepdims=True"
)


def notebook(status="graded", notes=(), exercises=None):
    exercises = exercises or [
        ExerciseResult("my_softmax", "01_softmax", 10, 10, PASSED, "correct"),
        ExerciseResult("stable_softmax", "01_softmax", 15, 0, FAILED, WRONG, "keepdims=True"),
    ]
    return NotebookResult("01_softmax", "01_softmax.ipynb", status, exercises, list(notes))


def test_a_multi_line_message_keeps_its_lines_aligned_under_the_message_column():
    lines = format_table(notebook(), "01_softmax.ipynb").splitlines()
    first = next(i for i, line in enumerate(lines) if "gave a wrong answer" in line)
    column = lines[first].index("stable_softmax gave")
    assert lines[first + 1].index("expected:") == column + 2
    assert lines[first + 3].strip() == "hint: the max and the sum must keep one value per row: keepdims=True"
    assert lines[first + 3].index("hint:") == column + 2


def test_a_long_message_line_wraps_instead_of_running_on():
    long = "word " * 60
    table = format_table(notebook(exercises=[ExerciseResult("my_softmax", "01_softmax", 10, 0, FAILED, long)]), "t")
    assert max(len(line) for line in table.splitlines()) < 130


def test_full_marks_with_crashed_later_cells_say_so_on_the_total_line():
    nb = notebook(
        notes=["code cell 7 (`plot_history(history)`) raised NameError: name 'history' is not defined"],
        exercises=[ExerciseResult("my_softmax", "01_softmax", 10, 10, PASSED, "correct")],
    )
    total = format_table(nb, "t").splitlines()[-1]
    assert total.startswith("  total: 10/10 points")
    assert "1 problem(s) while running the notebook" in total


def test_a_notebook_that_was_not_graded_shows_why_next_to_its_score():
    nb = notebook(status=MISSING, exercises=[ExerciseResult("my_softmax", "01_softmax", 10, 0, MISSING, "no file")])
    assert format_table(nb, "t").splitlines()[-1] == "  total: 0/10 points  [missing]"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["nope.ipynb"], "nope.ipynb: no such file"),
        (["{tmp}/class", "--out", "{tmp}/out"], "no such folder"),
        (["{tmp}/broken.ipynb"], "not a Jupyter notebook"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path, capsys, argv, says):
    (tmp_path / "broken.ipynb").write_text("{ not json")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["{tmp}"], "give --out RESULTS_DIR"),
        (["{tmp}", "--out", "{tmp}/out", "--workers", "0"], "--workers must be at least 1"),
        (["a.ipynb", "--regrade"], "grade a class"),
        (["{tmp}", "{tmp}", "--out", "{tmp}/out"], "exactly one CLASS_DIR"),
    ],
)
def test_unusable_options_are_refused_with_exit_2(tmp_path, capsys, argv, says):
    with pytest.raises(SystemExit) as exit_:
        main([a.format(tmp=tmp_path) for a in argv])
    assert exit_.value.code == 2
    assert says in capsys.readouterr().err


# --- notebooks graded by the real grader ---------------------------------------------------------------

BROKEN_PLOT = "plot_history(history)  # a later cell that crashes: `history` was never defined"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A solved notebook whose last cell crashes, and a stub notebook, graded in one command with --json."""
    tmp = tmp_path_factory.mktemp("notebooks")
    solved = write_notebook(
        tmp / "solved" / "01_softmax.ipynb", "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX, BROKEN_PLOT
    )
    stub = write_notebook(tmp / "stub" / "01_softmax.ipynb", "import numpy as np", MY_SOFTMAX_STUB, STABLE_SOFTMAX_STUB)
    before = solved.read_bytes(), solved.stat().st_mtime_ns
    out = tmp / "grades.json"
    with pytest.MonkeyPatch.context() as mp:
        lines = []
        mp.setattr("builtins.print", lambda *a, **k: lines.append(" ".join(map(str, a))))
        code = main([str(solved), str(stub), "--json", str(out), "--timeout", "60", "--seed", "11"])
    report = json.loads(out.read_text())
    return {"code": code, "stdout": "\n".join(lines), "json": report, "solved": solved, "stub": stub, "before": before}


def table_rows(stdout):
    """The tables' rows as (exercise, points, result) triples."""
    rows = [tuple(line.split()[:3]) for line in stdout.splitlines() if len(line.split()) >= 3]
    return [row for row in rows if row[0] != "total:" and re.fullmatch(r"[\d.]+/[\d.]+", row[1])]


def test_the_command_exits_0_and_prints_a_table_per_notebook(graded):
    assert graded["code"] == 0
    header = next(line for line in graded["stdout"].splitlines() if "exercise" in line)
    assert header.split() == ["exercise", "points", "result", "message"]
    solved_rows = [(ex.function, f"{ex.points}/{ex.points}", PASSED) for ex in SOFTMAX]
    stub_rows = [(ex.function, f"0/{ex.points}", NOT_IMPLEMENTED.split()[0]) for ex in SOFTMAX]
    assert table_rows(graded["stdout"]) == solved_rows + stub_rows
    assert f"grand total: {SOFTMAX_POINTS}/{2 * SOFTMAX_POINTS} points" in graded["stdout"]


def test_a_crash_after_full_marks_is_named_next_to_the_score(graded):
    lines = graded["stdout"].splitlines()
    total = next(line for line in lines if line.startswith(f"  total: {SOFTMAX_POINTS}/{SOFTMAX_POINTS}"))
    assert "1 problem(s) while running the notebook" in total
    note = next(line for line in lines if line.startswith("  note: "))
    # The 4th code cell, named by its first line, as the learner finds it in JupyterLab.
    assert note.startswith("  note: code cell 4 (`plot_history(history)") and "NameError" in note


def test_the_json_holds_the_same_rows_the_seed_and_the_paths(graded):
    report = graded["json"]
    assert [nb["notebook"] for nb in report["notebooks"]] == [str(graded["solved"]), str(graded["stub"])]
    results = [r for nb in report["notebooks"] for r in nb["exercises"]]
    rows = [(r["exercise"], f"{r['score']}/{r['points']}", r["result"].split()[0]) for r in results]
    assert rows == table_rows(graded["stdout"])
    assert (report["score"], report["max_score"], report["seed"]) == (SOFTMAX_POINTS, 2 * SOFTMAX_POINTS, 11)


def test_grading_leaves_the_notebook_file_unchanged(graded):
    solved = graded["solved"]
    assert (solved.read_bytes(), solved.stat().st_mtime_ns) == graded["before"]


def test_python_dash_m_lab_utils_grade_grades_the_solved_notebook(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "lab_utils.grade", str(ROOT / "solutions" / "01_softmax.ipynb"), "--seed", "3"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert f"total: {SOFTMAX_POINTS}/{SOFTMAX_POINTS} points" in done.stdout
