"""The check of `dense_backward(a_in, W, dz)` (notebook 03): a dense layer's backward pass, `(dW, db, da_in)`,
with its mutants."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, is_tensorflow, run_check
from lab_utils.checks.gradients.shared import AUTODIFF, FIXED_SEED, NOTEBOOK
from lab_utils.checks.messages import Mutants, a_kind, close, diagnose, fail
from lab_utils.checks.relations import relation
from lab_utils.reference import dense_backward

NAMES = ("dW", "db", "da_in")
SHAPE_HINTS = {
    "dW": "dW has the shape of W, (n_in, n_out): write down the shapes and find the product that gives it",
    "db": "db has one value per output unit, shape (n_out,): add up over the batch axis",
    "da_in": "da_in has the shape of a_in, (m, n_in): the gradient goes back through W to each input",
}


def dense_backward_mutants(a_in: np.ndarray, W: np.ndarray, dz: np.ndarray) -> dict[str, Mutants]:
    a_in, W, dz = (np.asarray(v, dtype=np.float64) for v in (a_in, W, dz))
    m = len(dz)
    mean_again = "dz already carries the 1/m of the mean loss: over the batch, add up, don't average again"
    return {
        "dW": [
            (mean_again, lambda: a_in.T @ dz / m),
            ("dW pairs each input with each output: which factor is transposed?", lambda: dz.T @ a_in),
        ],
        "db": [(mean_again, lambda: dz.mean(axis=0))],
        "da_in": [
            (
                "the activation's derivative is not part of dense_backward: the caller applies it to da_in",
                lambda: (dz @ W.T) * (a_in > 0),
            ),
            ("the gradient goes back through W, from n_out values to n_in: that is W's transpose", lambda: dz @ W),
        ],
    }


class DenseBackwardCheck(ExerciseCheck):
    """dense_backward(a_in, W, dz) -> (dW, db, da_in) for the layer z = a_in @ W + b."""

    function, name, notebook, points = "dense_backward", "check_dense_backward", NOTEBOOK, 10
    parameters = ("a_in", "W", "dz")
    library_calls = AUTODIFF
    library_hint = "the exercise asks you to write the three products yourself with NumPy"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = np.random.default_rng(FIXED_SEED)
        shapes = [
            (fixed, "a small layer", 4, 3, 2),
            (fixed, "a batch of one", 1, 5, 3),
            (fixed, "a square layer", 3, 3, 3),
        ]
        shapes += [
            (rng, "a random layer", int(rng.integers(5, 12)), 6, 4),
            (rng, "784 inputs, like layer 1", 8, 784, 25),
        ]
        cases = []
        for source, label, m, n_in, n_out in shapes:
            a_in = np.maximum(source.normal(size=(m, n_in)), 0.0)  # ReLU outputs: zeros and positives
            W = source.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out))
            cases.append(_dense_case(label, a_in, W, source.normal(0.0, 1.0 / m, size=(m, n_out))))
        a_in, W, dz = (rng.normal(size=shape).astype(np.float32) for shape in ((6, 4), (4, 5), (6, 5)))
        return cases + [_dense_case("float32 arrays", a_in, W, dz)]

    def verify(self, case: Case, obs: dict) -> None:
        a_in, W, dz = case.args
        expected = dense_backward(a_in, W, dz)
        got = obs.get("value")
        if isinstance(got, dict):
            hint = "return the three arrays themselves, as a tuple in the order (dW, db, da_in), not a dict"
            fail(self.function, case.label, "a tuple of three arrays (dW, db, da_in)", f"a dict of {list(got)}", hint)
        if is_tensorflow(obs.get("type")) or not isinstance(got, list) or len(got) != 3:
            hint = "return dW, db and da_in"
            if isinstance(got, list) and not is_tensorflow(obs.get("type")):
                hint = f"you returned {len(got)} arrays; return all three, (dW, db, da_in), in this order"
            fail(self.function, case.label, "a tuple of three arrays (dW, db, da_in)", got, hint)
        for name, want, value in zip(NAMES, expected, got, strict=True):
            if not isinstance(value, np.ndarray) or value.shape != want.shape:
                elsewhere = [n for n, e in zip(NAMES, expected, strict=True) if close(value, e, a_in.dtype)]
                hint = f"that is {elsewhere[0]}: return (dW, db, da_in) in this order" if elsewhere else None
                hint = hint or (relation(value, want) if isinstance(value, np.ndarray) else None)
                shape = f"shape {value.shape}" if isinstance(value, np.ndarray) else a_kind(type(value).__name__)
                fail(self.function, f"{name}, {case.label}", f"shape {want.shape}", shape, hint or SHAPE_HINTS[name])
        mutants = dense_backward_mutants(a_in, W, dz)
        for name, want, value in zip(NAMES, expected, got, strict=True):
            if not close(value, want, a_in.dtype):
                hint = diagnose(value, mutants[name], a_in.dtype)
                fail(self.function, f"{name}, {case.label}", want, value, hint, {"m": len(dz)}, a_in.dtype)

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} layers, a batch of one, a square layer and 784 inputs included"


def _dense_case(label: str, a_in: np.ndarray, W: np.ndarray, dz: np.ndarray) -> Case:
    return Case(f"{label}: a_in {a_in.shape}, W {W.shape}, dz {dz.shape}", [a_in, W, dz])


DENSE_BACKWARD = DenseBackwardCheck()


def check_dense_backward(dense_backward: Callable) -> None:
    """Check `dense_backward(a_in, W, dz)` -> (dW, db, da_in) (notebook 03)."""
    run_check(DENSE_BACKWARD, dense_backward)
