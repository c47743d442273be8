"""Every interactive widget of the lab, built from ipywidgets (and ipycanvas for the drawing pad).

- `softmax_explorer()` (notebook 01): logit sliders and the softmax probabilities as live bars.
- `LiveCurves` (notebook 04): a Keras callback redrawing loss and accuracy every epoch while `fit` runs.
- `prediction_explorer(model, data)` (notebook 05): browse the test digits, jump to the next error.
- `draw_digit_pad(model)` (notebook 05): draw a digit with the mouse and let the model classify it.
- `preprocess_drawing(pixels)`: turns a drawing into an MNIST-style (784,) digit; the pad uses it.

Probabilities are shown as progress bars with the number written beside them ("p = 0.643"), so they read
the same in JupyterLab, in a saved notebook and in the browser test (tests/test_browser.py).
Without an interactive front end (nbval, nbclient, plain python) `LiveCurves` shows just the final figure.
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence

import ipywidgets as widgets
import keras
import numpy as np
from ipycanvas import Canvas
from IPython import get_ipython
from IPython.display import DisplayHandle
from IPython.display import Image as StaticImage
from PIL import Image, ImageDraw

from lab_utils.data import IMAGE_SHAPE, N_CLASSES, Dataset, check_arrays
from lab_utils.errors import ConfigError, DataError
from lab_utils.model import predict_proba, softmax
from lab_utils.plots import plot_history

DIGITS = [str(k) for k in range(N_CLASSES)]
NO_VALUE = "p = –"
# MNIST's recipe (LeCun et al.): the digit's bounding box is scaled so its larger
# side is 20 px, then its centre of mass is put at the centre of a 28x28 field.
BOX_SIDE = 20
INK_THRESHOLD = 0.2  # fainter pixels are anti-aliased fringes or noise, not part of the digit's box
PAD_SIZE = 280
PAD_STROKE = 20  # on a 280 px pad this becomes MNIST's 2 px stroke after scaling to 28 px
PREVIEW_SIZE = 84  # px: the 28x28 digit the model sees, each pixel drawn 3x3


class ProbabilityBars(widgets.VBox):
    """One bar per class with its probability written beside it; the most likely class is highlighted."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.bars = [widgets.FloatProgress(min=0.0, max=1.0, layout=widgets.Layout(width="200px")) for _ in labels]
        self.texts = [widgets.Label(NO_VALUE) for _ in labels]
        for text in self.texts:
            text.add_class("lab-proba-value")
        rows = [
            widgets.HBox([widgets.Label(label, layout=widgets.Layout(width="4em")), bar, text])
            for label, bar, text in zip(labels, self.bars, self.texts, strict=True)
        ]
        super().__init__(rows)
        self.add_class("lab-proba-bars")

    @property
    def values(self) -> np.ndarray:
        """(K,) the probabilities the bars show."""
        return np.array([bar.value for bar in self.bars])

    def show(self, proba: np.ndarray, true_label: int | None = None) -> None:
        """Show `proba`: (K,) probabilities; with `true_label`, a wrong top guess is marked red."""
        best = int(np.argmax(proba))
        for k, (bar, text, p) in enumerate(zip(self.bars, self.texts, proba, strict=True)):
            bar.value = float(p)
            text.value = f"p = {p:.3f}"
            if k == true_label:
                bar.bar_style = "success"
            elif k == best:
                bar.bar_style = "info" if true_label is None else "danger"
            else:
                bar.bar_style = ""

    def clear(self) -> None:
        """Empty bars and no numbers: nothing has been classified."""
        for bar, text in zip(self.bars, self.texts, strict=True):
            bar.value, bar.bar_style, text.value = 0.0, "", NO_VALUE


class SoftmaxExplorer(widgets.VBox):
    """Sliders for the logits z and bars for softmax(z), updated as a slider moves."""

    def __init__(self, n_logits: int = 4) -> None:
        if isinstance(n_logits, bool) or not isinstance(n_logits, int) or not 2 <= n_logits <= 10:
            raise ConfigError(f"n_logits must be a whole number from 2 to 10, got {n_logits!r}")
        start = np.round(np.linspace(2.0, -1.0, n_logits), 1)
        self.sliders = [
            widgets.FloatSlider(value=z, min=-5.0, max=5.0, step=0.1, description=f"z[{k}]", readout_format=".1f")
            for k, z in enumerate(start)
        ]
        self.bars = ProbabilityBars([f"class {k}" for k in range(n_logits)])
        for slider in self.sliders:
            slider.observe(self._update, names="value")
        title = widgets.HTML("<b>Logits → softmax → probabilities</b> (move a slider; the bars always sum to 1)")
        super().__init__([title, widgets.HBox([widgets.VBox(self.sliders), self.bars])])
        self.add_class("lab-softmax")
        self._update()

    def __repr__(self) -> str:  # also the text a saved notebook shows in place of the widget
        return f"SoftmaxExplorer(n_logits={len(self.sliders)})"

    @property
    def logits(self) -> np.ndarray:
        """(K,) the slider values."""
        return np.array([slider.value for slider in self.sliders])

    def _update(self, _change: object = None) -> None:
        self.bars.show(softmax(self.logits))


def softmax_explorer(n_logits: int = 4) -> SoftmaxExplorer:
    """Notebook 01: move a logit and watch every probability change, since softmax normalises over all of them."""
    return SoftmaxExplorer(n_logits)


def _interactive_front_end() -> bool:
    """Whether the running cell was sent by an interactive notebook front end (JupyterLab, Notebook 7)."""
    kernel = getattr(get_ipython(), "kernel", None)
    # JupyterLab and Notebook 7 tag every cell they run with its id; nbval, nbclient and the
    # grader send bare execute requests, and redrawing for them would only waste time.
    return kernel is not None and "cellId" in kernel.get_parent().get("metadata", {})


def _png(image: np.ndarray, size: int) -> bytes:
    """PNG of `image`: (h, w) gray levels in [0, 1], enlarged to `size` px wide with visible pixels."""
    picture = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), mode="L")
    buffer = io.BytesIO()
    picture.resize((size, size * image.shape[0] // image.shape[1]), Image.Resampling.NEAREST).save(buffer, "png")
    return buffer.getvalue()


def _blank_preview() -> bytes:
    """The pad's "what the model sees" before anything is classified: an empty (black) 28x28 field.

    An empty value would show the browser's broken-image icon instead.
    """
    return _png(np.zeros(IMAGE_SHAPE), PREVIEW_SIZE)


def _figure_png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


class LiveCurves(keras.callbacks.Callback):
    """Keras callback: loss and accuracy (training and validation) redrawn every epoch of `fit` (notebook 04).

    In JupyterLab (`live=None` finds out when training starts) the figure is shown after the first epoch
    and redrawn in place at most every `min_interval` seconds and at the end. Without an interactive
    front end (nbval, nbclient, the grader) the final figure is shown once; in plain python it is only
    kept. Either way the notebook keeps one image output. `verbose=True` prints one line per epoch.
    `history` holds every metric Keras logged, one float per epoch; `figure` is the last drawing.
    """

    def __init__(self, live: bool | None = None, verbose: bool = False, min_interval: float = 0.5) -> None:
        super().__init__()
        self.live = live
        self.verbose = verbose
        self.min_interval = min_interval
        self.history: dict[str, list[float]] = {}
        self.figure = None
        self._handle: DisplayHandle | None = None
        self._drawn_at = 0.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.history, self._handle = {}, None
        if self.live is None:
            self.live = _interactive_front_end()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.verbose:
            print(f"epoch {epoch + 1}: " + "  ".join(f"{k} {v[-1]:.4f}" for k, v in self.history.items()))
        if self.live and (self._handle is None or time.monotonic() - self._drawn_at >= self.min_interval):
            self._show()

    def on_train_end(self, logs: dict | None = None) -> None:
        if not self.history:
            return
        if self.live or get_ipython() is not None:
            self._show()
        else:
            self.figure = plot_history(self.history)

    def _show(self) -> None:
        self.figure = plot_history(self.history)
        image = StaticImage(_figure_png(self.figure))
        if self._handle is None:
            self._handle = DisplayHandle()
            self._handle.display(image)
        else:
            self._handle.update(image)
        self._drawn_at = time.monotonic()


class PredictionExplorer(widgets.VBox):
    """A test digit, its true label, the model's prediction and probability bars; "next error" skips ahead."""

    def __init__(self, model: keras.Model, data: Dataset) -> None:
        check_arrays(data.x_test, data.y_test, "prediction_explorer test set")
        self.images = data.x_test.reshape(-1, *IMAGE_SHAPE)
        self.labels = data.y_test
        self.proba = predict_proba(model, data.x_test.reshape(len(data.y_test), -1))
        self.predicted = self.proba.argmax(axis=1)
        self.errors = np.flatnonzero(self.predicted != self.labels)
        self.slider = widgets.IntSlider(value=0, min=0, max=len(self.labels) - 1, description="test digit")
        self.next_error_button = widgets.Button(description="next error", icon="forward")
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="140px", height="140px"))
        self.true_label = widgets.Label()
        self.prediction = widgets.HTML()
        self.bars = ProbabilityBars(DIGITS)
        self.slider.observe(self._show, names="value")
        self.next_error_button.on_click(self.next_error)
        picture = widgets.VBox([self.image, self.true_label, self.prediction])
        super().__init__([widgets.HBox([self.slider, self.next_error_button]), widgets.HBox([picture, self.bars])])
        self.add_class("lab-prediction-explorer")
        self._show()

    def __repr__(self) -> str:
        return f"PredictionExplorer({len(self.labels)} test digits)"

    def next_error(self, _button: object = None) -> None:
        """Move to the next misclassified test digit after the current one (wrapping round)."""
        if not len(self.errors):
            self.prediction.value = "the model classifies every test digit correctly"
            return
        later = self.errors[self.errors > self.slider.value]
        self.slider.value = int(later[0] if len(later) else self.errors[0])

    def _show(self, _change: object = None) -> None:
        i = self.slider.value
        truth, guess = int(self.labels[i]), int(self.predicted[i])
        self.image.value = _png(self.images[i], 140)
        self.true_label.value = f"true label: {truth}"
        verdict = "correct" if guess == truth else "<span style='color:#c62828'>wrong</span>"
        self.prediction.value = f"predicted: <b>{guess}</b> (p = {self.proba[i, guess]:.3f}), {verdict}"
        self.bars.show(self.proba[i], true_label=truth)


def prediction_explorer(model: keras.Model, data: Dataset) -> PredictionExplorer:
    """Notebook 04: browse `data`'s test digits with `model`'s probabilities (x_test: (n, 784), y_test: (n,))."""
    return PredictionExplorer(model, data)


class DigitPad(widgets.VBox):
    """A black canvas to draw a digit on in white, a Classify and a Clear button, and the probability bars.

    The kernel keeps its own copy of the drawing (`ink`), drawn stroke by stroke by the same mouse
    handlers that draw on the canvas, and classifies that. Reading the pixels back from the browser
    instead raced with the click: they arrive asynchronously, and a Classify pressed right after
    drawing saw only part of the digit.
    """

    def __init__(self, model: keras.Model, size: int = PAD_SIZE) -> None:
        self.model = model
        self.canvas = Canvas(width=size, height=size)
        self.ink = Image.new("L", (size, size))
        self._pen = ImageDraw.Draw(self.ink)
        self.canvas.layout = widgets.Layout(width=f"{size}px", height=f"{size}px", border="1px solid #888")
        self.classify_button = widgets.Button(description="Classify", button_style="primary", icon="check")
        self.clear_button = widgets.Button(description="Clear", icon="eraser")
        self.message = widgets.HTML()
        size = f"{PREVIEW_SIZE}px"
        self.preview = widgets.Image(format="png", layout=widgets.Layout(width=size, height=size))
        self.bars = ProbabilityBars(DIGITS)
        self._last: tuple[float, float] | None = None
        self.canvas.on_mouse_down(self.pen_down)
        self.canvas.on_mouse_move(self.pen_move)
        self.canvas.on_mouse_up(self.pen_up)
        self.canvas.on_mouse_out(self.pen_up)
        self.canvas.on_client_ready(self.clear)
        self.classify_button.on_click(self.classify)
        self.clear_button.on_click(self.clear)
        seen = widgets.VBox([widgets.Label("what the model sees:"), self.preview])
        controls = widgets.VBox([widgets.HBox([self.classify_button, self.clear_button]), self.message, seen])
        super().__init__([widgets.HBox([self.canvas, controls]), self.bars])
        self.add_class("lab-digit-pad")
        self.clear()

    def __repr__(self) -> str:
        return f"DigitPad({self.canvas.width}x{self.canvas.height} canvas)"

    def clear(self, _button: object = None) -> None:
        """Wipe the canvas to black and forget the last prediction."""
        self.canvas.clear()
        self.canvas.fill_style = "black"
        self.canvas.fill_rect(0, 0, self.canvas.width, self.canvas.height)
        self.canvas.stroke_style = "white"
        self.canvas.fill_style = "white"
        self.canvas.line_width = PAD_STROKE
        self.canvas.line_cap = "round"
        self.canvas.line_join = "round"
        self._pen.rectangle((0, 0, *self.ink.size), fill=0)
        self.bars.clear()
        self.preview.value = _blank_preview()
        self.message.value = "Draw a digit with the mouse, then press <b>Classify</b>."

    def classify(self, _button: object = None) -> np.ndarray | None:
        """Classify what was drawn on the canvas (see `classify_pixels`)."""
        return self.classify_pixels(np.asarray(self.ink))

    def classify_pixels(self, pixels: np.ndarray) -> np.ndarray | None:
        """Show the model's probabilities for a drawing; return them as (10,), or None for a blank drawing.

        pixels: (H, W) or (H, W, 3 or 4) drawing, light ink on a dark background.
        """
        try:
            digit = preprocess_drawing(pixels)
        except DataError as error:
            self.bars.clear()
            self.preview.value = _blank_preview()
            self.message.value = f"<b>{error}</b>"
            return None
        proba = predict_proba(self.model, digit[None])[0]
        self.preview.value = _png(digit.reshape(IMAGE_SHAPE), PREVIEW_SIZE)
        self.bars.show(proba)
        guess = int(proba.argmax())
        self.message.value = f"prediction: <b>{guess}</b> (p = {proba[guess]:.3f})"
        return proba

    def pen_down(self, x: float, y: float) -> None:
        """Mouse handler: start a stroke at canvas pixel (x, y)."""
        self._last = (x, y)
        self.canvas.fill_circle(x, y, PAD_STROKE / 2)
        self._ink_dot(x, y)

    def pen_move(self, x: float, y: float) -> None:
        """Mouse handler: continue the stroke, if the pen is down, to (x, y)."""
        if self._last is not None:
            self.canvas.stroke_line(*self._last, x, y)
            self._pen.line([*self._last, x, y], fill=255, width=PAD_STROKE)
            self._ink_dot(x, y)
            self._last = (x, y)

    def pen_up(self, x: float, y: float) -> None:
        """Mouse handler: end the stroke."""
        self._last = None

    def _ink_dot(self, x: float, y: float) -> None:
        # The canvas draws round caps and joins; PIL's lines are square-ended, so each point gets a dot.
        r = PAD_STROKE / 2
        self._pen.ellipse((x - r, y - r, x + r, y + r), fill=255)


def draw_digit_pad(model: keras.Model) -> DigitPad:
    """Notebook 04: draw a digit with the mouse and see what `model` makes of it."""
    return DigitPad(model)


def preprocess_drawing(pixels: np.ndarray) -> np.ndarray:
    """A drawing made into a digit the way MNIST's were made; returns (784,) float32 in [0, 1].

    pixels: (H, W) grayscale or (H, W, 3 or 4) RGB(A), uint8 0-255 or float 0-1, light ink on a dark
    background (dark ink on a light background is inverted first; transparent pixels count as black).
    Steps: grayscale, crop to the ink's bounding box, scale the box so its larger side is 20 px
    (anti-aliased, aspect kept), place it in 28x28 with its centre of mass at the centre (14, 14).
    Raises DataError for a blank drawing.
    """
    gray = _grayscale(pixels)
    if np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])) > 0.5:
        gray = 1.0 - gray
    rows, cols = np.nonzero(gray > INK_THRESHOLD)
    if not len(rows):
        raise DataError("the drawing is blank: draw a digit first")
    box = gray[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = BOX_SIDE / max(box.shape)
    height, width = (max(1, round(side * scale)) for side in box.shape)
    # Area averaging when shrinking anti-aliases the strokes as MNIST's scanner did.
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    small = np.asarray(Image.fromarray(box.astype(np.float32), mode="F").resize((width, height), resample))
    small = np.clip(small, 0, 1)
    centre = np.array(IMAGE_SHAPE) / 2
    top, left = np.round(centre - _centre_of_mass(small)).astype(int)
    top = int(np.clip(top, 0, IMAGE_SHAPE[0] - height))
    left = int(np.clip(left, 0, IMAGE_SHAPE[1] - width))
    digit = np.zeros(IMAGE_SHAPE, dtype=np.float32)
    digit[top : top + height, left : left + width] = small
    return digit.reshape(-1)


def _centre_of_mass(image: np.ndarray) -> np.ndarray:
    """(row, column) centre of mass of `image`: (h, w) non-negative weights, not all zero."""
    rows = image.sum(axis=1) @ np.arange(image.shape[0])
    cols = image.sum(axis=0) @ np.arange(image.shape[1])
    return np.array([rows, cols]) / image.sum()


def _grayscale(pixels: np.ndarray) -> np.ndarray:
    """(H, W) float64 gray levels in [0, 1] from an (H, W), (H, W, 3) or (H, W, 4) image."""
    try:
        array = np.asarray(pixels)
    except (TypeError, ValueError):
        array = np.empty(0)
    shape_ok = array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))
    if not shape_ok or array.size == 0 or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DataError(
            f"a drawing must be an (H, W) grayscale or (H, W, 3/4) RGB(A) array of numbers, got shape {array.shape}"
        )
    values = array.astype(np.float64)
    if np.issubdtype(array.dtype, np.integer):
        values /= 255.0
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        raise DataError("a drawing's pixels must be integers 0-255 or floats 0-1")
    if values.ndim == 2:
        return values
    gray = values[..., :3] @ np.array([0.299, 0.587, 0.114])
    return gray * values[..., 3] if values.shape[2] == 4 else gray
