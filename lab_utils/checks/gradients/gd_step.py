"""The check of `gd_step(params, grads, learning_rate)` (notebook 03): one step of gradient descent on a list of
NumPy arrays, with its mutants."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, is_tensorflow, run_check
from lab_utils.checks.gradients.shared import FIXED_SEED, NOTEBOOK
from lab_utils.checks.messages import TF_HINT, Mutants, a_kind, close, diagnose, fail, show


def gd_step_mutants(p: np.ndarray, g: np.ndarray, rate: float) -> Mutants:
    return [
        ("gradient descent steps downhill: against the gradient, not along it", lambda: p + rate * g),
        ("the step is the gradient scaled by the learning rate", lambda: p - g),
        ("multiply the gradient by the learning rate, don't divide", lambda: p - g / rate),
        ("return the new parameters, not the step itself", lambda: -rate * g),
        ("return the new parameters, not the step itself", lambda: rate * g),
        ("the parameters did not move: subtract the scaled gradient from each", lambda: p),
        (
            "you stepped each parameter along itself: pair each parameter with its own gradient, zip(params, grads)",
            lambda: p - rate * p,
        ),
    ]


def _another_rate(got: np.ndarray, p: np.ndarray, g: np.ndarray, rate: float) -> str | None:
    """What to say when got is p - c * g for a rate c other than `rate` (fitted by least squares), else None.
    got, p, g: arrays of one shape."""
    g64, moved = np.asarray(g, dtype=np.float64), np.asarray(p, dtype=np.float64) - got
    c = float(np.sum(moved * g64) / np.sum(g64 * g64)) if np.any(g64) else 0.0
    if c <= 0 or not close(got, p - c * g64, p.dtype):
        return None
    factor = {2.0: "2", 0.5: "1/2"}.get(round(c / rate, 6))
    if factor:
        return f"your step is {factor} times learning_rate × gradient: a factor of {factor} is extra"
    return "the step is scaled by another rate than learning_rate: use the argument, not a number"


class GdStepCheck(ExerciseCheck):
    """gd_step(params, grads, learning_rate) -> a new list, params[i] - learning_rate * grads[i]."""

    function, name, notebook, points = "gd_step", "check_gd_step", NOTEBOOK, 5
    parameters = ("params", "grads", "learning_rate")

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = np.random.default_rng(FIXED_SEED)
        net = ((6, 5), (5,), (5, 4), (4,), (4, 3), (3,))
        specs = [
            (fixed, "one weight matrix and its bias", ((3, 2), (2,)), 0.1, np.float64),
            (fixed, "a single array", ((5,),), 0.5, np.float64),
            (rng, "a three-layer network's weights", net, 0.01, np.float64),
            (rng, "float32 weights", ((4, 3), (3,)), 0.3, np.float32),
            (rng, "a learning rate above 1", ((2, 2), (2,)), 2.5, np.float64),
        ]
        cases = []
        for source, label, shapes, rate, dtype in specs:
            params, grads = ([source.normal(size=shape).astype(dtype) for shape in shapes] for _ in range(2))
            cases.append(Case(f"{label}, learning_rate = {rate}", [params, grads, rate]))
        return cases

    def verify(self, case: Case, obs: dict) -> None:
        params, grads, rate = case.args
        got, kind = obs.get("value"), str(obs.get("type"))
        want = f"a list of {len(params)} arrays"
        if kind not in ("builtins.list", "builtins.tuple"):
            hint = "build the list itself: list(...) of a generator, or a list comprehension"
            fail(
                self.function,
                case.label,
                want,
                a_kind(kind),
                hint if "generator" in kind or "map" in kind else "return a list of new arrays",
            )
        if len(got) != len(params):
            hint = "one new array per parameter, in order"
            if len(got) == len(params) ** 2 > 1:
                hint = (
                    f"{len(got)} arrays for {len(params)} parameters: a double loop pairs every parameter with every "
                    "gradient; pair each parameter with its own gradient, zip(params, grads)"
                )
            fail(self.function, case.label, want, f"a list of {len(got)}", hint)
        tensors = [i for i, t in enumerate(obs.get("item_types") or []) if is_tensorflow(t)]
        if tensors:
            fail(self.function, case.label, want, f"TensorFlow tensors (params[{tensors[0]}] and on)", TF_HINT)
        for i, (p, g, value) in enumerate(zip(params, grads, got, strict=True)):
            expected = p - rate * g
            label = f"params[{i}] of {case.label}"
            if not isinstance(value, np.ndarray) or value.shape != p.shape:
                shape = value.shape if isinstance(value, np.ndarray) else show(value)
                fail(
                    self.function,
                    label,
                    f"an array of shape {p.shape}",
                    shape,
                    "each new array has its parameter's shape",
                )
            if not close(value, expected, p.dtype):
                hint = diagnose(value, gd_step_mutants(p, g, rate), p.dtype) or _another_rate(value, p, g, rate)
                fail(self.function, label, expected, value, hint, {"learning_rate": rate}, p.dtype)

    def error_hint(self, case: Case, obs: dict) -> str | None:
        message = str(obs.get("message"))
        if "inhomogeneous" in message:
            return (
                "params holds arrays of different shapes (a weight matrix, a bias), which NumPy cannot stack into "
                "one array: step each array with its own gradient, pair by pair"
            )
        if obs.get("type") == "TypeError" and ("list" in message or "sequence" in message):
            return "params and grads are lists: arithmetic works on their arrays, pair by pair (zip)"
        return None

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} parameter lists, float32 and float64, inputs left untouched"


GD_STEP = GdStepCheck()


def check_gd_step(gd_step: Callable) -> None:
    """Check `gd_step(params, grads, learning_rate)` -> a new list of arrays (notebook 03)."""
    run_check(GD_STEP, gd_step)
