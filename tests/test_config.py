"""LabConfig holds the lab's values and refuses unusable ones when it is made."""

import dataclasses
import json

import pytest

from lab_utils.config import LabConfig
from lab_utils.errors import ConfigError, LabError


def test_defaults_are_the_labs_values():
    cfg = LabConfig()
    assert cfg.hidden_units == (25, 15)
    assert cfg.hidden_activation == "relu"
    assert cfg.n_classes == 10
    assert cfg.output_activation == "linear"
    assert cfg.learning_rate == 1e-3
    assert cfg.batch_size == 32
    assert cfg.epochs == 40
    assert cfg.dataset == "mnist-5k"
    assert cfg.data_path is None


def test_layer_sizes_run_from_pixels_to_classes():
    assert LabConfig().layer_sizes == [784, 25, 15, 10]
    assert LabConfig(hidden_units=(128, 64)).layer_sizes == [784, 128, 64, 10]


def test_hidden_units_given_as_a_list_are_stored_as_a_tuple():
    cfg = LabConfig(hidden_units=[32, 16])
    assert cfg.hidden_units == (32, 16)
    assert hash(cfg) == hash(LabConfig(hidden_units=(32, 16)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hidden_units", (25, 0)),
        ("hidden_units", (25, -3)),
        ("hidden_units", (2.5,)),
        ("hidden_units", 25),
        ("hidden_activation", "softmaxx"),
        ("output_activation", "softmax"),
        ("n_classes", 1),
        ("learning_rate", -1.0),
        ("learning_rate", 0),
        ("learning_rate", float("nan")),
        ("learning_rate", "0.001"),
        ("batch_size", 0),
        ("batch_size", 32.0),
        ("epochs", 0),
        ("epochs", True),
        ("validation_fraction", 1.0),
        ("validation_fraction", -0.1),
        ("seed", -1),
        ("seed", 2**32),
        ("dataset", "foo"),
        ("lr_schedule", "step"),
    ],
)
def test_a_bad_value_raises_config_error_naming_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        LabConfig(**{field: value})


def test_config_error_is_a_lab_error_and_a_value_error():
    with pytest.raises(LabError):
        LabConfig(epochs=-1)
    with pytest.raises(ValueError):
        LabConfig(epochs=-1)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        LabConfig().epochs = 3


def test_replace_returns_a_changed_copy_and_leaves_the_original():
    cfg = LabConfig()
    changed = cfg.replace(epochs=5, hidden_units=(8,))
    assert (changed.epochs, changed.hidden_units) == (5, (8,))
    assert (cfg.epochs, cfg.hidden_units) == (40, (25, 15))


def test_replace_checks_the_new_values():
    with pytest.raises(ConfigError, match="batch_size"):
        LabConfig().replace(batch_size=-4)


def test_replace_rejects_an_unknown_setting():
    with pytest.raises(ConfigError, match="learning_rat"):
        LabConfig().replace(learning_rat=0.1)


def test_to_dict_is_json_ready_and_round_trips():
    cfg = LabConfig(hidden_units=(64, 32), seed=7, dataset="mnist", data_path="data/mnist.npz")
    values = json.loads(json.dumps(cfg.to_dict()))
    assert values["hidden_units"] == [64, 32]
    assert LabConfig(**values) == cfg
