"""What runs in the learner's kernel to grade it: calling the learner's functions, and nothing that knows an answer.

A check (`lab_utils.checks`) is split at the one place where learner code runs. Its cases and its judge
live in `lab_utils.checks`, with the reference maths; how the kernel calls the learner's function on a
case and describes what came back lives here, named by the check's `observer`:

- `learner`: `Case`, `call_learner` (plain data whatever the learner's objects do), `raised`, `plain`,
  `learner_line`;
- `wire`: the plain-data format between the kernel and the grader;
- `keras_models`: the observers of exercises that take or return a Keras model.

The grader's sandbox gives the kernel this package but not `lab_utils.checks`, `lab_utils.reference` or
`lab_utils.model` (see `lab_utils.grading.sandbox`), so nothing imported here may import them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lab_utils.activations import ACTIVATIONS
from lab_utils.observe import keras_models
from lab_utils.observe.calls import Case, call_learner, plain, raised

Observer = Callable[[Callable, Case], dict]


def observe_call(fn: Callable, case: Case) -> dict:
    """fn(*case.args), described (the default observer)."""
    return call_learner(fn, case.args)[0]


def observe_with_activation(fn: Callable, case: Case) -> dict:
    """fn(*args, g) where the case's last argument names the activation g (see `lab_utils.activations`)."""
    *args, g = case.args
    return call_learner(fn, [*args, ACTIVATIONS[g]])[0]


OBSERVERS: dict[str, Observer] = {
    "call": observe_call,
    "activation": observe_with_activation,
    "build_model": keras_models.observe_build_model,
    "compile_model": keras_models.observe_compile_model,
    "train_step": keras_models.observe_train_step,
    "predict_digit": keras_models.observe_predict_digit,
}


def observe_case(observer: str, fn: Any, case: Case) -> dict:
    """The observation of fn on case by the named observer, made plain data of exact types whatever the
    learner's objects did (an exception on the way is theirs). An unknown observer is the grader's error."""
    observe = OBSERVERS[observer]
    try:
        obs = observe(fn, case)
    except Exception as exc:  # e.g. a returned object whose methods raise while it is described
        obs = raised(exc)
    return plain(obs)
