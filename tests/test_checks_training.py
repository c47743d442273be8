"""Specification of notebook 04's checks (lab_utils.checks.training): check_compile and check_train_step."""

import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from lab_utils import model as reference
from lab_utils.checks import CheckFailure, NotImplementedYet, check_compile, check_train_step
from lab_utils.checks.core import observe_in_kernel
from lab_utils.checks.training import TRAIN_STEP
from lab_utils.observe import wire

# ---------------------------------------------------------------- compile_model


def compile_with(optimizer=None, loss=None, metrics=("accuracy",)):
    def compile_model(model, cfg):
        model.compile(
            optimizer=optimizer or keras.optimizers.Adam(learning_rate=cfg.learning_rate),
            loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=None if metrics is None else list(metrics),
        )
        return model

    return compile_model


def compile_without_return(model, cfg):
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate),
        loss=lambda y, logits: keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True),
        metrics=["acc"],
    )


@pytest.mark.parametrize(
    "compile_model",
    [
        pytest.param(compile_with(), id="loss-object-and-accuracy-string"),
        pytest.param(compile_with(metrics=[keras.metrics.SparseCategoricalAccuracy()]), id="metric-object"),
        pytest.param(compile_with(metrics=["sparse_categorical_accuracy"]), id="metric-full-name"),
    ],
)
def test_check_compile_accepts_correct_implementations(compile_model, capsys):
    check_compile(compile_model)
    assert "✓ check_compile passed" in capsys.readouterr().out


def compile_a_new_model(model, cfg):
    fresh = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
    return compile_with()(fresh, cfg)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(
            compile_with(loss="sparse_categorical_crossentropy"), "softmax placement", id="loss-string-no-logits"
        ),
        pytest.param(
            compile_with(loss=keras.losses.SparseCategoricalCrossentropy()), "softmax placement", id="from-logits-false"
        ),
        pytest.param(compile_with(optimizer="adam"), "Adam's default", id="adam-string-default-rate"),
        pytest.param(compile_with(optimizer=keras.optimizers.Adam(0.01)), "cfg.learning_rate", id="hard-coded-rate"),
        pytest.param(compile_with(optimizer=keras.optimizers.SGD(0.02)), "use Adam", id="sgd"),
        pytest.param(
            compile_with(loss=keras.losses.CategoricalCrossentropy(from_logits=True)), "Sparse", id="categorical-loss"
        ),
        pytest.param(compile_with(loss="mse"), "a regression loss", id="mse-loss"),
        pytest.param(compile_with(metrics=None), r"metrics=\['accuracy'\]", id="no-metrics"),
        pytest.param(compile_with(metrics=[keras.metrics.Accuracy()]), "compares logits", id="accuracy-class"),
        pytest.param(
            compile_with(metrics=["categorical_accuracy"]), "not categorical_accuracy", id="categorical-accuracy"
        ),
        pytest.param(compile_a_new_model, "on the model passed in", id="compiled-a-new-model"),
        pytest.param(compile_without_return, "return the model", id="no-return"),
    ],
)
def test_check_compile_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure) as failure:
        check_compile(wrong)
    assert re.search(hint, " ".join(str(failure.value).split()))  # a hint may be broken over lines


# ---------------------------------------------------------------- train_step

LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def step_with(loss_fn, *, sign=1.0, steps=1, returns="before"):
    """A train_step built from parts, to write the correct one and its variations."""

    def train_step(model, optimizer, x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        for _ in range(steps):
            optimizer.apply_gradients([(sign * g, v) for g, v in zip(grads, model.trainable_variables, strict=True)])
        if returns == "after":
            return float(loss_fn(y, model(x)))
        return loss if returns == "tensor" else float(loss)

    return train_step


def step_functional_loss(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        logits = model(x)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
    optimizer.apply(tape.gradient(loss, model.trainable_weights), model.trainable_weights)
    return loss.numpy()


def step_manual_log_softmax(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        log_probs = tf.nn.log_softmax(model(x, training=True))
        loss = -tf.reduce_mean(tf.gather(log_probs, y, batch_dims=1))
    optimizer.apply_gradients(
        zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True)
    )
    return float(loss)


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(step_with(LOSS), id="loss-object"),
        pytest.param(step_functional_loss, id="functional-loss-and-apply"),
        pytest.param(step_manual_log_softmax, id="log-softmax-by-hand"),
    ],
)
def test_check_train_step_accepts_correct_implementations(fn, capsys):
    check_train_step(fn)
    assert "✓ check_train_step passed" in capsys.readouterr().out


@pytest.mark.parametrize("seed", [*range(11), 4242])
def test_a_correct_train_step_passes_whatever_the_grading_seed(seed):
    """The grader draws a fresh seed every run: a right answer must pass on every case any seed makes
    (seed 4242 once made a case whose float32 step was too small to tell from no step at all)."""
    check = TRAIN_STEP
    for case in check.cases(np.random.default_rng(seed)):
        check.judge(case, wire.decode(wire.encode(observe_in_kernel(check, step_with(LOSS), case))))


def step_outside_the_tape(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        pass
    loss = LOSS(y, model(x))
    optimizer.apply_gradients(
        zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=True)
    )
    return float(loss)


def step_own_optimizer(model, optimizer, x, y):
    return step_with(LOSS)(model, keras.optimizers.SGD(learning_rate=0.01), x, y)


def step_without_update(model, optimizer, x, y):
    return float(LOSS(y, model(x)))


def step_train_on_batch(model, optimizer, x, y):
    model.compile(optimizer=optimizer, loss=LOSS)
    return float(model.train_on_batch(x, y))


def step_double_softmax(model, optimizer, x, y):
    return step_with(lambda y, logits: LOSS(y, tf.nn.softmax(logits)))(model, optimizer, x, y)


def step_per_example(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        losses = keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True)
    optimizer.apply_gradients(
        zip(tape.gradient(losses, model.trainable_variables), model.trainable_variables, strict=True)
    )
    return losses.numpy()


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(step_with(LOSS, returns="after"), "before the step", id="loss-after-step"),
        pytest.param(step_with(LOSS, returns="tensor"), "into a float", id="returns-a-tensor"),
        pytest.param(step_with(keras.losses.SparseCategoricalCrossentropy()), "from_logits", id="not-from-logits"),
        pytest.param(step_double_softmax, "softmax is applied twice", id="softmax-twice"),
        pytest.param(
            step_with(keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")),
            "not the sum",
            id="sum-reduction",
        ),
        pytest.param(step_with(LOSS, sign=-1.0), "uphill", id="gradient-ascent"),
        pytest.param(step_with(LOSS, steps=2), "one optimizer step", id="two-steps"),
        pytest.param(step_own_optimizer, "optimizer passed in", id="own-optimizer"),
        pytest.param(step_without_update, "did not move", id="no-update"),
        pytest.param(step_outside_the_tape, "inside its `with` block|inside", id="loss-outside-the-tape"),
        pytest.param(step_train_on_batch, "write the step yourself", id="train-on-batch"),
        pytest.param(step_per_example, "one float", id="per-example-losses"),
    ],
)
def test_check_train_step_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_train_step(wrong)


def test_train_step_stub_is_not_implemented_yet():
    def train_step(model, optimizer, x, y):
        raise NotImplementedError("Replace this line with your code")

    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_train_step(train_step)


def test_the_train_step_judge_runs_without_tensorflow():
    """The grader's side: the cases and judge of train_step import neither TensorFlow nor Keras."""
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        from lab_utils.reference import backprop
        from lab_utils.checks.training import TRAIN_STEP

        rng = np.random.default_rng(5)
        for case in TRAIN_STEP.cases(rng):
            weights, rate = case.probe["weights"], case.probe["learning_rate"]
            loss, grads = backprop(weights, *case.args)
            after = [(w - rate * d).astype(np.float32) for w, d in zip(weights, grads)]
            TRAIN_STEP.judge(case, {"status": "returned", "type": "builtins.float", "value": loss, "is_array": False,
                                      "mutated": False, "weights": after, "steps": 1})
        print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_check_compile_rejects_the_labs_own_compile_model():
    with pytest.raises(CheckFailure, match="the lab's own compile_model"):
        check_compile(reference.compile_model)
