"""Seconds per epoch of the lab's training path against plain `model.fit` with Keras defaults.

Both runs train the same model (`build_model` of the default config) on the
same 54,000 digits with the same 6,000-digit validation split and batch size;
only the training path differs. Test accuracy is taken after every epoch so the
two can be compared at equal epochs.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from lab_utils.config import LabConfig
from lab_utils.data import Dataset, split_validation
from lab_utils.model import build_model, predict_logits
from lab_utils.train import accuracy, train


class EpochLog(keras.callbacks.Callback):
    """Wall and CPU seconds of every epoch (training and validation) and test accuracy after it.

    CPU seconds (all threads of this process) hardly change when other jobs share
    the cores, where wall seconds do. The test digits are scored after the clocks
    stop, so they do not count in the time.
    x_test: (n, 784) pixels, y_test: (n,) labels.
    """

    def __init__(self, x_test: np.ndarray, y_test: np.ndarray) -> None:
        super().__init__()
        self.x_test, self.y_test = x_test, y_test
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []
        self.test_accuracy: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()
        self._cpu_start = time.process_time()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)
        self.cpu_seconds.append(time.process_time() - self._cpu_start)
        pred = predict_logits(self.model, self.x_test).argmax(axis=1)
        self.test_accuracy.append(accuracy(self.y_test, pred))


def lab_path(data: Dataset, epochs: int, cfg: LabConfig = LabConfig()) -> EpochLog:
    """Train the default model through `lab_utils.train.train` for `epochs` epochs."""
    log = EpochLog(data.x_test, data.y_test)
    train(cfg.replace(dataset="mnist", epochs=epochs), data=data, callbacks=[log])
    return log


def keras_defaults(data: Dataset, epochs: int, cfg: LabConfig = LabConfig()) -> EpochLog:
    """Train the same model with `compile`'s and `fit`'s defaults (one step per call, jit_compile="auto")."""
    model = build_model(cfg)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    keras.utils.set_random_seed(cfg.seed)
    x_fit, y_fit, x_val, y_val = split_validation(data.x_train, data.y_train, cfg.validation_fraction, cfg.seed)
    log = EpochLog(data.x_test, data.y_test)
    model.fit(
        x_fit,
        y_fit,
        batch_size=cfg.batch_size,
        epochs=epochs,
        validation_data=(x_val, y_val),
        verbose=0,
        callbacks=[log],
    )
    return log
