"""Specification of notebook 03's checks (lab_utils.checks.gradients): check_cross_entropy,
check_softmax_cross_entropy_grad, check_dense_backward and check_gd_step.

Correct answers written in different ways pass; the mistakes learners make are rejected with the hint that
names them; stubs are "not implemented yet"; the judges need NumPy only.
"""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import scipy.special
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lab_utils.checks import (
    CheckFailure,
    NotImplementedYet,
    check_cross_entropy,
    check_dense_backward,
    check_gd_step,
    check_softmax_cross_entropy_grad,
)

# ---------------------------------------------------------------- cross_entropy_from_logits


def log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ce_vectorized(logits, y):
    return float(-np.mean(log_softmax(logits)[np.arange(len(y)), y]))


def ce_scipy(logits, y):
    return float(np.mean(scipy.special.logsumexp(logits, axis=1) - logits[np.arange(len(y)), y]))


def ce_keras(logits, y):
    return float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits))


def ce_loop(logits, y):
    total = 0.0
    for row, label in zip(logits, y, strict=True):
        top = max(row)
        total += top + np.log(sum(np.exp(v - top) for v in row)) - row[label]
    return total / len(y)


def ce_one_hot(logits, y):
    one_hot = np.eye(logits.shape[1])[y]
    return float(-np.sum(one_hot * log_softmax(logits)) / len(y))


@pytest.mark.parametrize(
    "cross_entropy_from_logits",
    [
        pytest.param(ce_vectorized, id="log-softmax-vectorized"),
        pytest.param(ce_loop, id="loop"),
        pytest.param(ce_one_hot, id="one-hot"),
    ],
)
def test_check_cross_entropy_accepts_correct_implementations(cross_entropy_from_logits, capsys):
    check_cross_entropy(cross_entropy_from_logits)
    assert "✓ check_cross_entropy passed" in capsys.readouterr().out


def naive_log_softmax(logits, y):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def log_of_stable_softmax(logits, y):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def max_not_added_back(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - logits[np.arange(len(y)), y]))


def in_place(logits, y):
    logits -= logits.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(len(y)), y]))


def rows(y):
    return np.arange(len(y))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the naive versions overflow, as a learner's would
@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(lambda z, y: -np.sum(log_softmax(z)[rows(y), y]), "sum over the batch", id="sum-not-mean"),
        pytest.param(lambda z, y: np.mean(log_softmax(z)[rows(y), y]), "sign is flipped", id="forgot-minus"),
        pytest.param(lambda z, y: -np.mean(log_softmax(z)[:, y]), r"logits\[:, y\]", id="indexed-all-rows"),
        pytest.param(lambda z, y: -np.mean(log_softmax(z)), "averaged over all classes", id="mean-over-classes"),
        pytest.param(lambda z, y: ce_vectorized(z, y) / np.log(10), "log10", id="log10"),
        pytest.param(lambda z, y: -np.mean(z[rows(y), y]), "log-sum-exp term", id="forgot-normaliser"),
        pytest.param(max_not_added_back, "did not add it back", id="max-not-added-back"),
        pytest.param(lambda z, y: -np.mean(log_softmax(z, axis=0)[rows(y), y]), "axis 0", id="softmax-over-batch"),
        pytest.param(naive_log_softmax, "log-sum-exp", id="naive-exp-overflows"),
        pytest.param(log_of_stable_softmax, "log-sum-exp", id="log-of-softmax-underflows"),
        pytest.param(lambda z, y: -log_softmax(z)[rows(y), y], "not one loss per example", id="per-example-losses"),
        pytest.param(lambda z, y: tf.constant(ce_vectorized(z, y)), r"float\(loss\)", id="returned-tf-tensor"),
        pytest.param(ce_scipy, "SciPy's own logsumexp", id="scipy-logsumexp"),
        pytest.param(ce_keras, "Keras's own", id="keras-loss-as-float"),
        pytest.param(in_place, "mutated the input", id="mutated-input"),
    ],
)
def test_check_cross_entropy_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_cross_entropy(wrong)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 8), st.integers(1, 6), st.data())
def test_check_cross_entropy_accepts_the_reference_on_any_finite_logits(m, k, data):
    logits = data.draw(hnp.arrays(np.float64, (m, k), elements=st.floats(-1e3, 1e3)))
    y = data.draw(hnp.arrays(np.int64, (m,), elements=st.integers(0, k - 1)))
    check_cross_entropy(ce_vectorized, cases=[(logits, y)])


# ---------------------------------------------------------------- softmax_cross_entropy_grad


def grad_eye(logits, y):
    m, k = logits.shape
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True) - np.eye(k)[y]) / m


def grad_scipy_in_a_copy(logits, y):
    grad = scipy.special.softmax(logits, axis=1)
    grad[np.arange(len(y)), y] -= 1
    return grad / len(y)


def grad_loop(logits, y):
    grad = np.zeros(logits.shape)
    for i, (row, label) in enumerate(zip(logits, y, strict=True)):
        e = np.exp(row - row.max())
        grad[i] = e / e.sum()
        grad[i, label] -= 1
    return grad / len(y)


def grad_logsumexp(logits, y):
    p = np.exp(logits - scipy.special.logsumexp(logits, axis=1, keepdims=True))
    return (p - (np.arange(logits.shape[1]) == y[:, None])) / len(y)


@pytest.mark.parametrize("fn", [grad_eye, grad_scipy_in_a_copy, grad_loop, grad_logsumexp])
def test_check_softmax_cross_entropy_grad_accepts_correct_implementations(fn, capsys):
    check_softmax_cross_entropy_grad(fn)
    assert "✓ check_softmax_cross_entropy_grad passed" in capsys.readouterr().out


def _softmax(z, axis=1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def grad_columns(logits, y):
    grad = _softmax(logits)
    grad[:, y] -= 1
    return grad / len(y)


def grad_unstable(logits, y):
    with np.errstate(all="ignore"):
        e = np.exp(logits)
        return (e / e.sum(axis=1, keepdims=True) - np.eye(logits.shape[1])[y]) / len(y)


def grad_in_place(logits, y):
    logits -= logits.max(axis=1, keepdims=True)
    return grad_eye(logits, y)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(lambda z, y: grad_eye(z, y) * len(y), "factor 1/m", id="sum-not-mean"),
        pytest.param(lambda z, y: -grad_eye(z, y), "sign is flipped", id="sign"),
        pytest.param(lambda z, y: _softmax(z) / len(y), "minus one-hot", id="no-one-hot"),
        pytest.param(grad_columns, r"\[:, y\]", id="columns-for-every-row"),
        pytest.param(lambda z, y: (_softmax(z, 0) - np.eye(z.shape[1])[y]) / len(y), "axis=1", id="softmax-axis-0"),
        pytest.param(
            lambda z, y: (_softmax(z) - np.eye(z.shape[1])[y]) / z.shape[1], "not by the number of classes", id="by-K"
        ),
        pytest.param(
            lambda z, y: (z - np.eye(z.shape[1])[y]) / len(y), "not the logits", id="logits-not-probabilities"
        ),
        pytest.param(grad_unstable, "subtract each row's maximum", id="unstable"),
        pytest.param(grad_in_place, "changed its input", id="mutates-logits"),
        pytest.param(lambda z, y: float(np.mean(grad_eye(z, y))), "shape of logits", id="returned-a-scalar"),
        pytest.param(lambda z, y: tf.nn.softmax(z) - tf.one_hot(y, z.shape[1]), "TensorFlow", id="tensorflow"),
        pytest.param(lambda z, y: grad_eye(z, y)[:, y], "shape", id="wrong-shape"),
    ],
)
def test_check_softmax_cross_entropy_grad_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_softmax_cross_entropy_grad(wrong)


def test_check_softmax_cross_entropy_grad_failure_names_input_expected_and_got():
    with pytest.raises(CheckFailure) as failure:
        check_softmax_cross_entropy_grad(lambda z, y: -grad_eye(z, y))
    message = str(failure.value)
    assert "logits = [[2. , 1. , 0.1]," in message and "y = [0, 1]" in message
    assert "expected: [[-0.1705" in message and "got:      [[ 0.1705" in message


# ---------------------------------------------------------------- dense_backward


def dense_matmul(a_in, W, dz):
    return a_in.T @ dz, dz.sum(axis=0), dz @ W.T


def dense_np_functions(a_in, W, dz):
    return np.dot(a_in.T, dz), np.sum(dz, axis=0), np.dot(dz, W.T)


def dense_einsum_list(a_in, W, dz):
    return [np.einsum("mi,mo->io", a_in, dz), np.einsum("mo->o", dz), np.einsum("mo,io->mi", dz, W)]


def dense_per_example(a_in, W, dz):
    dW, db = np.zeros(W.shape), np.zeros(W.shape[1])
    for a_row, dz_row in zip(a_in, dz, strict=True):
        dW += np.outer(a_row, dz_row)
        db += dz_row
    return dW, db, dz @ W.T


@pytest.mark.parametrize("fn", [dense_matmul, dense_np_functions, dense_einsum_list, dense_per_example])
def test_check_dense_backward_accepts_correct_implementations(fn, capsys):
    check_dense_backward(fn)
    assert "✓ check_dense_backward passed" in capsys.readouterr().out


def dense_in_place(a_in, W, dz):
    dz /= 1.0 + len(dz)
    return dense_matmul(a_in, W, dz)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(lambda a, W, dz: (a.T @ dz, dz.mean(axis=0), dz @ W.T), "add up", id="db-mean"),
        pytest.param(lambda a, W, dz: (a.T @ dz / len(dz), dz.sum(0), dz @ W.T), "add up", id="dW-divided-by-m"),
        pytest.param(lambda a, W, dz: (a.T @ dz, dz.sum(0), (dz @ W.T) * (a > 0)), "derivative", id="relu-inside"),
        pytest.param(lambda a, W, dz: (dz.T @ a, dz.sum(0), dz @ W.T), "transposed|shape of W", id="dW-transposed"),
        pytest.param(lambda a, W, dz: (a.T @ dz, dz.sum(0), dz @ W), "transpose", id="da-through-W-not-W-T"),
        pytest.param(lambda a, W, dz: (a.T @ dz, dz.sum(1), dz @ W.T), "batch axis", id="db-wrong-axis"),
        pytest.param(lambda a, W, dz: (a.T @ dz, dz, dz @ W.T), "one value per output unit", id="db-not-summed"),
        pytest.param(lambda a, W, dz: (dz @ W.T, a.T @ dz, dz.sum(0)), "in this order", id="wrong-order"),
        pytest.param(lambda a, W, dz: (a.T @ dz, dz.sum(0)), "return all three", id="two-of-three"),
        pytest.param(dense_in_place, "changed its input", id="mutates-dz"),
    ],
)
def test_check_dense_backward_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_dense_backward(wrong)


# ---------------------------------------------------------------- gd_step


def gd_loop(params, grads, learning_rate):
    new = []
    for p, g in zip(params, grads, strict=True):
        new.append(p - learning_rate * g)
    return new


def gd_copy_then_in_place(params, grads, learning_rate):
    new = [p.copy() for p in params]
    for p, g in zip(new, grads, strict=True):
        p -= learning_rate * g
    return new


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda ps, gs, lr: [p - lr * g for p, g in zip(ps, gs, strict=True)], id="comprehension"),
        pytest.param(gd_loop, id="loop"),
        pytest.param(gd_copy_then_in_place, id="copies-updated-in-place"),
        pytest.param(lambda ps, gs, lr: list(map(lambda p, g: np.subtract(p, lr * g), ps, gs)), id="map"),
        pytest.param(lambda ps, gs, lr: tuple(p - lr * g for p, g in zip(ps, gs, strict=True)), id="tuple"),
    ],
)
def test_check_gd_step_accepts_correct_implementations(fn, capsys):
    check_gd_step(fn)
    assert "✓ check_gd_step passed" in capsys.readouterr().out


def gd_in_place(params, grads, learning_rate):
    for p, g in zip(params, grads, strict=True):
        p -= learning_rate * g
    return params


def gd_replaces_list_items(params, grads, learning_rate):
    for i, g in enumerate(grads):
        params[i] = params[i] - learning_rate * g
    return params


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(lambda ps, gs, lr: [p + lr * g for p, g in zip(ps, gs, strict=True)], "downhill", id="ascent"),
        pytest.param(lambda ps, gs, lr: [p - g for p, g in zip(ps, gs, strict=True)], "scaled", id="no-rate"),
        pytest.param(lambda ps, gs, lr: [p - g / lr for p, g in zip(ps, gs, strict=True)], "don't divide", id="divide"),
        pytest.param(lambda ps, gs, lr: [-lr * g for g in gs], "not the step", id="returned-the-step"),
        pytest.param(lambda ps, gs, lr: [p.copy() for p in ps], "did not move", id="no-update"),
        pytest.param(gd_in_place, "changed its input", id="in-place"),
        pytest.param(gd_replaces_list_items, "changed its input", id="replaces-list-items"),
        pytest.param(lambda ps, gs, lr: (p - lr * g for p, g in zip(ps, gs, strict=True)), "generator", id="generator"),
        pytest.param(lambda ps, gs, lr: [ps[0] - lr * gs[0]], "one new array per parameter", id="first-only"),
        pytest.param(lambda ps, gs, lr: ps - lr * gs, "pair by pair", id="list-arithmetic"),
    ],
)
def test_check_gd_step_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_gd_step(wrong)


# ---------------------------------------------------------------- all four


def stub(*args):
    raise NotImplementedError("Replace this line with your code")


@pytest.mark.parametrize(
    "check", [check_cross_entropy, check_softmax_cross_entropy_grad, check_dense_backward, check_gd_step]
)
def test_stub_is_not_implemented_yet(check):
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check(stub)


def test_judges_run_without_tensorflow():
    """The grader's side: cases and judges of notebook 03's exercises import neither TensorFlow nor Keras."""
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        from lab_utils import reference
        from lab_utils.checks import gradients as g

        rng = np.random.default_rng(5)
        for check, answer in [
            (g.SOFTMAX_CROSS_ENTROPY_GRAD, lambda c: reference.softmax_cross_entropy_grad(*c.args)),
            (g.DENSE_BACKWARD, lambda c: list(reference.dense_backward(*c.args))),
            (g.GD_STEP, lambda c: [p - c.args[2] * q for p, q in zip(*c.args[:2])]),
            (g.CROSS_ENTROPY, lambda c: np.float64(reference.cross_entropy(*c.args))),
        ]:
            for case in check.cases(rng):
                value = answer(case)
                kind = "numpy.ndarray" if isinstance(value, np.ndarray) else "builtins.list"
                check.judge(case, {"status": "returned", "type": kind, "value": value, "is_array": kind[0] == "n",
                                   "mutated": False})
        print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
