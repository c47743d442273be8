"""One check per exercise of the notebook series, and their registry `EXERCISES`.

Each exercise has one `ExerciseCheck` (see `core`): its cases (hand-picked edge cases and random
ones from a seed), how the learner's kernel observes a call (plain data only, see `wire`), and how
the result is judged (NumPy only: the grader judges outside the learner's kernel). A wrong answer
raises `CheckFailure`, whose message names the input, what was expected, what came back and, for
the mistakes learners commonly make, a hint. A stub (returning None or raising NotImplementedError)
raises `NotImplementedYet`; an exception in the learner's code is a `CheckFailure` naming its type
and the learner's own failing line. In IPython a failure shows as a short red message, but the cell
still ends in an error (`CheckFailure._render_traceback_`), so nbval, Run All and the grader see it.

In a notebook, `check_softmax(my_softmax)` and its siblings run the instant check (`core.run_check`):
the same cases from a fixed seed, the same wire round trip as the grader, then one green line.
The NumPy checks take an optional `cases`, to run them on inputs of your own.

Where each part lives (import everything from `lab_utils.checks` itself):
- `core`: `ExerciseCheck`, `Case`, `call_learner`, `run_check`; `messages`: `CheckFailure`,
  `NotImplementedYet` and the judge's comparisons; `library`: `library_hint`; `wire`: `encode`, `decode`;
- `softmax`, `model`, `training`, `evaluation`: the checks of notebooks 01, 02, 03-04 and 05;
- `gradients`: the gradient, backward-pass and gradient-descent checks of notebook 03 (and the NumPy network
  references); `train_step`: notebook 04's training step, judged with them;
- this module: the registry `Exercise`, `EXERCISES`, `exercises_in`, used by the grader.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab_utils.checks.core import ExerciseCheck
from lab_utils.checks.evaluation import CONFUSION_MATRIX, PREDICT_DIGIT, check_confusion_matrix, check_predict_digit
from lab_utils.checks.gradients import (
    DENSE_BACKWARD,
    GD_STEP,
    SOFTMAX_CROSS_ENTROPY_GRAD,
    check_dense_backward,
    check_gd_step,
    check_softmax_cross_entropy_grad,
)
from lab_utils.checks.messages import CheckFailure, NotImplementedYet
from lab_utils.checks.model import BUILD_MODEL, COUNT_PARAMS, DENSE, check_count_params, check_dense, check_model
from lab_utils.checks.softmax import SOFTMAX, STABLE_SOFTMAX, check_softmax, check_stable_softmax
from lab_utils.checks.train_step import TRAIN_STEP, check_train_step
from lab_utils.checks.training import COMPILE, CROSS_ENTROPY, check_compile, check_cross_entropy

__all__ = [
    "EXERCISES",
    "CheckFailure",
    "Exercise",
    "NotImplementedYet",
    "check_compile",
    "check_confusion_matrix",
    "check_count_params",
    "check_cross_entropy",
    "check_dense",
    "check_dense_backward",
    "check_gd_step",
    "check_model",
    "check_predict_digit",
    "check_softmax",
    "check_softmax_cross_entropy_grad",
    "check_stable_softmax",
    "check_train_step",
    "exercises_in",
]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: the learner's function name, its check, its points, and where it lives."""

    function: str
    check: ExerciseCheck
    points: int
    notebook: str


EXERCISES: tuple[Exercise, ...] = (
    Exercise("my_softmax", SOFTMAX, 10, "01_softmax"),
    Exercise("stable_softmax", STABLE_SOFTMAX, 15, "01_softmax"),
    Exercise("count_params", COUNT_PARAMS, 10, "02_model"),
    Exercise("build_model", BUILD_MODEL, 15, "02_model"),
    Exercise("my_dense", DENSE, 10, "02_model"),
    Exercise("cross_entropy_from_logits", CROSS_ENTROPY, 15, "03_gradients"),
    Exercise("softmax_cross_entropy_grad", SOFTMAX_CROSS_ENTROPY_GRAD, 10, "03_gradients"),
    Exercise("dense_backward", DENSE_BACKWARD, 10, "03_gradients"),
    Exercise("gd_step", GD_STEP, 5, "03_gradients"),
    Exercise("compile_model", COMPILE, 10, "04_training"),
    Exercise("train_step", TRAIN_STEP, 10, "04_training"),
    Exercise("my_confusion_matrix", CONFUSION_MATRIX, 10, "05_evaluation"),
    Exercise("predict_digit", PREDICT_DIGIT, 5, "05_evaluation"),
)


def exercises_in(notebook: str) -> tuple[Exercise, ...]:
    """The exercises of one notebook, e.g. "02_model" (a path such as notebooks/02_model.ipynb works too)."""
    stem = notebook.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".ipynb")
    return tuple(ex for ex in EXERCISES if ex.notebook == stem)
