"""Specification of the hints for the mistakes learners make with TensorFlow and NumPy in notebooks 03 and 04
(issue 22): each message names the real cause, shows the learner's own line when their code raised, and its
hint points at the idea without pasting the solution's code (read from the solved notebooks)."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from lab_utils.checks import (
    CheckFailure,
    NotImplementedYet,
    check_compile,
    check_dense_backward,
    check_gd_step,
    check_softmax,
    check_softmax_cross_entropy_grad,
    check_stable_softmax,
    check_train_step,
)
from lab_utils.checks.messages import WIDTH, a_kind, fail, show, without_internals

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def solution_lines(notebook: str) -> list[str]:
    """The lines between the solved notebook's solution markers, stripped (the code a hint must not paste)."""
    cells = json.loads((SOLUTIONS / f"{notebook}.ipynb").read_text())["cells"]
    lines, inside = [], False
    for cell in cells:
        for line in "".join(cell["source"]).splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside and len(line.strip()) > 8:
                lines.append(line.strip().rstrip(","))
    return lines


def failure_of(check, fn) -> str:
    with pytest.raises(CheckFailure) as failure:
        check(fn)
    assert not isinstance(failure.value, NotImplementedYet)
    return str(failure.value)


def hint_of(message: str, notebook: str) -> str:
    """The hint of a failure message, asserted free of the solution's code."""
    assert "hint:" in message, message
    hint = " ".join(message.split("hint:", 1)[1].split())
    assert not [line for line in solution_lines(notebook) if line in hint], hint
    return hint


def step(loss=lambda model, x, y: LOSS(y, model(x, training=True)), grads=None, apply=None):
    """A train_step with one part replaced: the loss inside the tape, the gradients taken, their application."""

    def train_step(model, optimizer, x, y):
        with tf.GradientTape() as tape:
            loss_value = loss(model, x, y)
        g = grads(tape, loss_value, model) if grads else tape.gradient(loss_value, model.trainable_variables)
        if apply:
            apply(optimizer, g, model)
        else:
            optimizer.apply_gradients(zip(g, model.trainable_variables, strict=True))
        return float(loss_value)

    return train_step


def as_numpy_logits(model, x, y):
    z = np.asarray(model(x, training=True))
    return LOSS(y, z)


def numpy_loss(model, x, y):
    z = np.asarray(model(x, training=True), dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y])


# ---------------------------------------------------------------- compile_model


def test_compile_with_a_summed_loss_is_told_the_loss_is_a_mean_not_to_use_the_loss_it_uses():
    def compile_model(model, cfg):
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
        model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss=loss, metrics=["accuracy"])
        return model

    hint = hint_of(failure_of(check_compile, compile_model), "04_training")
    assert "mean over the batch, not the sum" in hint
    assert "reduction" in hint


# ---------------------------------------------------------------- train_step: losing the tape


@pytest.mark.parametrize(
    "loss",
    [
        pytest.param(lambda model, x, y: LOSS(y, model.predict(x, verbose=0)), id="model-predict"),
        pytest.param(lambda model, x, y: LOSS(y, model(x, training=True).numpy()), id="numpy-method"),
        pytest.param(as_numpy_logits, id="np-asarray-of-the-logits"),
    ],
)
def test_numpy_logits_inside_the_tape_are_told_the_tape_cannot_see_numpy(loss):
    hint = hint_of(failure_of(check_train_step, step(loss)), "04_training")
    assert "NumPy" in hint
    assert "model.predict" in hint and ".numpy()" in hint


def test_a_loss_computed_with_numpy_is_told_the_tape_differentiates_only_tensorflow():
    message = failure_of(check_train_step, step(numpy_loss))
    assert "tape.gradient(loss_value" in message  # the learner's own line
    hint = hint_of(message, "04_training")
    assert "NumPy number" in hint and "only differentiate TensorFlow" in hint


def test_the_variables_and_loss_given_to_tape_gradient_in_reverse_are_told_its_order():
    hint = hint_of(
        failure_of(
            check_train_step, step(grads=lambda tape, loss, model: tape.gradient(model.trainable_variables, loss))
        ),
        "04_training",
    )
    assert "the loss first, then the list of variables" in hint


# ---------------------------------------------------------------- train_step: pairs and argument orders


@pytest.mark.parametrize(
    "apply",
    [
        pytest.param(
            lambda opt, g, model: opt.apply_gradients(zip(model.trainable_variables, g, strict=True)),
            id="variables-first",
        ),
        pytest.param(lambda opt, g, model: opt.apply_gradients(g), id="gradients-without-variables"),
        pytest.param(lambda opt, g, model: opt.apply_gradients(g, model.trainable_variables), id="two-lists-not-pairs"),
    ],
)
def test_apply_gradients_without_gradient_variable_pairs_is_told_about_the_pairs(apply):
    message = failure_of(check_train_step, step(apply=apply))
    assert "opt.apply_gradients(" in message  # the learner's own line
    assert "(gradient, variable) pair" in hint_of(message, "04_training")


@pytest.mark.parametrize(
    "loss",
    [
        pytest.param(lambda model, x, y: LOSS(model(x, training=True), y), id="loss-object"),
        pytest.param(
            lambda model, x, y: keras.losses.sparse_categorical_crossentropy(model(x), y, from_logits=True),
            id="loss-function",
        ),
        pytest.param(
            lambda model, x, y: tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(model(x), y)),
            id="tf-nn",
        ),
    ],
)
def test_a_loss_given_logits_and_labels_in_reverse_is_told_the_order(loss):
    message = failure_of(check_train_step, step(loss))
    assert "model(x" in message  # the learner's own line
    assert "true labels first" in hint_of(message, "04_training")


def test_one_hot_labels_in_the_sparse_loss_are_told_the_labels_are_integers():
    hint = hint_of(
        failure_of(check_train_step, step(lambda model, x, y: LOSS(tf.one_hot(y, 3), model(x)))), "04_training"
    )
    assert "not one-hot" in hint


def test_the_last_layers_gradients_zipped_with_all_variables_are_told_the_pairs_do_not_match():
    last = step(
        grads=lambda tape, loss, model: tape.gradient(loss, model.layers[-1].trainable_variables),
        apply=lambda opt, g, model: opt.apply_gradients(zip(g, model.trainable_variables, strict=False)),
    )
    message = failure_of(check_train_step, last)
    assert "function_node" not in message.split("hint:", 1)[1]
    assert "paired with a variable of another shape" in hint_of(message, "04_training")


def test_gradients_of_only_some_variables_are_told_only_some_weights_moved():
    def first_layer(opt, g, model):
        opt.apply_gradients(zip(g, model.layers[0].trainable_variables, strict=True))

    some = step(
        grads=lambda tape, loss, model: tape.gradient(loss, model.layers[0].trainable_variables), apply=first_layer
    )
    assert "only some of the weights moved" in hint_of(failure_of(check_train_step, some), "04_training")


def test_a_loss_per_example_turned_into_a_float_is_told_the_loss_is_one_mean():
    per_example = step(lambda model, x, y: keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True))
    assert "a single number" in hint_of(failure_of(check_train_step, per_example), "04_training")


def test_a_returned_tensor_is_named_a_tensorflow_tensor_with_its_article():
    def tensor_step(model, optimizer, x, y):
        with tf.GradientTape() as tape:
            loss = LOSS(y, model(x, training=True))
        optimizer.apply_gradients(
            zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True)
        )
        return loss

    assert "got:      a TensorFlow tensor (EagerTensor)" in failure_of(check_train_step, tensor_step)


# ---------------------------------------------------------------- notebook 03


def test_gd_step_stacking_params_into_one_array_is_told_their_shapes_differ():
    def gd_step(params, grads, learning_rate):
        return np.array(params) - learning_rate * np.array(grads)

    message = failure_of(check_gd_step, gd_step)
    assert "np.array(params)" in message  # the learner's own line
    hint = hint_of(message, "03_gradients")
    assert "different shapes" in hint and "cannot stack" in hint


def test_gd_step_on_the_lists_themselves_is_told_to_work_pair_by_pair():
    def gd_step(params, grads, learning_rate):
        return params - learning_rate * grads

    assert "pair by pair" in hint_of(failure_of(check_gd_step, gd_step), "03_gradients")


@pytest.mark.parametrize(
    "max_axis, sum_axis",
    [pytest.param(0, 0, id="softmax-over-axis-0"), pytest.param(1, 0, id="only-the-sum-over-axis-0")],
)
def test_a_gradient_with_softmax_over_the_batch_is_told_each_row_sums_over_its_classes(max_axis, sum_axis):
    def softmax_cross_entropy_grad(logits, y):
        e = np.exp(logits - logits.max(axis=max_axis, keepdims=True))
        p = e / e.sum(axis=sum_axis, keepdims=True)
        p[np.arange(len(y)), y] -= 1
        return p / len(y)

    hint = hint_of(failure_of(check_softmax_cross_entropy_grad, softmax_cross_entropy_grad), "03_gradients")
    assert "each row" in hint and "classes" in hint


# ---------------------------------------------------------------- display


@pytest.mark.parametrize(
    "type_, shown",
    [
        ("tensorflow.python.framework.ops.EagerTensor", "a TensorFlow tensor (EagerTensor)"),
        ("builtins.int", "an int"),
        ("builtins.list", "a list"),
        ("numpy.ndarray", "a NumPy array"),
    ],
)
def test_a_type_is_named_with_the_article_that_fits(type_, shown):
    assert a_kind(type_) == shown


def test_a_stub_is_shown_without_a_stray_mark_before_its_name():
    rendered = NotImplementedYet("train_step is not implemented yet")._render_traceback_()
    assert "NotImplementedYet: train_step" in rendered[0]
    assert "…" not in rendered[0]


def test_a_long_array_is_broken_between_numbers_never_inside_one():
    values = np.round(np.linspace(-0.99, 2047.0, 24).reshape(4, 6), 4)
    with pytest.raises(CheckFailure) as failure:
        fail("f", "a case", values, -values)
    lines = str(failure.value).splitlines()
    assert all(len(line) <= WIDTH for line in lines)
    shown = [line for line in lines[1:] if not line.startswith("  hint:")]  # the relation's words, not numbers
    tokens = " ".join(shown).replace("expected:", " ").replace("got:", " ").split()
    numbers = [float(n) for n in (token.strip("[],") for token in tokens) if n]
    assert np.allclose(numbers, [*values.ravel(), *(-values).ravel()], rtol=1e-3)


# ---------------------------------------------------------------- found working through 01-05 as a learner


def test_softmax_divided_by_the_mean_of_the_exponentials_is_told_to_divide_by_their_sum():
    hint = hint_of(failure_of(check_softmax, lambda z: np.exp(z) / np.exp(z).mean()), "01_softmax")
    assert "mean of the exponentials" in hint


def test_a_stable_softmax_in_float16_is_told_it_lost_precision():
    def stable_softmax(z):
        e = np.exp((z - z.max(axis=-1, keepdims=True)).astype(np.float16))
        return e / e.sum(axis=-1, keepdims=True)

    assert "float16, which keeps fewer digits" in hint_of(
        failure_of(check_stable_softmax, stable_softmax), "01_softmax"
    )


def test_dense_backward_returning_a_dict_is_told_to_return_a_tuple_and_shows_its_keys():
    message = failure_of(check_dense_backward, lambda a, W, dz: {"dW": a.T @ dz, "db": dz.sum(0), "da_in": dz @ W.T})
    assert "got:      a dict of ['dW', 'db', 'da_in']" in message
    assert "not a dict" in hint_of(message, "03_gradients")


def test_a_gradient_with_the_first_rows_label_in_every_row_is_told_the_one_hot_part_is_wrong():
    def softmax_cross_entropy_grad(logits, y):
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True) - np.eye(logits.shape[1])[y[0]]) / len(y)

    hint = hint_of(failure_of(check_softmax_cross_entropy_grad, softmax_cross_entropy_grad), "03_gradients")
    assert "the one-hot part is not" in hint


def test_compile_with_a_regression_loss_is_told_a_label_is_a_class_without_tensorflow_internals():
    def compile_model(model, cfg):
        model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss="mse", metrics=["accuracy"])
        return model

    message = failure_of(check_compile, compile_model)
    assert "function_node" not in message and "[Op:" not in message
    assert "regression loss" in hint_of(message, "04_training")


def test_a_train_step_on_the_first_example_only_is_told_the_whole_batch_counts():
    first = step(lambda model, x, y: LOSS(y[:1], model(x[:1], training=True)))
    assert "whole batch" in hint_of(failure_of(check_train_step, first), "04_training")


def test_tensorflows_internal_op_names_are_left_out_of_a_message():
    text = "{{function_node __wrapped__Sub_device_/job:localhost}} Incompatible shapes: [4] vs. [4,10] [Op:Sub] name:"
    assert without_internals(text) == "Incompatible shapes: [4] vs. [4,10]"


def test_numpys_padding_inside_an_array_never_becomes_a_line_break():
    values = np.array([-2.9566, -1.1979, 2.13, -0.7451, -0.5091, -0.5696, 0.4393, -5.1617, 2.1279, 0.013])
    with pytest.raises(CheckFailure) as failure:
        fail("predict_digit", "an image", values * 1e-3, values)
    lines = str(failure.value).splitlines()
    assert not [line for line in lines if line.lstrip().startswith((",", "]"))]
    assert not [line for line in lines if line.rstrip().endswith("[")]
    continued = [line for line in lines[1:] if not line.lstrip().startswith(("expected:", "got:", "hint:"))]
    assert all(line.startswith(" " * 12) and line[12] != " " for line in continued)


def test_the_first_line_leaves_room_for_the_name_shown_before_it_and_keeps_names_with_their_values():
    logits = np.array([[2.0, 1.0, 0.1, -3.25], [0.5, 2.5, 0.3, 1.75], [1.0, -1.0, 0.0, 4.5]])
    with pytest.raises(CheckFailure) as failure:
        fail("softmax_cross_entropy_grad", f"logits = {show(logits)}, y = [0, 1, 3]", 0.0, 1.0)
    first, *rest = str(failure.value).splitlines()
    assert len("✗ CheckFailure: " + first) <= WIDTH
    header = " ".join([first, *rest[: rest.index(next(r for r in rest if "expected:" in r))]])
    assert "logits = [[" in header and "y = [0, 1, 3]" in " ".join(header.split())


def torch_style_step(model, optimizer, x, y):
    with tf.GradientTape():
        loss = LOSS(y, model(x, training=True))
    loss.backward()
    return float(loss)


def tape_class_step(model, optimizer, x, y):
    with tf.GradientTape as tape:
        loss = LOSS(y, model(x, training=True))
    optimizer.apply_gradients(
        zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True)
    )
    return float(loss)


@pytest.mark.parametrize(
    "fn, cause",
    [
        pytest.param(torch_style_step, "no loss.backward()", id="loss-backward"),
        pytest.param(tape_class_step, "tf.GradientTape is a class", id="tape-class-not-called"),
        pytest.param(
            step(
                grads=lambda tape, loss, model: [
                    *tape.gradient(loss, model.trainable_variables[:2]),
                    *tape.gradient(loss, model.trainable_variables[2:]),
                ]
            ),
            "a single tape.gradient call",
            id="tape-asked-twice",
        ),
    ],
)
def test_tensorflow_habits_from_elsewhere_are_told_how_tensorflow_does_it(fn, cause):
    assert cause in hint_of(failure_of(check_train_step, fn), "04_training")


def test_gd_step_with_a_rate_of_its_own_is_told_to_use_the_argument():
    def gd_step(params, grads, learning_rate):
        return [p - 0.01 * g for p, g in zip(params, grads, strict=True)]

    assert "another rate than learning_rate" in hint_of(failure_of(check_gd_step, gd_step), "03_gradients")
