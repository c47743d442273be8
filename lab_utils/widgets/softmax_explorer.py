"""The softmax explorer of notebook 01: a number field per logit, and the probabilities as live bars."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from lab_utils.errors import ConfigError
from lab_utils.model import softmax
from lab_utils.widgets.display import ProbabilityBars

LOGIT_LIMIT = 5.0  # logits from -5 to 5 show every regime, from near-uniform to near one-hot


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
