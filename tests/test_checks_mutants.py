"""Specification of the mutants: every plausible wrong version of an exercise's reference maths, written beside its
check with the sentence that names its cause, is told that sentence when a learner's answer equals it.

For each NumPy-judged exercise, each mutant's answer is sent through the wire as the learner's return value on the
check's own cases; on at least one case the failure carries the mutant's sentence (on others an earlier mutant may
give the same values: then the first one's sentence is as true).
"""

from collections.abc import Callable

import numpy as np
import pytest

from lab_utils.checks import CheckFailure
from lab_utils.checks.building import COUNT_PARAMS, DENSE, count_params_mutants, dense_mutants
from lab_utils.checks.core import ExerciseCheck
from lab_utils.checks.evaluation import CONFUSION_MATRIX, confusion_matrix_mutants
from lab_utils.checks.gradients.cross_entropy import CROSS_ENTROPY, cross_entropy_mutants
from lab_utils.checks.gradients.cross_entropy_grad import SOFTMAX_CROSS_ENTROPY_GRAD, cross_entropy_grad_mutants
from lab_utils.checks.gradients.dense_backward import DENSE_BACKWARD, NAMES, dense_backward_mutants
from lab_utils.checks.gradients.gd_step import GD_STEP, gd_step_mutants
from lab_utils.checks.softmax import SOFTMAX, STABLE_SOFTMAX
from lab_utils.observe import wire
from lab_utils.observe.calls import Case, type_name
from lab_utils.reference import confusion_matrix, cross_entropy, dense_backward, softmax_cross_entropy_grad

Answers = list[tuple[str, Callable]]  # (sentence, the learner's whole return value under that mutant)


def softmax_answers(check: ExerciseCheck, case: Case) -> Answers:
    return check.mutants(case.args[0])


def count_params_answers(case: Case) -> Answers:
    return count_params_mutants(case.args[0])


def dense_answers(case: Case) -> Answers:
    a_in, W, b, g = case.args
    return dense_mutants(*(np.asarray(v, dtype=np.float64) for v in (a_in, W, b)), g)


def cross_entropy_answers(case: Case) -> Answers:
    logits, y = case.args
    return cross_entropy_mutants(logits, y, cross_entropy(logits, y))


def cross_entropy_grad_answers(case: Case) -> Answers:
    logits, y = case.args
    return cross_entropy_grad_mutants(logits, y, softmax_cross_entropy_grad(logits, y))


def dense_backward_answers(case: Case) -> Answers:
    """Each mutant of one of (dW, db, da_in), the other two right."""
    right = dense_backward(*case.args)
    answers = []
    for name, mutants in dense_backward_mutants(*case.args).items():
        i = NAMES.index(name)
        answers += [
            (said, lambda i=i, f=f: tuple(f() if j == i else r for j, r in enumerate(right))) for said, f in mutants
        ]
    return answers


def gd_step_answers(case: Case) -> Answers:
    """Each mutant of the first parameter's step, the others right."""
    params, grads, rate = case.args
    rest = [p - rate * g for p, g in zip(params[1:], grads[1:], strict=True)]
    return [(said, lambda f=f: [f(), *rest]) for said, f in gd_step_mutants(params[0], grads[0], rate)]


def confusion_matrix_answers(case: Case) -> Answers:
    return confusion_matrix_mutants(confusion_matrix(*case.args))


EXERCISES = {
    "my_softmax": (SOFTMAX, lambda case: softmax_answers(SOFTMAX, case)),
    "stable_softmax": (STABLE_SOFTMAX, lambda case: softmax_answers(STABLE_SOFTMAX, case)),
    "count_params": (COUNT_PARAMS, count_params_answers),
    "my_dense": (DENSE, dense_answers),
    "cross_entropy_from_logits": (CROSS_ENTROPY, cross_entropy_answers),
    "softmax_cross_entropy_grad": (SOFTMAX_CROSS_ENTROPY_GRAD, cross_entropy_grad_answers),
    "dense_backward": (DENSE_BACKWARD, dense_backward_answers),
    "gd_step": (GD_STEP, gd_step_answers),
    "my_confusion_matrix": (CONFUSION_MATRIX, confusion_matrix_answers),
}


def cases_of(check: ExerciseCheck) -> list[Case]:
    return check.cases(np.random.default_rng(2026))


def observed(value) -> dict:
    """What the kernel would send back for a function that returned value."""
    obs = {"status": "returned", "type": type_name(value), "value": value, "is_array": isinstance(value, np.ndarray)}
    obs["mutated"] = False
    return wire.decode(wire.encode(obs))


def sentences() -> list[tuple[str, str]]:
    """(exercise, mutant sentence) for every mutant any case of the exercise has."""
    found = {}
    for function, (check, answers) in EXERCISES.items():
        for case in cases_of(check):
            found.update({(function, said): None for said, _ in answers(case)})
    return list(found)


def told(check: ExerciseCheck, case: Case, answer: Callable) -> str | None:
    """The failure message for a learner who returned answer() on case; None when that answer is right there."""
    with np.errstate(all="ignore"):
        try:
            value = answer()
        except (ValueError, IndexError, ZeroDivisionError):
            return None
    try:
        check.judge(case, observed(int(value) if isinstance(value, (int, np.integer)) else value))
    except CheckFailure as failure:
        return " ".join(str(failure).split())
    return None


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("function, said", sentences(), ids=lambda v: v[:60])
def test_a_learner_whose_answer_is_a_mutant_is_told_its_sentence(function, said):
    check, answers = EXERCISES[function]
    messages = []
    for case in cases_of(check):
        for sentence, answer in answers(case):
            if sentence == said:
                messages.append(told(check, case, answer))
    assert any(message and " ".join(said.split()) in message for message in messages), messages
