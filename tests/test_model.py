"""The reference model: its layers, its loss on logits, and probabilities by softmax afterwards."""

import keras
import numpy as np
import pytest

from lab_utils.config import LabConfig
from lab_utils.model import build_model, predict_logits, predict_proba, softmax


@pytest.fixture(scope="module")
def model():
    return build_model(LabConfig())


def dense_units(model):
    return [layer.units for layer in model.layers]


def test_default_model_is_784_25_15_10(model):
    assert model.input_shape == (None, 784)
    assert dense_units(model) == [25, 15, 10]
    assert [layer.name for layer in model.layers] == ["hidden_1", "hidden_2", "logits"]


def test_default_model_has_20175_parameters(model):
    # (784*25 + 25) + (25*15 + 15) + (15*10 + 10)
    assert model.count_params() == 20_175


def test_configured_architecture_sets_layers_and_parameter_count():
    model = build_model(LabConfig(hidden_units=(128, 64), hidden_activation="tanh"))
    assert dense_units(model) == [128, 64, 10]
    # (784*128 + 128) + (128*64 + 64) + (64*10 + 10)
    assert model.count_params() == 109_386
    assert model.get_layer("hidden_1").activation is keras.activations.tanh


def test_hidden_layers_use_relu_and_the_output_layer_is_linear(model):
    assert model.get_layer("hidden_1").activation is keras.activations.relu
    assert model.get_layer("logits").activation is keras.activations.linear


def test_loss_is_sparse_cross_entropy_on_logits(model):
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)
    assert model.loss.get_config()["from_logits"] is True


def test_optimizer_is_adam_at_the_configured_learning_rate():
    model = build_model(LabConfig(learning_rate=0.01))
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


def test_same_seed_gives_the_same_initial_weights():
    first, again = (build_model(LabConfig(seed=11)).get_weights() for _ in range(2))
    other = build_model(LabConfig(seed=12)).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])


def test_predict_proba_rows_are_probabilities_summing_to_1(model):
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    proba = predict_proba(model, x)
    assert proba.shape == (5, 10)
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def test_predict_proba_is_softmax_of_the_logits(model):
    x = np.random.default_rng(1).random((3, 784), dtype=np.float32)
    logits = predict_logits(model, x).astype(np.float64)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(predict_proba(model, x), expected, rtol=1e-6)


def test_predict_logits_gives_the_same_answer_in_batches(model):
    x = np.random.default_rng(2).random((10, 784), dtype=np.float32)
    np.testing.assert_allclose(predict_logits(model, x, batch_size=4), predict_logits(model, x), atol=1e-5)


def test_softmax_matches_a_hand_computed_case():
    np.testing.assert_allclose(softmax(np.array([0.0, np.log(3.0)])), [0.25, 0.75], rtol=1e-12)


def test_softmax_is_stable_for_huge_logits():
    proba = softmax(np.array([[1000.0, 1000.0 + np.log(3.0)], [-1000.0, -1000.0]]))
    np.testing.assert_allclose(proba, [[0.25, 0.75], [0.5, 0.5]], rtol=1e-12)
