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

from typing import Any

from lab_utils.widgets.digit_pad import DigitPad, draw_digit_pad, preprocess_drawing
from lab_utils.widgets.display import ProbabilityBars
from lab_utils.widgets.prediction_explorer import PredictionExplorer, prediction_explorer
from lab_utils.widgets.softmax_explorer import SoftmaxExplorer, softmax_explorer

__all__ = [
    "DigitPad",
    "LiveCurves",
    "PredictionExplorer",
    "ProbabilityBars",
    "SoftmaxExplorer",
    "draw_digit_pad",
    "prediction_explorer",
    "preprocess_drawing",
    "softmax_explorer",
]


def __getattr__(name: str) -> Any:
    """`LiveCurves`, made on first use: it subclasses Keras' Callback, and importing Keras takes seconds."""
    if name != "LiveCurves":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from lab_utils.widgets.live_curves import live_curves_class

    globals()["LiveCurves"] = live_curves = live_curves_class()
    return live_curves
