"""Checks of notebook 01 (softmax): `check_softmax` (my_softmax) and `check_stable_softmax` (stable_softmax)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, returned_array, run_check
from lab_utils.checks.messages import Mutants, close, diagnose, fail, show
from lab_utils.reference import log_softmax, softmax

NOTEBOOK = "01_softmax"
LARGE = 700.0  # np.exp overflows float64 a little above this
SOFTMAXES = (
    "tensorflow.nn.softmax",
    "tensorflow.math.softmax",
    "tensorflow.nn.log_softmax",
    "keras.activations.softmax",
    "keras.ops.softmax",
    "keras.layers.Softmax",
    "scipy.special.softmax",
    "scipy.special.log_softmax",
    "lab_utils.model.softmax",
    "lab_utils.model.predict_proba",
    "lab_utils.reference.softmax",
    "lab_utils.reference.log_softmax",
    "torch.softmax",
    "torch.nn.functional.softmax",
    "jax.nn.softmax",
)
KEEPDIMS_HINT = (
    "keepdims=True keeps the reduced axis, so each row's max and sum (shape (m, 1)) line up with z (m, K): see Hint 2"
)


def _case(z: np.ndarray) -> Case:
    return Case(f"z = {show(z)}", [z])


def softmax_mutants(z: np.ndarray) -> Mutants:
    """(hint, the wrong answer it produces) for the mistakes of softmax itself. z: (..., K) logits."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):  # overflow is what some of these mistakes produce for large logits
        e = np.exp(z)
    onehot = (z == z.max(axis=-1, keepdims=True)).astype(float)
    return [
        ("you returned the exponentials without dividing by the sum: probabilities add up to 1", lambda: e),
        (
            "you divided by the sum of the logits; divide by the sum of the exponentials",
            lambda: e / z.sum(-1)[..., None],
        ),
        ("you divided z by its sum; softmax exponentiates first", lambda: z / z.sum(-1, keepdims=True)),
        ("you divided by the largest exponential (max); divide by their sum", lambda: e / e.max(-1, keepdims=True)),
        ("you divided by the mean of the exponentials; divide by their sum", lambda: e / e.mean(-1, keepdims=True)),
        (
            "you divided inside the loop before the sum was complete; sum all exponentials first",
            lambda: e / e.cumsum(-1),
        ),
        (
            "that is the sigmoid of each logit; softmax divides each exponential by the sum over all classes",
            lambda: 1 / (1 + 1 / e),
        ),
        ("the sign is flipped (exp(-z)): the smallest logit got the largest probability", lambda: softmax(-z)),
        ("you returned log-probabilities; return the probabilities themselves", lambda: log_softmax(z)),
        ("you returned a one-hot of the largest logit; softmax gives every class a probability", lambda: onehot),
        (
            "you divided by exp of the sum of the logits; divide by the sum of the exponentials",
            lambda: e / np.exp(z.sum(-1, keepdims=True)),
        ),
        (
            "you added 1 to the sum (as in the sigmoid's 1 + exp(-z)); softmax divides by the sum of the "
            "exponentials alone",
            lambda: e / (1 + e.sum(-1, keepdims=True)),
        ),
        (
            "you divided by the norm of the exponentials (the square root of their squares' sum); divide by their "
            "plain sum",
            lambda: e / np.linalg.norm(e, axis=-1, keepdims=True),
        ),
    ]


def stable_softmax_mutants(z: np.ndarray) -> Mutants:
    z = np.asarray(z, dtype=np.float64)
    norm = lambda e: e / e.sum(axis=-1, keepdims=True)  # noqa: E731
    e_flat = lambda: np.exp(z - z.max(axis=-1))  # noqa: E731  (the max without keepdims)
    e_row = lambda: np.exp(z - z.max(axis=-1, keepdims=True))  # noqa: E731
    return [
        (
            f"you forgot keepdims=True in both the max and the sum: {KEEPDIMS_HINT}",
            lambda: e_flat() / e_flat().sum(-1),
        ),
        (
            f"you forgot keepdims=True in the sum, so rows were divided by the wrong totals: {KEEPDIMS_HINT}",
            lambda: e_row() / e_row().sum(-1),
        ),
        (
            f"you forgot keepdims=True in the max, so the wrong max was subtracted: {KEEPDIMS_HINT}",
            lambda: norm(e_flat()),
        ),
        (
            "you subtracted the max in the numerator only: the sum below must be of the same shifted exponentials",
            lambda: e_row() / np.exp(z).sum(axis=-1, keepdims=True),
        ),
        (
            "you subtracted the mean; subtract the max, so that no exponent is above 0 and np.exp cannot overflow",
            lambda: norm(np.exp(z - z.mean(axis=-1, keepdims=True))),
        ),
        (
            "you subtracted the largest absolute value; subtract the max itself, so that the largest exponent is "
            "exp(0) = 1 (with all logits negative, yours are all below exp(-1000), which is 0)",
            lambda: norm(np.exp(z - np.abs(z).max(axis=-1, keepdims=True))),
        ),
        ("you forgot to subtract the max: np.exp(1000) overflows to inf", lambda: norm(np.exp(z))),
        (
            "you subtracted the max of the whole array; subtract each row's own max (axis=-1)",
            lambda: norm(np.exp(z - z.max())),
        ),
        (
            "you subtracted the min; subtract the max, so the largest exponent is exp(0) = 1",
            lambda: norm(np.exp(z - z.min(axis=-1, keepdims=True))),
        ),
        *softmax_mutants(z),
    ]


def _lost_differences(expected: np.ndarray, got: np.ndarray) -> bool:
    """Whether some row of got has equal probabilities where the right ones differ. expected, got: (..., K)."""
    e2 = expected.reshape(-1, expected.shape[-1])
    g2 = np.asarray(got, dtype=np.float64).reshape(e2.shape)
    with np.errstate(all="ignore"):
        for er, gr in zip(e2, g2, strict=True):
            differ = ~np.isclose(er[:, None], er[None, :], rtol=1e-3, atol=1e-12)
            same = np.isclose(gr[:, None], gr[None, :], rtol=1e-9, atol=0) & differ
            if np.isfinite(gr).all() and np.isclose(gr.sum(), 1.0) and same.any():
                return True
    return False


class SoftmaxCheck(ExerciseCheck):
    """my_softmax(z): z (K,) logits -> (K,) probabilities."""

    function, name, notebook, points = "my_softmax", "check_softmax", NOTEBOOK, 10
    parameters = ("z",)
    wrong_answer = "return np.exp({0})"
    library_calls = SOFTMAXES
    library_hint = "the exercise asks you to write softmax yourself with NumPy; compare with the library afterwards"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = [[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0], [3.0], [-1.0, -5.0, 0.5, -2.5], [0.0, 0.0]]
        cases = [_case(np.array(z)) for z in fixed] + [_case(np.array([0.5, -1.0, 2.0], dtype=np.float32))]
        return cases + [_case(rng.normal(0.0, 3.0, size=n)) for n in (2, 5, 10)]

    def mutants(self, z: np.ndarray) -> Mutants:
        return softmax_mutants(z)

    def verify(self, case: Case, obs: dict) -> None:
        z = case.args[0]
        expected = softmax(z)
        got = returned_array(
            self.function, case, obs, z.shape, "return one probability per logit, same shape as z", expected
        )
        if close(got, expected, z.dtype):
            return
        hint = diagnose(got, self.mutants(z))
        if hint is None and got.ndim > 1 and not np.allclose(got.sum(axis=-1), 1):
            if np.allclose(got.sum(axis=0), 1):
                hint = "you normalised over axis 0 (the batch); sum over the classes, the last axis, with keepdims"
            elif np.isclose(got.sum(), 1):
                hint = "you divided by the sum of the whole array; sum each row (the last axis), with keepdims"
        if hint is None and not np.all(np.isfinite(got)) and np.abs(z).max() > LARGE:
            hint = "the result has inf or nan: np.exp overflows for large logits; subtract the max first"
        if hint is None and _lost_differences(expected, got):
            hint = (
                "logits that differ got equal probabilities: they lost their differences before np.exp (clipping "
                "or rounding large logits does that); subtracting the max keeps them"
            )
        fail(self.function, case.label, expected, got, hint, {"K": z.shape[-1]}, z.dtype)

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} inputs, equal logits and a single class included"


class StableSoftmaxCheck(SoftmaxCheck):
    """stable_softmax(z): z (..., K) logits up to 1e4 in size -> (..., K) probabilities."""

    function, name, points = "stable_softmax", "check_stable_softmax", 15

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = [[1000.0, 1001.0], [-1000.0, -1001.0], [1e4, 0.0, -1e4], [1e4, 1e4], [0.0, 1.0, 2.0]]
        cases = [_case(np.array(z)) for z in fixed]
        cases.append(_case(np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0], [1.0, 2.0, 3.0]])))
        cases.append(_case(np.array([[1e3, 1e3 + 1.0], [-3.0, 3.0]], dtype=np.float32)))
        return cases + [
            _case(rng.normal(0.0, 5.0, size=(1, 4))),  # a batch of one
            _case(rng.normal(0.0, 1e3, size=(3, 1))),  # a single class
            _case(rng.normal(0.0, 5.0, size=(4, 4))),  # square: a wrong axis cannot hide behind an error
            _case(rng.normal(0.0, 5.0, size=(8, 10))),
            _case(rng.normal(0.0, 10.0, size=(2, 3, 4))),
        ]

    def mutants(self, z: np.ndarray) -> Mutants:
        return stable_softmax_mutants(z)

    def error_hint(self, case: Case, obs: dict) -> str | None:
        if obs.get("type") == "AxisError":
            return "use axis=-1 (the last axis, the classes), so 1-D logits and batches both work"
        z = case.args[0]
        shapes = set(re.findall(r"\(([\d,]*)\)", str(obs.get("message")).replace(" ", "")))
        row = ",".join(map(str, z.shape[:-1])) + ("," if z.ndim == 2 else "")
        if obs.get("type") == "ValueError" and "broadcast" in str(obs.get("message")) and row in shapes:
            return f"the shapes don't line up: {KEEPDIMS_HINT}"  # a row's max or sum (m,) against z (m, K)
        return None

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} inputs, logits up to 1e4, batches and a 3-D array included"


SOFTMAX, STABLE_SOFTMAX = SoftmaxCheck(), StableSoftmaxCheck()


def check_softmax(my_softmax: Callable[[np.ndarray], np.ndarray], cases: Iterable[np.ndarray] | None = None) -> None:
    """Check `my_softmax(z)`: z (K,) logits -> (K,) probabilities (notebook 01). `cases`: logits of your own."""
    run_check(SOFTMAX, my_softmax, None if cases is None else [_case(np.asarray(z)) for z in cases])


def check_stable_softmax(
    stable_softmax: Callable[[np.ndarray], np.ndarray], cases: Iterable[np.ndarray] | None = None
) -> None:
    """Check `stable_softmax(z)`: z (..., K) logits up to 1e4 -> (..., K) probabilities (notebook 01)."""
    run_check(STABLE_SOFTMAX, stable_softmax, None if cases is None else [_case(np.asarray(z)) for z in cases])
