"""One check per exercise of the notebook series, and their registry `EXERCISES`.

Each check runs the learner's function on many inputs (hand-picked edge cases and
seeded random ones), compares with an independent computation, and either prints
one green line or raises `CheckFailure`, whose message names the input, what was
expected, what came back and, for the mistakes learners commonly make, a hint.
A stub (returning None or raising NotImplementedError) raises `NotImplementedYet`.
Exceptions from the learner's code become a `CheckFailure` naming their type, never
a crash inside the lab. In IPython a failure shows as a short red message, but the
cell still ends in an error (`CheckFailure._render_traceback_`), so nbval, Run All and
`lab_utils.grade` see it.

The NumPy checks take an optional `cases`, to run them on inputs of your own.
Keras is imported only by the checks that need a model (notebooks 02 to 04).

Where each part lives (import everything from `lab_utils.checks` itself):
- `core`: `CheckFailure`, `NotImplementedYet` and the machinery every check shares;
- `softmax`, `model`, `training`, `evaluation`: the checks of notebooks 01 to 04;
- this module: the registry `Exercise`, `EXERCISES`, `exercises_in`, used by `lab_utils.grade`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lab_utils.checks.core import CheckFailure, NotImplementedYet
from lab_utils.checks.evaluation import check_confusion_matrix, check_predict_digit
from lab_utils.checks.model import check_count_params, check_dense, check_model
from lab_utils.checks.softmax import check_softmax, check_stable_softmax
from lab_utils.checks.training import check_compile, check_cross_entropy

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
    "check_model",
    "check_predict_digit",
    "check_softmax",
    "check_stable_softmax",
    "exercises_in",
]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: the learner's function name, its check, its points, and where it lives."""

    function: str
    check: Callable[..., None]
    points: int
    notebook: str
    needs_model: bool = False


EXERCISES: tuple[Exercise, ...] = (
    Exercise("my_softmax", check_softmax, 10, "01_softmax"),
    Exercise("stable_softmax", check_stable_softmax, 15, "01_softmax"),
    Exercise("count_params", check_count_params, 10, "02_model"),
    Exercise("build_model", check_model, 15, "02_model"),
    Exercise("my_dense", check_dense, 10, "02_model"),
    Exercise("cross_entropy_from_logits", check_cross_entropy, 15, "04_training"),
    Exercise("compile_model", check_compile, 10, "04_training"),
    Exercise("my_confusion_matrix", check_confusion_matrix, 10, "05_evaluation"),
    Exercise("predict_digit", check_predict_digit, 5, "05_evaluation", needs_model=True),
)


def exercises_in(notebook: str) -> tuple[Exercise, ...]:
    """The exercises of one notebook, e.g. "02_model" (a path such as notebooks/02_model.ipynb works too)."""
    stem = notebook.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".ipynb")
    return tuple(ex for ex in EXERCISES if ex.notebook == stem)
