"""Every static figure of the lab: digits, training curves, confusion matrix, errors, probabilities.

Each function returns a matplotlib `Figure` and never calls `plt.show()`. The
figures are made without pyplot, so in Jupyter a figure returned as a cell's
last value shows inline exactly once (a pyplot figure would show twice), and
headless code needs no display: `save_figure` writes it as a PNG with Agg.
Used from notebook 02 (digits) on; the headless trainer saves the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from lab_utils.data import IMAGE_SHAPE, N_PIXELS
from lab_utils.errors import DataError

GRID_COLUMNS = 10
WRONG_COLOR = "tab:red"
PREDICTED_COLOR = "tab:blue"
OTHER_COLOR = "tab:gray"
MAX_EPOCH_TICKS = 12
PNG_DPI = 100


def plot_digits(
    images: np.ndarray, labels: Sequence[int], n: int = 20, predicted: Sequence[int] | None = None
) -> Figure:
    """A grid of the first `n` digits, each titled with its label.

    images: (m, 784) or (m, 28, 28) pixels. labels: (m,) digits.
    predicted: optional (m,) predicted digits; titles then read "label→prediction",
    in red where the two differ.
    """
    images = _as_image_stack(images)
    labels = _labels(labels, len(images), "labels")
    n = _count(n, len(images))
    if predicted is None:
        titles = [str(label) for label in labels[:n]]
        wrong = [False] * n
    else:
        predicted = _labels(predicted, len(images), "predicted")
        titles = [f"{t}→{p}" for t, p in zip(labels[:n], predicted[:n], strict=True)]
        wrong = list(labels[:n] != predicted[:n])
    return _digit_grid(images[:n], titles, wrong)


def plot_misclassified(
    images: np.ndarray, y_true: Sequence[int], y_pred: Sequence[int], proba: np.ndarray, n: int = 20
) -> Figure:
    """A gallery of up to `n` wrongly predicted digits, the most confident mistakes first.

    images: (m, 784) or (m, 28, 28) pixels. y_true, y_pred: (m,) digits.
    proba: (m, K) predicted probabilities. Each title gives the true digit, the
    predicted one and the probability the model gave its prediction.
    """
    images = _as_image_stack(images)
    y_true = _labels(y_true, len(images), "y_true")
    y_pred = _labels(y_pred, len(images), "y_pred")
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or len(proba) != len(images) or proba.shape[1] <= y_pred.max(initial=0):
        raise DataError(
            f"proba must have shape ({len(images)}, K), one row of class probabilities per digit, got {proba.shape}"
        )
    n = _count(n, len(images))
    wrong = np.flatnonzero(y_true != y_pred)
    confidence = proba[wrong, y_pred[wrong]]
    shown = wrong[np.argsort(-confidence, kind="stable")][:n]
    titles = [f"true {y_true[i]}\npred {y_pred[i]} {proba[i, y_pred[i]]:.0%}" for i in shown]
    fig = _digit_grid(images[shown], titles, [True] * len(shown))
    if not len(shown):
        fig.text(0.5, 0.5, "no misclassified digits", ha="center", va="center")
    return fig


def plot_history(history: Mapping[str, Sequence[float]]) -> Figure:
    """Loss and accuracy per epoch, training and (when present) validation, side by side.

    history: a Keras `History.history` dict (or the `History` itself) with lists of
    length `epochs` under "loss" and optionally "accuracy", "val_loss", "val_accuracy".
    """
    history = _history_dict(history)
    metrics = ["loss"] + (["accuracy"] if "accuracy" in history else [])
    fig = Figure(figsize=(5 * len(metrics), 3.5), layout="constrained")
    for ax, metric in zip(fig.subplots(1, len(metrics), squeeze=False)[0], metrics, strict=True):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            if key in history:
                epochs = np.arange(1, len(history[key]) + 1)
                ax.plot(epochs, history[key], marker="." if len(epochs) < 30 else None, label=label)
        ax.set(ylabel=metric, title=metric)
        _epoch_axis(ax, len(history["loss"]))
        ax.legend()
    return fig


def plot_runs(runs: Mapping[str, Mapping[str, Sequence[float]]], title: str) -> Figure:
    """Several training runs compared: loss (validation solid, training dashed) and validation accuracy per epoch.

    runs: run name -> Keras `History.history` dict with "loss", "val_loss" and "val_accuracy" lists
    (accuracy as a fraction, drawn in %). Used by notebook 06 to compare its experiments.
    """
    runs = {name: _history_dict(history, ("val_loss", "val_accuracy")) for name, history in runs.items()}
    if not runs:
        raise DataError("runs must map at least one run name to its History.history dict")
    fig = Figure(figsize=(9, 3.3), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for name, history in runs.items():
        epochs = np.arange(1, len(history["loss"]) + 1)
        (line,) = ax_loss.plot(epochs, history["val_loss"], marker="o", label=f"{name}, validation")
        ax_loss.plot(epochs, history["loss"], linestyle="--", color=line.get_color(), label=f"{name}, training")
        ax_acc.plot(epochs, 100 * np.asarray(history["val_accuracy"]), marker="o", label=name)
    ax_loss.set(ylabel="loss", title="loss")
    ax_acc.set(ylabel="validation accuracy (%)", title="validation accuracy")
    for ax in (ax_loss, ax_acc):
        _epoch_axis(ax, max(len(history["loss"]) for history in runs.values()))
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return fig


def plot_confusion_matrix(cm: np.ndarray, title: str = "Confusion matrix (test set)") -> Figure:
    """A heatmap of the confusion matrix with the count written in each cell.

    cm: (K, K) non-negative counts, rows the true class, columns the predicted one.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or not np.issubdtype(cm.dtype, np.number) or (cm < 0).any():
        raise DataError(f"cm must be a square (K, K) matrix of non-negative counts, got shape {cm.shape}")
    k = len(cm)
    fig = Figure(figsize=(0.55 * k + 2, 0.55 * k + 1.5), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8, label="digits")
    # Dark text on light cells and light text on dark ones keeps every count readable.
    threshold = cm.max() / 2 if cm.size else 0
    for (i, j), count in np.ndenumerate(cm):
        color = "white" if count > threshold else "black"
        ax.text(j, i, f"{count:g}", ha="center", va="center", fontsize=8, color=color)
    ax.set(
        xticks=range(k),
        yticks=range(k),
        xlabel="predicted digit",
        ylabel="true digit",
        title=title,
    )
    return fig


def plot_probabilities(proba: np.ndarray, ax: Axes | None = None, true_label: int | None = None) -> Figure:
    """A bar chart of the probability of each class; the predicted class in blue, named in a legend.

    proba: (K,) probabilities of one digit. ax: draw into these axes (for example a
    widget's) instead of a new figure. true_label: marks the true class in red when
    the prediction is wrong (the legend then names red too). Returns the figure holding the axes.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 1 or not len(proba) or not np.isfinite(proba).all():
        raise DataError(f"proba must be one digit's (K,) vector of finite probabilities, got shape {proba.shape}")
    if true_label is not None and not 0 <= true_label < len(proba):
        raise DataError(f"true_label must be a class from 0 to {len(proba) - 1}, got {true_label!r}")
    if ax is None:
        ax = Figure(figsize=(4.5, 2.8), layout="constrained").subplots()
    predicted = int(proba.argmax())
    colors = [OTHER_COLOR] * len(proba)
    colors[predicted] = PREDICTED_COLOR
    legend = {"predicted": PREDICTED_COLOR}
    if true_label is not None and true_label != predicted:
        colors[true_label] = WRONG_COLOR
        legend["true digit"] = WRONG_COLOR
    ax.bar(range(len(proba)), proba, color=colors)
    ax.set(
        xticks=range(len(proba)),
        ylim=(0, 1),
        xlabel="digit",
        ylabel="probability",
        title=f"predicted {predicted} ({proba[predicted]:.0%})",
    )
    ax.legend(handles=[Patch(color=color, label=label) for label, color in legend.items()], loc="best", fontsize=8)
    return ax.figure


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write `fig` as a PNG at `path` (its folders are created). Returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise DataError(f"figures are saved as PNG: give a path ending in .png, got {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=PNG_DPI)
    return path


def _digit_grid(images: np.ndarray, titles: Sequence[str], wrong: Sequence[bool]) -> Figure:
    """The shared layout of digit figures: images (n, 28, 28) in rows of ten, one title each."""
    n = len(images)
    cols = max(1, min(n, GRID_COLUMNS))
    rows = max(1, math.ceil(n / cols))
    lines = max((t.count("\n") + 1 for t in titles), default=1)
    fig = Figure(figsize=(1.1 * cols + 0.3, (1.0 + 0.25 * lines) * rows), layout="constrained")
    for ax in fig.subplots(rows, cols, squeeze=False).flat:
        ax.set_axis_off()
    for ax, image, title, is_wrong in zip(fig.axes, images, titles, wrong, strict=False):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=_pixel_max(image))
        ax.set_title(title, fontsize=9, color=WRONG_COLOR if is_wrong else "black")
    return fig


def _history_dict(history: object, required: Sequence[str] = ()) -> Mapping[str, Sequence[float]]:
    """The dict of a Keras `History` (or the dict itself), with a non-empty 'loss' list and the `required` keys."""
    history = getattr(history, "history", history)
    if not isinstance(history, Mapping) or not len(history.get("loss", ())):
        raise DataError("history must be a Keras History.history dict with a non-empty 'loss' list")
    missing = [key for key in required if key not in history]
    if missing:
        raise DataError(f"history has no {', '.join(map(repr, missing))}: train with validation data to plot it")
    return history


def _epoch_axis(ax: Axes, n_epochs: int) -> None:
    """An x axis of whole epochs: every epoch ticked for short runs (a 1-epoch run would get 0.95, 0.96...)."""
    ax.set_xlabel("epoch")
    if n_epochs <= MAX_EPOCH_TICKS:
        ax.set_xticks(range(1, n_epochs + 1))
        ax.set_xlim(0.5, n_epochs + 0.5)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)


def _as_image_stack(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == N_PIXELS:
        return images.reshape(len(images), *IMAGE_SHAPE)
    if images.ndim == 3 and images.shape[1:] == IMAGE_SHAPE:
        return images
    raise DataError(f"images must have shape (n, 784) or (n, 28, 28), got {images.shape}")


def _labels(labels: Sequence[int], n: int, name: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{name} must be ({n},) whole-number digits, one per image, got shape {labels.shape}")
    return labels


def _count(n: int, available: int) -> int:
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError(f"n must be a positive whole number of digits to show, got {n!r}")
    return min(int(n), available)


def _pixel_max(image: np.ndarray) -> float:
    # Pixels come scaled to [0, 1] from `load_mnist`, or raw 0-255 from elsewhere.
    return 1.0 if image.max(initial=0) <= 1 else 255.0
