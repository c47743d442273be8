"""One check per exercise of the notebook series, and their registry `EXERCISES`, built from the checks.

Each exercise has one `ExerciseCheck` (see `core`), which declares it (the learner's function, its
notebook, its points) and checks it: its cases (hand-picked edge cases and random ones from a seed),
how the learner's kernel observes a call (its `observer`, in `lab_utils.observe`: plain data only), and
how the result is judged (NumPy only, against `lab_utils.reference`: the grader judges outside the
learner's kernel). A wrong answer raises `CheckFailure`, whose message names the input, what was expected,
what came back and a hint: a mutant's sentence when the answer is one, else how it relates to the right one
(transposed, a factor of m...), or what the learner's exception means. A stub (returning None or raising
NotImplementedError) raises `NotImplementedYet`; an exception in the learner's code is a `CheckFailure`
naming its type and the learner's own failing line. In IPython a failure shows as a short red message, but
the cell still ends in an error (`CheckFailure._render_traceback_`), so nbval, Run All and the grader see it.

In a notebook, `check_softmax(my_softmax)` and its siblings run the instant check (`core.run_check`):
the same cases from a fixed seed, the same wire round trip as the grader, then one green line.
The NumPy checks take an optional `cases`, to run them on inputs of your own.

Where each part lives (import the check functions from `lab_utils.checks` itself):
- one module per notebook, or a package with one module per exercise where the notebook's checks would make a
  long module, named after its notebook's subject, with `NOTEBOOK` set to the notebook's name: `softmax` (01),
  `building` (02), `gradients` (03, a package), `training` (04, a package), `evaluation` (05). Each defines its
  checks as module-level `ExerciseCheck` instances, in the notebook's order, with their mutants (the plausible
  wrong versions of the reference maths, each with the sentence that names its cause) and `check_*` functions;
- `core`: `ExerciseCheck`, `run_check`; `messages`: `CheckFailure`, `NotImplementedYet`, how values are shown and
  the judge's comparisons; `relations`: how a wrong value relates to the right one; `explain`: the exceptions
  learners trigger, explained; `library`: the source check, `library_failure`;
- this module: the registry `EXERCISES` (the checks themselves), `exercises_in`, `series_stems` and
  `UNGRADED_STEMS` (the series' graded and ungraded notebooks, used by the grader and the course),
  found by importing every module of this package that sets `NOTEBOOK`, in the notebooks' order.
  Adding an exercise is adding its check (and `check_*` function) to its notebook's module: nothing here.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from lab_utils.checks.core import ExerciseCheck
from lab_utils.checks.messages import CheckFailure, NotImplementedYet


def notebook_modules(package: ModuleType) -> list[ModuleType]:
    """The modules of `package` that declare a notebook (`NOTEBOOK`), in the notebooks' order."""
    found = [
        importlib.import_module(f"{package.__name__}.{info.name}") for info in pkgutil.iter_modules(package.__path__)
    ]
    return sorted((m for m in found if isinstance(getattr(m, "NOTEBOOK", None), str)), key=lambda m: m.NOTEBOOK)


def checks_of(module: ModuleType) -> list[ExerciseCheck]:
    """The checks a notebook module defines for its own notebook, in the order it defines them."""
    found = [v for v in vars(module).values() if isinstance(v, ExerciseCheck) and v.notebook == module.NOTEBOOK]
    return list({id(check): check for check in found}.values())


def _registry(modules: list[ModuleType]) -> tuple[ExerciseCheck, ...]:
    exercises = tuple(check for module in modules for check in checks_of(module))
    functions = [ex.function for ex in exercises]
    duplicated = sorted({f for f in functions if functions.count(f) > 1})
    if duplicated:
        raise ImportError(f"lab_utils.checks: exercises declared twice: {', '.join(duplicated)}")
    return exercises


_MODULES = notebook_modules(importlib.import_module(__name__))
EXERCISES: tuple[ExerciseCheck, ...] = _registry(_MODULES)
# The notebooks' check functions, from the modules that define them (`from lab_utils.checks import check_softmax`).
globals().update(
    {ex.name: getattr(module, ex.name) for module in _MODULES for ex in EXERCISES if ex.notebook == module.NOTEBOOK}
)


UNGRADED_STEMS = ("06_going_further",)  # the series' notebooks with no graded exercise: listed, never graded


def series_stems() -> list[str]:
    """The graded notebooks' stems, in series order ("01_softmax", "02_model", ...)."""
    return list(dict.fromkeys(ex.notebook for ex in EXERCISES))


def exercises_in(notebook: str) -> tuple[ExerciseCheck, ...]:
    """The exercises of one notebook, e.g. "02_model" (a path such as notebooks/02_model.ipynb works too)."""
    stem = notebook.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".ipynb")
    return tuple(ex for ex in EXERCISES if ex.notebook == stem)


__all__ = [
    "EXERCISES",
    "CheckFailure",
    "ExerciseCheck",
    "NotImplementedYet",
    "UNGRADED_STEMS",
    "exercises_in",
    "series_stems",
    *(ex.name for ex in EXERCISES),
]
