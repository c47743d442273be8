"""Checks of notebook 05 (evaluation): `check_confusion_matrix` and `check_predict_digit`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lab_utils.checks._legacy import (
    CheckFailure,
    Mistakes,
    _array,
    _call,
    _close,
    _diagnose,
    _fail,
    _is_tf,
    _passed,
    _show,
)
from lab_utils.model import softmax


def _confusion_cases() -> list[tuple[np.ndarray, np.ndarray, int]]:
    rng = np.random.default_rng(4)
    fixed = [
        ([0, 1, 2, 2, 2, 2], [0, 2, 2, 2, 1, 0], 3),  # not symmetric, and (2, 2) twice
        ([0, 0, 1, 3], [0, 1, 1, 1], 5),  # classes 2 and 4 never occur
        ([1, 1, 0, 2], [1, 1, 0, 2], 3),  # all correct
        ([0, 0, 0], [0, 0, 0], 1),  # a single class
        ([4], [7], 10),  # one example
    ]
    cases = [(np.array(t), np.array(p), k) for t, p, k in fixed]
    cases.append((rng.integers(0, 10, size=200), rng.integers(0, 10, size=200).astype(np.int32), 10))
    return cases


def _confusion_mistakes(expected: np.ndarray) -> Mistakes:
    return [
        ("rows are the true class, columns the predicted one: you swapped them", lambda: expected.T),
        ("cm[y_true, y_pred] += 1 (or = 1) counts a repeated pair once; loop, or use np.add.at", lambda: expected > 0),
        (
            "return counts, not fractions (no normalising)",
            lambda: expected / np.maximum(expected.sum(1, keepdims=True), 1),
        ),
        ("count the correct predictions too: they are the diagonal", lambda: expected - np.diag(np.diag(expected))),
    ]


def check_confusion_matrix(my_confusion_matrix: Callable, cases: Iterable[tuple] | None = None) -> None:
    """Check `my_confusion_matrix(y_true, y_pred, n_classes)` -> (K, K) int counts, rows true (notebook 05)."""
    cases = _confusion_cases() if cases is None else list(cases)
    function = "my_confusion_matrix"
    for y_true, y_pred, k in cases:
        case = f"y_true = {_show(y_true)}, y_pred = {_show(y_pred)}, n_classes = {k}"
        result = _call(my_confusion_matrix, function, (y_true.copy(), y_pred.copy(), k), case)
        expected = np.zeros((k, k), dtype=np.int64)
        np.add.at(expected, (y_true, y_pred), 1)
        hint = "labels that never occur still get a row and a column: start from np.zeros((n_classes, n_classes))"
        got = _array(result, function, case, (k, k), hint)
        if not np.issubdtype(got.dtype, np.integer) and _close(got, expected):
            _fail(function, case, "integer counts", f"dtype {got.dtype}", "counts are whole numbers: dtype=int")
        if not np.array_equal(got, expected):
            hint = _diagnose(got, _confusion_mistakes(expected))
            _fail(function, case, expected, got, hint)
    _passed("check_confusion_matrix", f"{len(cases)} label sets, classes that never occur included")


def _digit_images() -> list[np.ndarray]:
    rng = np.random.default_rng(8)
    return [rng.uniform(0.0, 1.0, size=784).astype(np.float32) for _ in range(3)] + [np.zeros(784, np.float32)]


def _verify_prediction(result: Any, logits: np.ndarray, image: np.ndarray, model: Any, case: str) -> None:
    function = "predict_digit"
    expected = softmax(logits)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        _fail(function, case, "(digit, probabilities)", result, "return a pair: return digit, probabilities")
    digit, proba = result
    if np.shape(digit) == (10,) and np.ndim(proba) == 0:
        _fail(function, case, "(digit, probabilities)", result, "you swapped them: return digit, probabilities")
    if isinstance(digit, np.ndarray) and digit.size > 1:
        _fail(
            function,
            case,
            int(expected.argmax()),
            digit,
            "np.argmax over axis 0 of a (1, 10) array gives 10 values; take np.argmax(probabilities)",
        )
    hint = "the batch axis is still there: take row 0, probabilities[0]" if np.shape(proba) == (1, 10) else None
    got = _array(proba, function, case, (10,), hint)
    if not _close(got, expected, np.float32):
        sigmoid = lambda: 1 / (1 + np.exp(-logits))  # noqa: E731
        hint = _diagnose(
            got,
            [
                ("you returned the logits; probabilities are softmax(logits)", lambda: logits),
                ("you applied softmax twice", lambda: softmax(expected)),
                ("that is the sigmoid; use softmax of the logits", sigmoid),
                (
                    "the images are already scaled to [0, 1]; don't divide by 255",
                    lambda: softmax(np.asarray(model(image.reshape(1, 784) / 255.0, training=False))[0]),
                ),
            ],
            np.float32,
        )
        _fail(function, case, expected, got, hint)
    if _is_tf(digit) or isinstance(digit, (float, np.floating, bool)) or not isinstance(digit, (int, np.integer)):
        _fail(
            function, case, int(expected.argmax()), digit, "return the digit as an int: int(np.argmax(probabilities))"
        )
    if digit != expected.argmax():
        _fail(function, case, int(expected.argmax()), digit, "the digit is the class of highest probability, np.argmax")


def check_predict_digit(predict_digit: Callable, model: Any) -> None:
    """Check `predict_digit(model, image)` on images of shape (784,) and (28, 28) with the given model (notebook 05)."""
    if not callable(model):
        raise CheckFailure(
            "check_predict_digit needs your trained model too: check_predict_digit(predict_digit, model)"
        )
    images = _digit_images()
    for i, flat in enumerate(images):
        logits = np.asarray(model(flat.reshape(1, 784), training=False), dtype=np.float64)[0]
        for image in (flat, flat.reshape(28, 28)):
            case = f"test image {i} given as shape {image.shape}"
            reshape_hint = lambda exc: "reshape the image to one row of 784 pixels: image.reshape(1, 784)"  # noqa: E731
            result = _call(predict_digit, "predict_digit", (model, image.copy()), case, reshape_hint)
            _verify_prediction(result, logits, image, model, case)
    _passed("check_predict_digit", f"{len(images)} images, each as (784,) and as (28, 28)")
