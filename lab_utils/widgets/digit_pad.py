"""The digit pad of notebook 05: draw a digit (or, without a mouse, pick a test digit or load an image file) and
let the model classify it; `preprocess_drawing` makes a drawing into an MNIST-style digit."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import ipywidgets as widgets
import numpy as np
from ipycanvas import Canvas
from PIL import Image, ImageDraw, UnidentifiedImageError

from lab_utils.data import IMAGE_SHAPE, Dataset, check_arrays
from lab_utils.errors import DataError
from lab_utils.model import predict_proba
from lab_utils.widgets.display import DIGITS, Picture, ProbabilityBars, png_of

if TYPE_CHECKING:
    import keras

# MNIST's recipe (LeCun et al.): the digit's bounding box is scaled so its larger
# side is 20 px, then its centre of mass is put at the centre of a 28x28 field.
BOX_SIDE = 20
INK_THRESHOLD = 0.2  # fainter pixels are anti-aliased fringes or noise, not part of the digit's box
PAD_SIZE = 280
PAD_STROKE = 20  # on a 280 px pad this becomes MNIST's 2 px stroke after scaling to 28 px
PREVIEW_SIZE = 84  # px: the 28x28 digit the model sees, each pixel drawn 3x3
MAX_UPLOAD_BYTES = 5_000_000  # a photo of a digit is far smaller; anything larger is not one
MAX_UPLOAD_PIXELS = 4096 * 4096  # checked before decoding: a small file can still unpack to gigabytes


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
        content = _uploaded_content(change["new"])
        if content is None:
            return
        # Emptied, so that a file picked again counts as a new upload: to () in ipywidgets 8, to {} in 7, where
        # the value is read-only to the widget's users.
        self.upload.set_trait("value", self.upload.trait_defaults("value"))
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
                png_of(np.zeros(IMAGE_SHAPE), PREVIEW_SIZE),
                "what the model sees: an empty 28 by 28 field, nothing classified yet",
            )
        else:
            self.preview.show(
                png_of(digit, PREVIEW_SIZE), "what the model sees: the digit scaled and centred in 28 by 28 pixels"
            )

    def _ink_dot(self, x: float, y: float) -> None:
        # The canvas draws round caps and joins; PIL's lines are square-ended, so each point gets a dot.
        r = PAD_STROKE / 2
        self._pen.ellipse((x - r, y - r, x + r, y + r), fill=255)


def draw_digit_pad(model: keras.Model, data: Dataset | None = None) -> DigitPad:
    """Notebook 05: draw a digit with the mouse (or, without one, pick one of `data`'s test digits or load
    an image file) and see what `model` makes of it."""
    return DigitPad(model, data)


def _uploaded_content(value: tuple | dict) -> bytes | None:
    """The uploaded file's bytes from a FileUpload's value, None when it is empty.

    `value`: ipywidgets 8's tuple of {"name", "content", ...} dicts, or ipywidgets 7's (Google Colab's) dict of
    file name to {"metadata", "content"}.
    """
    files = list(value.values()) if isinstance(value, dict) else list(value)
    return bytes(files[0]["content"]) if files else None


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
