"""Checks of notebook 05 (evaluation): `check_confusion_matrix` and `check_predict_digit`.

`predict_digit` takes a Keras model. The case sends the weights of a small dense network (probe
"weights"); the kernel builds that model and hands it to the learner's function; the judge recomputes
its logits from the same weights in NumPy (`lab_utils.reference.forward`). So the check needs no
trained model, and the grader never needs Keras.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, returned_array, run_check
from lab_utils.checks.messages import CheckFailure, Mutants, a_kind, close, diagnose, equal, fail, show
from lab_utils.data import N_PIXELS
from lab_utils.reference import confusion_matrix, forward, softmax

NOTEBOOK = "05_evaluation"

# ---------------------------------------------------------------- my_confusion_matrix


def _confusion_case(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> Case:
    return Case(f"y_true = {show(y_true)}, y_pred = {show(y_pred)}, n_classes = {k}", [y_true, y_pred, int(k)])


def confusion_matrix_mutants(expected: np.ndarray) -> Mutants:
    return [
        ("rows are the true class, columns the predicted one: you swapped them", lambda: expected.T),
        (
            "a pair that occurs twice must count 2, but your cells stop at 1: add one per pair (+= 1), don't set "
            "the cell to 1; and the one-line cm[y_true, y_pred] += 1 counts a repeated pair only once too",
            lambda: expected > 0,
        ),
        (
            "return counts, not fractions (no normalising)",
            lambda: expected / np.maximum(expected.sum(1, keepdims=True), 1),
        ),
        ("count the correct predictions too: they are the diagonal", lambda: expected - np.diag(np.diag(expected))),
        (
            "you counted every true label with every prediction (two nested loops); count each example's own "
            "pair, taking y_true and y_pred together (zip)",
            lambda: np.outer(expected.sum(axis=1), expected.sum(axis=0)),
        ),
        (
            "you counted y_true against itself: the column is the predicted class, from y_pred",
            lambda: np.diag(expected.sum(axis=1)),
        ),
        (
            "every count sits one row up and one column left: the labels 0..n_classes-1 are already the row and "
            "column numbers, no - 1",
            lambda: np.roll(expected, (-1, -1), axis=(0, 1)),
        ),
    ]


class ConfusionMatrixCheck(ExerciseCheck):
    """my_confusion_matrix(y_true, y_pred, n_classes): (n,), (n,) integer labels -> (K, K) int counts, rows true."""

    function, name, notebook, points = "my_confusion_matrix", "check_confusion_matrix", NOTEBOOK, 10
    parameters = ("y_true", "y_pred")
    wrong_answer = "cm = np.zeros(({2}, {2}), dtype=int)\nnp.add.at(cm, ({1}, {0}), 1)\nreturn cm"
    library_calls = (
        "sklearn.metrics.confusion_matrix",
        "tensorflow.math.confusion_matrix",
        "lab_utils.train.confusion_matrix",
        "lab_utils.reference.confusion_matrix",
    )
    library_hint = "the exercise asks you to count the pairs yourself; compare with the library afterwards"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = [
            ([0, 1, 2, 2, 2, 2], [0, 2, 2, 2, 1, 0], 3),  # not symmetric, and (2, 2) twice
            ([0, 0, 1, 3], [0, 1, 1, 1], 5),  # classes 2 and 4 never occur
            ([1, 1, 0, 2], [1, 1, 0, 2], 3),  # all correct
            ([0, 0, 0], [0, 0, 0], 1),  # a single class
            ([4], [7], 10),  # one example
        ]
        cases = [_confusion_case(np.array(t), np.array(p), k) for t, p, k in fixed]
        return [
            *cases,
            _confusion_case(rng.integers(0, 10, size=200), rng.integers(0, 10, size=200).astype(np.int32), 10),
        ]

    def verify(self, case: Case, obs: dict) -> None:
        y_true, y_pred, k = case.args
        expected = confusion_matrix(y_true, y_pred, k)
        hint = "the matrix has one row and one column per class: shape (n_classes, n_classes)"
        if np.ndim(obs.get("value")) == 2 and np.shape(obs["value"])[0] < k:
            hint = (
                "labels that never occur still get a row and a column: start from zeros of shape (n_classes, n_classes)"
            )
        got = returned_array(self.function, case, obs, (k, k), hint)
        if got.dtype.kind not in "iu" and close(got, expected):
            fail(
                self.function,
                case.label,
                "integer counts",
                f"dtype {got.dtype}",
                "counts are whole numbers: give the zeros an integer dtype",
            )
        if not equal(got, expected):
            hint = diagnose(got, confusion_matrix_mutants(expected))
            fail(self.function, case.label, expected, got, hint, {"n": len(y_true), "n_classes": k})

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} label sets, classes that never occur included"


# ---------------------------------------------------------------- predict_digit


def _logits(weights: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """The probe network's logits in NumPy. x: (m, 784) -> (m, 10), float64."""
    return forward(weights, x)[0][-1]


class PredictDigitCheck(ExerciseCheck):
    """predict_digit(model, image): image (784,) or (28, 28) -> (digit: int, probabilities: (10,) ndarray).

    A case's args are [None, image]: the kernel puts there the model it builds from probe["weights"]
    (784 -> 8 ReLU -> 10 linear, weights drawn from the case's rng)."""

    function, name, notebook, points, observer = "predict_digit", "check_predict_digit", NOTEBOOK, 5, "predict_digit"
    library_calls = ("lab_utils.model.predict_proba",)
    library_hint = "the exercise asks you to compute the probabilities from the model's logits yourself"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        weights = [
            rng.normal(0.0, 0.1, size=(N_PIXELS, 8)).astype(np.float32),
            rng.normal(0.0, 0.1, size=8).astype(np.float32),
            rng.normal(0.0, 1.0, size=(8, 10)).astype(np.float32),
            rng.normal(0.0, 0.5, size=10).astype(np.float32),
        ]
        images = [rng.uniform(0.0, 1.0, size=N_PIXELS).astype(np.float32) for _ in range(3)]
        images.append(np.zeros(N_PIXELS, np.float32))
        return [
            Case(f"test image {i} given as shape {image.shape}", [None, image], {"weights": weights})
            for i, flat in enumerate(images)
            for image in (flat, flat.reshape(28, 28))
        ]

    def verify(self, case: Case, obs: dict) -> None:
        image, weights = case.args[1], case.probe["weights"]
        logits = _logits(weights, image.reshape(1, N_PIXELS))[0]
        expected, digit_expected = softmax(logits), int(np.argmax(logits))
        fail_ = lambda want, got, hint=None: fail(self.function, case.label, want, got, hint)  # noqa: E731
        items = obs.get("items")
        returned = obs["value"]
        if obs["type"] == "builtins.tuple" and isinstance(returned, list):
            returned = tuple(returned)  # the wire carries tuples as lists
        if items is None or len(items) != 2:
            fail_("(digit, probabilities)", returned, "return a pair: the digit, then the probabilities")
        digit, proba = items
        if np.shape(digit["value"]) == (10,) and np.ndim(proba["value"]) == 0:
            fail_("(digit, probabilities)", returned, "you swapped them: the digit first, then the probabilities")
        if isinstance(digit["value"], (np.ndarray, list)) and np.size(digit["value"]) > 1:
            fail_(
                digit_expected,
                digit["value"],
                "np.argmax over axis 0 of a (1, 10) array gives 10 values; take the argmax of the (10,) probabilities",
            )
        hint = "the batch axis is still there: take row 0" if np.shape(proba["value"]) == (1, 10) else None
        got = returned_array(self.function, case, proba, (10,), hint)
        if not close(got, expected, np.float32):
            mutants = [
                ("you returned the logits; probabilities are softmax(logits)", lambda: logits),
                ("you applied softmax twice", lambda: softmax(expected)),
                ("that is the sigmoid; use softmax of the logits", lambda: 1 / (1 + np.exp(-logits))),
                (
                    "the images are already scaled to [0, 1]; don't divide by 255",
                    lambda: softmax(_logits(weights, image.reshape(1, N_PIXELS) / 255.0)[0]),
                ),
            ]
            fail_(expected, got, diagnose(got, mutants, np.float32))
        value = digit["value"]
        whole = digit["type"] in ("builtins.int",) or (
            isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.ndim == 0
        )
        number = isinstance(value, (int, float)) or (isinstance(value, np.ndarray) and value.ndim == 0)
        if number and np.isclose(float(value), expected.max(), rtol=1e-4) and float(value) != digit_expected:
            fail_(
                digit_expected,
                value,
                "that is the largest probability itself (max), not the digit: the digit is its position, argmax",
            )
        if not whole:
            hint = "return the digit as an int (a Python int, int(...))"
            if not number or float(value) != round(float(value)):
                hint = f"the digit is a whole number 0..9; you returned {a_kind(digit['type'])}, {show(value)}"
            fail_(digit_expected, value, hint)
        if int(value) != digit_expected:
            fail_(digit_expected, int(value), _digit_hint(int(value), expected))

    def error_hint(self, case: Case, obs: dict) -> str | None:
        message = str(obs.get("message"))
        if obs.get("type") == "NameError":
            return "the name in the message is not defined in this notebook: import or define it first, or do without"
        keras_shape = ("Invalid input shape", "is incompatible with the layer", "expected axis -1", "expected min_ndim")
        if any(words in message for words in keras_shape):
            return "the model expects a batch of flat images: reshape the image to one row of 784 pixels, (1, 784)"
        return None

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases) // 2} images, each as (784,) and as (28, 28)"


def _digit_hint(digit: int, probabilities: np.ndarray) -> str:
    """Why `digit` is not the class of highest probability, as far as probabilities (10,) show it."""
    if digit == int(np.argmax(probabilities)) + 1:
        return "one more than the class of highest probability: classes are numbered from 0, digit 0 is class 0"
    if digit == int(np.argmin(probabilities)):
        return "that is the class of lowest probability (argmin); the digit is the class of highest probability"
    return "the digit is the class of highest probability, np.argmax"


CONFUSION_MATRIX, PREDICT_DIGIT = ConfusionMatrixCheck(), PredictDigitCheck()


def check_confusion_matrix(my_confusion_matrix: Callable, cases: Iterable[tuple] | None = None) -> None:
    """Check `my_confusion_matrix(y_true, y_pred, n_classes)` -> (K, K) int counts, rows true (notebook 05)."""
    own = None if cases is None else [_confusion_case(np.asarray(t), np.asarray(p), k) for t, p, k in cases]
    run_check(CONFUSION_MATRIX, my_confusion_matrix, own)


def check_predict_digit(predict_digit: Callable, model: Any) -> None:
    """Check `predict_digit(model, image)` on images of shape (784,) and (28, 28) (notebook 05).

    `model` (your trained model) shows you are ready to use it; the check itself runs your function on
    small networks of its own, whose logits it can recompute exactly."""
    if not callable(model):
        raise CheckFailure(
            "check_predict_digit needs your trained model too: check_predict_digit(predict_digit, model)"
        )
    run_check(PREDICT_DIGIT, predict_digit)
