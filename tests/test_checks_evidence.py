"""Specification of hints given only on evidence: each fixed hint of the checks stays silent for a wrong answer
whose cause is another one, and that answer is told its own cause instead.

One test per hint: the wrong answer is built to trip the hint's old, wider trigger (an error of the same type, a
value of the same kind) without having its cause.
"""

import numpy as np
import pytest
from check_failures import failure_text

from lab_utils.checks import (
    check_confusion_matrix,
    check_count_params,
    check_cross_entropy,
    check_dense,
    check_predict_digit,
    check_softmax,
    check_softmax_cross_entropy_grad,
    check_stable_softmax,
)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def log_probabilities(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def test_the_overflow_hint_stays_silent_for_nan_from_small_logits():
    message = failure_text(check_softmax, lambda z: np.exp(z) / (np.sum(np.exp(z)) - np.sum(np.exp(z))))
    assert "np.exp overflows for large logits" not in message
    assert "your result has inf where every right value is finite" in message


def test_the_clipping_hint_stays_silent_for_probabilities_that_do_not_add_up():
    def stable_softmax(z):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / (1 + np.sum(e, axis=-1, keepdims=True))

    message = failure_text(check_stable_softmax, stable_softmax)
    assert "clip" not in message
    assert "times the right one: a constant factor is extra or missing" in message


def test_the_keepdims_hint_stays_silent_for_a_broadcast_error_that_is_not_a_rows_max():
    message = failure_text(check_stable_softmax, lambda z: np.exp(z - z.max(axis=-1, keepdims=True)) + np.ones(7))
    assert "keepdims" not in message
    assert "NumPy cannot combine two arrays element by element" in message


def test_the_float_hint_stays_silent_for_a_digit_count_returned_as_a_bool():
    message = failure_text(check_count_params, lambda layer_sizes: True)
    assert "not a float" not in message
    assert "return a whole number (an int), not a bool" in message


def test_the_transpose_hint_stays_silent_for_a_bias_added_as_a_column():
    message = failure_text(check_dense, lambda a_in, W, b, g: g(a_in @ W + b[:, None]))
    assert "transpose" not in message
    assert "b's values in another shape" in message


def test_the_one_loss_per_example_hint_stays_silent_for_the_mean_inside_an_array():
    def cross_entropy_from_logits(logits, y):
        return np.array([-np.mean(log_probabilities(logits)[np.arange(len(y)), y])])

    message = failure_text(check_cross_entropy, cross_entropy_from_logits)
    assert "not one loss per example" not in message
    assert "the right value with an extra axis, shape (1,)" in message


def test_the_one_hot_labels_hint_stays_silent_for_a_broadcast_error_of_other_shapes():
    def cross_entropy_from_logits(logits, y):
        return float(-np.mean(log_probabilities(logits) + np.ones(logits.shape[1] + 1)))

    message = failure_text(check_cross_entropy, cross_entropy_from_logits)
    assert "not one-hot rows" not in message
    assert "(2, 3), the shape of logits" in message


def test_the_label_indexing_hint_stays_silent_for_too_many_indices():
    def cross_entropy_from_logits(logits, y):
        return float(-np.mean(log_probabilities(logits)[np.arange(len(y)), y, 0]))

    message = failure_text(check_cross_entropy, cross_entropy_from_logits)
    assert "two index arrays of length m" not in message
    assert "an index with 3 positions on an array of 2 dimension(s)" in message


def test_the_stability_hint_stays_silent_for_nan_from_small_logits():
    def softmax_cross_entropy_grad(logits, y):
        p = np.exp(log_probabilities(logits))
        p[np.arange(len(y)), y] -= 1
        return p / (len(y) - len(y))

    message = failure_text(check_softmax_cross_entropy_grad, softmax_cross_entropy_grad)
    assert "subtract each row's maximum" not in message
    assert "where every right value is finite" in message


def test_the_never_occurring_labels_hint_stays_silent_for_a_matrix_too_large():
    def my_confusion_matrix(y_true, y_pred, n_classes):
        cm = np.zeros((n_classes + 1, n_classes + 1), dtype=int)
        np.add.at(cm, (y_true, y_pred), 1)
        return cm

    message = failure_text(check_confusion_matrix, my_confusion_matrix)
    assert "never occur" not in message
    assert "one row and one column per class" in message


def test_the_reshape_hint_stays_silent_for_a_numpy_shape_error_of_the_learners_own_softmax():
    def predict_digit(model, image):
        logits = np.asarray(model(np.reshape(image, (1, 784))))[0]
        probs = np.exp(logits) / np.exp(logits).sum() + np.zeros(9)
        return int(np.argmax(probs)), probs

    message = failure_text(check_predict_digit, predict_digit, lambda x: x)
    assert "reshape the image" not in message
    assert "NumPy cannot combine two arrays element by element" in message


def test_the_argmax_hint_stays_silent_for_a_digit_one_too_high():
    def predict_digit(model, image):
        logits = np.asarray(model(np.reshape(image, (1, 784))))[0]
        probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        return int(np.argmax(probs)) + 1, probs

    message = failure_text(check_predict_digit, predict_digit, lambda x: x)
    assert "np.argmax" not in message
    assert "classes are numbered from 0" in message
