"""Specification of the check protocol: the wire format, judging outside the kernel, fresh cases per seed.

The grader has the learner's kernel observe each case (the check's `observer`, in `lab_utils.observe`) and
calls `judge` in its own process, on the decoded observation only. These tests play both sides: observations
are made here (where TensorFlow and the "learner" code live), and judged in a fresh Python process that must
never load TensorFlow.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
from solved import solved_functions

from lab_utils.checks import EXERCISES, CheckFailure, check_count_params, check_softmax
from lab_utils.checks.core import Case, call_learner, observe_in_kernel
from lab_utils.observe import wire

# ---------------------------------------------------------------- the wire


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        -2.5,
        "text",
        [1, "a", None],
        {"a": {"b": [1.5, 2]}},
        np.arange(6, dtype=np.int32).reshape(2, 3),
        np.array([0.5, np.nan, np.inf], dtype=np.float32),
        np.array([True, False]),
        np.zeros((0, 4)),
    ],
    ids=["none", "bool", "int", "float", "str", "list", "dict", "int32-array", "float32-nan", "bool-array", "empty"],
)
def test_plain_data_survives_the_wire_round_trip(value):
    back = wire.decode(wire.encode(value))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


def test_a_numpy_scalar_keeps_its_dtype_as_a_0d_array():
    back = wire.decode(wire.encode(np.float32(1.5)))
    assert back.shape == () and back.dtype == np.float32


def test_tuples_travel_as_lists():
    assert wire.decode(wire.encode((1, (2, 3)))) == [1, [2, 3]]


class Custom:
    pass


@pytest.mark.parametrize(
    "value",
    [Custom(), {1, 2}, np.array(["a", "b"]), np.array([object()], dtype=object), {1: "int key"}, b"bytes"],
    ids=["object", "set", "string-array", "object-array", "int-key", "bytes"],
)
def test_encode_refuses_anything_but_plain_data(value):
    with pytest.raises(wire.WireError):
        wire.encode(value)


def npy_payload(array: np.ndarray, allow_pickle: bool = False) -> str:
    import base64
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return json.dumps({wire.ARRAY_KEY: base64.b64encode(buffer.getvalue()).decode()})


def test_decode_refuses_a_pickled_object_array():
    with pytest.raises(wire.WireError, match="dtype object"):
        wire.decode(npy_payload(np.array([{"a": 1}], dtype=object), allow_pickle=True))


def test_decode_refuses_an_array_over_the_size_limit_before_reading_it():
    text = npy_payload(np.zeros(10_000))
    with pytest.raises(wire.WireError, match="size limit"):
        wire.decode(text, max_bytes=len(text) + 1000)


def test_decode_refuses_a_message_over_the_limit():
    with pytest.raises(wire.WireError, match="over the limit"):
        wire.decode(json.dumps("x" * 100), max_bytes=50)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("{not json", "not JSON"),
        (json.dumps({wire.ARRAY_KEY: "@@@"}), "not an .npy array"),
        (json.dumps({wire.ARRAY_KEY: "AAAA", "extra": 1}), "single base64 string"),
        ("[" * 100 + "]" * 100, "nested deeper"),
    ],
    ids=["not-json", "bad-base64", "extra-key", "too-deep"],
)
def test_decode_refuses_malformed_messages_with_a_one_line_reason(text, reason):
    with pytest.raises(wire.WireError, match=reason) as error:
        wire.decode(text)
    assert "\n" not in str(error.value)


# ---------------------------------------------------------------- the solved notebooks' answers, observed here

# Every exercise's function as its solved notebook defines it.
SOLUTIONS = {ex.function: solved_functions(ex.notebook)[ex.function] for ex in EXERCISES}


def observe_all(function: str, fn, seed: int) -> dict:
    """What the kernel would send back: the observations of every case, as the wire carries them."""
    check = next(ex for ex in EXERCISES if ex.function == function)
    cases = check.cases(np.random.default_rng(seed))
    sent = [Case(*wire.decode(wire.encode(list(case)))) for case in cases]
    return {"function": function, "seed": seed, "observations": [observe_in_kernel(check, fn, case) for case in sent]}


JUDGE = """
import json, sys
import numpy as np
from lab_utils.checks import EXERCISES, CheckFailure
from lab_utils.observe import wire

checks = {ex.function: ex for ex in EXERCISES}
verdicts = []
for item in wire.decode(open(sys.argv[1]).read()):
    check = checks[item["function"]]
    cases = check.cases(np.random.default_rng(item["seed"]))
    for case, obs in zip(cases, item["observations"], strict=True):
        try:
            check.judge(case, obs)
            verdicts.append("passed")
        except CheckFailure as failure:
            verdicts.append(f"{type(failure).__name__}: {failure}")
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras"})
print(json.dumps({"verdicts": verdicts, "loaded": loaded}))
"""


def judge_elsewhere(tmp_path, items: list[dict]) -> dict:
    """Judge observations as the grader does: in a fresh process that never ran learner code."""
    path = tmp_path / "observations.json"
    path.write_text(wire.encode(items))
    done = subprocess.run(
        [sys.executable, "-c", JUDGE, str(path)], capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_every_reference_answer_passes_when_judged_in_a_process_without_tensorflow(tmp_path):
    items = [observe_all(function, fn, seed=12345) for function, fn in SOLUTIONS.items()]
    result = judge_elsewhere(tmp_path, items)
    assert result["verdicts"] == ["passed"] * sum(len(item["observations"]) for item in items)
    assert result["loaded"] == []


# ---------------------------------------------------------------- lying objects


class StackWalker:
    """Looks for the check's `expected` in its callers' frames when NumPy converts it."""

    def __array__(self, dtype=None, copy=None):
        frame = sys._getframe(1)
        while frame is not None:
            if "expected" in frame.f_locals:
                return np.asarray(frame.f_locals["expected"])
            frame = frame.f_back
        return np.ones(4)


class AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __array_function__(self, func, types, args, kwargs):
        return True  # np.allclose, np.array_equal... all say yes


class AgreeableInt(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


def patches_allclose(z):
    np.allclose = lambda *args, **kwargs: True
    return np.ones_like(z)


LIARS = {
    "stack-walking-array": ("my_softmax", lambda z: StackWalker()),
    "ndarray-subclass": ("my_softmax", lambda z: np.ones_like(z).view(AlwaysEqual)),
    "patched-np-allclose": ("my_softmax", patches_allclose),
    "int-subclass": ("count_params", lambda sizes: AgreeableInt(0)),
}


@pytest.mark.parametrize("liar", LIARS, ids=list(LIARS))
def test_a_lying_object_fails_when_judged_outside_the_kernel(liar, tmp_path, monkeypatch):
    monkeypatch.setattr(np, "allclose", np.allclose)  # undoes the learner's patch after the test
    function, fn = LIARS[liar]
    result = judge_elsewhere(tmp_path, [observe_all(function, fn, seed=1)])
    assert any(verdict.startswith("CheckFailure") for verdict in result["verdicts"])


@pytest.mark.parametrize("liar", LIARS, ids=list(LIARS))
def test_a_lying_object_fails_the_instant_check_too(liar, monkeypatch):
    monkeypatch.setattr(np, "allclose", np.allclose)
    function, fn = LIARS[liar]
    with pytest.raises(CheckFailure):
        (check_softmax if function == "my_softmax" else check_count_params)(fn)


def test_the_observation_of_a_returned_subclass_is_a_plain_ndarray():
    obs, _ = call_learner(lambda: np.ones(3).view(AlwaysEqual), [])
    assert type(obs["value"]) is np.ndarray and obs["type"].endswith("AlwaysEqual")


# ---------------------------------------------------------------- fresh cases per seed


@pytest.mark.parametrize("exercise", EXERCISES, ids=[ex.function for ex in EXERCISES])
def test_a_new_seed_gives_new_random_cases_and_keeps_the_fixed_ones(exercise):
    one, two = (exercise.cases(np.random.default_rng(seed)) for seed in (1, 2))
    assert len(one) == len(two)
    args_one, args_two = ({wire.encode(case.args) for case in cases} for cases in (one, two))
    assert args_one & args_two, "the fixed edge cases stay"
    assert [wire.encode(list(c)) for c in one] != [wire.encode(list(c)) for c in two], "the random cases change"


@pytest.mark.parametrize("exercise", EXERCISES, ids=[ex.function for ex in EXERCISES])
def test_the_same_seed_gives_the_same_cases(exercise):
    one, two = ([wire.encode(list(case)) for case in exercise.cases(np.random.default_rng(7))] for _ in range(2))
    assert one == two


def numpy_softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def test_the_instant_check_prints_the_same_line_every_run(capsys):
    check_softmax(numpy_softmax)
    check_softmax(numpy_softmax)
    first, second = capsys.readouterr().out.splitlines()
    assert first == second


class FailsToConvert:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no numbers here")


def test_an_object_that_breaks_while_observed_is_judged_as_a_wrong_answer_not_a_crash():
    with pytest.raises(CheckFailure, match="wrong answer"):
        check_softmax(lambda z: FailsToConvert())


def test_the_checks_load_without_tensorflow_which_loads_quietly_when_first_needed():
    code = "import sys, lab_utils.checks\nassert 'tensorflow' not in sys.modules\nimport keras\nkeras.layers.Dense(1)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stderr == ""
