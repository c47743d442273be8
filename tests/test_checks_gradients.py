"""Specification of the gradient checks: check_softmax_cross_entropy_grad, check_dense_backward, check_gd_step
(notebook 03) and check_train_step (notebook 04).

Correct answers written in different ways pass; the mistakes learners make are rejected with the hint that
names them; stubs are "not implemented yet"; the judges need NumPy only, and their reference gradients agree
with central differences and with TensorFlow's own.
"""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import scipy.special
import tensorflow as tf

from lab_utils.checks import (
    CheckFailure,
    NotImplementedYet,
    check_dense_backward,
    check_gd_step,
    check_softmax_cross_entropy_grad,
    check_train_step,
    wire,
)
from lab_utils.checks.core import observe_case
from lab_utils.checks.gradients import backprop
from lab_utils.checks.train_step import TRAIN_STEP

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
        pytest.param(lambda a, W, dz: (a.T @ dz, dz.sum(0)), "return dW, db and da_in", id="two-of-three"),
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


# ---------------------------------------------------------------- train_step

LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def step_with(loss_fn, *, sign=1.0, steps=1, returns="before"):
    """A train_step built from parts, to write the correct one and its variations."""

    def train_step(model, optimizer, x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        for _ in range(steps):
            optimizer.apply_gradients([(sign * g, v) for g, v in zip(grads, model.trainable_variables, strict=True)])
        if returns == "after":
            return float(loss_fn(y, model(x)))
        return loss if returns == "tensor" else float(loss)

    return train_step


def step_functional_loss(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        logits = model(x)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
    optimizer.apply(tape.gradient(loss, model.trainable_weights), model.trainable_weights)
    return loss.numpy()


def step_manual_log_softmax(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        log_probs = tf.nn.log_softmax(model(x, training=True))
        loss = -tf.reduce_mean(tf.gather(log_probs, y, batch_dims=1))
    optimizer.apply_gradients(
        zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True)
    )
    return float(loss)


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(step_with(LOSS), id="loss-object"),
        pytest.param(step_functional_loss, id="functional-loss-and-apply"),
        pytest.param(step_manual_log_softmax, id="log-softmax-by-hand"),
    ],
)
def test_check_train_step_accepts_correct_implementations(fn, capsys):
    check_train_step(fn)
    assert "✓ check_train_step passed" in capsys.readouterr().out


@pytest.mark.parametrize("seed", [*range(11), 4242])
def test_a_correct_train_step_passes_whatever_the_grading_seed(seed):
    """The grader draws a fresh seed every run: a right answer must pass on every case any seed makes
    (seed 4242 once made a case whose float32 step was too small to tell from no step at all)."""
    check = TRAIN_STEP
    for case in check.cases(np.random.default_rng(seed)):
        check.judge(case, wire.decode(wire.encode(observe_case(check, step_with(LOSS), case))))


def step_outside_the_tape(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        pass
    loss = LOSS(y, model(x))
    optimizer.apply_gradients(
        zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True)
    )
    return float(loss)


def step_own_optimizer(model, optimizer, x, y):
    return step_with(LOSS)(model, keras.optimizers.SGD(learning_rate=0.01), x, y)


def step_without_update(model, optimizer, x, y):
    return float(LOSS(y, model(x)))


def step_train_on_batch(model, optimizer, x, y):
    model.compile(optimizer=optimizer, loss=LOSS)
    return float(model.train_on_batch(x, y))


def step_double_softmax(model, optimizer, x, y):
    return step_with(lambda y, logits: LOSS(y, tf.nn.softmax(logits)))(model, optimizer, x, y)


def step_per_example(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        losses = keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True)
    optimizer.apply_gradients(
        zip(tape.gradient(losses, model.trainable_variables), model.trainable_variables, strict=True)
    )
    return losses.numpy()


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(step_with(LOSS, returns="after"), "before the step", id="loss-after-step"),
        pytest.param(step_with(LOSS, returns="tensor"), "into a float", id="returns-a-tensor"),
        pytest.param(step_with(keras.losses.SparseCategoricalCrossentropy()), "from_logits", id="not-from-logits"),
        pytest.param(step_double_softmax, "softmax is applied twice", id="softmax-twice"),
        pytest.param(
            step_with(keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")),
            "not the sum",
            id="sum-reduction",
        ),
        pytest.param(step_with(LOSS, sign=-1.0), "uphill", id="gradient-ascent"),
        pytest.param(step_with(LOSS, steps=2), "one optimizer step", id="two-steps"),
        pytest.param(step_own_optimizer, "optimizer passed in", id="own-optimizer"),
        pytest.param(step_without_update, "did not move", id="no-update"),
        pytest.param(step_outside_the_tape, "inside its `with` block|inside", id="loss-outside-the-tape"),
        pytest.param(step_train_on_batch, "write the step yourself", id="train-on-batch"),
        pytest.param(step_per_example, "one float", id="per-example-losses"),
    ],
)
def test_check_train_step_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_train_step(wrong)


# ---------------------------------------------------------------- all four


def stub(*args):
    raise NotImplementedError("Replace this line with your code")


@pytest.mark.parametrize(
    "check", [check_softmax_cross_entropy_grad, check_dense_backward, check_gd_step, check_train_step]
)
def test_stub_is_not_implemented_yet(check):
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check(stub)


def test_reference_backprop_agrees_with_central_differences():
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=s) for s in ((5, 4), (4,), (4, 3), (3,))]
    x, y = rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
    _, grads = backprop(weights, x, y)
    for w, grad in zip(weights, grads, strict=True):
        numeric = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            original = w[index]
            w[index] = original + 1e-6
            plus = backprop(weights, x, y)[0]
            w[index] = original - 1e-6
            minus = backprop(weights, x, y)[0]
            w[index] = original
            numeric[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_reference_backprop_agrees_with_tensorflow():
    rng = np.random.default_rng(1)
    model = keras.Sequential([keras.Input(shape=(7,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(4)])
    x, y = rng.normal(size=(9, 7)).astype(np.float32), rng.integers(0, 4, size=9)
    with tf.GradientTape() as tape:
        loss = LOSS(y, model(x))
    tf_grads = tape.gradient(loss, model.trainable_variables)
    ours_loss, ours = backprop(model.get_weights(), x, y)
    assert ours_loss == pytest.approx(float(loss), rel=1e-5)
    for got, want in zip(ours, tf_grads, strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-6)


def test_judges_run_without_tensorflow():
    """The grader's side: cases and judges of all four exercises import neither TensorFlow nor Keras."""
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        from lab_utils.checks import gradients as g
        from lab_utils.checks.train_step import TRAIN_STEP

        rng = np.random.default_rng(5)
        for check, answer in [
            (g.SOFTMAX_CROSS_ENTROPY_GRAD, lambda c: g.softmax_cross_entropy_grad_reference(*c.args)),
            (g.DENSE_BACKWARD, lambda c: list(g.dense_backward_reference(*c.args))),
            (g.GD_STEP, lambda c: [p - c.args[2] * q for p, q in zip(*c.args[:2])]),
        ]:
            for case in check.cases(rng):
                value = answer(case)
                kind = "numpy.ndarray" if isinstance(value, np.ndarray) else "builtins.list"
                check.judge(case, {"status": "returned", "type": kind, "value": value, "is_array": kind[0] == "n",
                                   "mutated": False})
        for case in TRAIN_STEP.cases(rng):
            weights, rate = case.probe["weights"], case.probe["learning_rate"]
            loss, grads = g.backprop(weights, *case.args)
            after = [(w - rate * d).astype(np.float32) for w, d in zip(weights, grads)]
            TRAIN_STEP.judge(case, {"status": "returned", "type": "builtins.float", "value": loss, "is_array": False,
                                      "mutated": False, "weights": after, "steps": 1})
        print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
