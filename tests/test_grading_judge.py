"""The grader's verdicts (lab_utils.grading.judge): cases from the run's seed, and whatever the kernel sends
back judged in this process; malformed or lying answers earn nothing and never crash the grader."""

import numpy as np
import pytest

from lab_utils.checks import exercises_in
from lab_utils.checks.messages import CheckFailure, fail
from lab_utils.grading import judge
from lab_utils.grading.results import ERROR, FAILED, MISSING, NOT_IMPLEMENTED, PASSED, TIMEOUT
from lab_utils.grading.runner import CellRun
from lab_utils.observe import wire

MY_SOFTMAX = exercises_in("01_softmax")[0]
CASES = judge.cases(MY_SOFTMAX, seed=3)


def returned(value: np.ndarray) -> dict:
    return {"status": "returned", "type": "numpy.ndarray", "value": value, "is_array": True, "mutated": False}


def honest_answer(cases) -> str:
    obs = []
    for case in cases:
        z = np.asarray(case.args[0], dtype=np.float64)
        e = np.exp(z - z.max())
        obs.append(returned(e / e.sum()))
    return wire.encode({"observations": obs})


def verdict(payload: str | None, status: str = "ok", sources=("def my_softmax(z): ...",)):
    return judge.judge(MY_SOFTMAX, CASES, CellRun(status=status, payload=payload), list(sources), timeout=5)


def test_the_same_seed_gives_the_same_cases_and_another_seed_others():
    same = wire.encode([list(c) for c in judge.cases(MY_SOFTMAX, seed=3)])
    assert same == wire.encode([list(c) for c in CASES])
    assert same != wire.encode([list(c) for c in judge.cases(MY_SOFTMAX, seed=4)])


def test_the_request_carries_the_function_and_the_cases_as_wire_data():
    code = judge.request(MY_SOFTMAX, CASES)
    assert code.startswith("__import__('lab_utils.observe.kernel_side'") and "observe_all(globals(), " in code


def test_right_observations_pass_with_the_registrys_points():
    result = verdict(honest_answer(CASES))
    assert (result.result, result.score, result.points) == (PASSED, MY_SOFTMAX.points, MY_SOFTMAX.points)


def test_observations_of_other_cases_fail():
    result = verdict(honest_answer(judge.cases(MY_SOFTMAX, seed=4)))
    assert (result.result, result.score) == (FAILED, 0)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "not json",
        wire.encode({"observations": []}),
        wire.encode({"observations": ["passed"] * len(CASES)}),
        wire.encode({"observations": [{}] * len(CASES), "bonus": 10_000}),
        '{"observations": [{"__ndarray__": "gASV"}]}',
    ],
    ids=["none", "not-json", "too-few", "not-dicts", "extra-keys", "pickle"],
)
def test_malformed_answers_are_errors_worth_nothing(payload):
    result = verdict(payload)
    assert (result.result, result.score) == (ERROR, 0)
    assert len(result.message) <= 400


def test_observations_shaped_to_trip_the_judge_fail():
    lying = [{"status": "returned", "type": 3, "value": {"x": [1]}, "is_array": "yes"}] * len(CASES)
    assert verdict(wire.encode({"observations": lying})).score == 0


def test_a_stub_is_not_implemented():
    stub = wire.encode({"observations": [{"status": "not_implemented", "message": ""}] * len(CASES)})
    assert verdict(stub).result == NOT_IMPLEMENTED


def test_a_missing_function_is_missing():
    assert verdict(wire.encode({"missing": "function my_softmax is not defined"})).result == MISSING


def test_a_timed_out_or_lost_kernel_scores_zero():
    assert verdict(None, status="timeout").result == TIMEOUT
    assert verdict(None, status="dead").result == ERROR


def test_a_wrong_answer_keeps_its_hint_apart_from_the_message():
    obs = []
    for case in CASES:
        z = np.asarray(case.args[0], dtype=np.float64)
        obs.append(
            {"status": "returned", "type": "numpy.ndarray", "value": np.exp(z), "is_array": True, "mutated": False}
        )
    result = verdict(wire.encode({"observations": obs}))
    assert result.result == FAILED
    assert result.hint and "dividing by the sum" in result.hint
    assert "hint:" not in result.message


def test_a_library_call_in_the_notebook_fails_whatever_the_kernel_says():
    sources = ["import scipy.special\n\ndef my_softmax(z):\n    return scipy.special.softmax(z)"]
    result = verdict(honest_answer(CASES), sources=sources)
    assert (result.result, result.score) == (FAILED, 0)
    assert result.hint == MY_SOFTMAX.library_hint


def test_a_hint_wrapped_over_several_lines_is_kept_whole_and_leaves_no_stray_line():
    long_hint = "subtract the row's maximum before np.exp, " * 4 + "then divide by the sum of each row"
    with pytest.raises(CheckFailure) as failure:
        fail("my_softmax", "a (2, 3) array", [1.0], [2.0], hint=long_hint)
    assert len(str(failure.value).splitlines()) > 4  # messages.wrapped broke the hint over several lines
    result = judge._failure(MY_SOFTMAX, FAILED, failure.value)
    assert result.hint == long_hint.strip()
    assert "hint" not in result.message and "then divide" not in result.message
    assert result.message.splitlines()[-1].strip().startswith("got:")
