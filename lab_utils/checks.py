"""One check per exercise of the notebook series, and their registry `EXERCISES`.

Each check runs the learner's function on many inputs (hand-picked edge cases and
seeded random ones), compares with an independent computation, and either prints
one green line or raises `CheckFailure`, whose message names the input, what was
expected, what came back and, for the mistakes learners commonly make, a hint.
A stub (returning None or raising NotImplementedError) raises `NotImplementedYet`.
Exceptions from the learner's code become a `CheckFailure` naming their type, never
a crash inside the lab. In IPython a failure shows as a short red message, but the
cell still ends in an error (`CheckFailure._render_traceback_`), so nbval, Run All and
`lab_utils.grade` see it.

The NumPy checks take an optional `cases`, to run them on inputs of your own.
Keras is imported only by the checks that need a model (notebooks 02 to 04).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from lab_utils.config import LabConfig
from lab_utils.errors import LabError

GREEN, RED, RESET = "\033[32m", "\033[31m", "\033[0m"
TF_HINT = "you used TensorFlow, which returns a tf.Tensor; this exercise asks for NumPy (np.exp, np.sum, ...)"
LIST_HINT = "you returned a {kind}; return a NumPy array (np.array(...))"
LARGE = 700.0  # np.exp overflows float64 a little above this


class CheckFailure(LabError, AssertionError):
    """An exercise gave a wrong answer; the message says for which input and why."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message in red, no frames from the lab.

        IPython (and so Jupyter, nbclient and nbval) still records the cell as an error
        with this exception's name and message, so Run All stops and the grader sees it.
        """
        mark = "… " if isinstance(self, NotImplementedYet) else "✗ "
        lines = str(self).splitlines() or [""]
        lines[0] = f"{mark}{type(self).__name__}: {lines[0]}"
        return [f"{RED}{line}{RESET}" for line in lines]


class NotImplementedYet(CheckFailure):
    """The exercise still holds its stub."""


Mistakes = list[tuple[str, Callable[[], Any]]]


# ---------------------------------------------------------------- shared machinery


def _show(value: Any) -> str:
    """A short, one-line picture of a value for a failure message."""
    if isinstance(value, str):
        return value
    if isinstance(value, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(value, dtype=float) if not isinstance(value, np.ndarray) else value
        except (TypeError, ValueError):
            arr = None  # a ragged or mixed sequence: its repr says more
        if arr is not None and arr.size > 24:
            return f"array of shape {arr.shape}, dtype {arr.dtype}"
        if arr is not None:
            return np.array2string(arr, precision=4, separator=", ").replace("\n", "")
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 200 else text[:200] + " ..."


def _fail(function: str, case: str, expected: Any, got: Any, hint: str | None = None) -> NoReturn:
    lines = [
        f"{function} gave a wrong answer for {case}",
        f"  expected: {_show(expected)}",
        f"  got:      {_show(got)}",
    ]
    if hint:
        lines.append(f"  hint: {hint}")
    raise CheckFailure("\n".join(lines))


def _call(
    fn: Any,
    function: str,
    args: tuple,
    case: str,
    on_error: Callable[[Exception], str | None] = lambda exc: None,
    allow_none: bool = False,
) -> Any:
    """Run the learner's function: stubs, exceptions and mutated inputs become check failures."""
    if not callable(fn):
        raise CheckFailure(f"the check needs your function {function} itself, got {type(fn).__name__}")
    originals = [copy.deepcopy(a) if isinstance(a, (np.ndarray, list)) else None for a in args]
    try:
        result = fn(*args)
    except NotImplementedError:
        raise NotImplementedYet(f"{function} is not implemented yet: write your code between the markers") from None
    except CheckFailure:
        raise
    except Exception as exc:
        hint = on_error(exc)
        message = f"{function} raised {_describe(exc)}\n  for {case}"
        raise CheckFailure(message + (f"\n  hint: {hint}" if hint else "")) from exc
    if result is None and not allow_none:
        raise NotImplementedYet(f"{function} returned None: not implemented yet (or a `return` is missing)")
    for before, after in zip(originals, args, strict=True):
        if before is not None and not _same(before, after):
            raise CheckFailure(
                f"{function} changed its input for {case}\n  hint: you mutated the input (in-place -=, /= or "
                "item assignment); compute into a new array instead, e.g. z = z - z.max()"
            )
    return result


def _describe(exc: Exception) -> str:
    """`Type: message`, cut to its first line: TensorFlow's messages run to pages."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:300]}"


def _same(a: Any, b: Any) -> bool:
    try:
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    except (TypeError, ValueError):
        return False


def _is_tf(value: Any) -> bool:
    return type(value).__module__.split(".")[0] in ("tensorflow", "tf_keras", "keras")


def _array(result: Any, function: str, case: str, shape: tuple[int, ...], shape_hint: str | None = None) -> np.ndarray:
    """The learner's result as an ndarray of the expected shape, or a failure saying why not."""
    if _is_tf(result):
        _fail(function, case, f"a NumPy array of shape {shape}", type(result).__name__, TF_HINT)
    if isinstance(result, (list, tuple)):
        _fail(function, case, f"a NumPy array of shape {shape}", result, LIST_HINT.format(kind=type(result).__name__))
    if not isinstance(result, np.ndarray):
        hint = shape_hint if isinstance(result, (int, float, np.number)) else None
        _fail(function, case, f"a NumPy array of shape {shape}", f"a {type(result).__name__}: {result!r}", hint)
    if result.shape != shape:
        hint = shape_hint or "the result must have one value per input value"
        _fail(function, case, f"shape {shape}", f"shape {result.shape}", hint)
    return result


def _tolerance(dtype: np.dtype) -> dict[str, float]:
    # Like scikit-learn's assert_allclose: float32 carries about 7 digits, float64 about 16.
    return {"rtol": 1e-6, "atol": 1e-9} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-6}


def _close(got: Any, expected: Any, dtype: np.dtype = np.float64, equal_nan: bool = False) -> bool:
    try:
        got = np.asarray(got, dtype=np.float64)
        return got.shape == np.shape(expected) and np.allclose(got, expected, equal_nan=equal_nan, **_tolerance(dtype))
    except (TypeError, ValueError):
        return False


def _diagnose(got: Any, mistakes: Mistakes, dtype: np.dtype = np.float64) -> str | None:
    """The hint of the first known mistake whose (wrong) answer is what the learner returned."""
    for hint, wrong in mistakes:
        with np.errstate(all="ignore"):
            try:
                if _close(got, wrong(), dtype, equal_nan=True):
                    return hint
            except (ValueError, IndexError, ZeroDivisionError):
                continue
    return None


def _passed(check: str, detail: str) -> None:
    print(f"{GREEN}✓ {check} passed: {detail}{RESET}")


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _broadcast_hint(exc: Exception) -> str | None:
    if isinstance(exc, np.exceptions.AxisError):
        return "use axis=-1 (the last axis, the classes), so 1-D logits and batches both work"
    if isinstance(exc, ValueError) and "broadcast" in str(exc):
        return "the shapes don't line up: keep the class axis with keepdims=True, e.g. z.max(axis=-1, keepdims=True)"
    return None


# ---------------------------------------------------------------- notebook 01: softmax


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
        ("the sign is flipped (exp(-z)): the smallest logit got the largest probability", lambda: _softmax(-z)),
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
    expected = _softmax(z)
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


# ---------------------------------------------------------------- notebook 02: model


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
                    lambda: _softmax(_forward(dense, x, relu, linear)),
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


# ---------------------------------------------------------------- notebook 03: training


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
    """Check `cross_entropy_from_logits(logits, y)`: (m, K) logits, (m,) labels -> mean loss (notebook 03)."""
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
    """Check `compile_model(model, cfg)`: Adam at cfg.learning_rate, from-logits loss, accuracy (notebook 03)."""
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


# ---------------------------------------------------------------- notebook 04: evaluation


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
    """Check `my_confusion_matrix(y_true, y_pred, n_classes)` -> (K, K) int counts, rows true (notebook 04)."""
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
    expected = _softmax(logits)
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
                ("you applied softmax twice", lambda: _softmax(expected)),
                ("that is the sigmoid; use softmax of the logits", sigmoid),
                (
                    "the images are already scaled to [0, 1]; don't divide by 255",
                    lambda: _softmax(np.asarray(model(image.reshape(1, 784) / 255.0, training=False))[0]),
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
    """Check `predict_digit(model, image)` on images of shape (784,) and (28, 28) with the given model (notebook 04)."""
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


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: the learner's function name, its check, its points, and where it lives."""

    function: str
    check: Callable[..., None]
    points: int
    notebook: str
    needs_model: bool = False


EXERCISES: tuple[Exercise, ...] = (
    Exercise("my_softmax", check_softmax, 10, "01_softmax"),
    Exercise("stable_softmax", check_stable_softmax, 15, "01_softmax"),
    Exercise("count_params", check_count_params, 10, "02_model"),
    Exercise("build_model", check_model, 15, "02_model"),
    Exercise("my_dense", check_dense, 10, "02_model"),
    Exercise("cross_entropy_from_logits", check_cross_entropy, 15, "03_training"),
    Exercise("compile_model", check_compile, 10, "03_training"),
    Exercise("my_confusion_matrix", check_confusion_matrix, 10, "04_evaluation"),
    Exercise("predict_digit", check_predict_digit, 5, "04_evaluation", needs_model=True),
)


def exercises_in(notebook: str) -> tuple[Exercise, ...]:
    """The exercises of one notebook, e.g. "02_model" (a path such as notebooks/02_model.ipynb works too)."""
    stem = notebook.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".ipynb")
    return tuple(ex for ex in EXERCISES if ex.notebook == stem)
