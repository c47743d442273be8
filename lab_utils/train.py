"""Training and evaluation of the lab's model, and the headless trainer.

`train(cfg)` fits the reference model on the configured data with a seeded,
stratified validation split; `evaluate(model, data)` measures it on the
held-out test set. `python -m lab_utils.train --help` runs both without a
notebook and writes the figures and `metrics.json`. Used from notebook 04 on.

Keras (and with it TensorFlow) is imported by the functions that train, not by the module: the NumPy parts
(the confusion matrix, precision and recall) and the command line's --help answer without waiting for it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lab_utils.config import LabConfig
from lab_utils.data import Dataset, load_dataset, split_validation
from lab_utils.errors import DataError, LabError
from lab_utils.model import build_model, predict_proba
from lab_utils.plots import plot_confusion_matrix, plot_history, plot_misclassified, save_figure
from lab_utils.reference import confusion_matrix

if TYPE_CHECKING:
    import keras


@dataclass
class TrainResult:
    """A trained model with its per-epoch history, the seconds `fit` took and the validation split's size."""

    model: keras.Model
    history: dict[str, list[float]]
    seconds: float
    data: Dataset
    n_validation: int = 0


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
    the test set is never touched. The learning rate follows `cfg.lr_schedule`
    (see `learning_rate_at`). `verbose=2` prints one line per epoch.
    """
    import keras

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
        callbacks=[*(callbacks or []), _schedule(cfg)],
    )
    seconds = time.perf_counter() - start
    return TrainResult(model=model, history=history.history, seconds=seconds, data=data, n_validation=len(y_val))


def learning_rate_at(cfg: LabConfig, epoch: int) -> float:
    """The learning rate of `epoch` (counted from 0): constant, or cosine-decayed towards 0."""
    if cfg.lr_schedule == "constant":
        return cfg.learning_rate
    return cfg.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / cfg.epochs))


def _schedule(cfg: LabConfig) -> keras.callbacks.Callback:
    import keras

    return keras.callbacks.LearningRateScheduler(lambda epoch, _: learning_rate_at(cfg, epoch))


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
    pairs = [(int(i), int(j), int(off[i, j])) for i, j in zip(*np.unravel_index(order, off.shape), strict=True)]
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


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated whole numbers such as 128,64, got {text!r}"
        ) from None


# How a flag's text becomes a LabConfig field's type; LabConfig itself checks the values.
FLAG_TYPES: dict[object, Callable[[str], object]] = {
    int: int,
    float: float,
    str: str,
    str | None: str,
    tuple[int, ...]: _int_list,
}


def config_flags() -> dict[str, tuple[Callable[[str], object], str]]:
    """Each LabConfig field a command-line flag may set: its name, how to convert the flag's text, its help.

    Read from LabConfig's fields and their "help" metadata, leaving out those marked "fixed".
    """
    types = typing.get_type_hints(LabConfig)
    return {
        f.name: (FLAG_TYPES[types[f.name]], f.metadata["help"])
        for f in dataclasses.fields(LabConfig)
        if not f.metadata.get("fixed")
    }


def _parser() -> argparse.ArgumentParser:
    defaults = LabConfig()
    parser = argparse.ArgumentParser(
        prog="python -m lab_utils.train",
        description="Train the lab's dense network on MNIST, evaluate it on the held-out test digits, and write "
        "loss_curve.png, confusion_matrix.png, misclassified.png, metrics.json and model.keras.",
    )
    for field, (convert, help_text) in config_flags().items():
        default = getattr(defaults, field)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        parser.add_argument(f"--{field.replace('_', '-')}", type=convert, help=f"{help_text} (default: {shown})")
    parser.add_argument("--output-dir", default="results", help="folder for the figures, metrics and model")
    parser.add_argument("--quiet", action="store_true", help="no progress bar while training")
    return parser


def _config_from_args(args: argparse.Namespace) -> LabConfig:
    """The default config with every given flag applied (and checked by LabConfig)."""
    changes = {field: getattr(args, field) for field in config_flags() if getattr(args, field) is not None}
    return LabConfig().replace(**changes)


def _output_dir(name: str) -> Path:
    # Made before training, so an unwritable folder fails in a second, not after the run.
    path = Path(name)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create the output folder {path}: {e.strerror}") from None
    return path


def _progress_verbosity() -> int:
    # A live progress bar on a terminal; one plain line per epoch in logs and pipes,
    # where the bar's redraws would pile up as escape codes.
    return 1 if sys.stdout.isatty() else 2


def _report(cfg: LabConfig, result: TrainResult, evaluation: Evaluation) -> str:
    data = result.data
    lines = [
        f"{data.name}: {len(data.y_train):,} training / {len(data.y_test):,} test digits, "
        f"model {'-'.join(map(str, cfg.layer_sizes))}, {cfg.epochs} epochs in {result.seconds:.1f} s",
        f"train accuracy: {evaluation.train_accuracy:.2%}",
        f"test accuracy:  {evaluation.test_accuracy:.2%}",
        "confusion matrix (rows: true digit, columns: predicted digit):",
        _confusion_text(evaluation.confusion),
    ]
    return "\n".join(lines)


def _confusion_text(confusion: np.ndarray) -> str:
    """confusion: (K, K) counts, as an aligned table with the digits as headers."""
    width = max(len(str(confusion.max())), 2) + 1
    header = " " * 3 + "".join(f"{j:>{width}}" for j in range(len(confusion)))
    rows = [f"{i:>3}" + "".join(f"{count:>{width}}" for count in row) for i, row in enumerate(confusion)]
    return "\n".join([header, *rows])


def _write_artifacts(output_dir: Path, cfg: LabConfig, result: TrainResult, evaluation: Evaluation) -> list[Path]:
    data = result.data
    figures = {
        "loss_curve.png": plot_history(result.history),
        "confusion_matrix.png": plot_confusion_matrix(evaluation.confusion),
        "misclassified.png": plot_misclassified(data.x_test, data.y_test, evaluation.test_pred, evaluation.test_proba),
    }
    paths = [save_figure(fig, output_dir / name) for name, fig in figures.items()]
    metrics_path = output_dir / "metrics.json"
    metrics_path.write_text(json.dumps(_metrics(cfg, result, evaluation), indent=2) + "\n")
    model_path = output_dir / "model.keras"
    result.model.save(model_path)
    return [*paths, metrics_path, model_path]


def _metrics(cfg: LabConfig, result: TrainResult, evaluation: Evaluation) -> dict[str, object]:
    return {
        "train_accuracy": evaluation.train_accuracy,
        "test_accuracy": evaluation.test_accuracy,
        "training_seconds": round(result.seconds, 3),
        "config": cfg.to_dict(),
        "dataset": {
            "name": result.data.name,
            "n_train": len(result.data.y_train),
            "n_fit": len(result.data.y_train) - result.n_validation,
            "n_validation": result.n_validation,
            "n_test": len(result.data.y_test),
        },
        # NaN (a class never predicted or absent) is not JSON: it becomes null.
        "per_class": {
            "precision": [None if np.isnan(p) else round(float(p), 4) for p in evaluation.precision],
            "recall": [None if np.isnan(r) else round(float(r), 4) for r in evaluation.recall],
        },
        "n_misclassified": len(evaluation.misclassified),
        "history": result.history,
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    return {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}


def main(argv: Sequence[str] | None = None) -> int:
    """The headless trainer: train, evaluate, print the scores, write figures, metrics and model.

    argv: the command-line arguments (default `sys.argv[1:]`). Returns the exit status;
    unusable settings or data print one `error: ...` line to stderr and return 2.
    """
    args = _parser().parse_args(argv)
    try:
        cfg = _config_from_args(args)
        data = load_dataset(cfg)
        output_dir = _output_dir(args.output_dir)
        result = train(cfg, data, verbose=0 if args.quiet else _progress_verbosity())
        evaluation = evaluate(result.model, data)
    except LabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    print(_report(cfg, result, evaluation))
    for path in _write_artifacts(output_dir, cfg, result, evaluation):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
