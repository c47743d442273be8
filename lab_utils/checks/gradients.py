"""Checks of notebook 03 (gradients by hand), judged against `lab_utils.reference`:

- `cross_entropy_from_logits(logits, y)`: the mean cross-entropy of integer labels, from logits;
- `softmax_cross_entropy_grad(logits, y)`: the gradient of the mean cross-entropy with respect to the logits;
- `dense_backward(a_in, W, dz)`: a dense layer's backward pass, `(dW, db, da_in)`;
- `gd_step(params, grads, learning_rate)`: one step of gradient descent on a list of arrays.

Every judge here is NumPy only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, is_tensorflow, returned_array, run_check
from lab_utils.checks.messages import TF_HINT, Mistakes, a_kind, close, diagnose, fail, show
from lab_utils.checks.relations import relation
from lab_utils.checks.softmax import SOFTMAXES
from lab_utils.reference import cross_entropy, dense_backward, log_softmax, softmax_cross_entropy_grad

NOTEBOOK = "03_gradients"

LARGE = 1000.0  # logits in the thousands: np.exp overflows float64 above about 709
FIXED_SEED = 11  # the edge cases' own generator: they are the same whatever seed the grader draws
AUTODIFF = ("tensorflow.GradientTape", "jax.grad", "torch.autograd")
STABILITY_HINT = (
    "np.exp overflows for logits in the thousands (inf / inf is nan): subtract each row's maximum first, "
    "as in stable_softmax"
)


# ---------------------------------------------------------------- cross_entropy_from_logits

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


def _cross_entropy_mistakes(logits: np.ndarray, y: np.ndarray, expected: float) -> Mistakes:
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
            "your log-sum-exp has no max subtracted, so np.exp overflows (or underflows) for logits in the "
            "thousands: shift each row by its max inside the exp, as in the text's second form",
            lambda: np.mean(np.log(np.exp(z).sum(-1)) - z[rows, y]),
        ),
        (
            "log(softmax) underflows to log(0) = -inf (and exp overflows) for large logits: write the "
            "log-probability with the log-sum-exp trick instead of taking the log of probabilities",
            lambda: -np.mean(np.log((np.exp(z) / np.exp(z).sum(-1, keepdims=True))[rows, y])),
        ),
        (
            "log(softmax) underflows to log(0) = -inf for a very unlikely true class: write the "
            "log-probability with the log-sum-exp trick instead of taking the log of probabilities",
            lambda: -np.mean(np.log(np.exp(z - top) / np.exp(z - top).sum(-1, keepdims=True))[rows, y]),
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
            hint = diagnose(got, _cross_entropy_mistakes(logits, y, expected))
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


# ---------------------------------------------------------------- softmax_cross_entropy_grad


def _grad_mistakes(logits: np.ndarray, y: np.ndarray, expected: np.ndarray) -> Mistakes:
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
        hint = diagnose(got, _grad_mistakes(logits, y, expected), logits.dtype)
        if hint is None and not np.all(np.isfinite(got)) and np.abs(logits).max() >= LARGE:
            hint = STABILITY_HINT
        if hint is None and _only_the_one_hot_differs(got, expected):
            hint = (
                "the probabilities are right, the one-hot part is not: take 1 off in each row at that row's own "
                "label, and nowhere else"
            )
        if hint is None and not _rows_are_probabilities(got, y):
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


# ---------------------------------------------------------------- dense_backward

NAMES = ("dW", "db", "da_in")
SHAPE_HINTS = {
    "dW": "dW has the shape of W, (n_in, n_out): write down the shapes and find the product that gives it",
    "db": "db has one value per output unit, shape (n_out,): add up over the batch axis",
    "da_in": "da_in has the shape of a_in, (m, n_in): the gradient goes back through W to each input",
}


def _dense_mistakes(a_in: np.ndarray, W: np.ndarray, dz: np.ndarray) -> dict[str, Mistakes]:
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
        mistakes = _dense_mistakes(a_in, W, dz)
        for name, want, value in zip(NAMES, expected, got, strict=True):
            if not close(value, want, a_in.dtype):
                hint = diagnose(value, mistakes[name], a_in.dtype)
                fail(self.function, f"{name}, {case.label}", want, value, hint, {"m": len(dz)}, a_in.dtype)

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} layers, a batch of one, a square layer and 784 inputs included"


def _dense_case(label: str, a_in: np.ndarray, W: np.ndarray, dz: np.ndarray) -> Case:
    return Case(f"{label}: a_in {a_in.shape}, W {W.shape}, dz {dz.shape}", [a_in, W, dz])


# ---------------------------------------------------------------- gd_step


def _step_mistakes(p: np.ndarray, g: np.ndarray, rate: float) -> Mistakes:
    return [
        ("gradient descent steps downhill: against the gradient, not along it", lambda: p + rate * g),
        ("the step is the gradient scaled by the learning rate", lambda: p - g),
        ("multiply the gradient by the learning rate, don't divide", lambda: p - g / rate),
        ("return the new parameters, not the step itself", lambda: -rate * g),
        ("return the new parameters, not the step itself", lambda: rate * g),
        ("the parameters did not move: subtract the scaled gradient from each", lambda: p),
        (
            "you stepped each parameter along itself: pair each parameter with its own gradient, zip(params, grads)",
            lambda: p - rate * p,
        ),
    ]


def _another_rate(got: np.ndarray, p: np.ndarray, g: np.ndarray, rate: float) -> str | None:
    """What to say when got is p - c * g for a rate c other than `rate` (fitted by least squares), else None.
    got, p, g: arrays of one shape."""
    g64, moved = np.asarray(g, dtype=np.float64), np.asarray(p, dtype=np.float64) - got
    c = float(np.sum(moved * g64) / np.sum(g64 * g64)) if np.any(g64) else 0.0
    if c <= 0 or not close(got, p - c * g64, p.dtype):
        return None
    factor = {2.0: "2", 0.5: "1/2"}.get(round(c / rate, 6))
    if factor:
        return f"your step is {factor} times learning_rate × gradient: a factor of {factor} is extra"
    return "the step is scaled by another rate than learning_rate: use the argument, not a number"


class GdStepCheck(ExerciseCheck):
    """gd_step(params, grads, learning_rate) -> a new list, params[i] - learning_rate * grads[i]."""

    function, name, notebook, points = "gd_step", "check_gd_step", NOTEBOOK, 5
    parameters = ("params", "grads", "learning_rate")

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = np.random.default_rng(FIXED_SEED)
        net = ((6, 5), (5,), (5, 4), (4,), (4, 3), (3,))
        specs = [
            (fixed, "one weight matrix and its bias", ((3, 2), (2,)), 0.1, np.float64),
            (fixed, "a single array", ((5,),), 0.5, np.float64),
            (rng, "a three-layer network's weights", net, 0.01, np.float64),
            (rng, "float32 weights", ((4, 3), (3,)), 0.3, np.float32),
            (rng, "a learning rate above 1", ((2, 2), (2,)), 2.5, np.float64),
        ]
        cases = []
        for source, label, shapes, rate, dtype in specs:
            params, grads = ([source.normal(size=shape).astype(dtype) for shape in shapes] for _ in range(2))
            cases.append(Case(f"{label}, learning_rate = {rate}", [params, grads, rate]))
        return cases

    def verify(self, case: Case, obs: dict) -> None:
        params, grads, rate = case.args
        got, kind = obs.get("value"), str(obs.get("type"))
        want = f"a list of {len(params)} arrays"
        if kind not in ("builtins.list", "builtins.tuple"):
            hint = "build the list itself: list(...) of a generator, or a list comprehension"
            fail(
                self.function,
                case.label,
                want,
                a_kind(kind),
                hint if "generator" in kind or "map" in kind else "return a list of new arrays",
            )
        if len(got) != len(params):
            hint = "one new array per parameter, in order"
            if len(got) == len(params) ** 2 > 1:
                hint = (
                    f"{len(got)} arrays for {len(params)} parameters: a double loop pairs every parameter with every "
                    "gradient; pair each parameter with its own gradient, zip(params, grads)"
                )
            fail(self.function, case.label, want, f"a list of {len(got)}", hint)
        tensors = [i for i, t in enumerate(obs.get("item_types") or []) if is_tensorflow(t)]
        if tensors:
            fail(self.function, case.label, want, f"TensorFlow tensors (params[{tensors[0]}] and on)", TF_HINT)
        for i, (p, g, value) in enumerate(zip(params, grads, got, strict=True)):
            expected = p - rate * g
            label = f"params[{i}] of {case.label}"
            if not isinstance(value, np.ndarray) or value.shape != p.shape:
                shape = value.shape if isinstance(value, np.ndarray) else show(value)
                fail(
                    self.function,
                    label,
                    f"an array of shape {p.shape}",
                    shape,
                    "each new array has its parameter's shape",
                )
            if not close(value, expected, p.dtype):
                hint = diagnose(value, _step_mistakes(p, g, rate), p.dtype) or _another_rate(value, p, g, rate)
                fail(self.function, label, expected, value, hint, {"learning_rate": rate}, p.dtype)

    def error_hint(self, case: Case, obs: dict) -> str | None:
        message = str(obs.get("message"))
        if "inhomogeneous" in message:
            return (
                "params holds arrays of different shapes (a weight matrix, a bias), which NumPy cannot stack into "
                "one array: step each array with its own gradient, pair by pair"
            )
        if obs.get("type") == "TypeError" and ("list" in message or "sequence" in message):
            return "params and grads are lists: arithmetic works on their arrays, pair by pair (zip)"
        return None

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} parameter lists, float32 and float64, inputs left untouched"


CROSS_ENTROPY = CrossEntropyCheck()
SOFTMAX_CROSS_ENTROPY_GRAD = SoftmaxCrossEntropyGradCheck()
DENSE_BACKWARD = DenseBackwardCheck()
GD_STEP = GdStepCheck()


def check_cross_entropy(cross_entropy_from_logits: Callable, cases: Iterable[tuple] | None = None) -> None:
    """Check `cross_entropy_from_logits(logits, y)`: (m, K) logits, (m,) labels -> mean loss (notebook 03)."""
    own = None if cases is None else [_ce_case(np.asarray(z), np.asarray(y)) for z, y in cases]
    run_check(CROSS_ENTROPY, cross_entropy_from_logits, own)


def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad: Callable) -> None:
    """Check `softmax_cross_entropy_grad(logits, y)`: (m, K) logits, (m,) labels -> (m, K) (notebook 03)."""
    run_check(SOFTMAX_CROSS_ENTROPY_GRAD, softmax_cross_entropy_grad)


def check_dense_backward(dense_backward: Callable) -> None:
    """Check `dense_backward(a_in, W, dz)` -> (dW, db, da_in) (notebook 03)."""
    run_check(DENSE_BACKWARD, dense_backward)


def check_gd_step(gd_step: Callable) -> None:
    """Check `gd_step(params, grads, learning_rate)` -> a new list of arrays (notebook 03)."""
    run_check(GD_STEP, gd_step)
