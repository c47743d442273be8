"""Specification of the notebook-03 checks: check_cross_entropy and check_compile."""

import keras
import numpy as np
import pytest
import scipy.special
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lab_utils import model as reference
from lab_utils.checks import CheckFailure, check_compile, check_cross_entropy


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


def compile_with(optimizer=None, loss=None, metrics=("accuracy",)):
    def compile_model(model, cfg):
        model.compile(
            optimizer=optimizer or keras.optimizers.Adam(learning_rate=cfg.learning_rate),
            loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=None if metrics is None else list(metrics),
        )
        return model

    return compile_model


def compile_without_return(model, cfg):
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate),
        loss=lambda y, logits: keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True),
        metrics=["acc"],
    )


@pytest.mark.parametrize(
    "compile_model",
    [
        pytest.param(reference.compile_model, id="lab-reference"),
        pytest.param(compile_with(), id="loss-object-and-accuracy-string"),
        pytest.param(compile_with(metrics=[keras.metrics.SparseCategoricalAccuracy()]), id="metric-object"),
        pytest.param(compile_with(metrics=["sparse_categorical_accuracy"]), id="metric-full-name"),
    ],
)
def test_check_compile_accepts_correct_implementations(compile_model, capsys):
    check_compile(compile_model)
    assert "✓ check_compile passed" in capsys.readouterr().out


def compile_a_new_model(model, cfg):
    fresh = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
    return compile_with()(fresh, cfg)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(
            compile_with(loss="sparse_categorical_crossentropy"), "softmax placement", id="loss-string-no-logits"
        ),
        pytest.param(
            compile_with(loss=keras.losses.SparseCategoricalCrossentropy()), "softmax placement", id="from-logits-false"
        ),
        pytest.param(compile_with(optimizer="adam"), "Adam's default", id="adam-string-default-rate"),
        pytest.param(compile_with(optimizer=keras.optimizers.Adam(0.01)), "cfg.learning_rate", id="hard-coded-rate"),
        pytest.param(compile_with(optimizer=keras.optimizers.SGD(0.02)), "use Adam", id="sgd"),
        pytest.param(
            compile_with(loss=keras.losses.CategoricalCrossentropy(from_logits=True)), "Sparse", id="categorical-loss"
        ),
        pytest.param(compile_with(loss="mse"), "the loss must be", id="mse-loss"),
        pytest.param(compile_with(metrics=None), r"metrics=\['accuracy'\]", id="no-metrics"),
        pytest.param(compile_with(metrics=[keras.metrics.Accuracy()]), "compares logits", id="accuracy-class"),
        pytest.param(
            compile_with(metrics=["categorical_accuracy"]), "not categorical_accuracy", id="categorical-accuracy"
        ),
        pytest.param(compile_a_new_model, "on the model passed in", id="compiled-a-new-model"),
        pytest.param(compile_without_return, "return the model", id="no-return"),
    ],
)
def test_check_compile_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_compile(wrong)
