"""Specification of notebook 05's checks (lab_utils.checks.evaluation): check_confusion_matrix, check_predict_digit."""

import re

import numpy as np
import pytest
import scipy.special
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

from lab_utils.checks import CheckFailure, check_confusion_matrix, check_predict_digit
from lab_utils.config import LabConfig
from lab_utils.model import build_model, softmax


def cm_loop(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        cm[t, p] += 1
    return cm


def cm_add_at(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def cm_bincount(y_true, y_pred, n_classes):
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes**2).reshape(n_classes, n_classes)


def cm_histogram(y_true, y_pred, n_classes):
    counts, _, _ = np.histogram2d(y_true, y_pred, bins=n_classes, range=[[0, n_classes], [0, n_classes]])
    return counts.astype(int)


@pytest.mark.parametrize(
    "my_confusion_matrix",
    [
        pytest.param(cm_loop, id="loop"),
        pytest.param(cm_add_at, id="np-add-at"),
        pytest.param(cm_bincount, id="bincount"),
        pytest.param(cm_histogram, id="histogram2d-as-int"),
    ],
)
def test_check_confusion_matrix_accepts_correct_implementations(my_confusion_matrix, capsys):
    check_confusion_matrix(my_confusion_matrix)
    assert "✓ check_confusion_matrix passed" in capsys.readouterr().out


def cm_set_to_one(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        cm[t, p] = 1
    return cm


def cm_fancy_index(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=int)
    cm[y_true, y_pred] += 1
    return cm


def cm_mistakes_only(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        if t != p:
            cm[t, p] += 1
    return cm


def cm_classes_seen(y_true, y_pred, n_classes):
    labels = np.unique(np.concatenate([y_true, y_pred]))
    return cm_loop(np.searchsorted(labels, y_true), np.searchsorted(labels, y_pred), len(labels))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(lambda t, p, k: cm_loop(p, t, k), "you swapped them", id="transposed"),
        pytest.param(cm_fancy_index, "counts a repeated pair only once", id="fancy-index-plus-equals"),
        pytest.param(
            lambda t, p, k: cm_loop(t, p, k) / np.maximum(cm_loop(t, p, k).sum(1, keepdims=True), 1),
            "not fractions",
            id="normalised-rows",
        ),
        pytest.param(cm_mistakes_only, "diagonal", id="counted-only-mistakes"),
        pytest.param(cm_classes_seen, "never occur", id="sized-by-classes-seen"),
        pytest.param(lambda t, p, k: sklearn_confusion_matrix(t, p), "scikit-learn", id="sklearn-without-labels"),
        pytest.param(
            lambda t, p, k: sklearn_confusion_matrix(t, p, labels=range(k)), "scikit-learn", id="sklearn-with-labels"
        ),
        pytest.param(cm_set_to_one, "add one per pair", id="set-to-one-in-a-loop"),
        pytest.param(lambda t, p, k: cm_loop(t, p, k).astype(float), "integer dtype", id="float-counts"),
        pytest.param(lambda t, p, k: cm_loop(t, p, k).tolist(), "returned a list", id="returned-list"),
        pytest.param(lambda t, p, k: tf.math.confusion_matrix(t, p, k), "TensorFlow", id="used-tf"),
    ],
)
def test_check_confusion_matrix_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure) as failure:
        check_confusion_matrix(wrong)
    assert re.search(hint, " ".join(str(failure.value).split()))  # a hint may be broken over lines


labels = st.integers(1, 10).flatmap(
    lambda k: st.tuples(
        st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=40), st.just(k)
    )
)


@settings(max_examples=60, deadline=None)
@given(labels)
def test_check_confusion_matrix_accepts_a_correct_count_for_any_labels(pairs_and_k):
    pairs, k = pairs_and_k
    y_true, y_pred = (np.array(v) for v in zip(*pairs, strict=True))
    check_confusion_matrix(cm_bincount, cases=[(y_true, y_pred, k)])


@settings(max_examples=60, deadline=None)
@given(labels)
def test_check_confusion_matrix_rejects_the_transpose_whenever_the_counts_are_not_symmetric(pairs_and_k):
    pairs, k = pairs_and_k
    y_true, y_pred = (np.array(v) for v in zip(*pairs, strict=True))
    counts = cm_loop(y_true, y_pred, k)
    if np.array_equal(counts, counts.T):
        check_confusion_matrix(lambda t, p, n: cm_loop(p, t, n), cases=[(y_true, y_pred, k)])
    else:
        with pytest.raises(CheckFailure, match="you swapped them"):
            check_confusion_matrix(lambda t, p, n: cm_loop(p, t, n), cases=[(y_true, y_pred, k)])


@pytest.fixture(scope="module")
def model():
    """A small untrained model: the check compares with whatever model it is given."""
    return build_model(LabConfig(hidden_units=(8,)))


def logits_of(model, image):
    return np.asarray(model(image.reshape(1, 784)))[0]


def predict_reference(model, image):
    probabilities = softmax(logits_of(model, image))
    return int(np.argmax(probabilities)), probabilities


def predict_with_predict(model, image):
    probabilities = scipy.special.softmax(model.predict(image.reshape(1, -1), verbose=0)[0])
    return int(probabilities.argmax()), probabilities


def predict_with_tf(model, image):
    probabilities = tf.nn.softmax(model(image.flatten()[None, :])).numpy()[0]
    return np.argmax(probabilities), probabilities  # a NumPy integer is a digit too


@pytest.mark.parametrize(
    "predict_digit",
    [
        pytest.param(predict_reference, id="call-and-softmax"),
        pytest.param(predict_with_predict, id="model-predict-scipy"),
        pytest.param(predict_with_tf, id="tf-softmax-to-numpy"),
    ],
)
def test_check_predict_digit_accepts_correct_implementations(predict_digit, model, capsys):
    check_predict_digit(predict_digit, model)
    assert "✓ check_predict_digit passed" in capsys.readouterr().out


def predict_without_reshape(model, image):
    probabilities = softmax(np.asarray(model(np.atleast_2d(image))))[0]
    return int(probabilities.argmax()), probabilities


def batch_probabilities(model, image):
    return softmax(np.asarray(model(image.reshape(1, 784))))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(lambda m, x: (int(logits_of(m, x).argmax()), logits_of(m, x)), "returned the logits", id="logits"),
        pytest.param(lambda m, x: (0, softmax(softmax(logits_of(m, x)))), "softmax twice", id="softmax-twice"),
        pytest.param(lambda m, x: (0, scipy.special.expit(logits_of(m, x))), "sigmoid", id="sigmoid"),
        pytest.param(lambda m, x: predict_reference(m, x / 255.0), "divide by 255", id="divided-by-255"),
        pytest.param(
            lambda m, x: (np.argmax(batch_probabilities(m, x), axis=0), batch_probabilities(m, x)[0]),
            "axis 0",
            id="argmax-wrong-axis",
        ),
        pytest.param(lambda m, x: (0, batch_probabilities(m, x)), "batch axis", id="kept-batch-axis"),
        pytest.param(lambda m, x: predict_reference(m, x)[::-1], "swapped", id="swapped-order"),
        pytest.param(
            lambda m, x: (float(predict_reference(m, x)[0]), predict_reference(m, x)[1]),
            "as an int",
            id="digit-as-float",
        ),
        pytest.param(lambda m, x: (1 + predict_reference(m, x)[0]) % 10, "return a pair", id="returned-only-digit"),
        pytest.param(lambda m, x: (0, tf.nn.softmax(m(x.reshape(1, 784)))[0]), "TensorFlow", id="used-tf"),
        pytest.param(
            predict_without_reshape,
            "reshape the image",
            id="no-reshape",
        ),
        pytest.param(
            lambda m, x: ((predict_reference(m, x)[0] + 1) % 10, predict_reference(m, x)[1]),
            "numbered from 0",
            id="wrong-digit",
        ),
    ],
)
def test_check_predict_digit_rejects_mistake_with_its_hint(wrong, hint, model):
    with pytest.raises(CheckFailure, match=hint):
        check_predict_digit(wrong, model)


def test_check_predict_digit_needs_a_model():
    with pytest.raises(CheckFailure, match="needs your trained model"):
        check_predict_digit(predict_reference, None)
