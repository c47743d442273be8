"""Checks of notebook 04 (training): `check_cross_entropy` (cross_entropy_from_logits) and `check_compile`.

`compile_model` works on a Keras model, so the kernel gives it a fresh one and describes what the
learner's code did to it (`describe_compiled`): the optimizer's class and learning rate, the loss's
name, `from_logits` and value on probe labels and logits, the metric names, whether the model it was
given came back. The judge compares the loss value with its own NumPy cross-entropy.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, call_learner, is_tensorflow, plain, raised, run_check
from lab_utils.checks.messages import Mistakes, NotImplementedYet, close, diagnose, fail, log_softmax, show
from lab_utils.checks.softmax import SOFTMAXES
from lab_utils.config import LabConfig

LOSSES = (
    "keras.losses",
    "keras.ops.sparse_categorical_crossentropy",
    "keras.ops.categorical_crossentropy",
    "keras.ops.logsumexp",
    "tensorflow.losses",
    "tensorflow.nn.sparse_softmax_cross_entropy_with_logits",
    "tensorflow.nn.softmax_cross_entropy_with_logits",
    "tensorflow.math.reduce_logsumexp",
    "tensorflow.reduce_logsumexp",
    "scipy.special.logsumexp",
    "torch.nn.functional.cross_entropy",
    "torch.logsumexp",
)
WANT_LOSS = "SparseCategoricalCrossentropy(from_logits=True)"


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy. logits: (m, K), y: (m,) integer labels -> float."""
    return float(-np.mean(log_softmax(logits)[np.arange(len(y)), y]))


def _ce_case(logits: np.ndarray, y: np.ndarray) -> Case:
    return Case(f"logits = {show(logits)}, y = {show(y)}", [logits, y])


def _cross_entropy_mistakes(logits: np.ndarray, y: np.ndarray, expected: float) -> Mistakes:
    z, rows = np.asarray(logits, dtype=np.float64), np.arange(len(y))
    top = z.max(axis=-1, keepdims=True)
    return [
        ("you used the sum over the batch; the loss is the mean", lambda: expected * len(y)),
        ("the sign is flipped: the loss is -log(p) of the true class", lambda: -expected),
        (
            "logits[:, y] picks a column per label for every row; pick one entry per row, the row's own label",
            lambda: -np.mean(log_softmax(z)[:, y]),
        ),
        (
            "you averaged over all classes; take the log-probability of the true class only",
            lambda: -np.mean(log_softmax(z)),
        ),
        ("you used log10; cross-entropy uses the natural log, np.log", lambda: expected / np.log(10)),
        ("you forgot the log-sum-exp term: -logit alone is not a log-probability", lambda: -np.mean(z[rows, y])),
        (
            "you subtracted the max inside log-sum-exp but did not add it back",
            lambda: np.mean(np.log(np.exp(z - top).sum(-1)) - z[rows, y]),
        ),
        (
            "your log-sum-exp has no max subtracted, so np.exp overflows (or underflows) for logits in the "
            "thousands: shift each row by its max inside the exp, as in the text's second form",
            lambda: np.mean(np.log(np.exp(z).sum(-1)) - z[rows, y]),
        ),
        (
            "log(softmax) underflows to log(0) = -inf (and exp overflows) for large logits: write the "
            "log-probability with the log-sum-exp trick instead of taking the log of probabilities",
            lambda: -np.mean(np.log((np.exp(z) / np.exp(z).sum(-1, keepdims=True))[rows, y])),
        ),
        (
            "log(softmax) underflows to log(0) = -inf for a very unlikely true class: write the "
            "log-probability with the log-sum-exp trick instead of taking the log of probabilities",
            lambda: -np.mean(np.log(np.exp(z - top) / np.exp(z - top).sum(-1, keepdims=True))[rows, y]),
        ),
        (
            "you took the softmax over axis 0 (the batch); use the classes, axis=-1",
            lambda: -np.mean(log_softmax(z, 0)[rows, y]),
        ),
    ]


class CrossEntropyCheck(ExerciseCheck):
    """cross_entropy_from_logits(logits, y): (m, K) logits, (m,) integer labels -> the mean loss, a float."""

    function, name = "cross_entropy_from_logits", "check_cross_entropy"
    library_calls = LOSSES + SOFTMAXES
    library_hint = "the exercise asks you to write the loss yourself with NumPy (the log-sum-exp trick)"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = [
            ([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], [0, 1]),
            ([[1.0, 2.0, 3.0, 4.0]], [3]),  # a batch of one
            (np.zeros((3, 4)), [0, 1, 3]),  # equal logits: the loss is log(4)
            ([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], [2, 1]),
            ([[-1000.0, -1001.0, -1002.0]], [2]),
            ([[1.5], [-2.0], [0.0]], [0, 0, 0]),  # a single class: the loss is 0
        ]
        cases = [_ce_case(np.array(z, dtype=np.float64), np.array(y)) for z, y in fixed]
        cases.append(_ce_case(rng.normal(0.0, 3.0, size=(16, 10)), rng.integers(0, 4, size=16)))  # labels 4..9 absent
        logits32 = rng.normal(0.0, 3.0, size=(8, 5)).astype(np.float32)
        return [*cases, _ce_case(logits32, rng.integers(0, 5, size=8).astype(np.int32))]

    def verify(self, case: Case, obs: dict) -> None:
        logits, y = case.args
        expected, got = cross_entropy(logits, y), obs["value"]
        if is_tensorflow(obs["type"]):
            fail(
                self.function,
                case.label,
                expected,
                obs["type"].rsplit(".", 1)[-1],
                "return a Python float: float(loss)",
            )
        if isinstance(got, list) or np.ndim(got) != 0 or not isinstance(got, (int, float, np.ndarray)):
            fail(
                self.function,
                case.label,
                expected,
                got,
                "return the mean loss, a single float, not one loss per example",
            )
        got = float(got)
        if not close(got, expected, logits.dtype):
            fail(self.function, case.label, expected, got, diagnose(got, _cross_entropy_mistakes(logits, y, expected)))

    def error_hint(self, case: Case, obs: dict) -> str | None:
        if obs.get("type") == "ValueError" and "broadcast" in str(obs.get("message")):
            return (
                "y holds integer labels, shape (m,), not one-hot rows (m, K): pick each row's entry at its label "
                "by integer indexing (one row index and one label per example)"
            )
        if obs.get("type") == "IndexError":
            return "index the logits with one row number and one label per example (two index arrays of length m)"
        return None

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} batches, logits up to 1e3, labels that never occur included"


# ---------------------------------------------------------------- compile_model


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
    """KERNEL SIDE: what compile set on model, as plain data, with the loss's value on (y, logits)."""
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


class CompileCheck(ExerciseCheck):
    """compile_model(model, cfg) -> model, compiled with Adam at cfg.learning_rate, the from-logits loss, accuracy."""

    function, name = "compile_model", "check_compile"
    allow_none = True  # judged below: None from a model that was compiled is "return the model"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        probe = {"y": np.array([0, 3, 9, 3]), "logits": rng.normal(0.0, 3.0, size=(4, 10)).astype(np.float32)}
        drawn = float(f"{rng.uniform(1e-4, 5e-2):.2g}")
        rates = (0.02, 3e-4, drawn)  # none is Adam's default, so a hard-coded rate fails
        return [Case(f"a fresh model and cfg.learning_rate = {r}", [{"learning_rate": r}], probe) for r in rates]

    def observe(self, fn: Callable, case: Case) -> dict:
        import keras

        model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
        obs, result = call_learner(fn, [model, LabConfig(**case.args[0])])
        if obs["status"] == "returned":
            obs["same_model"] = result is model
            obs["compiled"] = describe_compiled(model, case.probe["y"], case.probe["logits"])
        return obs

    def verify(self, case: Case, obs: dict) -> None:
        fail_ = lambda expected, got, hint=None: fail(self.function, case.label, expected, got, hint)  # noqa: E731
        compiled, rate = obs["compiled"], case.args[0]["learning_rate"]
        if not compiled["compiled"]:
            if obs["type"] == "builtins.NoneType":
                raise NotImplementedYet("compile_model did not compile the model: not implemented yet")
            fail_(
                "the model it was given, compiled", "an uncompiled model", "call model.compile on the model passed in"
            )
        if compiled.get("error"):
            fail_("a compiled model", f"{compiled['error']['type']}: {compiled['error']['message']}")
        if obs["type"] == "builtins.NoneType":
            fail_("the compiled model", None, "the text says: compile the model, then return the model")
        if not obs["same_model"]:
            fail_("the model it was given", obs["type"].rsplit(".", 1)[-1], "return the model you were given")
        optimizer = compiled["optimizer"].rsplit(".", 1)[-1]
        if optimizer != "Adam":
            fail_("keras.optimizers.Adam", optimizer, "use Adam")
        if not np.isclose(compiled["learning_rate"], rate, rtol=1e-5):
            hint = "use the config's rate, cfg.learning_rate"
            if np.isclose(compiled["learning_rate"], 1e-3, rtol=1e-5):
                hint = "that is Adam's default ('adam' or Adam()); give it learning_rate=cfg.learning_rate"
            fail_(rate, compiled["learning_rate"], hint)
        self._verify_loss(case, compiled["loss"])
        self._verify_metrics(case, compiled["metrics"])

    def _verify_loss(self, case: Case, loss: dict) -> None:
        y, logits = case.probe["y"], case.probe["logits"]
        expected, where = cross_entropy(logits, y), "model.loss on integer labels and logits"
        hint = f"the loss must be {WANT_LOSS}"
        if loss.get("error"):
            if "categorical" in str(loss["name"]).lower() and "sparse" not in str(loss["name"]).lower():
                hint = "the labels are integers 0..9: use the *Sparse* categorical cross-entropy, from logits"
            fail(self.function, where, WANT_LOSS, f"{loss['error']['type']}: {loss['error']['message']}", hint)
        if not close(loss["value"], expected, np.float32):
            if loss.get("from_logits") is False:
                hint = (
                    "softmax placement: this loss treats the outputs as probabilities, but the model's output layer "
                    "is linear (logits); the loss takes a from_logits argument"
                )
            fail(self.function, where, expected, loss["value"], hint)

    def _verify_metrics(self, case: Case, names: list[str]) -> None:
        if {"accuracy", "acc", "sparse_categorical_accuracy", "SparseCategoricalAccuracy"} & set(names):
            return
        hint = "add metrics=['accuracy']"
        if "Accuracy" in names:
            hint = "keras.metrics.Accuracy() compares logits with labels for equality; use metrics=['accuracy']"
        elif {"categorical_accuracy", "CategoricalAccuracy"} & set(names):
            hint = "the labels are integers: use 'accuracy' (sparse categorical accuracy), not categorical_accuracy"
        fail(self.function, "the metrics", "['accuracy']", names, hint)

    def summary(self, cases: list[Case]) -> str:
        rates = ", ".join(str(c.args[0]["learning_rate"]) for c in cases)
        return f"Adam at cfg.learning_rate ({rates}), from-logits loss, accuracy, the model returned"


CROSS_ENTROPY, COMPILE = CrossEntropyCheck(), CompileCheck()


def check_cross_entropy(cross_entropy_from_logits: Callable, cases: Iterable[tuple] | None = None) -> None:
    """Check `cross_entropy_from_logits(logits, y)`: (m, K) logits, (m,) labels -> mean loss (notebook 04)."""
    own = None if cases is None else [_ce_case(np.asarray(z), np.asarray(y)) for z, y in cases]
    run_check(CROSS_ENTROPY, cross_entropy_from_logits, own)


def check_compile(compile_model: Callable) -> None:
    """Check `compile_model(model, cfg)`: Adam at cfg.learning_rate, from-logits loss, accuracy (notebook 04)."""
    run_check(COMPILE, compile_model)
