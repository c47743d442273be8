"""Adding an exercise: a check module and a notebook are all it takes to be graded, reported and exported.

The test copies the lab's package, adds to the copy one throwaway check module (`lab_utils/checks/extra.py`,
its notebook "07_extra", one exercise `triple`), and writes a learner's small notebook. A fresh Python
process, importing the copy, grades the notebook in the sandbox (`grade_submission`) and writes the class's
gradebook, grades.json, feedback page and report (`course.reports.write_all`): no other file is touched.
"""

import csv
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import lab_utils
from lab_utils.grading.sandbox import bwrap_available

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not installed here")

CHECK_MODULE = '''
"""Checks of notebook 07 (extra), a throwaway exercise: `check_triple` (triple)."""

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, run_check
from lab_utils.checks.messages import fail

NOTEBOOK = "07_extra"


class TripleCheck(ExerciseCheck):
    """triple(x): a float -> 3 * x."""

    function, name, notebook, points = "triple", "check_triple", NOTEBOOK, 7

    def cases(self, rng):
        return [Case(f"x = {x}", [float(x)]) for x in (0.0, 1.5, *rng.normal(size=3))]

    def verify(self, case, obs):
        if obs["value"] != 3 * case.args[0]:
            fail(self.function, case.label, 3 * case.args[0], obs["value"], "multiply by three")


TRIPLE = TripleCheck()


def check_triple(triple):
    run_check(TRIPLE, triple)
'''

GRADE = """
import json, sys
from pathlib import Path

sys.meta_path[:] = [f for f in sys.meta_path if not str(getattr(f, "__module__", "")).startswith("__editable__")]
sys.path.insert(0, sys.argv[1])  # the copy of the lab, not the installed one

import lab_utils
from lab_utils.checks import EXERCISES, check_triple
from lab_utils.course.reports import write_all
from lab_utils.grading import GradeOptions, Limits, grade_submission

assert Path(lab_utils.__file__).is_relative_to(sys.argv[1]), lab_utils.__file__
check_triple(lambda x: 3 * x)
limits = Limits(memory=2 * 1024**3, processes=256, file_size=16 * 1024**2, cpu_seconds=300)
options = GradeOptions(seed=3, sandbox="required", limits=limits)
result = grade_submission("ada", {"07_extra": Path(sys.argv[2])}, options)
write_all([result], {"seed": 3}, Path(sys.argv[3]))
print(json.dumps({"registered": [ex.function for ex in EXERCISES][-1]}))
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(Path(lab_utils.__file__).parent, root / "lab_utils", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "lab_utils" / "checks" / "extra.py").write_text(textwrap.dedent(CHECK_MODULE))
    notebook = root / "07_extra.ipynb"
    cells = ["import numpy as np", "def triple(x):\n    return 3 * x", "from lab_utils.checks import check_triple"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), notebook)
    out = root / "results"
    done = subprocess.run(
        [sys.executable, "-c", GRADE, str(root), str(notebook), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1]), out


def test_the_new_check_is_registered_last_in_series_order(graded):
    shown, _ = graded
    assert shown["registered"] == "triple"


def test_the_new_exercise_is_graded_with_its_points(graded):
    _, out = graded
    learner = json.loads((out / "grades.json").read_text())["learners"][0]
    (exercise,) = [ex for nb in learner["notebooks"] for ex in nb["exercises"] if ex["exercise"] == "triple"]
    assert (exercise["result"], exercise["score"], exercise["points"]) == ("passed", 7, 7)


def test_the_new_exercise_has_its_column_in_the_gradebook(graded):
    _, out = graded
    with (out / "gradebook.csv").open(newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["learner_id"] == "ada" and row["triple"] == "7"


def test_the_new_exercise_is_in_the_feedback_page_and_the_report(graded):
    _, out = graded
    assert "triple" in (out / "report.html").read_text()
    assert any("triple" in page.read_text() for page in (out / "feedback").iterdir())
