"""Checks of notebook 04 (training): `check_cross_entropy` and `check_compile`."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lab_utils.checks._legacy import (
    Mistakes,
    NotImplementedYet,
    _call,
    _close,
    _describe,
    _diagnose,
    _fail,
    _is_tf,
    _log_softmax,
    _passed,
    _show,
)
from lab_utils.config import LabConfig


def _cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(_log_softmax(logits)[np.arange(len(y)), y]))


def _cross_entropy_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    fixed = [
        ([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], [0, 1]),
        ([[1.0, 2.0, 3.0, 4.0]], [3]),  # a batch of one
        (np.zeros((3, 4)), [0, 1, 3]),  # equal logits: the loss is log(4)
        ([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], [2, 1]),
        ([[-1000.0, -1001.0, -1002.0]], [2]),
        ([[1.5], [-2.0], [0.0]], [0, 0, 0]),  # a single class: the loss is 0
    ]
    cases = [(np.array(z, dtype=np.float64), np.array(y)) for z, y in fixed]
    cases.append((rng.normal(0.0, 3.0, size=(16, 10)), rng.integers(0, 4, size=16)))  # labels 4..9 never occur
    cases.append((rng.normal(0.0, 3.0, size=(8, 5)).astype(np.float32), rng.integers(0, 5, size=8).astype(np.int32)))
    return cases


def _cross_entropy_mistakes(logits: np.ndarray, y: np.ndarray, expected: float) -> Mistakes:
    z, rows = np.asarray(logits, dtype=np.float64), np.arange(len(y))
    shifted = z - z.max(axis=-1, keepdims=True)
    return [
        ("you used the sum over the batch; the loss is the mean", lambda: expected * len(y)),
        ("the sign is flipped: the loss is -log(p) of the true class", lambda: -expected),
        (
            "logits[:, y] picks a column per label for every row; use logits[np.arange(m), y]",
            lambda: -np.mean(_log_softmax(z)[:, y]),
        ),
        (
            "you averaged over all classes; take the log-probability of the true class only",
            lambda: -np.mean(_log_softmax(z)),
        ),
        ("you used log10; cross-entropy uses the natural log, np.log", lambda: expected / np.log(10)),
        ("you forgot the log-sum-exp term: -logit alone is not a log-probability", lambda: -np.mean(z[rows, y])),
        (
            "you subtracted the max inside log-sum-exp but did not add it back",
            lambda: np.mean(np.log(np.exp(shifted).sum(-1)) - z[rows, y]),
        ),
        (
            "you took the softmax over axis 0 (the batch); use the classes, axis=-1",
            lambda: -np.mean(_log_softmax(z, 0)[rows, y]),
        ),
    ]


def check_cross_entropy(cross_entropy_from_logits: Callable, cases: Iterable[tuple] | None = None) -> None:
    """Check `cross_entropy_from_logits(logits, y)`: (m, K) logits, (m,) labels -> mean loss (notebook 04)."""
    cases = _cross_entropy_cases() if cases is None else list(cases)
    function = "cross_entropy_from_logits"
    for logits, y in cases:
        case = f"logits = {_show(logits)}, y = {_show(y)}"
        got = _call(cross_entropy_from_logits, function, (logits.copy(), y.copy()), case)
        expected = _cross_entropy(logits, y)
        if _is_tf(got):
            _fail(function, case, expected, type(got).__name__, "return a Python float: float(loss)")
        if isinstance(got, (list, tuple)) or np.ndim(got) != 0:
            _fail(function, case, expected, got, "return the mean loss, a single float, not one loss per example")
        if not _close(got, expected, logits.dtype):
            hint = _diagnose(got, _cross_entropy_mistakes(logits, y, expected))
            if hint is None and not np.isfinite(float(got)):
                hint = (
                    "log(softmax) underflows to log(0) = -inf (and exp overflows) for large logits: use "
                    "log-sum-exp, loss = max + log(sum(exp(z - max))) - z[y]"
                )
            _fail(function, case, expected, got, hint)
    _passed("check_cross_entropy", f"{len(cases)} batches, logits up to 1e3, labels that never occur included")


def _verify_loss(loss: Any) -> None:
    import keras

    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    y = np.array([0, 3, 9, 3])
    logits = np.random.default_rng(5).normal(0.0, 3.0, size=(4, 10)).astype(np.float32)
    case, expected = "model.loss on integer labels and logits", _cross_entropy(logits, y)
    want = "SparseCategoricalCrossentropy(from_logits=True)"
    hint = f"the loss must be {want}"
    if fn is None:
        _fail("compile_model", "model.loss", want, None, f"pass loss=keras.losses.{want}")
    try:
        got = float(np.mean(np.asarray(fn(y, logits))))
    except Exception as exc:
        name = loss if isinstance(loss, str) else getattr(loss, "name", getattr(loss, "__name__", ""))
        if "categorical" in str(name).lower():
            hint = "the labels are integers 0..9: use the *Sparse* categorical cross-entropy, with from_logits=True"
        _fail("compile_model", case, want, _describe(exc), hint)
    if not _close(got, expected, np.float32):
        as_probabilities = float(np.mean(np.asarray(keras.losses.sparse_categorical_crossentropy(y, logits))))
        if _close(got, as_probabilities, np.float32):
            hint = (
                "softmax placement: this loss treats the outputs as probabilities, but the model's output layer "
                "is linear (logits); use SparseCategoricalCrossentropy(from_logits=True)"
            )
        _fail("compile_model", case, expected, got, hint)


def _metric_names(metrics: Any) -> list[str]:
    if metrics is None:
        return []
    if isinstance(metrics, dict) and "class_name" in metrics:
        return [metrics["class_name"]]
    if isinstance(metrics, dict):
        return [name for value in metrics.values() for name in _metric_names(value)]
    if isinstance(metrics, (list, tuple)):
        return [name for value in metrics for name in _metric_names(value)]
    return [metrics if isinstance(metrics, str) else getattr(metrics, "__name__", type(metrics).__name__)]


def _verify_metrics(metrics: Any) -> None:
    names = _metric_names(metrics)
    good = {"accuracy", "acc", "sparse_categorical_accuracy", "SparseCategoricalAccuracy"}
    if good & set(names):
        return
    hint = "add metrics=['accuracy']"
    if "Accuracy" in names:
        hint = "keras.metrics.Accuracy() compares logits with labels for equality; use metrics=['accuracy']"
    elif {"categorical_accuracy", "CategoricalAccuracy"} & set(names):
        hint = "the labels are integers: use 'accuracy' (sparse categorical accuracy), not categorical_accuracy"
    _fail("compile_model", "the metrics", "['accuracy']", names, hint)


def check_compile(compile_model: Callable) -> None:
    """Check `compile_model(model, cfg)`: Adam at cfg.learning_rate, from-logits loss, accuracy (notebook 04)."""
    import keras

    rates = (0.02, 3e-4)  # neither is Adam's default, so a hard-coded rate fails
    for rate in rates:
        cfg = LabConfig(learning_rate=rate)
        model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
        case = f"a fresh model and cfg.learning_rate = {rate}"
        result = _call(compile_model, "compile_model", (model, cfg), case, allow_none=True)
        if not model.compiled:
            if result is None:
                raise NotImplementedYet("compile_model did not compile the model: not implemented yet")
            _fail(
                "compile_model",
                case,
                "the model it was given, compiled",
                "an uncompiled model",
                "call model.compile(...) on the model passed in, not on a new one",
            )
        optimizer = model.optimizer
        if type(optimizer) is not keras.optimizers.Adam:
            _fail("compile_model", case, "keras.optimizers.Adam", type(optimizer).__name__, "use Adam")
        lr = float(np.asarray(optimizer.learning_rate))
        if not np.isclose(lr, rate, rtol=1e-5):
            hint = "use the config's rate: Adam(learning_rate=cfg.learning_rate)"
            if np.isclose(lr, 1e-3, rtol=1e-5):
                hint = "that is Adam's default ('adam' or Adam()); pass learning_rate=cfg.learning_rate"
            _fail("compile_model", case, rate, lr, hint)
        _verify_loss(model.loss)
        with warnings.catch_warnings():  # Keras warns when it serializes a learner's lambda loss; harmless here
            warnings.simplefilter("ignore")
            _verify_metrics(model.get_compile_config().get("metrics"))
    _passed("check_compile", f"Adam at cfg.learning_rate ({', '.join(map(str, rates))}), from-logits loss, accuracy")
