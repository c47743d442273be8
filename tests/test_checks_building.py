"""Specification of the notebook-02 checks: check_count_params, check_model and check_dense."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lab_utils import model as reference
from lab_utils.checks import CheckFailure, check_count_params, check_dense, check_model


def count_by_index(layer_sizes):
    total = 0
    for i in range(1, len(layer_sizes)):
        total += layer_sizes[i - 1] * layer_sizes[i] + layer_sizes[i]
    return total


def count_recursive(layer_sizes):
    if len(layer_sizes) < 2:
        return 0
    return (layer_sizes[0] + 1) * layer_sizes[1] + count_recursive(layer_sizes[1:])


def count_vectorized(layer_sizes):
    sizes = np.array(layer_sizes)
    return np.sum(sizes[:-1] * sizes[1:] + sizes[1:])  # a NumPy integer is a whole number too


@pytest.mark.parametrize(
    "count_params",
    [
        pytest.param(lambda s: sum(a * b + b for a, b in zip(s[:-1], s[1:], strict=True)), id="zip"),
        pytest.param(count_by_index, id="index-loop"),
        pytest.param(count_recursive, id="recursive"),
        pytest.param(count_vectorized, id="numpy"),
    ],
)
def test_check_count_params_accepts_correct_implementations(count_params, capsys):
    check_count_params(count_params)
    assert "✓ check_count_params passed" in capsys.readouterr().out


def pairs(sizes):
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def popping(layer_sizes):
    total, previous = 0, layer_sizes.pop(0)
    for units in layer_sizes:
        total, previous = total + previous * units + units, units
    return total


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(lambda s: sum(a * b for a, b in pairs(s)), "forgot the biases", id="forgot-biases"),
        pytest.param(lambda s: sum(a * b + a for a, b in pairs(s)), "per output unit", id="bias-per-input"),
        pytest.param(lambda s: sum(a * b + b for a, b in pairs(s)) + s[0], "input layer", id="input-biases"),
        pytest.param(
            lambda s: sum(s[i] * s[i + 1] + s[i + 1] for i in range(len(s) - 2)), "one layer early", id="off-by-one"
        ),
        pytest.param(lambda s: sum(a * b + b for a, b in pairs(s)[1:]), "skips the first", id="skipped-first-layer"),
        pytest.param(lambda s: int(np.prod(s)), "multiplied all the sizes", id="product-of-sizes"),
        pytest.param(sum, "counted units", id="counted-units"),
        pytest.param(lambda s: 20175, "hard-coded 20,175", id="hard-coded"),
        pytest.param(lambda s: [a * b + b for a, b in pairs(s)], "add up to the answer", id="returned-per-layer-list"),
        pytest.param(lambda s: float(count_by_index(s)), "not a float", id="returned-float"),
        pytest.param(popping, "mutated the input", id="mutated-input"),
    ],
)
def test_check_count_params_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_count_params(wrong)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 1000), min_size=2, max_size=6))
def test_check_count_params_accepts_the_reference_and_rejects_forgotten_biases_for_any_network(sizes):
    check_count_params(count_by_index, cases=[sizes])
    with pytest.raises(CheckFailure, match="forgot the biases"):
        check_count_params(lambda s: sum(a * b for a, b in pairs(s)), cases=[sizes])


def dense_stack(cfg, hidden=None, output="linear", **dense_options):
    hidden = hidden or cfg.hidden_activation
    layers = [keras.layers.Dense(units, activation=hidden, **dense_options) for units in cfg.hidden_units]
    return [*layers, keras.layers.Dense(cfg.n_classes, activation=output, **dense_options)]


def sequential_with_add(cfg):
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    for units in cfg.hidden_units:
        model.add(keras.layers.Dense(units, activation=cfg.hidden_activation))
    model.add(keras.layers.Dense(10))
    return model


def separate_activation_layers(cfg):
    layers = [keras.Input(shape=(784,))]
    for units in cfg.hidden_units:
        layers += [keras.layers.Dense(units), keras.layers.Activation(cfg.hidden_activation)]
    return keras.Sequential([*layers, keras.layers.Dense(10)])


def functional(cfg):
    inputs = keras.Input(shape=(784,))
    x = inputs
    for units in cfg.hidden_units:
        x = keras.layers.Dense(units, activation=cfg.hidden_activation)(x)
    return keras.Model(inputs, keras.layers.Dense(cfg.n_classes)(x))


def input_shape_argument(cfg):
    first, *rest = cfg.hidden_units
    layers = [keras.layers.Dense(first, activation=cfg.hidden_activation, input_shape=(784,))]
    layers += [keras.layers.Dense(units, activation=cfg.hidden_activation) for units in rest]
    return keras.Sequential([*layers, keras.layers.Dense(10, activation="linear")])


@pytest.mark.parametrize(
    "build_model",
    [
        pytest.param(lambda cfg: keras.Sequential([keras.Input(shape=(784,)), *dense_stack(cfg)]), id="list"),
        pytest.param(sequential_with_add, id="add-in-a-loop"),
        pytest.param(
            input_shape_argument,
            id="input-shape-argument",
            marks=pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`"),
        ),
    ],
)
def test_check_model_accepts_correct_implementations(build_model, capsys):
    check_model(build_model)
    assert "✓ check_model passed" in capsys.readouterr().out


def with_input(layers, shape=(784,)):
    return keras.Sequential([keras.Input(shape=shape), *layers])


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(
            lambda cfg: with_input(
                [keras.layers.Dense(25, "relu"), keras.layers.Dense(15, "relu"), keras.layers.Dense(10)]
            ),
            "hard-coded the layer sizes",
            id="hard-coded-25-15",
        ),
        pytest.param(
            lambda cfg: with_input(dense_stack(cfg, output="softmax")),
            "softmax in the output layer",
            id="softmax-output",
        ),
        pytest.param(
            lambda cfg: with_input(dense_stack(cfg, hidden="linear")), "hidden layers use 'linear'", id="no-activation"
        ),
        pytest.param(
            lambda cfg: with_input(dense_stack(cfg, hidden="sigmoid")), "use cfg.hidden_activation", id="sigmoid-hidden"
        ),
        pytest.param(
            lambda cfg: with_input(dense_stack(cfg, hidden="relu")), "rather than writing 'relu'", id="hard-coded-relu"
        ),
        pytest.param(separate_activation_layers, "Dense layers only", id="separate-activation-layers"),
        pytest.param(functional, "keras.Sequential", id="functional-api"),
        pytest.param(lambda cfg: with_input(dense_stack(cfg, output="relu")), "must be linear", id="relu-output"),
        pytest.param(lambda cfg: keras.Sequential(dense_stack(cfg)), "keras.Input", id="no-input"),
        pytest.param(
            lambda cfg: with_input([keras.layers.Flatten(), *dense_stack(cfg)], shape=(28, 28)),
            "flat images",
            id="image-shaped-input",
        ),
        pytest.param(
            lambda cfg: with_input([keras.layers.Dense(cfg.hidden_units[0], "relu"), keras.layers.Dense(10)]),
            "one Dense layer per entry",
            id="only-first-hidden-size",
        ),
        pytest.param(
            lambda cfg: with_input([*dense_stack(cfg)[:-1], keras.layers.Dense(1)]),
            "output units",
            id="one-output-unit",
        ),
        pytest.param(lambda cfg: dense_stack(cfg), "wrap the layers", id="returned-list-of-layers"),
        pytest.param(lambda cfg: with_input(dense_stack(cfg, use_bias=False)), "use_bias", id="no-biases"),
    ],
)
def test_check_model_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure) as failure:
        check_model(wrong)
    assert re.search(hint, " ".join(str(failure.value).split()))  # a hint may be broken over lines


def relu(z):
    return np.maximum(z, 0)


def dense_units_loop(a_in, W, b, g):
    a_out = np.zeros((a_in.shape[0], W.shape[1]))
    for j in range(W.shape[1]):
        a_out[:, j] = g(a_in @ W[:, j] + b[j])
    return a_out


def dense_examples_loop(a_in, W, b, g):
    return np.array([[g(np.dot(x, W[:, j]) + b[j]) for j in range(W.shape[1])] for x in a_in])


@pytest.mark.parametrize(
    "my_dense",
    [
        pytest.param(lambda a_in, W, b, g: g(a_in @ W + b), id="matmul-operator"),
        pytest.param(lambda a_in, W, b, g: g(np.matmul(a_in, W) + b), id="np-matmul"),
        pytest.param(lambda a_in, W, b, g: g(np.einsum("mi,io->mo", a_in, W) + b), id="einsum"),
        pytest.param(dense_units_loop, id="loop-over-units"),
        pytest.param(dense_examples_loop, id="loop-over-examples-and-units"),
    ],
)
def test_check_dense_accepts_correct_implementations(my_dense, capsys):
    check_dense(my_dense)
    assert "✓ check_dense passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(lambda a_in, W, b, g: a_in @ W + b, "forgot to apply the activation", id="forgot-g"),
        pytest.param(lambda a_in, W, b, g: g(a_in @ W), "forgot to add the bias", id="forgot-b"),
        pytest.param(lambda a_in, W, b, g: g(a_in @ W) + b, "before adding b", id="g-before-b"),
        pytest.param(lambda a_in, W, b, g: g(a_in @ W.T + b), "you used W.T", id="transposed-W"),
        pytest.param(lambda a_in, W, b, g: g(a_in @ W - b), "subtracted b", id="subtracted-b"),
        pytest.param(lambda a_in, W, b, g: g(a_in[0] @ W + b), "first example", id="only-first-example"),
        pytest.param(lambda a_in, W, b, g: g(W.T @ a_in.T + b[:, None]), "transposed", id="transposed-result"),
        pytest.param(
            lambda a_in, W, b, g: [list(row) for row in g(a_in @ W + b)], "returned a list", id="returned-list"
        ),
        pytest.param(lambda a_in, W, b, g: tf.matmul(a_in, W) + b, "TensorFlow", id="used-tf"),
    ],
)
def test_check_dense_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_dense(wrong)


def test_check_dense_hints_at_w_transposed_when_shapes_are_square():
    square = (np.eye(3), np.arange(9.0).reshape(3, 3), np.zeros(3), relu)
    with pytest.raises(CheckFailure, match="you used W.T"):
        check_dense(lambda a_in, W, b, g: g(a_in @ W.T + b), cases=[square])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6), st.data())
def test_check_dense_accepts_the_reference_for_any_shapes(m, n_in, n_out, data):
    floats = st.floats(-10, 10)
    a_in = data.draw(hnp.arrays(np.float64, (m, n_in), elements=floats))
    W = data.draw(hnp.arrays(np.float64, (n_in, n_out), elements=floats))
    b = data.draw(hnp.arrays(np.float64, (n_out,), elements=floats))
    check_dense(lambda a, w, bias, g: g(a @ w + bias), cases=[(a_in, W, b, relu)])


def test_check_model_rejects_the_labs_own_build_model():
    with pytest.raises(CheckFailure, match="the lab's own build_model"):
        check_model(reference.build_model)
