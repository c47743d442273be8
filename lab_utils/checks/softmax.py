"""Checks of notebook 01 (softmax): `check_softmax` and `check_stable_softmax`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lab_utils.checks.core import (
    Mistakes,
    _array,
    _call,
    _close,
    _diagnose,
    _fail,
    _log_softmax,
    _passed,
    _show,
)
from lab_utils.model import softmax

LARGE = 700.0  # np.exp overflows float64 a little above this


def _broadcast_hint(exc: Exception) -> str | None:
    if isinstance(exc, np.exceptions.AxisError):
        return "use axis=-1 (the last axis, the classes), so 1-D logits and batches both work"
    if isinstance(exc, ValueError) and "broadcast" in str(exc):
        return "the shapes don't line up: keep the class axis with keepdims=True, e.g. z.max(axis=-1, keepdims=True)"
    return None


def _softmax_mistakes(z: np.ndarray) -> Mistakes:
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(z)
    onehot = (z == z.max(axis=-1, keepdims=True)).astype(float)
    return [
        ("you returned exp(z) without dividing by the sum; divide by np.sum(np.exp(z)) so they add up to 1", lambda: e),
        (
            "you divided by the sum of the logits; divide by the sum of the exponentials",
            lambda: e / z.sum(-1, keepdims=True),
        ),
        (
            "you divided z by its sum; softmax exponentiates first: exp(z) / sum(exp(z))",
            lambda: z / z.sum(-1, keepdims=True),
        ),
        ("you divided by the largest exponential (max); divide by their sum", lambda: e / e.max(-1, keepdims=True)),
        (
            "you divided inside the loop before the sum was complete; sum all exponentials first",
            lambda: e / e.cumsum(-1),
        ),
        (
            "that is the sigmoid of each logit; softmax divides exp(z) by the sum over all classes",
            lambda: 1 / (1 + 1 / e),
        ),
        ("the sign is flipped (exp(-z)): the smallest logit got the largest probability", lambda: softmax(-z)),
        ("you returned log-probabilities; return the probabilities themselves", lambda: _log_softmax(z)),
        ("you returned a one-hot of the largest logit; softmax gives every class a probability", lambda: onehot),
    ]


def _softmax_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(2026)
    fixed = [[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0], [3.0], [-1.0, -5.0, 0.5, -2.5], [0.0, 0.0]]
    cases = [np.array(z) for z in fixed] + [np.array([0.5, -1.0, 2.0], dtype=np.float32)]
    return cases + [rng.normal(0.0, 3.0, size=n) for n in (2, 5, 10)]


def _verify_probabilities(function: str, z: np.ndarray, result: Any, mistakes: Mistakes) -> None:
    case = f"z = {_show(z)}"
    got = _array(result, function, case, z.shape, "return one probability per logit, same shape as z")
    expected = softmax(z)
    if _close(got, expected, z.dtype):
        return
    hint = _diagnose(got, mistakes)
    if hint is None and got.ndim > 1 and not np.allclose(got.sum(axis=-1), 1):
        if np.allclose(got.sum(axis=0), 1):
            hint = "you normalised over axis 0 (the batch); sum over the classes: axis=-1, keepdims=True"
        elif np.isclose(got.sum(), 1):
            hint = "you divided by the sum of the whole array; sum each row: axis=-1, keepdims=True"
    if hint is None and not np.all(np.isfinite(got)):
        hint = "the result has inf or nan: np.exp overflows for large logits; subtract the max first"
    if hint is None and np.abs(z).max() > LARGE:
        hint = "your answer is off for large logits: did you clip or round them? subtracting the max is enough"
    _fail(function, case, expected, got, hint)


def check_softmax(my_softmax: Callable[[np.ndarray], np.ndarray], cases: Iterable[np.ndarray] | None = None) -> None:
    """Check `my_softmax(z)`: z (N,) logits -> (N,) probabilities (notebook 01)."""
    cases = _softmax_cases() if cases is None else [np.asarray(z) for z in cases]
    for z in cases:
        result = _call(my_softmax, "my_softmax", (z.copy(),), f"z = {_show(z)}")
        _verify_probabilities("my_softmax", z, result, _softmax_mistakes(z))
    _passed("check_softmax", f"{len(cases)} inputs, equal logits and a single class included")


def _normalised(e: np.ndarray) -> np.ndarray:
    return e / e.sum(axis=-1, keepdims=True)


def _stable_mistakes(z: np.ndarray) -> Mistakes:
    z = np.asarray(z, dtype=np.float64)
    e_row = lambda: np.exp(z - z.max(axis=-1, keepdims=True))  # noqa: E731
    mistakes = [
        ("you forgot to subtract the max: np.exp(1000) overflows to inf", lambda: _normalised(np.exp(z))),
        (
            "you subtracted the max of the whole array; subtract each row's: z.max(axis=-1, keepdims=True)",
            lambda: _normalised(np.exp(z - z.max())),
        ),
        (
            "you subtracted the min; subtract the max, so the largest exponent is exp(0) = 1",
            lambda: _normalised(np.exp(z - z.min(axis=-1, keepdims=True))),
        ),
        (
            "you forgot keepdims=True in the sum, so rows were divided by the wrong totals",
            lambda: e_row() / e_row().sum(-1),
        ),
        (
            "you forgot keepdims=True in the max, so the wrong max was subtracted",
            lambda: _normalised(np.exp(z - z.max(axis=-1))),
        ),
    ]
    return mistakes + _softmax_mistakes(z)


def _stable_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    fixed = [[1000.0, 1001.0], [-1000.0, -1001.0], [1e4, 0.0, -1e4], [1e4, 1e4], [0.0, 1.0, 2.0]]
    cases = [np.array(z) for z in fixed]
    cases.append(np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0], [1.0, 2.0, 3.0]]))
    cases.append(np.array([[1e3, 1e3 + 1.0], [-3.0, 3.0]], dtype=np.float32))
    cases.append(rng.normal(0.0, 5.0, size=(1, 4)))  # a batch of one
    cases.append(rng.normal(0.0, 1e3, size=(3, 1)))  # a single class
    cases.append(rng.normal(0.0, 5.0, size=(4, 4)))  # square: a wrong axis cannot hide behind an error
    cases.append(rng.normal(0.0, 5.0, size=(8, 10)))
    cases.append(rng.normal(0.0, 10.0, size=(2, 3, 4)))
    return cases


def check_stable_softmax(
    stable_softmax: Callable[[np.ndarray], np.ndarray], cases: Iterable[np.ndarray] | None = None
) -> None:
    """Check `stable_softmax(z)`: z (..., N) logits up to 1e4 in size -> (..., N) probabilities (notebook 01)."""
    cases = _stable_cases() if cases is None else [np.asarray(z) for z in cases]
    for z in cases:
        result = _call(stable_softmax, "stable_softmax", (z.copy(),), f"z = {_show(z)}", _broadcast_hint)
        _verify_probabilities("stable_softmax", z, result, _stable_mistakes(z))
    _passed("check_stable_softmax", f"{len(cases)} inputs, logits up to 1e4, batches and a 3-D array included")
