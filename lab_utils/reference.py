"""The lab's reference maths, in float64 NumPy: what the exercises' answers are judged against.

One place for each formula, used by the checks' judges (`lab_utils.checks`), by `lab_utils.model`
(`softmax`, for probabilities shown to people) and by `lab_utils.train` (`confusion_matrix`):

- `softmax`, `log_softmax`: probabilities and log-probabilities from logits (notebook 01);
- `forward`: a dense network's pre-activations and layer inputs (notebook 02);
- `cross_entropy`, `softmax_cross_entropy_grad`, `dense_backward`, `backprop`: the mean loss and its
  gradients by hand (notebook 03), which also judge notebook 04's training step;
- `confusion_matrix`: counts of (true, predicted) pairs (notebook 05).

A top-level module, not part of `lab_utils.checks`, because `lab_utils.model` (a lower layer) uses it.
The grader's sandbox replaces this file with a stub (see `lab_utils.grading.sandbox`): the learner's
kernel must not be able to call the answers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab_utils.activations import relu


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log of softmax, stably (log-sum-exp after subtracting the max). z: (..., K) logits -> (..., K) float64."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities from logits, stably. z: (..., K) logits with the classes on `axis` -> z's shape, float64,
    summing to 1 on `axis`."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """The mean cross-entropy of integer labels y: (m,) under the softmax of logits: (m, K)."""
    y = np.asarray(y)
    return float(-np.mean(log_softmax(logits)[np.arange(len(y)), y]))


def softmax_cross_entropy_grad(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The gradient of `cross_entropy` with respect to the logits, (softmax(logits) - onehot(y)) / m.
    logits: (m, K), y: (m,) integer labels -> (m, K) float64."""
    y = np.asarray(y)
    grad = np.exp(log_softmax(logits))
    grad[np.arange(len(y)), y] -= 1.0
    return grad / len(y)


def dense_backward(a_in: np.ndarray, W: np.ndarray, dz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of z = a_in @ W + b. a_in: (m, n_in), W: (n_in, n_out), dz: (m, n_out) the loss's
    gradient at z -> dW (n_in, n_out), db (n_out,), da_in (m, n_in), float64."""
    a_in, W, dz = (np.asarray(v, dtype=np.float64) for v in (a_in, W, dz))
    return a_in.T @ dz, dz.sum(axis=0), dz @ W.T


def forward(
    weights: list[np.ndarray], x: np.ndarray, hidden: Callable[[np.ndarray], np.ndarray] = relu
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A dense network with `hidden` between layers and linear logits. weights: [W1, b1, W2, b2, ...] with
    Wl: (n_{l-1}, n_l), bl: (n_l,); x: (m, n_0).

    Returns (zs, inputs), float64: zs[l] (m, n_{l+1}) is layer l's pre-activation (zs[-1] the logits),
    inputs[l] its input (inputs[0] = x).
    """
    inputs, zs = [], []
    a = np.asarray(x, dtype=np.float64)
    for layer in range(len(weights) // 2):
        W, b = (np.asarray(w, dtype=np.float64) for w in weights[2 * layer : 2 * layer + 2])
        if zs:
            a = hidden(zs[-1])
        inputs.append(a)
        zs.append(a @ W + b)
    return zs, inputs


def backprop(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """The mean cross-entropy of a dense ReLU network (see `forward`) on x: (m, n_0), y: (m,) labels,
    and its gradient with respect to each array of `weights`, in the same order and shapes."""
    zs, inputs = forward(weights, x)
    dz = softmax_cross_entropy_grad(zs[-1], y)
    grads: list[np.ndarray] = [np.empty(0)] * len(weights)
    for layer in reversed(range(len(zs))):
        grads[2 * layer], grads[2 * layer + 1], da_in = dense_backward(inputs[layer], weights[2 * layer], dz)
        if layer:
            dz = da_in * (zs[layer - 1] > 0)
    return cross_entropy(zs[-1], y), grads


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts of (true, predicted) pairs. y_true, y_pred: (n,) integer labels in [0, n_classes)
    -> (n_classes, n_classes) int64, rows the true class, columns the predicted one."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
