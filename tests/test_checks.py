"""Specification of what every check shares: stubs, learner exceptions, the registry, and how failures look.

The per-exercise behaviour (correct answers accepted, known mistakes named) is in one test file per
notebook module: test_checks_softmax.py, test_checks_building.py, test_checks_gradients.py,
test_checks_training.py and test_checks_evaluation.py.
"""

import inspect

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from solved import GRADED, check_calls, exercise_functions

from lab_utils import checks
from lab_utils.checks import EXERCISES, CheckFailure, ExerciseCheck, NotImplementedYet, core, exercises_in, series_stems
from lab_utils.errors import LabError


def run_check(exercise, fn):
    core.run_check(exercise, fn)


def returns_none(*args):
    return None


def raises_not_implemented(*args):
    raise NotImplementedError("Replace this line with your code")


def divides_by_zero(*args):
    return 1 / 0


def uses_an_undefined_name(*args):
    return undefined_variable  # noqa: F821


by_function = pytest.mark.parametrize("exercise", EXERCISES, ids=[ex.function for ex in EXERCISES])


@by_function
@pytest.mark.parametrize("stub", [returns_none, raises_not_implemented], ids=["returns-none", "raises-not-implemented"])
def test_a_stub_is_reported_as_not_implemented_yet(exercise, stub):
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        run_check(exercise, stub)


@by_function
@pytest.mark.parametrize(
    "broken, text",
    [(divides_by_zero, "ZeroDivisionError: division by zero"), (uses_an_undefined_name, "NameError: name 'undefined")],
    ids=["zero-division", "name-error"],
)
def test_an_exception_in_learner_code_is_a_failure_naming_its_type_and_message(exercise, broken, text):
    with pytest.raises(CheckFailure, match=text) as failure:
        run_check(exercise, broken)
    assert not isinstance(failure.value, NotImplementedYet)
    assert f"{exercise.function} raised" in str(failure.value)


@by_function
def test_passing_something_that_is_not_a_function_is_a_failure(exercise):
    with pytest.raises(CheckFailure, match="needs your function"):
        run_check(exercise, 42)


def test_check_failure_is_an_assertion_error_and_a_lab_error():
    assert issubclass(CheckFailure, AssertionError)
    assert issubclass(CheckFailure, LabError)
    assert issubclass(NotImplementedYet, CheckFailure)


def test_a_passing_check_prints_one_green_line(capsys):
    checks.check_count_params(lambda s: sum(a * b + b for a, b in zip(s[:-1], s[1:], strict=True)))
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("\033[32m✓ check_count_params passed:")


def test_registry_declares_each_exercise_once_with_its_notebook_and_points():
    functions = [ex.function for ex in EXERCISES]
    assert len(functions) == len(set(functions))
    assert all(isinstance(ex, ExerciseCheck) and ex.points > 0 and ex.notebook in GRADED for ex in EXERCISES)
    assert [ex.notebook for ex in EXERCISES] == sorted(ex.notebook for ex in EXERCISES), "in series order"


@pytest.mark.parametrize("exercise", EXERCISES, ids=[ex.function for ex in EXERCISES])
def test_a_registered_exercise_is_defined_and_checked_in_its_solved_notebook(exercise):
    assert exercise.function in exercise_functions(exercise.notebook), (
        f"{exercise.function} is registered for {exercise.notebook}, but no exercise cell of "
        f"solutions/{exercise.notebook}.ipynb defines it"
    )
    call = f"{exercise.name}({exercise.function}"
    assert any(c.startswith(call) for c in check_calls(exercise.notebook)), (
        f"{exercise.function} is registered for {exercise.notebook}, but solutions/{exercise.notebook}.ipynb "
        f"never calls {call}...)"
    )


@pytest.mark.parametrize("notebook", GRADED + ["06_going_further"])
def test_every_exercise_and_check_of_a_solved_notebook_is_registered(notebook):
    registered = {ex.function for ex in EXERCISES}
    unregistered = [f for f in exercise_functions(notebook) if f not in registered]
    assert not unregistered, f"solutions/{notebook}.ipynb has exercises no check registers: {unregistered}"
    names = {ex.name for ex in EXERCISES}
    unknown = [c for c in check_calls(notebook) if c.split("(")[0] not in names]
    assert not unknown, f"solutions/{notebook}.ipynb calls checks lab_utils.checks does not register: {unknown}"


def test_registry_holds_every_check_of_the_module():
    public_checks = {name for name, _ in inspect.getmembers(checks, inspect.isfunction) if name.startswith("check_")}
    assert {getattr(ex, "name", getattr(ex, "__name__", None)) for ex in EXERCISES} == public_checks


def test_exercises_in_accepts_a_notebook_name_or_path():
    assert [ex.function for ex in exercises_in("02_model")] == ["count_params", "build_model", "my_dense"]
    assert exercises_in("notebooks/04_training.ipynb") == exercises_in("04_training")
    assert exercises_in("06_going_further") == ()


@pytest.mark.slow  # starts a kernel
def test_in_a_notebook_a_failed_check_is_a_short_red_error_that_still_stops_the_run(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from lab_utils.checks import check_softmax, check_count_params"),
        nbformat.v4.new_code_cell("check_count_params(lambda s: sum(a * b + b for a, b in zip(s, s[1:])))"),
        nbformat.v4.new_code_cell("def my_softmax(z):\n    raise NotImplementedError\ncheck_softmax(my_softmax)"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ]
    client = NotebookClient(
        nb, timeout=600, startup_timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )  # generous: the first cell loads TensorFlow, slow on a busy 2-core machine
    with pytest.raises(CellExecutionError, match="not implemented yet") as failure:
        client.execute()
    assert "NotImplementedYet" in str(failure.value)
    passed, failed, after = nb.cells[1].outputs, nb.cells[2].outputs, nb.cells[3].outputs
    assert "✓ check_count_params passed" in passed[0]["text"]
    assert failed[0]["output_type"] == "error"
    assert failed[0]["ename"] == "NotImplementedYet"
    assert failed[0]["traceback"][0].startswith("\033[31m")
    assert not any("lab_utils" in line for line in failed[0]["traceback"])  # no trace through the lab's code
    assert after == []


def test_the_series_stems_are_the_graded_notebooks_in_series_order():
    stems = series_stems()
    assert stems[:2] == ["01_softmax", "02_model"]
    assert stems == sorted(stems)
    assert stems == list(dict.fromkeys(ex.notebook for ex in EXERCISES))
