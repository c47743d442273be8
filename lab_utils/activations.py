"""The element-wise activations of a dense layer, in NumPy, by their Keras names.

Not the answer to any exercise: notebook 02's `my_dense(a_in, W, b, g)` is handed one of these as `g`,
so the learner's kernel needs them when it is being graded. `lab_utils.reference` builds its forward
pass from them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0), element-wise."""
    return np.maximum(z, 0.0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), element-wise."""
    return 1.0 / (1.0 + np.exp(-z))


def elu(z: np.ndarray) -> np.ndarray:
    """z where z > 0, exp(z) - 1 elsewhere (Keras' elu with alpha 1)."""
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))


def linear(z: np.ndarray) -> np.ndarray:
    """z itself: the output layer's activation (it returns logits)."""
    return z


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "elu": elu,
    "linear": linear,
}
