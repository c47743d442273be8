"""Every static figure of the lab: digits, training curves, confusion matrix, errors, probabilities.

Each function returns a `DescribedFigure`: a matplotlib `Figure` that carries a short text alternative
(`alt`) written from the data it draws, and never calls `plt.show()`. The figures are made without pyplot,
so in Jupyter a figure returned as a cell's last value shows inline exactly once, and headless code needs
no display: `save_figure` writes it as a PNG with Agg, its alt text in the PNG's "Description" chunk.

Every figure reaches the notebook through `figure_bundle`, as a cell's last value or through `show(fig, alt)`
(for figures a notebook draws itself): an HTML `<img>` with its `alt` (JupyterLab 4 and nbconvert's lab
template show HTML first and ignore an image output's `alt` metadata), the PNG with `alt` in its metadata
(nbconvert's classic template reads that), and the alt text as the plain-text form.
The palettes stay apart under the common colour-vision deficiencies (tests/test_accessibility.py), and
lines differ by style and marker too. Used from notebook 01 on; the headless trainer saves the same figures.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from lab_utils.data import IMAGE_SHAPE, N_PIXELS
from lab_utils.errors import DataError

GRID_COLUMNS = 10
# Okabe and Ito's palette for colour-blind viewers: blue and vermillion stay apart under every common deficiency.
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
WRONG_COLOR = OKABE_ITO[1]
PREDICTED_COLOR = OKABE_ITO[0]
OTHER_COLOR = "#999999"
WRONG_HATCH = "//"  # the true digit's bar differs from the prediction's by pattern as well as colour
# Training and validation curves differ by colour, line style and marker.
CURVE_STYLES = {
    "training": dict(color=OKABE_ITO[0], linestyle="-", marker="o"),
    "validation": dict(color=OKABE_ITO[1], linestyle="--", marker="s"),
}
HEATMAP_CMAP = "Blues"  # one hue, lightness falling monotonically with the count
MAX_EPOCH_TICKS = 12
MAX_MARKED_EPOCHS = 30  # longer runs draw plain lines: markers would merge into a band
PNG_DPI = 100
ALT_LISTED = 5  # how many digits or mistakes an alt text names before "and N more"


class DescribedFigure(Figure):
    """A matplotlib Figure with its text alternative `alt`: one or two sentences saying what the data shows.

    Shown in Jupyter with the alt text (see `figure_bundle`); `save_figure` writes it into the PNG.
    """

    def __init__(self, alt: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.alt = _checked_alt(alt)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> tuple[dict, dict]:
        return figure_bundle(self, self.alt)


def figure_bundle(fig: Figure, alt: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The (data, metadata) Jupyter displays for `fig`: an HTML image with `alt`, the PNG, and `alt` as text."""
    alt = _checked_alt(alt)
    png = base64.b64encode(figure_png(fig)).decode("ascii")
    image = f'<img class="lab-figure" src="data:image/png;base64,{png}" alt="{html.escape(alt)}">'
    return {"text/html": image, "image/png": png, "text/plain": alt}, {"image/png": {"alt": alt}}


def show(fig: Figure, alt: str) -> None:
    """Display `fig` in the notebook with its text alternative `alt`, written from the figure's data.

    For a figure a notebook draws itself (with `plt.subplots`, say); the lab's `plot_*` functions carry
    their own. A pyplot figure is closed afterwards, so the inline backend does not show it a second time.
    """
    data, metadata = figure_bundle(fig, alt)
    display(data, metadata=metadata, raw=True)
    if fig.canvas.manager is not None:  # only pyplot gives a figure a manager
        import matplotlib.pyplot as plt

        plt.close(fig)


def figure_png(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """`fig` as PNG bytes, with its alt text (if it has one) in the PNG's standard "Description" text chunk."""
    buffer = io.BytesIO()
    alt = getattr(fig, "alt", None)
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Description": alt} if alt else None)
    return buffer.getvalue()


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
        alt = f"{_count_of(n, 'handwritten digit')}, labelled {_listing(titles, limit=GRID_COLUMNS * 2)}."
    else:
        predicted = _labels(predicted, len(images), "predicted")
        titles = [f"{t}→{p}" for t, p in zip(labels[:n], predicted[:n], strict=True)]
        wrong = list(labels[:n] != predicted[:n])
        mistakes = [f"{t} read as {p}" for t, p, w in zip(labels[:n], predicted[:n], wrong, strict=True) if w]
        alt = f"{_count_of(n, 'handwritten digit')} with the model's predictions: {n - len(mistakes)} right"
        alt += f", {len(mistakes)} wrong ({_listing(mistakes)})." if mistakes else "."
    return _digit_grid(images[:n], titles, wrong, alt)


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
    mistakes = [f"{y_true[i]} read as {y_pred[i]} ({proba[i, y_pred[i]]:.0%})" for i in shown]
    alt = (
        f"The {_count_of(len(shown), 'misclassified digit')} the model was surest of, of "
        f"{len(wrong):,} mistakes in {len(images):,} digits: {_listing(mistakes)}."
        if len(shown)
        else f"No misclassified digits: the model reads all {len(images):,} digits correctly."
    )
    fig = _digit_grid(images[shown], titles, [True] * len(shown), alt)
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
    alt = " ".join(_history_sentence(history, metric) for metric in metrics)
    fig = DescribedFigure(alt, figsize=(5 * len(metrics), 3.5), layout="constrained")
    for ax, metric in zip(fig.subplots(1, len(metrics), squeeze=False)[0], metrics, strict=True):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            if key in history:
                epochs = np.arange(1, len(history[key]) + 1)
                ax.plot(epochs, history[key], label=label, **_curve_style(label, len(epochs)))
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
    alt = f"{title}: " + "; ".join(
        f"{name}: validation loss {_trend(history['val_loss'], '.3f')}, validation accuracy "
        f"{_trend(100 * np.asarray(history['val_accuracy']), '.1f', ' %')}"
        for name, history in runs.items()
    )
    fig = DescribedFigure(alt + ".", figsize=(9, 3.3), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for (name, history), style in zip(runs.items(), line_styles(len(runs)), strict=True):
        epochs = np.arange(1, len(history["loss"]) + 1)
        ax_loss.plot(epochs, history["val_loss"], label=f"{name}, validation", **style)
        ax_loss.plot(epochs, history["loss"], linestyle="--", label=f"{name}, training", **style, fillstyle="none")
        ax_acc.plot(epochs, 100 * np.asarray(history["val_accuracy"]), label=name, **style)
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
    fig = DescribedFigure(_confusion_alt(cm), figsize=(0.55 * k + 2, 0.55 * k + 1.5), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(cm, cmap=HEATMAP_CMAP)
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

    proba: (K,) probabilities of one digit. ax: draw into these axes instead of a new figure (that
    figure's owner then gives its alt text; `probabilities_alt` writes one). true_label: marks the true
    class in hatched vermillion when the prediction is wrong (the legend then names it too).
    Returns the figure holding the axes.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 1 or not len(proba) or not np.isfinite(proba).all():
        raise DataError(f"proba must be one digit's (K,) vector of finite probabilities, got shape {proba.shape}")
    if true_label is not None and not 0 <= true_label < len(proba):
        raise DataError(f"true_label must be a class from 0 to {len(proba) - 1}, got {true_label!r}")
    if ax is None:
        ax = DescribedFigure(probabilities_alt(proba, true_label), figsize=(4.5, 2.8), layout="constrained").subplots()
    predicted = int(proba.argmax())
    colors = [OTHER_COLOR] * len(proba)
    colors[predicted] = PREDICTED_COLOR
    hatches = [""] * len(proba)
    legend = {"predicted": dict(color=PREDICTED_COLOR)}
    if true_label is not None and true_label != predicted:
        colors[true_label], hatches[true_label] = WRONG_COLOR, WRONG_HATCH
        legend["true digit"] = dict(facecolor=WRONG_COLOR, hatch=WRONG_HATCH)
    ax.bar(range(len(proba)), proba, color=colors, hatch=hatches)
    ax.set(
        xticks=range(len(proba)),
        ylim=(0, 1),
        xlabel="digit",
        ylabel="probability",
        title=f"predicted {predicted} ({proba[predicted]:.0%})",
    )
    ax.legend(handles=[Patch(label=label, **style) for label, style in legend.items()], loc="best", fontsize=8)
    return ax.figure


def line_styles(n: int) -> list[dict[str, str]]:
    """The colour and marker of each of `n` lines or point sets in one plot, as `ax.plot(..., **style)` takes them.

    Colours from Okabe and Ito's colour-blind-safe palette, each with its own marker, so that lines differ
    by shape as well as colour. Used by `plot_runs` and by the notebooks' own figures.
    """
    return [dict(color=OKABE_ITO[i % len(OKABE_ITO)], marker=MARKERS[i % len(MARKERS)]) for i in range(n)]


def probabilities_alt(proba: np.ndarray, true_label: int | None = None) -> str:
    """The text alternative of `plot_probabilities`: the prediction, the runner-up and the true class if missed.

    proba: (K,) probabilities of one digit.
    """
    proba = np.asarray(proba, dtype=np.float64)
    first, second = np.argsort(-proba, kind="stable")[:2] if len(proba) > 1 else (int(proba.argmax()), None)
    alt = f"Probabilities of the {len(proba)} classes: {first} is the most likely (p = {proba[first]:.3f})"
    if second is not None:
        alt += f", then {second} (p = {proba[second]:.3f})"
    if true_label is not None and true_label != first:
        alt += f"; the true digit {true_label} gets p = {proba[true_label]:.3f}"
    return alt + "."


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write `fig` as a PNG at `path` (its folders are created). Returns the path.

    A `DescribedFigure`'s alt text goes into the PNG's "Description" text chunk, the standard keyword
    image viewers, `exiftool` and `PIL.Image.open(path).text` read, so the description travels with the file.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise DataError(f"figures are saved as PNG: give a path ending in .png, got {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_png(fig))
    return path


def _digit_grid(images: np.ndarray, titles: Sequence[str], wrong: Sequence[bool], alt: str) -> DescribedFigure:
    """The shared layout of digit figures: images (n, 28, 28) in rows of ten, one title each.

    The digits are one mosaic in one Axes, each title a text above its tile: twenty Axes under a
    layout engine took most of a second longer to draw, and learners wait on notebook 02's first cells.
    """
    n = len(images)
    cols = max(1, min(n, GRID_COLUMNS))
    rows = max(1, math.ceil(n / cols))
    lines = max((t.count("\n") + 1 for t in titles), default=1)
    side, gap, title = IMAGE_SHAPE[0], 4, 5 + 7 * lines  # in pixels of a digit: the tile, the gap, the title band
    step_x, step_y = side + gap, side + title
    mosaic = np.full((rows * step_y, cols * step_x - gap), np.nan)
    for i, image in enumerate(images):
        top, left = (i // cols) * step_y + title, (i % cols) * step_x
        mosaic[top : top + side, left : left + side] = image / _pixel_max(image)
    fig = DescribedFigure(alt, figsize=(1.1 * cols + 0.3, (1.0 + 0.25 * lines) * rows))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_axis_off()
    ax.imshow(np.ma.masked_invalid(mosaic), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    for i, (text, is_wrong) in enumerate(zip(titles, wrong, strict=False)):
        x, y = (i % cols) * step_x + side / 2, (i // cols) * step_y + title - 2
        ax.text(x, y, text, ha="center", va="bottom", fontsize=9, color=WRONG_COLOR if is_wrong else "black")
    return fig


def _confusion_alt(cm: np.ndarray) -> str:
    """cm: (K, K) counts. The share on the diagonal and the largest confusion, in one sentence."""
    total = cm.sum()
    if not total:
        return f"Confusion matrix of {len(cm)} classes with no digits counted."
    alt = f"Confusion matrix of {total:,g} digits: {100 * np.trace(cm) / total:.1f} % on the diagonal"
    off = cm * (1 - np.eye(len(cm), dtype=cm.dtype))
    if not off.any():
        return alt + "; no digit is confused with another."
    true, predicted = np.unravel_index(np.argmax(off), off.shape)
    return alt + f"; the largest confusion is {true} read as {predicted} ({off[true, predicted]:g} times)."


def _history_sentence(history: Mapping[str, Sequence[float]], metric: str) -> str:
    """How `metric` (and its validation twin, if logged) moved over the epochs, and the best validation epoch."""
    values = np.asarray(history[metric], dtype=np.float64)
    percent = metric == "accuracy"
    scale, fmt, unit = (100, ".1f", " %") if percent else (1, ".2f", "")
    sentence = f"{metric.capitalize()} over {_count_of(len(values), 'epoch')}: training {metric} "
    sentence += _trend(scale * values, fmt, unit)
    validation = history.get(f"val_{metric}")
    if validation is not None and len(validation):
        validation = np.asarray(validation, dtype=np.float64)
        best = int(np.argmax(validation) if percent else np.argmin(validation)) + 1
        sentence += f", validation {_trend(scale * validation, fmt, unit)}"
        sentence += f"; validation is {'highest' if percent else 'lowest'} at epoch {best}"
    return sentence + "."


def _trend(values: Sequence[float], fmt: str, unit: str = "") -> str:
    """'falls from 2.30 to 0.12', 'rises from 81.0 % to 97.2 %' or 'stays at 0.50': first and last value."""
    first, last = (format(float(v), fmt) for v in (values[0], values[-1]))
    if first == last:
        return f"stays at {last}{unit}" if len(values) > 1 else f"is {last}{unit}"
    return f"{'rises' if values[-1] > values[0] else 'falls'} from {first}{unit} to {last}{unit}"


def _curve_style(label: str, n_points: int) -> dict[str, object]:
    """The colour, line style and (for short runs) marker of the training or validation curve."""
    style = dict(CURVE_STYLES[label])
    if n_points > MAX_MARKED_EPOCHS:
        style.pop("marker")
    return style


def _count_of(n: int, noun: str) -> str:
    """'1 epoch', '15 epochs', '1,000 digits'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _listing(items: Sequence[str], limit: int = ALT_LISTED) -> str:
    """The first `limit` items joined by commas, then 'and N more'."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def _checked_alt(alt: object) -> str:
    if not isinstance(alt, str) or not alt.strip():
        raise DataError("a figure needs a text alternative: say in words what it shows, from its data")
    return alt.strip()


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
