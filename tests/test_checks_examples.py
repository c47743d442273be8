"""Issue 28's examples, each told its cause: the misleading hints of before and the vague failures.

One test per example, named after the learner's mistake; each asserts the words that name the cause and, where
a fixed hint used to fire for the wrong cause, that it no longer does.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from check_failures import failure_text

from lab_utils.checks import (
    CheckFailure,
    check_compile,
    check_confusion_matrix,
    check_count_params,
    check_cross_entropy,
    check_dense,
    check_dense_backward,
    check_gd_step,
    check_predict_digit,
    check_softmax,
    check_softmax_cross_entropy_grad,
    check_stable_softmax,
    check_train_step,
)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_probabilities(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


# ---------------------------------------------------------------- misleading before


def test_count_params_formatted_as_the_printout_is_told_it_returned_a_string():
    def count_params(layer_sizes):
        total = sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=False))
        return f"{total:,}"

    message = failure_text(check_count_params, count_params)
    assert "you returned a string, '20,175': the right number written as text" in message
    assert "not a float" not in message


def test_predict_digit_returning_the_max_probability_is_told_max_against_argmax():
    def predict_digit(model, image):
        probs = softmax(np.asarray(model(image.reshape(1, 784)))[0])
        return np.max(probs), probs

    message = failure_text(check_predict_digit, predict_digit, lambda x: x)
    assert "the largest probability itself (max), not the digit: the digit is its position, argmax" in message
    assert "as an int" not in message


def test_my_dense_with_b_as_a_column_is_told_the_shapes_and_that_b_was_reshaped():
    message = failure_text(check_dense, lambda a_in, W, b, g: g(a_in @ W + b.reshape(-1, 1)))
    assert "(3, 1), b's values in another shape: compared from the right" in message
    assert "transpose" not in message


def test_my_dense_multiplying_element_wise_is_told_to_use_the_matrix_product():
    message = failure_text(check_dense, lambda a_in, W, b, g: g(a_in * W + b))
    assert "(2, 3), the shape of a_in; and (3, 3), the shape of W" in message
    assert "line up for a matrix product (@), not for an element-wise one" in message
    assert "no transpose needed" not in message


def test_stable_softmax_shifting_the_numerator_only_is_told_so():
    def stable_softmax(z):
        return np.exp(z - np.max(z, axis=-1, keepdims=True)) / np.sum(np.exp(z), axis=-1, keepdims=True)

    message = failure_text(check_stable_softmax, stable_softmax)
    assert "you subtracted the max in the numerator only" in message
    assert "clip" not in message


def test_train_step_scaling_the_gradients_by_the_rate_is_told_the_rate_is_applied_twice():
    def train_step(model, optimizer, x, y):
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        rate = float(optimizer.learning_rate)
        optimizer.apply_gradients(zip([rate * g for g in grads], model.trainable_variables, strict=True))
        return float(loss)

    message = failure_text(check_train_step, train_step)
    assert "a factor of learning_rate too many; apply_gradients multiplies by the rate itself" in message
    assert "check the loss you differentiate" not in message


def test_compile_model_with_the_loss_class_is_told_to_call_the_class():
    def compile_model(model, cfg):
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy,
            metrics=["accuracy"],
        )
        return model

    message = failure_text(check_compile, compile_model)
    assert "a class was passed where an object of it is wanted: call the class to make one" in message
    assert "expected: a compiled model" not in message


@pytest.mark.parametrize(
    "stable_softmax",
    [
        pytest.param(lambda z: np.exp(z - max(z)) / np.sum(np.exp(z - max(z))), id="python-max"),
        pytest.param(lambda z: np.exp(z) / np.sum(np.exp(z)) if (z > 0 and z < 1e3) else z, id="python-and"),
    ],
)
def test_python_max_or_and_on_an_array_is_told_to_use_numpys_element_wise_forms(stable_softmax):
    message = failure_text(check_stable_softmax, stable_softmax)
    assert "need one True or False" in message and "use NumPy's element-wise forms" in message


# ---------------------------------------------------------------- vague before


def test_my_softmax_with_integer_division_is_told_the_fractions_were_rounded_down():
    message = failure_text(check_softmax, lambda z: np.exp(z) // np.sum(np.exp(z)))
    assert "every value is 0: fractions below 1 rounded down to 0, as integer division (//)" in message


def test_a_loss_divided_by_k_instead_of_m_is_told_the_factor():
    def cross_entropy_from_logits(logits, y):
        return float(-np.sum(log_probabilities(logits)[np.arange(len(y)), y]) / logits.shape[1])

    assert "a factor of m/K (m = 2, K = 3) is extra or missing" in failure_text(
        check_cross_entropy, cross_entropy_from_logits
    )


def test_a_gradient_divided_by_m_twice_is_told_the_factor():
    def softmax_cross_entropy_grad(logits, y):
        p = softmax(logits)
        p[np.arange(len(y)), y] -= 1
        return p / len(y) / len(y)

    assert "a factor of 1/2 or 1/m (m = 2)" in failure_text(
        check_softmax_cross_entropy_grad, softmax_cross_entropy_grad
    )


def test_gd_step_pairing_params_with_themselves_is_told_the_pairing():
    def gd_step(params, grads, learning_rate):
        return [p - learning_rate * g for p, g in zip(params, params, strict=True)]

    assert "you stepped each parameter along itself" in failure_text(check_gd_step, gd_step)


def test_a_confusion_matrix_of_one_repeated_row_is_told_every_row_is_the_same():
    def my_confusion_matrix(y_true, y_pred, n_classes):
        cm = [[0] * n_classes] * n_classes
        for t, p in zip(y_true, y_pred, strict=True):
            cm[t][p] += 1
        return np.array(cm)

    assert "every row is the same: one row repeated" in failure_text(check_confusion_matrix, my_confusion_matrix)


def test_np_dot_without_the_transpose_is_told_the_inner_sizes_and_the_arrays():
    message = failure_text(check_dense_backward, lambda a_in, W, dz: (np.dot(a_in, dz), dz.sum(axis=0), dz @ W.T))
    assert "needs the inner sizes equal" in message
    assert "a_in is (4, 3), W is (3, 2), dz is (4, 2)" in message


@pytest.mark.parametrize("k", [5, 10])
def test_a_wrong_confusion_matrix_up_to_10_by_10_is_shown_whole_beside_the_expected_one(k):
    def my_confusion_matrix(y_true, y_pred, n_classes):
        cm = np.zeros((n_classes, n_classes), dtype=int)
        np.add.at(cm, (y_pred, y_true), 1)
        return cm

    y_true, y_pred = np.arange(k) % 3, np.arange(k)[::-1] % 4
    with pytest.raises(CheckFailure) as failure:
        check_confusion_matrix(my_confusion_matrix, [(y_true, y_pred, k)])
    lines = str(failure.value).splitlines()
    assert "array of shape" not in str(failure.value)
    expected = lines.index(next(line for line in lines if line.startswith("  expected:")))
    got = lines.index(next(line for line in lines if line.startswith("  got:")))
    assert got - expected == k  # k rows of expected, one per line, then the rows of got
    assert lines[expected].endswith(",") and lines[got - 1].endswith("]]")


def test_predict_on_a_flat_image_is_told_about_the_batch_axis_without_keras_internals():
    def predict_digit(model, image):
        probs = softmax(model.predict(image, verbose=0)[0])
        return int(np.argmax(probs)), probs

    message = failure_text(check_predict_digit, predict_digit, lambda x: x)
    assert "(1, 784)" in message
    assert "keras_tensor" not in message and 'Tensor("' not in message
