"""Every interactive widget of the lab, built from ipywidgets (and ipycanvas for the drawing pad).

- `softmax_explorer()` (notebook 01): a number field per logit and the softmax probabilities as live bars.
- `LiveCurves` (notebook 04): a Keras callback redrawing loss and accuracy every epoch while `fit` runs.
- `prediction_explorer(model, data)` (notebook 05): browse the test digits, jump to the next error.
- `draw_digit_pad(model, data)` (notebook 05): draw a digit with the mouse, or without it pick a test digit
  or load an image file, and let the model classify it.
- `preprocess_drawing(pixels)`: turns a drawing into an MNIST-style (784,) digit; the pad uses it.

Probabilities are shown as progress bars with the number written beside them ("p = 0.643"), and each
prediction as a sentence too, so they read the same in JupyterLab, to a screen reader, in a saved notebook
and in the browser tests. Every control has a name a screen reader announces (its `description`, or a
button's text; buttons carry no icon, whose Font Awesome glyph would be read into the name), every image
an `alt` text (images are HTML `<img>`s: ipywidgets' Image has no alt, and its `tooltip` breaks the
widget's view in ipywidgets 8.1), and the controls come in reading order, so Tab moves through them as
the eye does (tests/test_browser_a11y.py).
Without an interactive front end (nbval, nbclient, plain python) `LiveCurves` shows just the final figure.
Keras is imported only by `LiveCurves` (a Keras callback), when first used: notebook 01 never waits for it.
"""

from __future__ import annotations

import base64
import html
import io
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets as widgets
import numpy as np
from ipycanvas import Canvas
from IPython import get_ipython
from IPython.display import DisplayHandle
from PIL import Image, ImageDraw, UnidentifiedImageError

from lab_utils.data import IMAGE_SHAPE, N_CLASSES, Dataset, check_arrays
from lab_utils.errors import ConfigError, DataError
from lab_utils.model import predict_proba, softmax
from lab_utils.plots import plot_history

if TYPE_CHECKING:
    import keras

DIGITS = [str(k) for k in range(N_CLASSES)]
NO_VALUE = "p = –"
# MNIST's recipe (LeCun et al.): the digit's bounding box is scaled so its larger
# side is 20 px, then its centre of mass is put at the centre of a 28x28 field.
BOX_SIDE = 20
INK_THRESHOLD = 0.2  # fainter pixels are anti-aliased fringes or noise, not part of the digit's box
PAD_SIZE = 280
PAD_STROKE = 20  # on a 280 px pad this becomes MNIST's 2 px stroke after scaling to 28 px
PREVIEW_SIZE = 84  # px: the 28x28 digit the model sees, each pixel drawn 3x3
EXPLORER_IMAGE_SIZE = 140  # px: a test digit in the prediction explorer, each pixel drawn 5x5
LOGIT_LIMIT = 5.0  # softmax explorer: logits from -5 to 5 show every regime, from near-uniform to near one-hot
MAX_UPLOAD_BYTES = 5_000_000  # a photo of a digit is far smaller; anything larger is not one
MAX_UPLOAD_PIXELS = 4096 * 4096  # checked before decoding: a small file can still unpack to gigabytes


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
    """A number field per logit z and bars for softmax(z), updated as a logit changes.

    Number fields, not sliders: ipywidgets' sliders give their handle no accessible name, so a screen
    reader would announce only "slider, 2"; a field carries its label, and the arrow keys step it by 0.1.
    """

    def __init__(self, n_logits: int = 4) -> None:
        if isinstance(n_logits, bool) or not isinstance(n_logits, int) or not 2 <= n_logits <= 10:
            raise ConfigError(f"n_logits must be a whole number from 2 to 10, got {n_logits!r}")
        start = np.round(np.linspace(2.0, -1.0, n_logits), 1)
        self.fields = [
            widgets.BoundedFloatText(
                value=z,
                min=-LOGIT_LIMIT,
                max=LOGIT_LIMIT,
                step=0.1,
                description=f"z[{k}]",
                continuous_update=True,
                layout=widgets.Layout(width="12em"),
            )
            for k, z in enumerate(start)
        ]
        self.bars = ProbabilityBars([f"class {k}" for k in range(n_logits)])
        for field in self.fields:
            field.observe(self._update, names="value")
        title = widgets.HTML(
            "<b>Logits → softmax → probabilities</b> (change a logit: type a number or use the arrow keys;"
            " the bars always sum to 1)"
        )
        super().__init__([title, widgets.HBox([widgets.VBox(self.fields), self.bars])])
        self.add_class("lab-softmax")
        self._update()

    def __repr__(self) -> str:  # also the text a saved notebook shows in place of the widget
        return f"SoftmaxExplorer(n_logits={len(self.fields)})"

    @property
    def logits(self) -> np.ndarray:
        """(K,) the logits in the fields."""
        return np.array([field.value for field in self.fields])

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


class Picture(widgets.HTML):
    """A PNG shown as an HTML `<img>` with its alt text; `png` keeps the bytes shown."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.png = b""

    def show(self, png: bytes, alt: str) -> None:
        """Show `png` (its bytes) described by `alt`."""
        self.png = png
        source = base64.b64encode(png).decode("ascii")
        self.value = (
            f'<img class="lab-picture" src="data:image/png;base64,{source}" alt="{html.escape(alt)}"'
            f' width="{self.size}" height="{self.size}">'
        )


def _png(image: np.ndarray, size: int) -> bytes:
    """PNG of `image`: (h, w) gray levels in [0, 1], enlarged to `size` px wide with visible pixels."""
    picture = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), mode="L")
    buffer = io.BytesIO()
    picture.resize((size, size * image.shape[0] // image.shape[1]), Image.Resampling.NEAREST).save(buffer, "png")
    return buffer.getvalue()


class _LiveCurvesLogic:
    """Keras callback: loss and accuracy (training and validation) redrawn every epoch of `fit` (notebook 04).

    In JupyterLab (`live=None` finds out when training starts) the figure is shown after the first epoch
    and redrawn in place at most every `min_interval` seconds and at the end. Without an interactive
    front end (nbval, nbclient, the grader) the final figure is shown once; in plain python it is only
    kept. Either way the notebook keeps one image output, with its text alternative (the figure's `alt`,
    which says how the curves moved so far). `verbose=True` prints one line per epoch.
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
        if self._handle is None:
            self._handle = DisplayHandle()
            self._handle.display(self.figure)
        else:
            self._handle.update(self.figure)
        self._drawn_at = time.monotonic()


def __getattr__(name: str) -> type:
    """`LiveCurves`, made on first use: it subclasses Keras' Callback, and importing Keras takes seconds."""
    if name != "LiveCurves":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import keras

    live_curves = type(
        "LiveCurves",
        (_LiveCurvesLogic, keras.callbacks.Callback),
        {"__module__": __name__, "__doc__": _LiveCurvesLogic.__doc__},
    )
    globals()["LiveCurves"] = live_curves
    return live_curves


class PredictionExplorer(widgets.VBox):
    """A test digit, its true label, the model's prediction and probability bars; "next error" skips ahead.

    The digit is chosen by number (the arrow keys step through them), not with a slider, for the reason
    given in `SoftmaxExplorer`.
    """

    def __init__(self, model: keras.Model, data: Dataset) -> None:
        check_arrays(data.x_test, data.y_test, "prediction_explorer test set")
        self.images = data.x_test.reshape(-1, *IMAGE_SHAPE)
        self.labels = data.y_test
        self.proba = predict_proba(model, data.x_test.reshape(len(data.y_test), -1))
        self.predicted = self.proba.argmax(axis=1)
        self.errors = np.flatnonzero(self.predicted != self.labels)
        self.test_digit = widgets.BoundedIntText(
            value=0,
            min=0,
            max=len(self.labels) - 1,
            description="test digit",
            continuous_update=True,
            layout=widgets.Layout(width="12em"),
        )
        self.next_error_button = widgets.Button(description="next error")
        self.image = Picture(EXPLORER_IMAGE_SIZE)
        self.true_label = widgets.Label()
        self.prediction = widgets.HTML()
        self.bars = ProbabilityBars(DIGITS)
        self.test_digit.observe(self._show, names="value")
        self.next_error_button.on_click(self.next_error)
        picture = widgets.VBox([self.image, self.true_label, self.prediction])
        super().__init__([widgets.HBox([self.test_digit, self.next_error_button]), widgets.HBox([picture, self.bars])])
        self.add_class("lab-prediction-explorer")
        self._show()

    def __repr__(self) -> str:
        return f"PredictionExplorer({len(self.labels)} test digits)"

    def next_error(self, _button: object = None) -> None:
        """Move to the next misclassified test digit after the current one (wrapping round)."""
        if not len(self.errors):
            self.prediction.value = "the model classifies every test digit correctly"
            return
        later = self.errors[self.errors > self.test_digit.value]
        self.test_digit.value = int(later[0] if len(later) else self.errors[0])

    def _show(self, _change: object = None) -> None:
        i = self.test_digit.value
        truth, guess = int(self.labels[i]), int(self.predicted[i])
        self.image.show(_png(self.images[i], EXPLORER_IMAGE_SIZE), f"test digit {i}: a handwritten {truth}")
        self.true_label.value = f"true label: {truth}"
        verdict = "correct" if guess == truth else "<span style='color:#b71c1c'>wrong</span>"
        self.prediction.value = f"predicted: <b>{guess}</b> (p = {self.proba[i, guess]:.3f}), {verdict}"
        self.bars.show(self.proba[i], true_label=truth)


def prediction_explorer(model: keras.Model, data: Dataset) -> PredictionExplorer:
    """Notebook 04: browse `data`'s test digits with `model`'s probabilities (x_test: (n, 784), y_test: (n,))."""
    return PredictionExplorer(model, data)


class DigitPad(widgets.VBox):
    """A black canvas to draw a digit on in white, a Classify and a Clear button, and the probability bars.

    Without a mouse: a test digit picked by number (when `data` is given), or an image file loaded with
    the upload button, is put on the pad and classified at once, with the same preview and probabilities.

    The kernel keeps its own copy of the drawing (`ink`), drawn stroke by stroke by the same mouse
    handlers that draw on the canvas, and classifies that. Reading the pixels back from the browser
    instead raced with the click: they arrive asynchronously, and a Classify pressed right after
    drawing saw only part of the digit.
    """

    def __init__(self, model: keras.Model, data: Dataset | None = None, size: int = PAD_SIZE) -> None:
        self.model = model
        self.canvas = Canvas(width=size, height=size)
        self.ink = Image.new("L", (size, size))
        self._pen = ImageDraw.Draw(self.ink)
        self.canvas.layout = widgets.Layout(width=f"{size}px", height=f"{size}px", border="1px solid #888")
        self.classify_button = widgets.Button(description="Classify", button_style="primary")
        self.clear_button = widgets.Button(description="Clear")
        self.message = widgets.HTML()
        self.preview = Picture(PREVIEW_SIZE)
        self.bars = ProbabilityBars(DIGITS)
        self.upload = widgets.FileUpload(
            accept="image/*",
            multiple=False,
            description="Load an image file",
            icon="",
            layout=widgets.Layout(width="auto"),
        )
        self.test_images = None if data is None else data.x_test.reshape(-1, *IMAGE_SHAPE)
        self._last: tuple[float, float] | None = None
        self.canvas.on_mouse_down(self.pen_down)
        self.canvas.on_mouse_move(self.pen_move)
        self.canvas.on_mouse_up(self.pen_up)
        self.canvas.on_mouse_out(self.pen_up)
        self.canvas.on_client_ready(self.clear)
        self.classify_button.on_click(self.classify)
        self.clear_button.on_click(self.clear)
        self.upload.observe(self._load_upload, names="value")
        seen = widgets.VBox([widgets.Label("what the model sees:"), self.preview])
        controls = widgets.VBox([widgets.HBox([self.classify_button, self.clear_button]), self.message, seen])
        super().__init__(
            [widgets.HBox([self.canvas, controls]), widgets.HBox(self._keyboard_controls(data)), self.bars]
        )
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
        self._show_preview(None)
        without_mouse = "load an image file" if self.test_images is None else "pick a test digit or load an image file"
        self.message.value = f"Draw a digit with the mouse, then press <b>Classify</b>; or {without_mouse}."

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
            self._show_preview(None)
            self.message.value = f"<b>{error}</b>"
            return None
        proba = predict_proba(self.model, digit[None])[0]
        self._show_preview(digit.reshape(IMAGE_SHAPE))
        self.bars.show(proba)
        guess = int(proba.argmax())
        runner_up = int(np.argsort(-proba)[1])
        self.message.value = (
            f"prediction: <b>{guess}</b> (p = {proba[guess]:.3f}); next most likely {runner_up} "
            f"(p = {proba[runner_up]:.3f})"
        )
        return proba

    def use_test_digit(self, _button: object = None) -> np.ndarray | None:
        """Put the test digit numbered in the `test_digit` field on the pad and classify it."""
        image = self.test_images[self.test_digit.value]
        return self.put_picture(image / _pixel_scale(image))

    def put_picture(self, pixels: np.ndarray) -> np.ndarray | None:
        """Replace the drawing by `pixels`, show it on the canvas and classify it (see `classify_pixels`).

        pixels: (H, W) gray levels in [0, 1], any size: scaled to fill the pad.
        """
        picture = Image.fromarray(np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8), mode="L")
        self.ink.paste(picture.resize(self.ink.size, Image.Resampling.BILINEAR))
        self.canvas.put_image_data(np.repeat(np.asarray(self.ink)[..., None], 3, axis=2), 0, 0)
        return self.classify()

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

    def _keyboard_controls(self, data: Dataset | None) -> list[widgets.Widget]:
        """The row for learners without a mouse: a test digit's number and its button (given `data`), the upload."""
        label = widgets.Label("Without the mouse:")
        if data is None:
            return [label, self.upload]
        check_arrays(data.x_test, data.y_test, "draw_digit_pad test set")
        self.test_digit = widgets.BoundedIntText(
            value=0, min=0, max=len(data.y_test) - 1, description="test digit", layout=widgets.Layout(width="12em")
        )
        self.use_test_digit_button = widgets.Button(description="Use this test digit")
        self.use_test_digit_button.on_click(self.use_test_digit)
        return [label, self.test_digit, self.use_test_digit_button, self.upload]

    def _load_upload(self, change: dict) -> None:
        if not change["new"]:
            return
        content = bytes(change["new"][0]["content"])
        self.upload.value = ()  # a file picked again must count as a new upload
        try:
            pixels = _read_picture(content)
        except DataError as error:
            self.bars.clear()
            self.message.value = f"<b>{error}</b>"
            return
        self.put_picture(pixels)

    def _show_preview(self, digit: np.ndarray | None) -> None:
        """Show `digit` ((28, 28) in [0, 1]) as what the model sees, or, for None, an empty (black) field.

        An empty value would show the browser's broken-image icon instead.
        """
        if digit is None:
            self.preview.show(
                _png(np.zeros(IMAGE_SHAPE), PREVIEW_SIZE),
                "what the model sees: an empty 28 by 28 field, nothing classified yet",
            )
        else:
            self.preview.show(
                _png(digit, PREVIEW_SIZE), "what the model sees: the digit scaled and centred in 28 by 28 pixels"
            )

    def _ink_dot(self, x: float, y: float) -> None:
        # The canvas draws round caps and joins; PIL's lines are square-ended, so each point gets a dot.
        r = PAD_STROKE / 2
        self._pen.ellipse((x - r, y - r, x + r, y + r), fill=255)


def draw_digit_pad(model: keras.Model, data: Dataset | None = None) -> DigitPad:
    """Notebook 05: draw a digit with the mouse (or, without one, pick one of `data`'s test digits or load
    an image file) and see what `model` makes of it."""
    return DigitPad(model, data)


def _read_picture(content: bytes) -> np.ndarray:
    """An uploaded image file's (H, W) gray levels in [0, 1]; DataError for what is not a readable image."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise DataError(f"that file is {len(content):,} bytes: load a picture of one digit, under 5 MB")
    try:
        with Image.open(io.BytesIO(content)) as picture:
            if picture.width * picture.height > MAX_UPLOAD_PIXELS:
                raise DataError(f"that picture is {picture.width}x{picture.height} pixels: load a smaller one")
            return np.asarray(picture.convert("L"), dtype=np.float64) / 255.0
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise DataError("that file is not an image the pad can read: load a PNG or JPEG picture of a digit") from error


def _pixel_scale(image: np.ndarray) -> float:
    # Test digits come scaled to [0, 1] from `load_mnist`, or raw 0-255 from elsewhere.
    return 1.0 if image.max(initial=0) <= 1 else 255.0


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
