"""Live training curves for notebook 04: a Keras callback that redraws loss and accuracy every epoch.

The callback's class subclasses Keras' `Callback`, so it is made on first use (`live_curves_class`): importing
Keras takes seconds, and the notebooks that never train should not wait for it.
"""

from __future__ import annotations

import time

from IPython import get_ipython
from IPython.display import DisplayHandle

from lab_utils.plots import plot_history
from lab_utils.widgets.display import interactive_front_end


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
            self.live = interactive_front_end()

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


def live_curves_class() -> type:
    """`LiveCurves`: the logic above as a Keras callback (imports Keras)."""
    import keras

    return type(
        "LiveCurves",
        (_LiveCurvesLogic, keras.callbacks.Callback),
        {"__module__": "lab_utils.widgets", "__doc__": _LiveCurvesLogic.__doc__},
    )
