"""Shared fixtures: the embedded data set (loaded once) and, where present, full MNIST."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest

from lab_utils.data import load_mnist

FULL_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist.npz"


@pytest.fixture(scope="session")
def mnist_5k():
    """The embedded data set, loaded once for the whole run."""
    return load_mnist("mnist-5k")


@pytest.fixture(scope="session")
def full_mnist_path():
    """Path of the workspace's full MNIST (../shared/data/mnist.npz); tests needing it skip elsewhere."""
    if not FULL_MNIST.is_file():
        pytest.skip(f"full MNIST is not at {FULL_MNIST}")
    return FULL_MNIST
