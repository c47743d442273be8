"""Checks of notebook 02 (model): `check_count_params`, `check_model` and `check_dense`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lab_utils.checks._legacy import Mistakes, _array, _call, _close, _diagnose, _fail, _passed
from lab_utils.config import LabConfig
from lab_utils.model import softmax


def _count_mistakes(sizes: list[int]) -> Mistakes:
    pairs = list(zip(sizes[:-1], sizes[1:], strict=False))
    return [
        ("you forgot the biases: each layer also has one bias per unit", lambda: sum(a * b for a, b in pairs)),
        ("a layer has one bias per output unit, not per input", lambda: sum(a * b + a for a, b in pairs)),
        ("you gave the input layer biases too; inputs have none", lambda: sum(a * b + b for a, b in pairs) + sizes[0]),
        ("your loop stops one layer early (check its range)", lambda: sum(a * b + b for a, b in pairs[:-1])),
        ("your loop skips the first layer (check its range)", lambda: sum(a * b + b for a, b in pairs[1:])),
        ("you multiplied all the sizes; count weights and biases layer by layer", lambda: int(np.prod(sizes))),
        ("you counted units, not parameters", lambda: sum(sizes)),
        ("you hard-coded 20,175; compute it from layer_sizes", lambda: 20175),
    ]


def check_count_params(count_params: Callable[[list[int]], int], cases: Iterable[list[int]] | None = None) -> None:
    """Check `count_params(layer_sizes)`: a list such as [784, 25, 15, 10] -> 20175 (notebook 02)."""
    cases = (
        [[784, 25, 15, 10], [784, 10], [2, 3], [3, 1, 4, 1, 5], [784, 128, 64, 10], [10, 1]] if cases is None else cases
    )
    for sizes in cases:
        sizes = list(sizes)
        case = f"layer_sizes = {sizes}"
        got = _call(count_params, "count_params", (list(sizes),), case)
        expected = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
        if isinstance(got, (list, tuple, np.ndarray)):
            _fail("count_params", case, expected, got, "return the total, a single whole number (sum the layers)")
        if not isinstance(got, (int, np.integer)) or isinstance(got, bool):
            _fail("count_params", case, expected, got, "return a whole number (an int), not a float")
        if got != expected:
            _fail("count_params", case, expected, got, _diagnose(got, _count_mistakes(sizes)))
    _passed("check_count_params", f"{len(cases)} networks, one to four layers")


def _forward(dense: list, x: np.ndarray, hidden: Callable, output: Callable) -> np.ndarray:
    a = x.astype(np.float64)
    for i, layer in enumerate(dense):
        kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
        a = (output if i == len(dense) - 1 else hidden)(a @ kernel + bias)
    return a


def _verify_model(model: Any, cfg: LabConfig) -> None:
    import keras

    case = f"cfg.hidden_units = {cfg.hidden_units}"
    fail = lambda expected, got, hint=None: _fail("build_model", case, expected, got, hint)  # noqa: E731
    if isinstance(model, (list, tuple)):
        fail("a keras.Sequential", "a list", "wrap the layers in a model: keras.Sequential([...])")
    if not isinstance(model, keras.Model):
        fail("a keras.Sequential", type(model).__name__)
    if not model.built:
        fail("a model with input 784", "a model without an input", "start the layers with keras.Input(shape=(784,))")
    if tuple(model.inputs[0].shape) != (None, 784):
        fail(
            "input shape (None, 784)",
            tuple(model.inputs[0].shape),
            "the lab feeds flat images: keras.Input(shape=(784,))",
        )
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    units, expected = [layer.units for layer in dense], [*cfg.hidden_units, cfg.n_classes]
    if units != expected:
        hint = "one Dense layer per entry of cfg.hidden_units, then cfg.n_classes (10) output units"
        if units == [25, 15, 10]:
            hint = "you hard-coded the layer sizes 25 and 15; loop over cfg.hidden_units"
        fail(f"Dense layers of {expected} units", units, hint)
    if any(len(layer.get_weights()) != 2 for layer in dense):
        fail("Dense layers with biases", "a layer without biases", "drop use_bias=False")
    x = np.random.default_rng(0).uniform(0.0, 1.0, size=(3, 784)).astype(np.float32)
    got = np.asarray(model(x, training=False))
    relu, linear = (lambda a: np.maximum(a, 0.0)), (lambda a: a)
    if not _close(got, _forward(dense, x, relu, linear), np.float32):
        sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
        hint = _diagnose(
            got,
            [
                (
                    "softmax in the output layer while the loss takes logits: keep the output layer linear",
                    lambda: softmax(_forward(dense, x, relu, linear)),
                ),
                (
                    "the hidden layers need activation='relu' (cfg.hidden_activation)",
                    lambda: _forward(dense, x, linear, linear),
                ),
                ("the hidden layers need ReLU, not sigmoid", lambda: _forward(dense, x, sigmoid, linear)),
                (
                    "the output layer must be linear (it returns logits), not ReLU",
                    lambda: _forward(dense, x, relu, relu),
                ),
            ],
            np.float32,
        )
        fail("ReLU hidden layers and a linear output", "other outputs for the same weights", hint)


def check_model(build_model: Callable[[LabConfig], Any]) -> None:
    """Check the learner's `build_model(cfg)` with several configs, so sizes must come from cfg (notebook 02)."""
    configs = [
        LabConfig(),
        LabConfig(hidden_units=(7,)),
        LabConfig(hidden_units=(5, 3)),
        LabConfig(hidden_units=(12, 8, 6)),
    ]
    for cfg in configs:
        model = _call(build_model, "build_model", (cfg,), f"cfg.hidden_units = {cfg.hidden_units}")
        _verify_model(model, cfg)
    _passed("check_model", f"{len(configs)} configs, hidden sizes {', '.join(str(c.hidden_units) for c in configs)}")


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _linear(z: np.ndarray) -> np.ndarray:
    return z


def _dense_cases() -> list[tuple]:
    rng = np.random.default_rng(11)
    normal = lambda *shape, dtype=np.float64: rng.normal(0.0, 1.0, size=shape).astype(dtype)  # noqa: E731
    return [
        (normal(4, 3), normal(3, 2), normal(2), _relu),
        (normal(1, 3), normal(3, 5), normal(5), _sigmoid),  # a batch of one
        (normal(5, 3), normal(3, 3), normal(3), _relu),  # square W: using W.T does not fail by shape
        (normal(2, 4, dtype=np.float32), normal(4, 1, dtype=np.float32), normal(1, dtype=np.float32), _linear),
        (normal(6, 7), normal(7, 4), normal(4), np.tanh),
    ]


def _matmul_hint(exc: Exception) -> str | None:
    if isinstance(exc, ValueError):
        return "a_in is (m, n_in) and W is (n_in, n_out): multiply them as a_in @ W (no transpose)"
    return None


def _dense_mistakes(a: np.ndarray, w: np.ndarray, bias: np.ndarray, g: Callable) -> Mistakes:
    return [
        ("you forgot to apply the activation g", lambda: a @ w + bias),
        ("you forgot to add the bias b", lambda: g(a @ w)),
        ("you applied g before adding b; compute g(a_in @ W + b)", lambda: g(a @ w) + bias),
        ("you used W.T; W already has shape (n_in, n_out), so a_in @ W", lambda: g(a @ w.T + bias)),
        ("you subtracted b; add it", lambda: g(a @ w - bias)),
    ]


def check_dense(my_dense: Callable, cases: Iterable[tuple] | None = None) -> None:
    """Check `my_dense(a_in, W, b, g)`: a_in (m, n_in), W (n_in, n_out), b (n_out,) -> (m, n_out) (notebook 02)."""
    cases = _dense_cases() if cases is None else list(cases)
    for a_in, W, b, g in cases:
        case = f"a_in {a_in.shape}, W {W.shape}, b {b.shape}, g = {getattr(g, '__name__', g)}"
        result = _call(my_dense, "my_dense", (a_in.copy(), W.copy(), b.copy(), g), case, _matmul_hint)
        shape = (a_in.shape[0], W.shape[1])
        hint = "keep one row per example: a_in @ W is (m, n_out)"
        if np.shape(result) == (W.shape[1], a_in.shape[0]) and shape[0] != shape[1]:
            hint = "your result is transposed: compute a_in @ W + b, which is (m, n_out)"
        got = _array(result, "my_dense", case, shape, hint)
        a, w, bias = (np.asarray(v, dtype=np.float64) for v in (a_in, W, b))
        expected = g(a @ w + bias)
        if not _close(got, expected, a_in.dtype):
            _fail("my_dense", case, expected, got, _diagnose(got, _dense_mistakes(a, w, bias, g)))
    _passed("check_dense", f"{len(cases)} layers, batches of one and a square W included")
