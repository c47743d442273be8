"""The check of `compile_model(model, cfg)` (notebook 04).

`compile_model` works on a Keras model, so the kernel gives it a fresh one and describes what the
learner's code did to it (`lab_utils.observe.keras_models.describe_compiled`): the optimizer's class and
learning rate, the loss's name, `from_logits` and value on probe labels and logits, the metric names,
whether the model it was given came back. The judge compares the loss value with the reference's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, run_check
from lab_utils.checks.explain import explain
from lab_utils.checks.messages import NotImplementedYet, close, fail, without_internals
from lab_utils.checks.training.shared import MEAN_HINT, NOTEBOOK, WANT_LOSS
from lab_utils.reference import cross_entropy


class CompileCheck(ExerciseCheck):
    """compile_model(model, cfg) -> model, compiled with Adam at cfg.learning_rate, the from-logits loss, accuracy."""

    function, name, notebook, points, observer = "compile_model", "check_compile", NOTEBOOK, 10, "compile_model"
    library_calls = ("lab_utils.model.compile_model",)
    library_hint = "the exercise asks you to call model.compile yourself"
    wrong_answer = (
        "{0}.compile(optimizer='adam', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),"
        " metrics=['accuracy'])\nreturn {0}"
    )
    allow_none = True  # judged below: None from a model that was compiled is "return the model"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        probe = {"y": np.array([0, 3, 9, 3]), "logits": rng.normal(0.0, 3.0, size=(4, 10)).astype(np.float32)}
        drawn = float(f"{rng.uniform(1e-4, 5e-2):.2g}")
        rates = (0.02, 3e-4, drawn)  # none is Adam's default, so a hard-coded rate fails
        return [Case(f"a fresh model and cfg.learning_rate = {r}", [{"learning_rate": r}], probe) for r in rates]

    def verify(self, case: Case, obs: dict) -> None:
        fail_ = lambda expected, got, hint=None: fail(self.function, case.label, expected, got, hint)  # noqa: E731
        compiled, rate = obs["compiled"], case.args[0]["learning_rate"]
        if not compiled["compiled"]:
            if obs["type"] == "builtins.NoneType":
                raise NotImplementedYet("compile_model did not compile the model: not implemented yet")
            fail_(
                "the model it was given, compiled", "an uncompiled model", "call model.compile on the model passed in"
            )
        if compiled.get("error"):  # the model compiled, but reading back what it was given failed
            detail = without_internals(str(compiled["error"]["message"]))
            hint = explain(str(compiled["error"]["type"]), detail)
            fail_(
                f"a loss, optimizer and metrics Keras can read back, {WANT_LOSS}",
                f"{compiled['error']['type']}: {detail}",
                hint,
            )
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
        name = str(loss["name"]).lower()
        if "squared" in name or "absolute" in name or name in ("mse", "mae"):
            hint = (
                "a regression loss compares numbers one by one; a label is a class, whose loss is the cross-entropy "
                "of its probability, taken here from logits"
            )
        if loss.get("error"):
            detail = without_internals(str(loss["error"]["message"]))
            hint = explain(str(loss["error"]["type"]), detail) or hint
            if "categorical" in name and "sparse" not in name:
                hint = "the labels are integers 0..9: use the *Sparse* categorical cross-entropy, from logits"
            fail(self.function, where, WANT_LOSS, f"{loss['error']['type']}: {detail}", hint)
        if not close(loss["value"], expected, np.float32):
            if close(loss["value"], expected * len(y), np.float32):
                hint = f"{MEAN_HINT}: leave the loss's reduction at its default"
            elif loss.get("from_logits") is False:
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


COMPILE = CompileCheck()


def check_compile(compile_model: Callable) -> None:
    """Check `compile_model(model, cfg)`: Adam at cfg.learning_rate, from-logits loss, accuracy (notebook 04)."""
    run_check(COMPILE, compile_model)
