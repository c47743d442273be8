"""`python -m lab_utils.grade NOTEBOOK ...`: learner notebooks graded by the real grader, a table per notebook.

The notebooks are built here from small cell lists (named `01_softmax` so that its exercises are graded), and
graded once through the command line's `main`; the tests read different facts off that one run. The module is
also run once as `python -m lab_utils.grade`, as a learner or instructor types it.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from grading_class import MY_SOFTMAX, MY_SOFTMAX_STUB, STABLE_SOFTMAX, STABLE_SOFTMAX_STUB, write_notebook

from lab_utils.checks import exercises_in
from lab_utils.grading.cli import main
from lab_utils.grading.results import NOT_IMPLEMENTED, PASSED

ROOT = Path(__file__).resolve().parents[1]
SOFTMAX = exercises_in("01_softmax")
SOFTMAX_POINTS = sum(ex.points for ex in SOFTMAX)
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
