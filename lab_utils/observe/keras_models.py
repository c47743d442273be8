"""KERNEL SIDE: the observers of the exercises that take or return a Keras model (notebooks 02, 04 and 05).

Each builds what the learner's function is called with from the case's plain data (a `LabConfig`, a
fresh model, a model and optimizer built from sent weights), calls the function through `call_learner`,
and describes the outcome, models included, as plain data. No answer is computed here: the judge
recomputes every number from the same weights, outside the kernel.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from lab_utils.config import LabConfig
from lab_utils.data import N_PIXELS
from lab_utils.observe.calls import Case, call_learner, plain, raised, type_name


def describe_model(model: Any, x: np.ndarray) -> dict:
    """A Keras model as plain data, with its outputs on x: (m, 784). Never raises."""
    import keras

    desc: dict[str, Any] = {"is_model": isinstance(model, keras.Model)}
    if not desc["is_model"]:
        return desc
    try:
        desc["sequential"] = isinstance(model, keras.Sequential)
        desc["built"] = bool(model.built) and bool(model.inputs)
        desc["input_shape"] = [plain(d) for d in model.inputs[0].shape] if desc["built"] else None
        desc["layers"] = [
            {
                "class": type(layer).__name__,
                "units": plain(getattr(layer, "units", None)),
                "activation": plain(getattr(getattr(layer, "activation", None), "__name__", None)),
                "use_bias": plain(getattr(layer, "use_bias", None)),
                "weights": [np.asarray(w, dtype=np.float32) for w in layer.get_weights()],
            }
            for layer in model.layers
        ]
    except Exception as exc:
        desc["error"] = raised(exc)
        return desc
    try:
        desc["outputs"] = np.asarray(model(x, training=False), dtype=np.float32) if desc["built"] else None
    except Exception as exc:
        desc["outputs_error"] = raised(exc)
    return desc


def _metric_names(metrics: Any) -> list[str]:
    if metrics is None:
        return []
    if isinstance(metrics, dict) and "class_name" in metrics:
        return [str(metrics["class_name"])]
    if isinstance(metrics, dict):
        return [name for value in metrics.values() for name in _metric_names(value)]
    if isinstance(metrics, (list, tuple)):
        return [name for value in metrics for name in _metric_names(value)]
    return [metrics if isinstance(metrics, str) else str(getattr(metrics, "__name__", type(metrics).__name__))]


def _from_logits(loss: Any) -> Any:
    """A loss object's from_logits setting, or a loss function's default for it (None if it has none)."""
    if hasattr(loss, "get_config"):
        return loss.get_config().get("from_logits")
    try:
        parameter = inspect.signature(loss).parameters.get("from_logits")
    except (TypeError, ValueError):
        return None
    return None if parameter is None else parameter.default


def describe_compiled(model: Any, y: np.ndarray, logits: np.ndarray) -> dict:
    """What compiling did to a model, as plain data: the optimizer's class and learning rate, the loss's
    name, from_logits and value on y: (m,) labels and logits: (m, K), and the metric names. Never raises."""
    import keras

    if not getattr(model, "compiled", False):
        return {"compiled": False}
    desc: dict[str, Any] = {"compiled": True}
    try:
        optimizer = model.optimizer
        desc["optimizer"] = f"{type(optimizer).__module__}.{type(optimizer).__name__}"
        desc["learning_rate"] = plain(float(np.asarray(optimizer.learning_rate)))
        loss = model.loss
        fn = keras.losses.get(loss) if isinstance(loss, str) else loss
        name = loss if isinstance(loss, str) else getattr(loss, "name", getattr(loss, "__name__", type(loss).__name__))
        desc["loss"] = {"name": plain(str(name)), "from_logits": plain(_from_logits(fn))}
        try:
            desc["loss"]["value"] = plain(float(np.mean(np.asarray(fn(y, logits)))))
        except Exception as exc:
            desc["loss"]["error"] = raised(exc)
        with warnings.catch_warnings():  # Keras warns when it serializes a learner's lambda loss; harmless here
            warnings.simplefilter("ignore")
            desc["metrics"] = _metric_names(model.get_compile_config().get("metrics"))
    except Exception as exc:
        desc["error"] = raised(exc)
    return desc


def dense_network(weights: list[np.ndarray], hidden: str = "relu") -> Any:
    """A Sequential model of Dense layers from weights [W1, b1, W2, b2, ...]: `hidden` between layers, linear
    logits. Wl: (n_{l-1}, n_l), bl: (n_l,)."""
    import keras

    weights = [np.asarray(w, dtype=np.float32) for w in weights]
    layers: list[Any] = [keras.Input(shape=(weights[0].shape[0],))]
    for i in range(0, len(weights), 2):
        layers.append(keras.layers.Dense(weights[i].shape[1], activation=hidden if i < len(weights) - 2 else None))
    model = keras.Sequential(layers)
    model.set_weights(weights)
    return model


def observe_build_model(fn: Callable, case: Case) -> dict:
    """build_model(cfg): case.args [cfg fields]; probe {"x": (m, 784) images to run the returned model on}."""
    obs, model = call_learner(fn, [LabConfig(**case.args[0])])
    if obs["status"] == "returned":
        obs["model"] = describe_model(model, case.probe["x"])
    return obs


def observe_compile_model(fn: Callable, case: Case) -> dict:
    """compile_model(model, cfg) on a fresh model; probe {"y", "logits"} to evaluate the compiled loss on."""
    import keras

    model = keras.Sequential([keras.Input(shape=(N_PIXELS,)), keras.layers.Dense(10)])
    obs, result = call_learner(fn, [model, LabConfig(**case.args[0])])
    if obs["status"] == "returned":
        obs["same_model"] = result is model
        obs["compiled"] = describe_compiled(model, case.probe["y"], case.probe["logits"])
    return obs


def observe_train_step(fn: Callable, case: Case) -> dict:
    """train_step(model, optimizer, x, y): the model built from probe["weights"], SGD at probe["learning_rate"];
    reports the weights after the learner's step and the optimizer's step count."""
    import keras

    model = dense_network(case.probe["weights"])
    optimizer = keras.optimizers.SGD(learning_rate=case.probe["learning_rate"])
    obs, _ = call_learner(fn, [model, optimizer, *case.args])
    obs["weights"] = [np.asarray(w, dtype=np.float32) for w in model.get_weights()]
    obs["steps"] = int(np.asarray(optimizer.iterations))
    return obs


def observe_predict_digit(fn: Callable, case: Case) -> dict:
    """predict_digit(model, image): case.args [None, image], the model built from probe["weights"] (ReLU hidden
    layers); the first items of a returned tuple or list are described one by one."""
    model = dense_network(case.probe["weights"])
    obs, result = call_learner(fn, [model, case.args[1]])
    if obs["status"] == "returned" and isinstance(result, (tuple, list)):
        items = list.__iter__(result) if isinstance(result, list) else tuple.__iter__(result)
        obs["items"] = [
            {"type": type_name(v), "value": plain(v), "is_array": isinstance(v, np.ndarray)}
            for _, v in zip(range(3), items, strict=False)
        ]
    return obs
