"""Shared fixtures: the embedded data set (loaded once) and, where present, full MNIST."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest

from lab_utils.data import KERAS_CACHE, load_mnist

FULL_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist.npz"


@pytest.fixture(scope="session")
def mnist_5k():
    """The embedded data set, loaded once for the whole run."""
    return load_mnist("mnist-5k")


@pytest.fixture(scope="session")
def full_mnist_path():
    """Path of full MNIST: the workspace's copy (../shared/data/mnist.npz) or the Keras cache.

    Tests needing it skip where neither exists; CI has both (.ci/run fills the cache).
    """
    for path in (FULL_MNIST, KERAS_CACHE):
        if path.is_file():
            return path
    pytest.skip(f"full MNIST is neither at {FULL_MNIST} nor in the Keras cache {KERAS_CACHE}")
