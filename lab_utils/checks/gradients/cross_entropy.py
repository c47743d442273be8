"""The check of `cross_entropy_from_logits(logits, y)` (notebook 03): the mean cross-entropy of integer labels,
from logits, with its mutants."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, is_tensorflow, run_check
from lab_utils.checks.gradients.shared import NOTEBOOK
from lab_utils.checks.messages import Mutants, a_kind, close, diagnose, fail, show
from lab_utils.checks.softmax import SOFTMAXES
from lab_utils.reference import cross_entropy, log_softmax

LOSSES = (
    "keras.losses",
    "keras.ops.sparse_categorical_crossentropy",
    "keras.ops.categorical_crossentropy",
    "keras.ops.logsumexp",
    "tensorflow.losses",
    "tensorflow.nn.sparse_softmax_cross_entropy_with_logits",
    "tensorflow.nn.softmax_cross_entropy_with_logits",
    "tensorflow.math.reduce_logsumexp",
    "tensorflow.reduce_logsumexp",
    "scipy.special.logsumexp",
    "torch.nn.functional.cross_entropy",
    "torch.logsumexp",
)


def _ce_case(logits: np.ndarray, y: np.ndarray) -> Case:
    return Case(f"logits = {show(logits)}, y = {show(y)}", [logits, y])


def cross_entropy_mutants(logits: np.ndarray, y: np.ndarray, expected: float) -> Mutants:
    z, rows = np.asarray(logits, dtype=np.float64), np.arange(len(y))
    top = z.max(axis=-1, keepdims=True)
    return [
        ("you used the sum over the batch; the loss is the mean", lambda: expected * len(y)),
        ("the sign is flipped: the loss is -log(p) of the true class", lambda: -expected),
        (
            "logits[:, y] picks a column per label for every row; pick one entry per row, the row's own label",
            lambda: -np.mean(log_softmax(z)[:, y]),
        ),
        (
            "you averaged over all classes; take the log-probability of the true class only",
            lambda: -np.mean(log_softmax(z)),
        ),
        ("you used log10; cross-entropy uses the natural log, np.log", lambda: expected / np.log(10)),
        ("you forgot the log-sum-exp term: -logit alone is not a log-probability", lambda: -np.mean(z[rows, y])),
        (
            "you subtracted the max inside log-sum-exp but did not add it back",
            lambda: np.mean(np.log(np.exp(z - top).sum(-1)) - z[rows, y]),
        ),
        (
            # a log of 0 (a tiny probability rounded to 0) and a log of inf (an overflowed sum) give the same inf
            "your loss is infinite for logits in the thousands: either your log-sum-exp has no max subtracted, so "
            "np.exp overflows (shift each row by its max inside the exp, as in the text's second form), or you took "
            "the log of probabilities, and a tiny one rounded to 0 (take the log-probability with log-sum-exp)",
            lambda: np.mean(np.log(np.exp(z).sum(-1)) - z[rows, y]),
        ),
        (
            "log(softmax) underflows to log(0) = -inf (and exp overflows) for large logits: write the "
            "log-probability with the log-sum-exp trick instead of taking the log of probabilities",
            lambda: -np.mean(np.log((np.exp(z) / np.exp(z).sum(-1, keepdims=True))[rows, y])),
        ),
        (
            "you took the softmax over axis 0 (the batch); use the classes, axis=-1",
            lambda: -np.mean(log_softmax(z, 0)[rows, y]),
        ),
        ("you used log2 (bits); cross-entropy uses the natural log, np.log", lambda: expected / np.log(2)),
        (
            "you shifted the labels by one (y - 1): the labels 0..K-1 are already the columns to pick",
            lambda: -np.mean(log_softmax(z)[rows, y - 1]),
        ),
        (
            "your log-sum-exp runs over the whole batch; each row (example) has its own, over its classes (axis=1)",
            lambda: np.mean(z.max() + np.log(np.exp(z - z.max()).sum()) - z[rows, y]),
        ),
    ]


class CrossEntropyCheck(ExerciseCheck):
    """cross_entropy_from_logits(logits, y): (m, K) logits, (m,) integer labels -> the mean loss, a float."""

    function, name, notebook, points = "cross_entropy_from_logits", "check_cross_entropy", NOTEBOOK, 15
    parameters = ("logits", "y")
    wrong_answer = "return float(-np.mean({0}[np.arange(len({1})), {1}]))"
    library_calls = LOSSES + SOFTMAXES
    library_hint = "the exercise asks you to write the loss yourself with NumPy (the log-sum-exp trick)"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = [
            ([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], [0, 1]),
            ([[1.0, 2.0, 3.0, 4.0]], [3]),  # a batch of one
            (np.zeros((3, 4)), [0, 1, 3]),  # equal logits: the loss is log(4)
            ([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], [2, 1]),
            ([[-1000.0, -1001.0, -1002.0]], [2]),
            ([[1.5], [-2.0], [0.0]], [0, 0, 0]),  # a single class: the loss is 0
        ]
        cases = [_ce_case(np.array(z, dtype=np.float64), np.array(y)) for z, y in fixed]
        cases.append(_ce_case(rng.normal(0.0, 3.0, size=(16, 10)), rng.integers(0, 4, size=16)))  # labels 4..9 absent
        logits32 = rng.normal(0.0, 3.0, size=(8, 5)).astype(np.float32)
        return [*cases, _ce_case(logits32, rng.integers(0, 5, size=8).astype(np.int32))]

    def verify(self, case: Case, obs: dict) -> None:
        logits, y = case.args
        expected, got = cross_entropy(logits, y), obs["value"]
        if is_tensorflow(obs["type"]):
            fail(
                self.function,
                case.label,
                expected,
                a_kind(obs["type"]),
                "return a Python float: float(loss)",
            )
        if isinstance(got, list) or np.ndim(got) != 0 or not isinstance(got, (int, float, np.ndarray)):
            hint = "return the mean loss, a single float"
            if np.size(got) == 1 and close(np.ravel(got), [expected], logits.dtype):
                hint = f"the right value with an extra axis, shape {np.shape(got)}: return one float, float(loss)"
            elif np.size(got) == len(y):
                hint = "return the mean loss, a single float, not one loss per example"
            fail(self.function, case.label, expected, got, hint)
        got = float(got)
        if not close(got, expected, logits.dtype):
            hint = diagnose(got, cross_entropy_mutants(logits, y, expected))
            fail(self.function, case.label, expected, got, hint, {"m": len(y), "K": logits.shape[1]})

    def error_hint(self, case: Case, obs: dict) -> str | None:
        logits, y = case.args
        message = str(obs.get("message"))
        one_hot = f"({len(y)},)" in message.replace(" ", "") and str(logits.shape).replace(" ", "") in message.replace(
            " ", ""
        )
        if obs.get("type") == "ValueError" and "broadcast" in message and one_hot:
            return (
                "y holds integer labels, shape (m,), not one-hot rows (m, K): pick each row's entry at its label "
                "by integer indexing (one row index and one label per example)"
            )
        if obs.get("type") == "IndexError" and ("out of bounds" in message or "indexing arrays" in message):
            return "index the logits with one row number and one label per example (two index arrays of length m)"
        return None

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} batches, logits up to 1e3, labels that never occur included"


CROSS_ENTROPY = CrossEntropyCheck()


def check_cross_entropy(cross_entropy_from_logits: Callable, cases: Iterable[tuple] | None = None) -> None:
    """Check `cross_entropy_from_logits(logits, y)`: (m, K) logits, (m,) labels -> mean loss (notebook 03)."""
    own = None if cases is None else [_ce_case(np.asarray(z), np.asarray(y)) for z, y in cases]
    run_check(CROSS_ENTROPY, cross_entropy_from_logits, own)
