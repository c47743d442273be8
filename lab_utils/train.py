"""Training and evaluation of the lab's model, and the headless trainer.

`train(cfg)` fits the reference model on the configured data with a seeded,
stratified validation split; `evaluate(model, data)` measures it on the
held-out test set. `python -m lab_utils.train --help` runs both without a
notebook and writes the figures and `metrics.json`. Used from notebook 03 on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from lab_utils.config import LabConfig
from lab_utils.data import Dataset, load_dataset, split_validation
from lab_utils.errors import LabError
from lab_utils.model import build_model, predict_proba


@dataclass
class TrainResult:
    """A trained model with its per-epoch history and the seconds `fit` took."""

    model: keras.Model
    history: dict[str, list[float]]
    seconds: float
    data: Dataset


@dataclass
class Evaluation:
    """How well a model does on the training and held-out test digits.

    confusion: (K, K) counts, rows the true class, columns the predicted one.
    precision, recall: (K,) per class (NaN where a class is never predicted / never occurs).
    misclassified: (e,) indices into the test set of the digits the model got wrong.
    test_proba: (n_test, K) predicted probabilities of the test digits.
    """

    train_accuracy: float
    test_accuracy: float
    confusion: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    misclassified: np.ndarray
    test_proba: np.ndarray

    @property
    def test_pred(self) -> np.ndarray:
        """(n_test,) predicted digits."""
        return self.test_proba.argmax(axis=1)


def train(
    cfg: LabConfig = LabConfig(),
    data: Dataset | None = None,
    model: keras.Model | None = None,
    verbose: int = 0,
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> TrainResult:
    """Fit a model (by default a fresh `build_model(cfg)`) with the config's hyperparameters.

    The validation split is shuffled and stratified with the config's seed, and
    the test set is never touched. `verbose=2` prints one line per epoch.
    """
    data = data if data is not None else load_dataset(cfg)
    model = model if model is not None else build_model(cfg)
    keras.utils.set_random_seed(cfg.seed)
    x_fit, y_fit, x_val, y_val = split_validation(data.x_train, data.y_train, cfg.validation_fraction, cfg.seed)
    validation = (x_val, y_val) if len(y_val) else None
    start = time.perf_counter()
    history = model.fit(
        x_fit,
        y_fit,
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        validation_data=validation,
        shuffle=True,
        verbose=verbose,
        callbacks=callbacks or [],
    )
    seconds = time.perf_counter() - start
    return TrainResult(model=model, history=history.history, seconds=seconds, data=data)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts of (true, predicted) pairs.

    y_true, y_pred: (n,) integer labels in [0, n_classes). Returns (n_classes, n_classes)
    int64, rows the true class, columns the predicted one.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def precision_recall(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision and recall from a confusion matrix.

    confusion: (K, K), rows true, columns predicted. Returns two (K,) arrays;
    NaN where a class is never predicted (precision) or never occurs (recall).
    """
    correct = np.diag(confusion).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = correct / confusion.sum(axis=0)
        recall = correct / confusion.sum(axis=1)
    return precision, recall


def most_confused_pairs(confusion: np.ndarray, top: int = 3) -> list[tuple[int, int, int]]:
    """The `top` off-diagonal cells with the most digits, as (true, predicted, count), largest first.

    confusion: (K, K), rows true, columns predicted.
    """
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None, kind="stable")[::-1][:top]
    pairs = [(int(i), int(j), int(off[i, j])) for i, j in zip(*np.unravel_index(order, off.shape))]
    return [p for p in pairs if p[2] > 0]


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of equal labels. y_true, y_pred: (n,) labels."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def evaluate(model: keras.Model, data: Dataset) -> Evaluation:
    """Training and test accuracy, confusion matrix, per-class precision and recall, and the errors."""
    train_pred = predict_proba(model, data.x_train).argmax(axis=1)
    test_proba = predict_proba(model, data.x_test)
    test_pred = test_proba.argmax(axis=1)
    n_classes = test_proba.shape[1]
    confusion = confusion_matrix(data.y_test, test_pred, n_classes)
    precision, recall = precision_recall(confusion)
    return Evaluation(
        train_accuracy=accuracy(data.y_train, train_pred),
        test_accuracy=accuracy(data.y_test, test_pred),
        confusion=confusion,
        precision=precision,
        recall=recall,
        misclassified=np.flatnonzero(test_pred != data.y_test),
        test_proba=test_proba,
    )
