"""The reference maths (lab_utils.reference), each formula against TensorFlow or central differences."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

from lab_utils import reference
from lab_utils.activations import ACTIVATIONS

LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def central_differences(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The gradient of the scalar f at x, one coordinate at a time (x is restored after each)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        plus = f()
        x[index] = original - eps
        minus = f()
        x[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def test_softmax_agrees_with_tensorflow_on_logits_in_the_thousands(rng):
    z = rng.normal(0.0, 1e3, size=(5, 7))
    np.testing.assert_allclose(reference.softmax(z), tf.nn.softmax(z).numpy(), rtol=1e-12, atol=1e-300)


def test_softmax_on_another_axis_agrees_with_tensorflow(rng):
    z = rng.normal(0.0, 3.0, size=(4, 6))
    np.testing.assert_allclose(reference.softmax(z, axis=0), tf.nn.softmax(z, axis=0).numpy(), rtol=1e-12)


def test_log_softmax_agrees_with_tensorflow_where_log_of_softmax_underflows(rng):
    z = np.array([[1000.0, 0.0, -1000.0]]) + rng.normal(size=(3, 3))
    np.testing.assert_allclose(reference.log_softmax(z), tf.nn.log_softmax(z).numpy(), rtol=1e-12)


def test_cross_entropy_agrees_with_tensorflow_in_float64(rng):
    logits, y = rng.normal(0.0, 3.0, size=(16, 10)), rng.integers(0, 10, size=16)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
    assert reference.cross_entropy(logits, y) == pytest.approx(float(tf.reduce_mean(losses)), rel=1e-12)


def test_softmax_cross_entropy_grad_agrees_with_central_differences(rng):
    logits, y = rng.normal(0.0, 2.0, size=(6, 4)), rng.integers(0, 4, size=6)
    numeric = central_differences(lambda: reference.cross_entropy(logits, y), logits)
    np.testing.assert_allclose(reference.softmax_cross_entropy_grad(logits, y), numeric, rtol=1e-5, atol=1e-9)


def test_dense_backward_agrees_with_tensorflow(rng):
    a_in, W, b = (tf.Variable(rng.normal(size=shape)) for shape in ((5, 4), (4, 3), (3,)))
    upstream = rng.normal(size=(5, 3))
    with tf.GradientTape() as tape:
        z = a_in @ W + b
        scalar = tf.reduce_sum(z * upstream)  # d scalar / dz = upstream
    da_in, dW, db = (g.numpy() for g in tape.gradient(scalar, [a_in, W, b]))
    got = reference.dense_backward(a_in.numpy(), W.numpy(), upstream)
    for mine, theirs in zip(got, (dW, db, da_in), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_forward_agrees_with_a_keras_model(activation, rng):
    model = keras.Sequential(
        [keras.Input(shape=(6,)), keras.layers.Dense(5, activation=activation), keras.layers.Dense(3)]
    )
    x = rng.normal(size=(4, 6)).astype(np.float32)
    zs, inputs = reference.forward(model.get_weights(), x, ACTIVATIONS[activation])
    np.testing.assert_allclose(zs[-1], model(x).numpy(), rtol=1e-5, atol=1e-6)
    assert [a.shape for a in inputs] == [(4, 6), (4, 5)]


def test_backprop_agrees_with_central_differences(rng):
    weights = [rng.normal(size=s) for s in ((5, 4), (4,), (4, 3), (3,))]
    x, y = rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
    _, grads = reference.backprop(weights, x, y)
    for w, grad in zip(weights, grads, strict=True):
        numeric = central_differences(lambda: reference.backprop(weights, x, y)[0], w)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_backprop_agrees_with_tensorflow(rng):
    model = keras.Sequential([keras.Input(shape=(7,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(4)])
    x, y = rng.normal(size=(9, 7)).astype(np.float32), rng.integers(0, 4, size=9)
    with tf.GradientTape() as tape:
        loss = LOSS(y, model(x))
    tf_grads = tape.gradient(loss, model.trainable_variables)
    ours_loss, ours = reference.backprop(model.get_weights(), x, y)
    assert ours_loss == pytest.approx(float(loss), rel=1e-5)
    for got, want in zip(ours, tf_grads, strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-6)


def test_confusion_matrix_agrees_with_tensorflow_and_counts_classes_that_never_occur(rng):
    y_true, y_pred = rng.integers(0, 4, size=50), rng.integers(0, 4, size=50)
    got = reference.confusion_matrix(y_true, y_pred, 6)
    np.testing.assert_array_equal(got, tf.math.confusion_matrix(y_true, y_pred, num_classes=6).numpy())
    np.testing.assert_array_equal(got, sklearn_confusion_matrix(y_true, y_pred, labels=range(6)))
