"""A result from a worker or the journal is checked against the registry (lab_utils.grading.results.validated)."""

import pytest

from lab_utils.checks import exercises_in
from lab_utils.grading.results import (
    FAILED,
    PASSED,
    ExerciseResult,
    InvalidResult,
    NotebookResult,
    SubmissionResult,
    validated,
)


def softmax_result(learner_id="ada", result=PASSED):
    exercises = [
        ExerciseResult(ex.function, ex.notebook, ex.points, ex.points if result == PASSED else 0, result, "")
        for ex in exercises_in("01_softmax")
    ]
    return SubmissionResult(learner_id, [NotebookResult("01_softmax", "ada/01_softmax.ipynb", exercises=exercises)])


def test_the_graders_own_result_validates():
    data = softmax_result().to_dict()
    assert validated(data, "ada").score == softmax_result().score


def test_a_result_for_another_learner_is_refused():
    with pytest.raises(InvalidResult, match="for learner 'bob'"):
        validated(softmax_result("bob").to_dict(), "ada")


def test_points_above_the_registrys_are_refused():
    data = softmax_result().to_dict()
    data["notebooks"][0]["exercises"][0].update(points=135, score=135)
    with pytest.raises(InvalidResult, match="do not match the registry"):
        validated(data, "ada")


def test_points_for_a_failed_exercise_are_refused():
    data = softmax_result(result=FAILED).to_dict()
    data["notebooks"][0]["exercises"][0]["score"] = 1
    with pytest.raises(InvalidResult, match="not passed"):
        validated(data, "ada")


def test_an_exercise_not_in_the_registry_is_refused():
    data = softmax_result().to_dict()
    data["notebooks"][0]["exercises"][0]["exercise"] = "free_points"
    with pytest.raises(InvalidResult, match="not the registry's"):
        validated(data, "ada")


def test_a_notebook_twice_is_refused():
    data = softmax_result().to_dict()
    data["notebooks"].append(data["notebooks"][0])
    with pytest.raises(InvalidResult, match="appears twice"):
        validated(data, "ada")


def test_a_shape_that_is_not_a_result_is_refused():
    with pytest.raises(InvalidResult, match="not a result"):
        validated({"learner_id": "ada", "notebooks": [{"notebook": "01_softmax"}]}, "ada")
