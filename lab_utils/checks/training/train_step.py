"""The check of `train_step(model, optimizer, x, y)` (notebook 04), with its hints and mutants.

`train_step` is one Keras optimizer step with `tf.GradientTape`. The kernel builds a small Keras ReLU network
from the weights in the case and a `keras.optimizers.SGD` at the case's learning rate, and reports the loss the
learner returned and the weights after their step. The judge recomputes that step by NumPy backpropagation
(`lab_utils.reference.backprop`) from the same weights, since SGD's step is exactly
`w - learning_rate * gradient`: NumPy only, no TensorFlow in the grader.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, is_tensorflow, run_check
from lab_utils.checks.gradients import FIXED_SEED
from lab_utils.checks.messages import Mutants, a_kind, close, diagnose, fail
from lab_utils.checks.training.shared import MEAN_HINT, NOTEBOOK
from lab_utils.reference import backprop, cross_entropy, forward, log_softmax

TRAIN_STEP_LIBRARY_HINT = (
    "write the step yourself: the loss under tf.GradientTape, its gradients, the optimizer's update"
)
PAIRS_HINT = (
    "apply_gradients takes one (gradient, variable) pair per variable, the gradient first: "
    "pair the gradients with the variables they were taken for"
)


def _loss_as_probabilities(logits: np.ndarray, y: np.ndarray) -> float:
    """What SparseCategoricalCrossentropy() without from_logits makes of logits: it reads them as probabilities,
    clipped to [1e-7, 1 - 1e-7] (Keras' epsilon) and renormalised."""
    q = np.clip(logits, 1e-7, 1 - 1e-7)
    return float(np.mean(np.log(q.sum(axis=-1)) - np.log(q[np.arange(len(y)), y])))


def train_step_loss_mutants(logits: np.ndarray, y: np.ndarray, loss: float, loss_after: float) -> Mutants:
    return [
        ("return the loss of the batch before the step: the one the gradients were computed from", lambda: loss_after),
        (MEAN_HINT, lambda: loss * len(y)),
        ("the loss is over the whole batch: every example of x and y counts", lambda: cross_entropy(logits[:1], y[:1])),
        (
            "this loss reads the logits as probabilities: the model returns logits, so the loss needs from_logits=True",
            lambda: _loss_as_probabilities(logits, y),
        ),
        (
            "softmax is applied twice: the model returns logits and the from-logits loss applies softmax itself",
            lambda: cross_entropy(np.exp(log_softmax(logits)), y),
        ),
    ]


class TrainStepCheck(ExerciseCheck):
    """train_step(model, optimizer, x, y): one optimizer step on (x, y); returns the loss before it, a float.

    probe: {"weights": [W1, b1, ...] of a dense ReLU network with linear logits, "learning_rate": SGD's rate}.
    """

    function, name, notebook, points, observer = "train_step", "check_train_step", NOTEBOOK, 10, "train_step"
    library_calls = ("train_on_batch", "fit")
    library_hint = TRAIN_STEP_LIBRARY_HINT

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = np.random.default_rng(FIXED_SEED)
        specs = [
            (fixed, "a 6-5-4-3 ReLU network, 8 examples", (6, 5, 4, 3), 8, 0.1, 1.0),
            (fixed, "a single dense layer, 5 examples", (4, 3), 5, 0.5, 1.0),
            (rng, "a batch of one", (6, 5, 4, 3), 1, 0.05, 1.0),
            (rng, "a 10-8-6-10 network, 16 examples", (10, 8, 6, 10), 16, 0.2, 1.0),
            (rng, "logits in the thousands", (6, 5, 4, 3), 4, 1e-4, 40.0),
        ]
        cases = []
        for source, label, sizes, m, rate, scale in specs:
            weights = []
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
                weights.append((scale * source.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))).astype(np.float32))
                weights.append((scale * source.normal(0.0, 0.1, size=n_out)).astype(np.float32))
            x = source.uniform(0.0, 1.0, size=(m, sizes[0])).astype(np.float32)
            y = source.integers(0, sizes[-1], size=m)
            if scale > 1:  # labels the network gets wrong: a confident right answer has no gradient to step along
                y = forward(weights, x)[0][-1].argmin(axis=1)
            cases.append(
                Case(f"{label}, SGD(learning_rate={rate})", [x, y], {"weights": weights, "learning_rate": rate})
            )
        return cases

    def verify(self, case: Case, obs: dict) -> None:
        x, y = case.args
        weights, rate = case.probe["weights"], case.probe["learning_rate"]
        loss, grads = backprop(weights, x, y)
        expected = [w - rate * g for w, g in zip(weights, grads, strict=True)]
        got, kind = obs.get("value"), str(obs.get("type"))
        want = f"the batch's loss before the step as a float, {loss:.6g}"
        if is_tensorflow(kind):
            fail(self.function, case.label, want, a_kind(kind), "turn the loss tensor into a float")
        if not isinstance(got, (float, int, np.ndarray)) or isinstance(got, bool) or np.size(got) != 1:
            fail(self.function, case.label, want, got, "return the batch's mean loss, one float")
        zs, _ = forward(weights, x)
        if not close(float(np.asarray(got)), loss, np.float32):
            loss_after = cross_entropy(forward(expected, x)[0][-1], y)
            hint = diagnose(float(np.asarray(got)), train_step_loss_mutants(zs[-1], y, loss, loss_after), np.float32)
            fail(self.function, case.label, want, float(np.asarray(got)), hint)
        after = obs.get("weights") or []
        if len(after) == len(expected) and all(close(a, e, np.float32) for a, e in zip(after, expected, strict=True)):
            return
        if all(close(a, w, np.float32) for a, w in zip(after, weights, strict=False)):
            hint = "the weights of the model passed in did not move: apply the gradients with the optimizer passed in"
            fail(self.function, case.label, "the weights one SGD step further", "the weights unchanged", hint)
        fail(
            self.function,
            case.label,
            "the weights after one SGD step",
            "other weights",
            _step_hint(weights, grads, rate, after, obs, len(y)),
        )

    def error_hint(self, case: Case, obs: dict) -> str | None:
        return _train_step_error_hint(str(obs.get("type")), str(obs.get("message")))

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} steps, weights and loss equal to a NumPy reference step, logits in the thousands"


def _train_step_error_hint(kind: str, message: str) -> str | None:
    """The cause of a known exception in train_step, from its type and the first line of its message."""
    if "has no attribute 'backward'" in message or "has no attribute 'minimize'" in message:
        return (
            "in TensorFlow with Keras 3, the gradients come from a tf.GradientTape that records the forward pass; "
            "the optimizer then applies them (there is no loss.backward() or optimizer.minimize here)"
        )
    if "does not support the context manager protocol" in message:
        return "tf.GradientTape is a class: the `with` statement needs a tape, made by calling it"
    if "non-persistent GradientTape" in message:
        return "a tape gives its gradients once: ask for all the variables in a single tape.gradient call"
    if "No gradients provided" in message:
        return (
            "the tape found no path from the weights to the loss: it follows only TensorFlow operations run inside "
            "its `with` block, and model.predict, .numpy() and np.* give NumPy arrays it cannot see through; "
            "call the model itself and compute the loss from its tensor, inside the block"
        )
    if kind == "AttributeError" and "numpy" in message and "'_id'" in message:
        return (
            "the loss you differentiate is a NumPy number: the tape can only differentiate TensorFlow operations, "
            "so compute the loss with the Keras loss on the model's output tensor"
        )
    if "'NoneType' object is not iterable" in message:
        return (
            "tape.gradient gave None: it takes the loss first, then the list of variables, and the loss must be "
            "computed from the model inside the tape's `with` block"
        )
    if "_unique_id" in message or "too many values to unpack" in message or "apply_gradients() takes" in message:
        return PAIRS_HINT
    if "Cannot update variable with shape" in message:
        return (
            "a gradient was paired with a variable of another shape: take the gradients with respect to the same "
            "list of variables you apply them to, in the same order"
        )
    shapes = re.search(r"target\.shape=(\([^)]*\)), output\.shape=(\([^)]*\))", message)
    if shapes and shapes[1] == shapes[2]:
        return "the labels are integers, one per example: the sparse loss takes them as they are, not one-hot"
    if shapes or "labels.shape.rank" in message:
        return "the loss takes the true labels first and the model's output second: check the order"
    if "only 0-dimensional arrays" in message or "only length-1 arrays" in message:
        return "the loss has one value per example or per logit: the lab's loss is their mean, a single number"
    if "compile" in message:
        return TRAIN_STEP_LIBRARY_HINT
    return None


def _step_hint(
    weights: list[np.ndarray], grads: list[np.ndarray], rate: float, after: list[np.ndarray], obs: dict, m: int
) -> str:
    def moved(factor: float) -> bool:
        steps = zip(after, weights, grads, strict=True)
        return all(close(a, w - factor * rate * g, np.float32) for a, w, g in steps)

    if obs.get("steps") == 0:
        return "the weights changed, but not through the optimizer passed in: use that one (the caller keeps it)"
    if moved(-1.0):
        return "the step went uphill: give the optimizer the loss's own gradients, it subtracts them itself"
    if obs.get("steps", 1) > 1 or moved(2.0):
        return "one call of train_step is one optimizer step"
    stepped = [close(a, w - rate * g, np.float32) for a, w, g in zip(after, weights, grads, strict=True)]
    still = [close(a, w, np.float32) for a, w in zip(after, weights, strict=True)]
    if any(stepped) and all(s or u for s, u in zip(stepped, still, strict=True)):
        return "only some of the weights moved: take the gradients with respect to all the model's trainable variables"
    return _step_factor(weights, grads, rate, after, m) or (
        "the weights moved, but not one SGD step along the gradients of the batch's mean loss: compare your "
        "loss, tape and apply_gradients with the text's steps"
    )


def _step_factor(
    weights: list[np.ndarray], grads: list[np.ndarray], rate: float, after: list[np.ndarray], m: int
) -> str | None:
    """When every weight moved along its right gradient by one common wrong factor: that factor, named."""
    moved = np.concatenate([(np.asarray(w, np.float64) - a).ravel() for w, a in zip(weights, after, strict=True)])
    step = np.concatenate([(rate * np.asarray(g, np.float64)).ravel() for g in grads])
    factor = float(moved @ step / (step @ step)) if np.any(step) else 0.0
    if factor <= 0 or not np.allclose(moved, factor * step, rtol=1e-3, atol=1e-6):
        return None
    names = {"learning_rate": rate, "1/m": 1 / m, "m": float(m), "2": 2.0, "1/2": 0.5}
    named = [n for n, v in names.items() if np.isclose(factor, v, rtol=1e-3)]
    said = f"the weights moved along the right gradients, but {factor:.4g} times as far as one SGD step"
    if "learning_rate" in named:
        return f"{said}: a factor of learning_rate too many; apply_gradients multiplies by the rate itself"
    if named:
        return f"{said}: a factor of {named[0]} (m = {m}) is extra; the loss is already the batch's mean"
    return f"{said}: a constant factor is extra or missing"


TRAIN_STEP = TrainStepCheck()


def check_train_step(train_step: Callable) -> None:
    """Check `train_step(model, optimizer, x, y)` -> the loss before one optimizer step (notebook 04)."""
    run_check(TRAIN_STEP, train_step)
