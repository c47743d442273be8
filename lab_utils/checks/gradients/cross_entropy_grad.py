"""The check of `softmax_cross_entropy_grad(logits, y)` (notebook 03): the gradient of the mean cross-entropy
with respect to the logits, with its mutants."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, returned_array, run_check
from lab_utils.checks.gradients.shared import AUTODIFF, LARGE, NOTEBOOK, STABILITY_HINT
from lab_utils.checks.messages import Mutants, close, diagnose, fail, show
from lab_utils.reference import log_softmax, softmax_cross_entropy_grad


def cross_entropy_grad_mutants(logits: np.ndarray, y: np.ndarray, expected: np.ndarray) -> Mutants:
    z = np.asarray(logits, dtype=np.float64)
    m, k = z.shape
    p = np.exp(log_softmax(z))
    onehot = np.eye(k)[y]

    def columns_for_every_row() -> np.ndarray:
        wrong = p.copy()
        wrong[:, y] -= 1.0
        return wrong / m

    return [
        (
            "the loss is the mean over the batch, so every row of its gradient carries a factor 1/m",
            lambda: expected * m,
        ),
        (
            "the sign is flipped: the loss falls as the true class's logit rises, so that entry must be negative",
            lambda: -expected,
        ),
        ("the true class's entry also has the one-hot label taken off: probabilities minus one-hot", lambda: p / m),
        (
            "indexing with [:, y] changes whole columns in every row; pair each row with its own label",
            columns_for_every_row,
        ),
        (
            "softmax runs over the classes of each row (axis=1), not over the batch",
            lambda: (np.exp(log_softmax(z, 0)) - onehot) / m,
        ),
        ("divide by the number of examples m, not by the number of classes K", lambda: (p - onehot) / k),
        ("the gradient uses the probabilities softmax(logits), not the logits themselves", lambda: (z - onehot) / m),
        (
            "that is the loss's log-probabilities; the gradient is made of probabilities",
            lambda: (log_softmax(z) - onehot) / m,
        ),
        (
            "your softmax is normalised over the whole batch; normalise each row over its own classes (axis=1)",
            lambda: (np.exp(z - z.max()) / np.exp(z - z.max()).sum() - onehot) / m,
        ),
        (
            "the 1/m of the mean applies to the whole difference, probabilities minus one-hot, not to the one-hot "
            "alone",
            lambda: p - onehot / m,
        ),
    ]


class SoftmaxCrossEntropyGradCheck(ExerciseCheck):
    """softmax_cross_entropy_grad(logits, y): (m, K) logits, (m,) labels -> (m, K) gradient of the mean loss."""

    function, name, notebook, points = "softmax_cross_entropy_grad", "check_softmax_cross_entropy_grad", NOTEBOOK, 10
    parameters = ("logits", "y")
    wrong_answer = (
        "p = np.exp({0} - {0}.max(axis=1, keepdims=True))\n"
        "p = p / p.sum(axis=1, keepdims=True)\n"
        "p[np.arange(len({1})), {1}] -= 1\n"
        "return p"
    )
    library_calls = AUTODIFF
    library_hint = "the exercise asks you to write the gradient yourself, from the formula, with NumPy"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = [
            ([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], [0, 1]),
            ([[1.0, 2.0, 3.0, 4.0]], [3]),  # a batch of one
            (np.zeros((3, 4)), [0, 1, 3]),  # equal logits
            ([[LARGE, 0.0, -LARGE], [-LARGE, LARGE, 0.0]], [2, 1]),
            ([[-LARGE, -LARGE - 1, -LARGE - 2]], [2]),
            ([[0.2, -1.0, 3.0], [1.5, 0.5, -0.5], [0.0, 2.0, 1.0]], [2, 2, 0]),  # square: a wrong axis can't hide
        ]
        cases = [_grad_case(np.array(z, dtype=np.float64), np.array(y)) for z, y in fixed]
        m = int(rng.integers(6, 20))
        cases.append(_grad_case(rng.normal(0.0, 3.0, size=(m, 10)), rng.integers(0, 10, size=m)))
        z32 = rng.normal(0.0, 3.0, size=(8, 5)).astype(np.float32)
        return cases + [_grad_case(z32, rng.integers(0, 5, size=8).astype(np.int32))]

    def verify(self, case: Case, obs: dict) -> None:
        logits, y = case.args
        expected = softmax_cross_entropy_grad(logits, y)
        shape_hint = "one value per logit: the shape of logits"
        if np.shape(obs.get("value")) == y.shape and close(obs["value"], expected[np.arange(len(y)), y], logits.dtype):
            shape_hint = (
                "that is only the true class's entry of each row: the gradient has one value per logit, the other "
                "classes' entries too (their probability over m)"
            )
        got = returned_array(self.function, case, obs, expected.shape, shape_hint, expected)
        if close(got, expected, logits.dtype):
            return
        hint = diagnose(got, cross_entropy_grad_mutants(logits, y, expected), logits.dtype)
        if hint is None and not np.all(np.isfinite(got)) and np.abs(logits).max() >= LARGE:
            hint = STABILITY_HINT
        finite = bool(np.all(np.isfinite(got)))  # the two heuristics below read the values
        if hint is None and finite and _only_the_one_hot_differs(got, expected):
            hint = (
                "the probabilities are right, the one-hot part is not: take 1 off in each row at that row's own "
                "label, and nowhere else"
            )
        if hint is None and finite and not _rows_are_probabilities(got, y):
            hint = (
                "each row of the gradient plus its one-hot label, times m, is that example's probabilities, which "
                "add up to 1; yours don't: softmax normalises each row over its classes (check the axes)"
            )
        fail(self.function, case.label, expected, got, hint, {"m": len(y), "K": logits.shape[1]}, logits.dtype)

    def error_hint(self, case: Case, obs: dict) -> str | None:
        message = str(obs.get("message"))
        if obs.get("type") == "IndexError" and ("out of bounds" in message or "indexing arrays" in message):
            return "y holds one integer label per row: use it to pick, in each row, the column of the true class"
        return None

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} batches, logits up to 1e3, float32 and float64"


def _only_the_one_hot_differs(grad: np.ndarray, expected: np.ndarray) -> bool:
    """Whether m * (grad - expected) is whole numbers, not all zero: the softmax is right, the labels' ones are
    not where they belong. grad, expected: (m, K)."""
    with np.errstate(all="ignore"):
        off = len(grad) * (np.asarray(grad, dtype=np.float64) - expected)
        return bool(np.all(np.isfinite(off)) and np.allclose(off, np.round(off), atol=1e-4) and np.any(np.round(off)))


def _rows_are_probabilities(grad: np.ndarray, y: np.ndarray) -> bool:
    """Whether m * grad + onehot(y), the probabilities a gradient of the mean loss is made of, sums to 1 by row.
    grad: (m, K), y: (m,) labels."""
    m, k = grad.shape
    with np.errstate(all="ignore"):
        return bool(np.allclose((m * grad + np.eye(k)[y]).sum(axis=1), 1.0, rtol=1e-3, atol=1e-4))


def _grad_case(logits: np.ndarray, y: np.ndarray) -> Case:
    return Case(f"logits = {show(logits)}, y = {show(y)}", [logits, y])


SOFTMAX_CROSS_ENTROPY_GRAD = SoftmaxCrossEntropyGradCheck()


def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad: Callable) -> None:
    """Check `softmax_cross_entropy_grad(logits, y)`: (m, K) logits, (m,) labels -> (m, K) (notebook 03)."""
    run_check(SOFTMAX_CROSS_ENTROPY_GRAD, softmax_cross_entropy_grad)
