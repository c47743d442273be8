"""The prediction explorer of notebook 05: browse the test digits with the model's probabilities."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as widgets
import numpy as np

from lab_utils.data import IMAGE_SHAPE, Dataset, check_arrays
from lab_utils.model import predict_proba
from lab_utils.widgets.display import DIGITS, Picture, ProbabilityBars, png_of

if TYPE_CHECKING:
    import keras

EXPLORER_IMAGE_SIZE = 140  # px: a test digit, each pixel drawn 5x5


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
        self.image.show(png_of(self.images[i], EXPLORER_IMAGE_SIZE), f"test digit {i}: a handwritten {truth}")
        self.true_label.value = f"true label: {truth}"
        verdict = "correct" if guess == truth else "<span style='color:#b71c1c'>wrong</span>"
        self.prediction.value = f"predicted: <b>{guess}</b> (p = {self.proba[i, guess]:.3f}), {verdict}"
        self.bars.show(self.proba[i], true_label=truth)


def prediction_explorer(model: keras.Model, data: Dataset) -> PredictionExplorer:
    """Notebook 04: browse `data`'s test digits with `model`'s probabilities (x_test: (n, 784), y_test: (n,))."""
    return PredictionExplorer(model, data)
