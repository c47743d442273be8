"""No answers in the grading kernel: a learner whose functions call the lab's own references, or a library's,
earns nothing for them, graded end to end (lab_utils.grading.grade_submission) in the sandbox.

Two lines of defence are shown apart: the sandbox (the kernel has no `lab_utils.checks`, no reference maths
and no reference model to call, see `lab_utils.grading.withheld`) stops what no source check can read, such
as a module name built at run time; the source check (`lab_utils.checks.library`) stops a library's own
function under an alias, which the sandbox cannot take away.
"""

from pathlib import Path

import nbformat
import pytest

from lab_utils.checks import exercises_in
from lab_utils.grading import GradeOptions, Limits, grade_submission
from lab_utils.grading.results import PASSED
from lab_utils.grading.sandbox import bwrap_available

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not installed here")

LIMITS = Limits(memory=2 * 1024**3, processes=256, file_size=16 * 1024**2, cpu_seconds=300)
SOFTMAX = (
    "import importlib\nimport numpy as np",
    # a library's own softmax, reached by names the source check folds: only the source check can stop it
    "def my_softmax(z):\n    return getattr(__import__('scipy.special').special, 'soft' + 'max')(z)",
    # the lab's reference under a module name built at run time: only the sandbox can stop it
    "def stable_softmax(z):\n    return importlib.import_module(''.join(['lab_utils', '.reference'])).softmax(z)",
)
GRADIENTS = (
    "import importlib\nimport numpy as np",
    "def cross_entropy_from_logits(logits, y):\n"
    "    from lab_utils.reference import cross_entropy as ce\n"
    "    return ce(logits, y)",
    "def softmax_cross_entropy_grad(logits, y):\n"
    "    return importlib.import_module('lab_utils.reference').softmax_cross_entropy_grad(logits, y)",
    "def dense_backward(a_in, W, dz):\n"
    "    G = __import__('lab_utils.checks.gradients', fromlist=['reference'])\n"
    "    return G.dense_backward(a_in, W, dz)",
    # honest: the notebook is graded, and a right answer still earns its points
    "def gd_step(params, grads, learning_rate):\n    return [p - learning_rate * g for p, g in zip(params, grads)]",
)


def write_notebook(path: Path, cells: tuple[str, ...]) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("learner")
    notebooks = {
        "01_softmax": write_notebook(folder / "01_softmax.ipynb", SOFTMAX),
        "03_gradients": write_notebook(folder / "03_gradients.ipynb", GRADIENTS),
    }
    result = grade_submission(
        "borrower", notebooks, GradeOptions(seed=7, sandbox="required", limits=LIMITS, timeout=60)
    )
    return {ex.exercise: ex for nb in result.notebooks for ex in nb.exercises}


def test_every_exercise_is_graded(graded):
    assert set(graded) == {ex.function for stem in ("01_softmax", "03_gradients") for ex in exercises_in(stem)}


@pytest.mark.parametrize(
    "function",
    ["my_softmax", "stable_softmax", "cross_entropy_from_logits", "softmax_cross_entropy_grad", "dense_backward"],
)
def test_a_function_that_calls_a_reference_earns_nothing(graded, function):
    assert (graded[function].score, graded[function].result) != (graded[function].points, PASSED)
    assert graded[function].score == 0


def test_the_sandbox_alone_stops_a_reference_the_source_check_cannot_read(graded):
    assert "is not available while grading" in " ".join(graded["stable_softmax"].message.split())


def test_the_source_check_names_a_library_function_behind_getattr_and_import(graded):
    assert "scipy.special" in graded["my_softmax"].message


def test_an_honest_function_beside_them_earns_its_points(graded):
    assert graded["gd_step"].result == PASSED and graded["gd_step"].score == graded["gd_step"].points
