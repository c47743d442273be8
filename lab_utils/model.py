"""The reference model: a dense network that maps 784 pixels to 10 logits.

The output layer is linear: it returns logits, and the loss
(`SparseCategoricalCrossentropy(from_logits=True)`) applies softmax inside
itself. Keeping softmax out of the model is the numerically stable choice:
the loss can then use log-sum-exp on the logits directly, where a softmax
output followed by log() underflows to log(0) for confident predictions.
Probabilities for people come from `predict_proba`, which applies softmax
after the fact. Introduced in notebook 02; trained in notebook 04.

Keras is imported by the functions that build or run a model, not by the module. `softmax` is the
reference's (`lab_utils.reference`), kept here as the name the notebooks and widgets use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lab_utils.config import LabConfig
from lab_utils.data import N_PIXELS
from lab_utils.reference import softmax

if TYPE_CHECKING:
    import keras

# Several batches per call into TensorFlow: on a 2-core CPU this model is so
# small that per-step Python overhead dominates. 128 beat 32 by 10-30 % per
# epoch on full MNIST at batch 32, with identical results (see bench/).
STEPS_PER_EXECUTION = 128
# XLA compilation ("auto" turns it on for these layers) made training slower on
# a 2-core CPU, for the 784-25-15-10 model and for 784-512-512-10 alike (see bench/).
JIT_COMPILE = False


def build_model(cfg: LabConfig = LabConfig()) -> keras.Sequential:
    """A compiled Sequential model: 784 inputs, the configured hidden Dense layers, linear logits."""
    import keras

    keras.utils.set_random_seed(cfg.seed)
    layers = [keras.Input(shape=(N_PIXELS,))]
    layers += [
        keras.layers.Dense(units, activation=cfg.hidden_activation, name=f"hidden_{i}")
        for i, units in enumerate(cfg.hidden_units, start=1)
    ]
    layers.append(keras.layers.Dense(cfg.n_classes, activation="linear", name="logits"))
    model = keras.Sequential(layers, name="digits")
    compile_model(model, cfg)
    return model


def compile_model(model: keras.Model, cfg: LabConfig = LabConfig()) -> keras.Model:
    """Compile `model` with Adam at the config's learning rate and the from-logits loss."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=STEPS_PER_EXECUTION,
        jit_compile=JIT_COMPILE,
    )
    return model


def predict_logits(model: keras.Model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The model's logits. x: (n, 784) pixels. Returns (n, K) float32."""
    x = np.asarray(x, dtype=np.float32)
    # Calling the model directly avoids `predict`'s per-call set-up, which costs
    # far more than the arithmetic for the few digits a widget asks about.
    if len(x) <= batch_size:
        return np.asarray(model(x, training=False))
    return model.predict(x, batch_size=batch_size, verbose=0)


def predict_proba(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Class probabilities: softmax of the logits. x: (n, 784) pixels. Returns (n, K)."""
    return softmax(predict_logits(model, x))
