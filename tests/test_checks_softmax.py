"""Specification of the notebook-01 checks: check_softmax and check_stable_softmax.

Correct answers written in different ways pass; the mistakes learners make are
rejected with the hint that names them.
"""

import numpy as np
import pytest
import scipy.special
import tensorflow as tf
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lab_utils.checks import CheckFailure, check_softmax, check_stable_softmax


def softmax_loop(z):
    exps = [np.exp(v) for v in z]
    total = sum(exps)
    return np.array([e / total for e in exps])


def softmax_logsumexp(z):
    return np.exp(z - scipy.special.logsumexp(z, axis=-1, keepdims=True))


def softmax_shifted(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_rows_loop(z):
    flat = np.asarray(z, dtype=np.float64).reshape(-1, np.shape(z)[-1])
    out = np.empty_like(flat)
    for i, row in enumerate(flat):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return out.reshape(np.shape(z))


@pytest.mark.parametrize(
    "my_softmax",
    [
        pytest.param(lambda z: np.exp(z) / np.sum(np.exp(z)), id="vectorized"),
        pytest.param(softmax_loop, id="loop"),
        pytest.param(softmax_logsumexp, id="exp-of-log-softmax"),
        pytest.param(softmax_shifted, id="max-subtracted"),
    ],
)
def test_check_softmax_accepts_correct_implementations(my_softmax, capsys):
    check_softmax(my_softmax)
    assert "✓ check_softmax passed" in capsys.readouterr().out


def running_sum_softmax(z):
    out, total = np.zeros_like(z, dtype=float), 0.0
    for i, v in enumerate(z):
        total += np.exp(v)
        out[i] = np.exp(v) / total
    return out


def in_place_softmax(z):
    z -= np.max(z)
    return np.exp(z) / np.sum(np.exp(z))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(np.exp, "without dividing by the sum", id="forgot-to-normalise"),
        pytest.param(lambda z: np.exp(z) / np.sum(z), "sum of the logits", id="divided-by-sum-of-logits"),
        pytest.param(lambda z: z / np.sum(z), "exponentiates first", id="no-exp"),
        pytest.param(lambda z: np.exp(z) / np.max(np.exp(z)), "largest exponential", id="divided-by-max"),
        pytest.param(running_sum_softmax, "inside the loop", id="normalised-inside-loop"),
        pytest.param(scipy.special.expit, "sigmoid", id="sigmoid"),
        pytest.param(lambda z: np.exp(-z) / np.sum(np.exp(-z)), "sign is flipped", id="exp-of-minus-z"),
        pytest.param(lambda z: z - scipy.special.logsumexp(z), "log-probabilities", id="log-softmax"),
        pytest.param(lambda z: (z == z.max()).astype(float), "one-hot", id="one-hot-argmax"),
        pytest.param(lambda z: list(np.exp(z) / np.sum(np.exp(z))), "returned a list", id="returned-list"),
        pytest.param(lambda z: tf.nn.softmax(z), "TensorFlow", id="used-tf"),
        pytest.param(in_place_softmax, "mutated the input", id="mutated-input"),
        pytest.param(lambda z: np.sum(np.exp(z)), "same shape as z", id="returned-a-scalar"),
    ],
)
def test_check_softmax_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_softmax(wrong)


def test_check_softmax_failure_names_input_expected_and_got():
    with pytest.raises(CheckFailure) as failure:
        check_softmax(np.exp)
    message = str(failure.value)
    assert "z = [1., 2., 3., 4.]" in message
    assert "expected: [0.0321, 0.0871, 0.2369, 0.6439]" in message
    assert "got:" in message and "54.59" in message


@pytest.mark.parametrize(
    "stable_softmax",
    [
        pytest.param(softmax_shifted, id="max-subtracted"),
        pytest.param(softmax_logsumexp, id="exp-of-log-softmax"),
        pytest.param(softmax_rows_loop, id="loop-over-rows"),
    ],
)
def test_check_stable_softmax_accepts_correct_implementations(stable_softmax, capsys):
    check_stable_softmax(stable_softmax)
    assert "✓ check_stable_softmax passed" in capsys.readouterr().out


def stable_in_place(z):
    z -= z.max(axis=-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


def exp_shifted(z, shift):
    with np.errstate(over="ignore"):
        return np.exp(z - shift)


def clipped(z):
    e = np.exp(np.clip(z, -500, 500))
    return e / e.sum(axis=-1, keepdims=True)


def per_row_max(z):
    return z.max(axis=-1, keepdims=True)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        pytest.param(
            lambda z: exp_shifted(z, 0) / exp_shifted(z, 0).sum(axis=-1, keepdims=True),
            "forgot to subtract the max",
            id="forgot-to-subtract-max",
        ),
        pytest.param(
            lambda z: exp_shifted(z, z.max()) / exp_shifted(z, z.max()).sum(axis=-1, keepdims=True),
            "max of the whole array",
            id="global-max",
        ),
        pytest.param(
            lambda z: (
                exp_shifted(z, z.min(axis=-1, keepdims=True))
                / exp_shifted(z, z.min(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True)
            ),
            "subtracted the min",
            id="subtracted-min",
        ),
        pytest.param(
            lambda z: exp_shifted(z, per_row_max(z)) / exp_shifted(z, per_row_max(z)).sum(axis=0, keepdims=True),
            "axis 0",
            id="summed-over-batch-axis",
        ),
        pytest.param(
            lambda z: exp_shifted(z, per_row_max(z)) / exp_shifted(z, per_row_max(z)).sum(),
            "sum of the whole array",
            id="summed-whole-array",
        ),
        pytest.param(
            lambda z: exp_shifted(z, per_row_max(z)) / exp_shifted(z, per_row_max(z)).sum(axis=-1),
            "keepdims=True in the sum",
            id="sum-without-keepdims",
        ),
        pytest.param(
            lambda z: exp_shifted(z, z.max(axis=-1)) / exp_shifted(z, z.max(axis=-1)).sum(axis=-1, keepdims=True),
            "keepdims=True in the max",
            id="max-without-keepdims",
        ),
        pytest.param(
            lambda z: exp_shifted(z, z.max(axis=1, keepdims=True)) / 1.0,
            "axis=-1",
            id="axis-1-fails-on-1d",
        ),
        pytest.param(clipped, "clip", id="clipped-logits"),
        pytest.param(stable_in_place, "mutated the input", id="mutated-input"),
        pytest.param(lambda z: tf.nn.softmax(z), "TensorFlow", id="used-tf"),
        pytest.param(lambda z: softmax_shifted(z).tolist(), "returned a list", id="returned-list"),
    ],
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong answers overflow, as a learner's would
def test_check_stable_softmax_rejects_mistake_with_its_hint(wrong, hint):
    with pytest.raises(CheckFailure, match=hint):
        check_stable_softmax(wrong)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.float32, np.float64]),
        shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
        elements=st.floats(-1e4, 1e4, width=32),
    )
)
def test_check_stable_softmax_accepts_the_reference_on_any_finite_logits(z):
    check_stable_softmax(softmax_shifted, cases=[z])


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(-50, 50)))
def test_check_softmax_accepts_the_plain_formula_on_any_moderate_logits(z):
    check_softmax(lambda v: np.exp(v) / np.sum(np.exp(v)), cases=[z])


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.integers(2, 12), elements=st.floats(-50, 50)))
def test_check_softmax_rejects_the_sign_flip_on_any_logits_that_are_not_all_equal(z):
    assume(np.ptp(z) > 1e-3)
    with pytest.raises(CheckFailure):
        check_softmax(lambda v: np.exp(-v) / np.sum(np.exp(-v)), cases=[z])
