"""Specification of lab_utils.widgets: what each widget shows, checked without a browser.

The drawing preprocessing is checked against MNIST's own recipe and, end to end, by redrawing real
MNIST test digits on a large canvas and asking a trained model to read them back.
"""

import io
import re

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lab_utils.config import LabConfig
from lab_utils.errors import ConfigError, DataError
from lab_utils.model import build_model, predict_proba
from lab_utils.train import train
from lab_utils.widgets import (
    LiveCurves,
    digit_pad,
    draw_digit_pad,
    live_curves,
    prediction_explorer,
    preprocess_drawing,
    softmax_explorer,
)

SEVEN = [(60, 50), (180, 50), (110, 200)]


def drawing(size=280, offset=(0, 0), points=SEVEN, width=20, scale=1):
    """A (size, size) uint8 canvas with white strokes through `points` on black, shifted by `offset`."""
    canvas = Image.new("L", (size, size), 0)
    shifted = [(scale * x + offset[1], scale * y + offset[0]) for x, y in points]
    ImageDraw.Draw(canvas).line(shifted, fill=255, width=width * scale, joint="curve")
    return np.asarray(canvas)


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return np.array([(rows * image).sum(), (cols * image).sum()]) / image.sum()


@pytest.fixture(scope="module")
def trained_model():
    return train(LabConfig(epochs=5)).model


# preprocess_drawing


def test_blank_drawing_raises_a_data_error_asking_for_a_digit():
    with pytest.raises(DataError, match="blank: draw a digit first"):
        preprocess_drawing(np.zeros((280, 280), dtype=np.uint8))


@pytest.mark.parametrize(
    "pixels",
    [np.zeros(784), np.zeros((28, 28, 2)), np.full((28, 28), 300.0), np.full((28, 28), np.nan), [["a"]]],
    ids=["flat", "two-channels", "out-of-range", "nan", "strings"],
)
def test_unusable_pixels_raise_a_data_error(pixels):
    with pytest.raises(DataError, match="drawing"):
        preprocess_drawing(pixels)


def test_result_is_784_float32_pixels_in_unit_range():
    digit = preprocess_drawing(drawing())
    assert digit.shape == (784,)
    assert digit.dtype == np.float32
    assert digit.min() >= 0 and digit.max() <= 1 and digit.max() > 0.9


def test_centre_of_mass_is_moved_to_the_centre_of_the_28x28_field():
    digit = preprocess_drawing(drawing(offset=(70, -40))).reshape(28, 28)
    np.testing.assert_allclose(centre_of_mass(digit), [14, 14], atol=1.0)


def test_bounding_box_is_scaled_so_its_larger_side_is_20_pixels_keeping_aspect():
    tall_bar = np.zeros((280, 280))
    tall_bar[40:190, 100:160] = 1.0  # 150 x 60 px: 20 x 8 px after scaling
    digit = preprocess_drawing(tall_bar).reshape(28, 28)
    rows, cols = np.nonzero(digit > 0)
    assert rows.max() - rows.min() + 1 == 20
    assert cols.max() - cols.min() + 1 == 8


def test_where_the_digit_was_drawn_does_not_matter():
    np.testing.assert_array_equal(
        preprocess_drawing(drawing(offset=(0, 0))), preprocess_drawing(drawing(offset=(60, 80)))
    )


def test_canvas_size_does_not_matter():
    np.testing.assert_array_equal(preprocess_drawing(drawing(size=280)), preprocess_drawing(drawing(size=500)))


def test_a_twice_as_large_drawing_gives_nearly_the_same_digit():
    small, large = preprocess_drawing(drawing()), preprocess_drawing(drawing(size=560, scale=2))
    assert np.abs(small - large).mean() < 0.02


def test_grayscale_rgb_rgba_and_float_versions_give_the_same_digit():
    gray = drawing()
    rgb = np.repeat(gray[..., None], 3, axis=2)
    rgba = np.concatenate([rgb, np.full_like(gray, 255)[..., None]], axis=2)
    expected = preprocess_drawing(gray)
    for version in (rgb, rgba, gray / 255.0, rgba / 255.0):
        np.testing.assert_allclose(preprocess_drawing(version), expected, atol=1e-6)


def test_transparent_background_counts_as_black():
    gray = drawing()
    white_ink_on_transparent = np.stack([np.full_like(gray, 255)] * 3 + [gray], axis=2)
    np.testing.assert_allclose(preprocess_drawing(white_ink_on_transparent), preprocess_drawing(gray), atol=1e-6)


def test_dark_ink_on_a_light_background_is_inverted_first():
    gray = drawing()
    np.testing.assert_allclose(preprocess_drawing(255 - gray), preprocess_drawing(gray), atol=1e-6)


def test_real_mnist_digits_redrawn_on_a_large_canvas_are_still_recognised(mnist_5k, trained_model):
    rng = np.random.default_rng(5)
    redrawn = []
    for image in mnist_5k.x_test[:100].reshape(-1, 28, 28):
        enlarged = Image.fromarray(np.uint8(image * 255)).resize((200, 200), Image.Resampling.BILINEAR)
        canvas = np.zeros((280, 280), dtype=np.uint8)
        top, left = rng.integers(0, 80, size=2)
        canvas[top : top + 200, left : left + 200] = np.asarray(enlarged)
        redrawn.append(preprocess_drawing(canvas))
    predicted = predict_proba(trained_model, np.array(redrawn)).argmax(axis=1)
    assert (predicted == mnist_5k.y_test[:100]).mean() >= 0.85


# softmax_explorer


def test_softmax_explorer_bars_show_the_softmax_of_the_logit_fields():
    explorer = softmax_explorer(n_logits=3)
    for field, z in zip(explorer.fields, [1.0, -2.0, 0.5], strict=True):
        field.value = z
    expected = np.exp([1.0, -2.0, 0.5]) / np.exp([1.0, -2.0, 0.5]).sum()
    np.testing.assert_allclose(explorer.bars.values, expected, rtol=1e-7)
    assert [text.value for text in explorer.bars.texts] == [f"p = {p:.3f}" for p in expected]


def test_moving_one_logit_changes_every_probability_and_they_still_sum_to_one():
    explorer = softmax_explorer()
    before = explorer.bars.values
    explorer.fields[-1].value = 4.0
    after = explorer.bars.values
    assert np.all(after != before)
    assert after[-1] > before[-1]
    assert after.sum() == pytest.approx(1.0)


def test_each_logit_field_is_named_after_its_logit_and_steps_by_a_tenth():
    explorer = softmax_explorer(n_logits=3)
    assert [field.description for field in explorer.fields] == ["z[0]", "z[1]", "z[2]"]
    assert {field.step for field in explorer.fields} == {0.1}


@pytest.mark.parametrize("n_logits", [1, 11, 2.5, True])
def test_softmax_explorer_rejects_an_unusable_number_of_logits(n_logits):
    with pytest.raises(ConfigError, match="n_logits"):
        softmax_explorer(n_logits)


# LiveCurves


@pytest.fixture(scope="module")
def small_fit(mnist_5k):
    """`fit(callback, epochs)` on a tiny model, shared so that TensorFlow traces its training step once."""
    model = build_model(LabConfig(hidden_units=(8,)))
    x, y = mnist_5k.x_train[:256], mnist_5k.y_train[:256]

    def fit(callback, epochs=3):
        return model.fit(x, y, validation_data=(x[:64], y[:64]), epochs=epochs, verbose=0, callbacks=[callback])

    return fit


class RecordingHandle:
    """Stands in for IPython's DisplayHandle: records what LiveCurves shows and when."""

    calls: list[tuple[str, bytes]] = []

    def display(self, figure):
        self.calls.append(("display", figure.alt))

    def update(self, figure):
        self.calls.append(("update", figure.alt))


@pytest.fixture
def shown(monkeypatch):
    monkeypatch.setattr(live_curves, "DisplayHandle", RecordingHandle)
    RecordingHandle.calls = []
    return RecordingHandle.calls


def test_live_curves_collects_every_metric_once_per_epoch(small_fit):
    curves = LiveCurves()
    history = small_fit(curves).history
    assert set(curves.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key, values in curves.history.items():
        np.testing.assert_allclose(values, history[key], rtol=1e-6)
        assert len(values) == 3


def test_live_curves_without_a_front_end_only_keeps_the_final_figure(small_fit, shown):
    curves = LiveCurves()
    small_fit(curves, epochs=2)
    assert curves.live is False
    assert shown == []
    assert [line.get_label() for line in curves.figure.axes[0].lines] == ["training", "validation"]
    assert len(curves.figure.axes[0].lines[0].get_xdata()) == 2


def test_live_curves_in_a_front_end_redraws_one_image_in_place_every_epoch(small_fit, shown):
    small_fit(LiveCurves(live=True, min_interval=0.0), epochs=2)
    assert [call for call, _ in shown] == ["display", "update", "update"]


def test_live_curves_describe_the_epochs_drawn_so_far_in_their_alt_text(small_fit, shown):
    small_fit(LiveCurves(live=True, min_interval=0.0), epochs=2)
    assert shown[0][1].startswith("Loss over 1 epoch: training loss is ")
    assert shown[-1][1].startswith("Loss over 2 epochs: training loss ")


def test_live_curves_redraws_at_most_every_min_interval(small_fit, shown):
    small_fit(LiveCurves(live=True, min_interval=3600.0), epochs=3)
    assert [call for call, _ in shown] == ["display", "update"]  # after the first epoch, and at the end


def test_live_curves_prints_one_line_per_epoch_when_verbose(small_fit, capsys):
    small_fit(LiveCurves(verbose=True), epochs=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2"]
    assert "val_accuracy" in lines[0]


# prediction_explorer


def test_prediction_explorer_shows_the_true_label_and_probabilities_of_the_chosen_digit(mnist_5k, trained_model):
    explorer = prediction_explorer(trained_model, mnist_5k)
    explorer.test_digit.value = 17
    assert explorer.true_label.value == f"true label: {mnist_5k.y_test[17]}"
    expected = predict_proba(trained_model, mnist_5k.x_test[17:18])[0]
    np.testing.assert_allclose(explorer.bars.values, expected, rtol=1e-5)
    assert explorer.image.png.startswith(b"\x89PNG")


def test_next_error_jumps_to_the_next_misclassified_digit(mnist_5k, trained_model):
    wrong = np.flatnonzero(predict_proba(trained_model, mnist_5k.x_test).argmax(axis=1) != mnist_5k.y_test)
    explorer = prediction_explorer(trained_model, mnist_5k)
    explorer.test_digit.value = int(wrong[2])
    explorer.next_error_button.click()
    assert explorer.test_digit.value == wrong[3]
    assert "wrong" in explorer.prediction.value


def test_next_error_wraps_round_to_the_first_error(mnist_5k, trained_model):
    wrong = np.flatnonzero(predict_proba(trained_model, mnist_5k.x_test).argmax(axis=1) != mnist_5k.y_test)
    explorer = prediction_explorer(trained_model, mnist_5k)
    explorer.test_digit.value = int(wrong[-1])
    explorer.next_error_button.click()
    assert explorer.test_digit.value == wrong[0]


def test_the_prediction_explorers_image_has_an_alt_text_naming_the_digit(mnist_5k, trained_model):
    explorer = prediction_explorer(trained_model, mnist_5k)
    explorer.test_digit.value = 3
    assert f'alt="test digit 3: a handwritten {mnist_5k.y_test[3]}"' in explorer.image.value


# draw_digit_pad


def shown_image(value: bytes) -> np.ndarray:
    """The gray levels of a PNG a picture shows."""
    return np.asarray(Image.open(io.BytesIO(bytes(value))).convert("L"))


def test_before_anything_is_drawn_the_preview_is_a_blank_28x28_field(trained_model):
    preview = shown_image(draw_digit_pad(trained_model).preview.png)
    assert preview.shape[0] == preview.shape[1] and preview.shape[0] % 28 == 0  # whole pixels of a 28x28 field
    assert not preview.any()


def test_clearing_the_pad_blanks_the_preview_again(trained_model):
    pad = draw_digit_pad(trained_model)
    pad.classify_pixels(drawing())
    assert shown_image(pad.preview.png).any()
    pad.clear()
    assert not shown_image(pad.preview.png).any()


def test_classifying_a_blank_pad_asks_for_a_drawing_instead_of_guessing(trained_model):
    pad = draw_digit_pad(trained_model)
    assert pad.classify_pixels(np.zeros((280, 280, 4), dtype=np.uint8)) is None
    assert "draw a digit first" in pad.message.value
    assert not pad.bars.values.any()
    assert not shown_image(pad.preview.png).any()


def test_classify_before_anything_was_drawn_asks_for_a_drawing(trained_model):
    pad = draw_digit_pad(trained_model)
    assert pad.classify() is None
    assert "draw a digit first" in pad.message.value


def test_the_pad_classifies_the_strokes_its_mouse_handlers_received(trained_model):
    pad = draw_digit_pad(trained_model)
    pad.pen_down(70, 60)
    pad.pen_move(200, 60)
    pad.pen_move(120, 230)
    pad.pen_up(120, 230)
    ink = np.asarray(pad.ink)
    assert ink[60, 70:200].min() == 255 and ink[150, 30] == 0  # the top bar is inked, the corner is not
    proba = pad.classify()
    assert proba is not None and proba.sum() == pytest.approx(1.0)
    assert "prediction:" in pad.message.value


def test_clearing_the_pad_wipes_the_kernels_copy_of_the_drawing(trained_model):
    pad = draw_digit_pad(trained_model)
    pad.pen_down(140, 140)
    pad.pen_move(140, 200)
    pad.clear()
    assert not np.asarray(pad.ink).any()
    assert pad.classify() is None


def test_classifying_a_drawing_shows_the_models_probabilities(trained_model):
    pad = draw_digit_pad(trained_model)
    pixels = drawing()
    proba = pad.classify_pixels(pixels)
    expected = predict_proba(trained_model, preprocess_drawing(pixels)[None])[0]
    np.testing.assert_allclose(pad.bars.values, expected, rtol=1e-5)
    assert proba.sum() == pytest.approx(1.0)
    assert f"prediction: <b>{expected.argmax()}</b>" in pad.message.value


def test_widgets_have_a_short_stable_text_form_for_saved_notebooks(mnist_5k, trained_model):
    assert repr(softmax_explorer(3)) == "SoftmaxExplorer(n_logits=3)"
    assert repr(prediction_explorer(trained_model, mnist_5k)) == "PredictionExplorer(1000 test digits)"
    assert repr(draw_digit_pad(trained_model)) == "DigitPad(280x280 canvas)"


def test_clear_forgets_the_last_prediction(trained_model):
    pad = draw_digit_pad(trained_model)
    pad.classify_pixels(drawing())
    pad.clear_button.click()
    assert not pad.bars.values.any()
    assert "Draw a digit" in pad.message.value


# draw_digit_pad without a mouse


def png_file(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "png")
    return buffer.getvalue()


def upload(pad, content: bytes) -> None:
    """What ipywidgets' FileUpload sets when a learner picks a file."""
    import datetime

    file = {"name": "digit.png", "type": "image/png", "size": len(content), "content": memoryview(content)}
    pad.upload.value = ({**file, "last_modified": datetime.datetime.now(datetime.timezone.utc)},)


def test_a_test_digit_picked_by_number_is_classified_like_the_model_reads_it(mnist_5k, trained_model):
    pad = draw_digit_pad(trained_model, mnist_5k)
    pad.test_digit.value = 4
    pad.use_test_digit_button.click()
    shown = pad.bars.values
    assert shown.argmax() == predict_proba(trained_model, mnist_5k.x_test[4:5])[0].argmax()
    assert f"prediction: <b>{shown.argmax()}</b>" in pad.message.value
    assert shown_image(pad.preview.png).any()


def test_a_picked_test_digit_is_put_on_the_pad_itself(mnist_5k, trained_model):
    pad = draw_digit_pad(trained_model, mnist_5k)
    pad.test_digit.value = 0
    pad.use_test_digit_button.click()
    assert np.asarray(pad.ink).any()
    assert pad.classify() is not None  # Classify reads the same picture again


def test_an_uploaded_picture_of_a_digit_is_classified(trained_model):
    pad = draw_digit_pad(trained_model)
    upload(pad, png_file(drawing()))
    expected = predict_proba(trained_model, preprocess_drawing(drawing())[None])[0]
    assert pad.bars.values.argmax() == expected.argmax()
    assert "prediction:" in pad.message.value
    assert pad.upload.value == ()  # emptied, so that loading the same file again classifies it again


def test_an_upload_in_ipywidgets_7s_format_is_classified_too(trained_model):
    # Google Colab's ipywidgets 7 sets a dict of file name to metadata and content (tests/test_colab.py drives a
    # real ipywidgets 7 FileUpload); the pad reads the value its observer is given.
    pad = draw_digit_pad(trained_model)
    content = png_file(drawing())
    pad._load_upload(
        {"new": {"digit.png": {"metadata": {"name": "digit.png", "size": len(content)}, "content": content}}}
    )
    expected = predict_proba(trained_model, preprocess_drawing(drawing())[None])[0]
    assert pad.bars.values.argmax() == expected.argmax()


def test_an_uploaded_file_that_is_not_an_image_gets_a_one_line_message(trained_model):
    pad = draw_digit_pad(trained_model)
    upload(pad, b"%PDF-1.4 not a picture")
    assert "not an image the pad can read" in pad.message.value
    assert not pad.bars.values.any()


def test_an_uploaded_picture_too_large_to_be_a_digit_is_refused_before_decoding(trained_model, monkeypatch):
    monkeypatch.setattr(digit_pad, "MAX_UPLOAD_PIXELS", 100 * 100)
    pad = draw_digit_pad(trained_model)
    upload(pad, png_file(np.zeros((200, 200), dtype=np.uint8)))
    assert "200x200 pixels" in pad.message.value


def test_the_pad_without_test_data_offers_the_upload_only(trained_model):
    pad = draw_digit_pad(trained_model)
    assert not hasattr(pad, "test_digit")
    assert "load an image file" in pad.message.value


def test_every_control_has_a_name_a_screen_reader_announces(mnist_5k, trained_model):
    import ipywidgets

    def controls(widget):
        children = getattr(widget, "children", ())
        own = [] if children or not isinstance(widget, ipywidgets.ValueWidget | ipywidgets.Button) else [widget]
        return own + [control for child in children for control in controls(child)]

    shown = [softmax_explorer(), prediction_explorer(trained_model, mnist_5k), draw_digit_pad(trained_model, mnist_5k)]
    named = [control for widget in shown for control in controls(widget) if not isinstance(control, ipywidgets.Label)]
    unnamed = [
        control
        for control in named
        if not isinstance(control, ipywidgets.HTML | ipywidgets.FloatProgress | ipywidgets.Image)
        and not control.description
    ]
    assert named and unnamed == []
    # A Font Awesome icon's glyph, a private-use character, would be read into the button's name.
    assert [control.icon for control in named if hasattr(control, "icon") and control.icon] == []
    pictures = [control.value for control in named if isinstance(control, ipywidgets.HTML) and "<img" in control.value]
    assert len(pictures) == 2 and all(re.search(r'<img [^>]*alt="[^"]+"', picture) for picture in pictures)


def test_importing_the_widgets_does_not_import_keras():
    import subprocess
    import sys

    code = "import sys, lab_utils.widgets; print('keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "False"
