"""Check of `train_step(model, optimizer, x, y)` (notebook 04): one Keras optimizer step with `tf.GradientTape`.

The kernel builds a small Keras ReLU network from the weights in the case and a `keras.optimizers.SGD` at the
case's learning rate, and reports the loss the learner returned and the weights after their step. The judge
recomputes that step by NumPy backpropagation (`gradients.backprop`) from the same weights, since SGD's step
is exactly `w - learning_rate * gradient`: NumPy only, no TensorFlow in the grader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lab_utils.checks.core import Case, ExerciseCheck, call_learner, is_tensorflow, run_check
from lab_utils.checks.gradients import FIXED_SEED, backprop, forward, mean_cross_entropy
from lab_utils.checks.messages import Mistakes, close, diagnose, fail, log_softmax


def _loss_as_probabilities(logits: np.ndarray, y: np.ndarray) -> float:
    """What SparseCategoricalCrossentropy() without from_logits makes of logits: it reads them as probabilities,
    clipped to [1e-7, 1 - 1e-7] (Keras' epsilon) and renormalised."""
    q = np.clip(logits, 1e-7, 1 - 1e-7)
    return float(np.mean(np.log(q.sum(axis=-1)) - np.log(q[np.arange(len(y)), y])))


def _loss_mistakes(logits: np.ndarray, y: np.ndarray, loss: float, loss_after: float) -> Mistakes:
    return [
        ("return the loss of the batch before the step: the one the gradients were computed from", lambda: loss_after),
        ("the lab's loss is the mean over the batch, not the sum", lambda: loss * len(y)),
        (
            "this loss reads the logits as probabilities: the model returns logits, so the loss needs from_logits=True",
            lambda: _loss_as_probabilities(logits, y),
        ),
        (
            "softmax is applied twice: the model returns logits and the from-logits loss applies softmax itself",
            lambda: mean_cross_entropy(np.exp(log_softmax(logits)), y),
        ),
    ]


class TrainStepCheck(ExerciseCheck):
    """train_step(model, optimizer, x, y): one optimizer step on (x, y); returns the loss before it, a float.

    probe: {"weights": [W1, b1, ...] of a dense ReLU network with linear logits, "learning_rate": SGD's rate}.
    """

    function, name = "train_step", "check_train_step"
    library_calls = ("train_on_batch", "fit")
    library_hint = "write the step yourself: the loss under tf.GradientTape, its gradients, the optimizer's update"

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

    def observe(self, fn: Callable, case: Case) -> dict:
        """KERNEL SIDE: the model and optimizer built from the case, the learner's step, the weights after it."""
        import keras

        weights = [np.asarray(w, dtype=np.float32) for w in case.probe["weights"]]
        layers: list[Any] = [keras.Input(shape=(weights[0].shape[0],))]
        for i in range(0, len(weights), 2):
            hidden = i < len(weights) - 2
            layers.append(keras.layers.Dense(weights[i].shape[1], activation="relu" if hidden else None))
        model = keras.Sequential(layers)
        model.set_weights(weights)
        optimizer = keras.optimizers.SGD(learning_rate=case.probe["learning_rate"])
        obs, _ = call_learner(fn, [model, optimizer, *case.args])
        obs["weights"] = [np.asarray(w, dtype=np.float32) for w in model.get_weights()]
        obs["steps"] = int(np.asarray(optimizer.iterations))
        return obs

    def verify(self, case: Case, obs: dict) -> None:
        x, y = case.args
        weights, rate = case.probe["weights"], case.probe["learning_rate"]
        loss, grads = backprop(weights, x, y)
        expected = [w - rate * g for w, g in zip(weights, grads, strict=True)]
        got, kind = obs.get("value"), str(obs.get("type"))
        want = f"the batch's loss before the step as a float, {loss:.6g}"
        if is_tensorflow(kind):
            fail(self.function, case.label, want, f"a {kind.rsplit('.', 1)[-1]}", "turn the loss tensor into a float")
        if not isinstance(got, (float, int, np.ndarray)) or isinstance(got, bool) or np.size(got) != 1:
            fail(self.function, case.label, want, got, "return the batch's mean loss, one float")
        zs, _ = forward(weights, x)
        if not close(float(np.asarray(got)), loss, np.float32):
            loss_after = mean_cross_entropy(forward(expected, x)[0][-1], y)
            hint = diagnose(float(np.asarray(got)), _loss_mistakes(zs[-1], y, loss, loss_after), np.float32)
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
            _step_hint(weights, grads, rate, after, obs),
        )

    def error_hint(self, case: Case, obs: dict) -> str | None:
        message = str(obs.get("message"))
        if "No gradients provided" in message or "NoneType" in message:
            return "the tape sees only what runs inside its `with` block: compute the model's output and the loss there"
        if "compile" in message:
            return self.library_hint
        return None

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} steps, weights and loss equal to a NumPy reference step, logits in the thousands"


def _step_hint(
    weights: list[np.ndarray], grads: list[np.ndarray], rate: float, after: list[np.ndarray], obs: dict
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
    return "not the gradients of the mean from-logits cross-entropy of the batch: check the loss you differentiate"


# ---------------------------------------------------------------- the notebooks' check functions


TRAIN_STEP = TrainStepCheck()


def check_train_step(train_step: Callable) -> None:
    """Check `train_step(model, optimizer, x, y)` -> the loss before one optimizer step (notebook 04)."""
    run_check(TRAIN_STEP, train_step)
