"""A learner's walk through all 13 exercises with wrong answers nobody listed: each is rejected with a message
that names its cause, shows no line of the solution and no library internals.

One test per wrong answer. None of these is among the mistakes the checks list one by one as mutants by
their code, nor among issue 28's examples (those are in tests/test_checks_examples.py): what names their
cause is the general machinery (relations between got and expected, the exceptions table) or a mutant
written from the reference maths.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import keras
import numpy as np
import pytest
import tensorflow as tf
from check_failures import failure_text
from solved import code_cells

from lab_utils.checks import (
    check_compile,
    check_confusion_matrix,
    check_count_params,
    check_cross_entropy,
    check_dense,
    check_dense_backward,
    check_gd_step,
    check_model,
    check_predict_digit,
    check_softmax,
    check_softmax_cross_entropy_grad,
    check_stable_softmax,
    check_train_step,
)

INTERNALS = ("keras_tensor", 'Tensor("', "{{function_node", "keras.src.", "Traceback")
START, END = "### START CODE HERE ###", "### END CODE HERE ###"


@dataclass(frozen=True)
class Wrong:
    """One wrong answer: the check, the learner's function, and the phrase that names its cause."""

    check: Callable
    fn: Callable
    cause: str
    notebook: str


def _softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


# ---------------------------------------------------------------- 01: my_softmax, stable_softmax


def softmax_over_exp_of_sum(z):
    return np.exp(z) / np.exp(np.sum(z))


def softmax_plus_one_in_the_sum(z):
    e = np.exp(z)
    return e / (1 + e.sum())


def softmax_over_the_norm(z):
    e = np.exp(z)
    return e / np.linalg.norm(e)


def softmax_rounded(z):
    e = np.exp(z)
    return np.round(e / e.sum(), 2)


def softmax_in_float16(z):
    e = np.exp(z).astype(np.float16)
    return e / e.sum()


def softmax_with_math_exp(z):
    exps = math.exp(z)
    return exps / np.sum(exps)


def stable_minus_the_mean(z):
    e = np.exp(z - z.mean(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def stable_indexed_as_a_batch(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)[:, None]


def stable_with_python_and(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    safe = shifted if (shifted <= 0 and shifted > -1e9) else shifted
    e = np.exp(safe)
    return e / e.sum(axis=-1, keepdims=True)


def stable_minus_largest_size(z):
    e = np.exp(z - np.abs(z).max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- 02: count_params, build_model, my_dense


def count_params_as_str(layer_sizes):
    total = sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=False))
    return str(total)


def count_params_added_sizes(layer_sizes):
    return sum(a + b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=False))


def count_params_weights_and_biases_apart(layer_sizes):
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:], strict=False))
    return sum(a * b for a, b in pairs), sum(b for _, b in pairs)


def build_model_reversed(cfg):
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(u, activation=cfg.hidden_activation) for u in reversed(cfg.hidden_units)]
    return keras.Sequential([*layers, keras.layers.Dense(cfg.n_classes)])


def build_model_with_flatten(cfg):
    layers = [keras.Input(shape=(784,)), keras.layers.Flatten()]
    layers += [keras.layers.Dense(u, activation=cfg.hidden_activation) for u in cfg.hidden_units]
    return keras.Sequential([*layers, keras.layers.Dense(cfg.n_classes)])


def build_model_layer_class(cfg):
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(u, activation=cfg.hidden_activation) for u in cfg.hidden_units]
    return keras.Sequential([*layers, keras.layers.Dense])


def dense_w_first(a_in, W, b, g):
    return g(W @ a_in + b)


def dense_bias_summed(a_in, W, b, g):
    return g(a_in @ W + b.sum())


def dense_first_row(a_in, W, b, g):
    return g(a_in @ W + b)[0]


def dense_summed_over_batch(a_in, W, b, g):
    return g(np.sum(a_in @ W + b, axis=0))


# ---------------------------------------------------------------- 03: the loss, its gradient, dense_backward, gd_step


def _log_probabilities(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy_in_bits(logits, y):
    return float(-np.mean(_log_probabilities(logits)[np.arange(len(y)), y]) / np.log(2))


def cross_entropy_labels_shifted(logits, y):
    return float(-np.mean(_log_probabilities(logits)[np.arange(len(y)), y - 1]))


def cross_entropy_in_an_array(logits, y):
    return np.array([-np.mean(_log_probabilities(logits)[np.arange(len(y)), y])])


def cross_entropy_one_logsumexp(logits, y):
    top = logits.max()
    lse = top + np.log(np.exp(logits - top).sum())
    return float(np.mean(lse - logits[np.arange(len(y)), y]))


def cross_entropy_over_all(logits, y):
    losses = -_log_probabilities(logits)[np.arange(len(y)), y]
    return float(losses.sum() / logits.size)


def grad_softmax_of_the_batch(logits, y):
    p = np.exp(logits - logits.max())
    p = p / p.sum()
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def grad_one_hot_over_m(logits, y):
    p = np.exp(_log_probabilities(logits))
    return p - np.eye(logits.shape[1])[y] / len(y)


def grad_true_class_only(logits, y):
    p = np.exp(_log_probabilities(logits))
    return (p[np.arange(len(y)), y] - 1) / len(y)


def grad_labels_shifted(logits, y):
    p = np.exp(_log_probabilities(logits))
    p[np.arange(len(y)), (y + 1) % logits.shape[1]] -= 1
    return p / len(y)


def backward_db_keepdims(a_in, W, dz):
    return a_in.T @ dz, dz.sum(axis=0, keepdims=True), dz @ W.T


def backward_dw_transposed(a_in, W, dz):
    return (a_in.T @ dz).T, dz.sum(axis=0), dz @ W.T


def backward_da_transposed(a_in, W, dz):
    return a_in.T @ dz, dz.sum(axis=0), W @ dz.T


def backward_db_of_everything(a_in, W, dz):
    return a_in.T @ dz, dz.sum(), dz @ W.T


def backward_two_only(a_in, W, dz):
    return a_in.T @ dz, dz.sum(axis=0)


def gd_step_double_loop(params, grads, learning_rate):
    return [p - learning_rate * g for p in params for g in grads]


def gd_step_tensorflow(params, grads, learning_rate):
    return [tf.subtract(p, learning_rate * g) for p, g in zip(params, grads, strict=True)]


def gd_step_global_rate(params, grads, learning_rate):
    rate = 0.1
    return [p - rate * g for p, g in zip(params, grads, strict=True)]


def gd_step_whole_lists(params, grads, learning_rate):
    return params - learning_rate * grads


def gd_step_halved(params, grads, learning_rate):
    return [p - learning_rate * g / 2 for p, g in zip(params, grads, strict=True)]


# ---------------------------------------------------------------- 04: compile_model, train_step


def compile_rate_by_key(model, cfg):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg["learning_rate"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def compile_optimizer_class(model, cfg):
    model.compile(
        optimizer=keras.optimizers.Adam,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def compile_mae_metric(model, cfg):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["mae"],
    )
    return model


def train_step_gradients_over_m(model, optimizer, x, y):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip([g / len(x) for g in grads], model.trainable_variables, strict=True))
    return float(loss)


def train_step_first_layer_only(model, optimizer, x, y):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    variables = model.layers[0].trainable_variables
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables, strict=True))
    return float(loss)


# ---------------------------------------------------------------- 05: my_confusion_matrix, predict_digit


def confusion_every_pair(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=int)
    for t in y_true:
        for p in y_pred:
            cm[t, p] += 1
    return cm


def confusion_true_against_itself(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=int)
    for t, _ in zip(y_true, y_pred, strict=True):
        cm[t, t] += 1
    return cm


def confusion_fractions_of_all(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes))
    for t, p in zip(y_true, y_pred, strict=True):
        cm[t, p] += 1
    return cm / len(y_true)


def confusion_one_based(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        cm[t - 1, p - 1] += 1
    return cm


def predict_digit_one_based(model, image):
    probs = _softmax(np.asarray(model(image.reshape(1, 784)))[0])
    return int(np.argmax(probs)) + 1, probs


def predict_digit_column(model, image):
    probs = _softmax(np.asarray(model(image.reshape(784, 1)))[0])
    return int(np.argmax(probs)), probs


def predict_digit_least_likely(model, image):
    probs = _softmax(np.asarray(model(image.reshape(1, 784)))[0])
    return int(np.argmin(probs)), probs


WALK = {
    # 01
    "softmax-exp-of-sum": Wrong(check_softmax, softmax_over_exp_of_sum, "exp of the sum", "01_softmax"),
    "softmax-one-plus-sum": Wrong(check_softmax, softmax_plus_one_in_the_sum, "added 1 to the sum", "01_softmax"),
    "softmax-over-norm": Wrong(check_softmax, softmax_over_the_norm, "norm", "01_softmax"),
    "softmax-rounded": Wrong(check_softmax, softmax_rounded, "rounded to 2 decimals", "01_softmax"),
    "softmax-float16": Wrong(check_softmax, softmax_in_float16, "float16", "01_softmax"),
    "softmax-math-exp": Wrong(check_softmax, softmax_with_math_exp, "np.exp", "01_softmax"),
    "stable-minus-mean": Wrong(check_stable_softmax, stable_minus_the_mean, "subtracted the mean", "01_softmax"),
    "stable-batch-index": Wrong(
        check_stable_softmax, stable_indexed_as_a_batch, "keepdims=True keeps it an array", "01_softmax"
    ),
    "stable-python-and": Wrong(check_stable_softmax, stable_with_python_and, "element-wise", "01_softmax"),
    "stable-abs-max": Wrong(check_stable_softmax, stable_minus_largest_size, "largest absolute value", "01_softmax"),
    # 02
    "count-str": Wrong(check_count_params, count_params_as_str, "a string", "02_model"),
    "count-added-sizes": Wrong(check_count_params, count_params_added_sizes, "n_in × n_out", "02_model"),
    "count-pair": Wrong(check_count_params, count_params_weights_and_biases_apart, "add up to the answer", "02_model"),
    "model-reversed": Wrong(check_model, build_model_reversed, "reverse order", "02_model"),
    "model-flatten": Wrong(check_model, build_model_with_flatten, "Flatten", "02_model"),
    "model-layer-class": Wrong(check_model, build_model_layer_class, "call the class", "02_model"),
    "dense-w-first": Wrong(check_dense, dense_w_first, "inner sizes", "02_model"),
    "dense-bias-summed": Wrong(check_dense, dense_bias_summed, "its own bias", "02_model"),
    "dense-first-row": Wrong(check_dense, dense_first_row, "first example", "02_model"),
    "dense-summed": Wrong(check_dense, dense_summed_over_batch, "keep one row per example", "02_model"),
    # 03
    "ce-bits": Wrong(check_cross_entropy, cross_entropy_in_bits, "log2", "03_gradients"),
    "ce-labels-shifted": Wrong(check_cross_entropy, cross_entropy_labels_shifted, "shifted the labels", "03_gradients"),
    "ce-array": Wrong(check_cross_entropy, cross_entropy_in_an_array, "extra axis", "03_gradients"),
    "ce-one-logsumexp": Wrong(check_cross_entropy, cross_entropy_one_logsumexp, "whole batch", "03_gradients"),
    "ce-over-all": Wrong(check_cross_entropy, cross_entropy_over_all, "a factor of 1/K", "03_gradients"),
    "grad-batch-softmax": Wrong(
        check_softmax_cross_entropy_grad, grad_softmax_of_the_batch, "whole batch", "03_gradients"
    ),
    "grad-one-hot-over-m": Wrong(
        check_softmax_cross_entropy_grad, grad_one_hot_over_m, "whole difference", "03_gradients"
    ),
    "grad-true-class": Wrong(check_softmax_cross_entropy_grad, grad_true_class_only, "true class", "03_gradients"),
    "grad-labels-shifted": Wrong(
        check_softmax_cross_entropy_grad, grad_labels_shifted, "the one-hot part is not", "03_gradients"
    ),
    "backward-db-keepdims": Wrong(check_dense_backward, backward_db_keepdims, "extra axis", "03_gradients"),
    "backward-dw-transposed": Wrong(check_dense_backward, backward_dw_transposed, "transposed", "03_gradients"),
    "backward-da-transposed": Wrong(check_dense_backward, backward_da_transposed, "transposed", "03_gradients"),
    "backward-db-all": Wrong(check_dense_backward, backward_db_of_everything, "over the batch axis", "03_gradients"),
    "backward-two": Wrong(check_dense_backward, backward_two_only, "2 arrays", "03_gradients"),
    "gd-double-loop": Wrong(check_gd_step, gd_step_double_loop, "every gradient", "03_gradients"),
    "gd-tensorflow": Wrong(check_gd_step, gd_step_tensorflow, "TensorFlow", "03_gradients"),
    "gd-global-rate": Wrong(check_gd_step, gd_step_global_rate, "another rate", "03_gradients"),
    "gd-whole-lists": Wrong(check_gd_step, gd_step_whole_lists, "pair by pair", "03_gradients"),
    "gd-halved": Wrong(check_gd_step, gd_step_halved, "a factor of 1/2", "03_gradients"),
    # 04
    "compile-rate-by-key": Wrong(check_compile, compile_rate_by_key, "with a dot", "04_training"),
    "compile-optimizer-class": Wrong(check_compile, compile_optimizer_class, "call the class", "04_training"),
    "compile-mae": Wrong(check_compile, compile_mae_metric, "metrics=['accuracy']", "04_training"),
    "train-over-m": Wrong(check_train_step, train_step_gradients_over_m, "1/m", "04_training"),
    "train-first-layer": Wrong(check_train_step, train_step_first_layer_only, "only some", "04_training"),
    # 05
    "cm-every-pair": Wrong(check_confusion_matrix, confusion_every_pair, "every prediction", "05_evaluation"),
    "cm-true-twice": Wrong(check_confusion_matrix, confusion_true_against_itself, "against itself", "05_evaluation"),
    "cm-fractions": Wrong(check_confusion_matrix, confusion_fractions_of_all, "a factor of 1/n", "05_evaluation"),
    "cm-one-based": Wrong(check_confusion_matrix, confusion_one_based, "no - 1", "05_evaluation"),
    "digit-one-based": Wrong(check_predict_digit, predict_digit_one_based, "numbered from 0", "05_evaluation"),
    "digit-column": Wrong(check_predict_digit, predict_digit_column, "(1, 784)", "05_evaluation"),
    "digit-argmin": Wrong(check_predict_digit, predict_digit_least_likely, "lowest probability", "05_evaluation"),
}


@cache
def solution_lines(notebook: str) -> frozenset[str]:
    """The lines the solved notebook writes between START and END markers (the answers), stripped."""
    lines, inside = set(), False
    for source in code_cells(notebook):
        for line in source.splitlines():
            text = line.strip()
            inside = (inside or text == START) and text != END
            if inside and len(text) >= 12 and not text.startswith(("#", "return")):
                lines.add(text)
    return frozenset(lines)


def message_of(wrong: Wrong) -> str:
    """The failure's message without the learner's own line of code ("  at Cell In[5], line 3, ..."), its lines
    joined as one text (a phrase may be broken across two lines)."""
    args = (lambda x: x,) if wrong.check is check_predict_digit else ()
    return failure_text(wrong.check, wrong.fn, *args)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", WALK)
def test_a_wrong_answer_is_told_its_cause_without_the_solution(name):
    wrong = WALK[name]
    message = message_of(wrong)
    assert wrong.cause in message, message
    assert not [line for line in solution_lines(wrong.notebook) if line in message]
    assert not [word for word in INTERNALS if word in message]
