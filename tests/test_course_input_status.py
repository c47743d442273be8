"""A learner whose files could not be read (classdir's guard: `Learner.input_status`) gets that status word in
their results, `refused` or `unreadable` with the reasons, 0 points, no kernel started; never "flagged" as if graded.
The others are graded by a pool that answers with results built here (`CannedPool`)."""

import csv
import json

import pytest
from grading_class import MY_SOFTMAX, write_notebook

import lab_utils.course.classdir as classdir
from lab_utils.checks import EXERCISES
from lab_utils.course.cli import grade_and_report
from lab_utils.course.handin_file import HandInRefused
from lab_utils.grading.options import GradeOptions
from lab_utils.grading.results import (
    GRADED,
    PASSED,
    REFUSED,
    UNREADABLE,
    ExerciseResult,
    NotebookResult,
    SubmissionResult,
)


class CannedPool:
    """Grades nobody for real: every learner asked for passes every exercise; it records whom it was asked for."""

    def __init__(self):
        self.asked = []

    def describe(self):
        return {"pool": "canned", "workers": 1}

    def run(self, learners, options):
        for learner in learners:
            self.asked.append(learner.learner_id)
            notebooks = [
                NotebookResult(
                    stem,
                    f"{stem}.ipynb",
                    GRADED,
                    [
                        ExerciseResult(e.function, stem, e.points, e.points, PASSED, "ok")
                        for e in EXERCISES
                        if e.notebook == stem
                    ],
                )
                for stem in dict.fromkeys(ex.notebook for ex in EXERCISES)
            ]
            yield learner, SubmissionResult(learner.learner_id, notebooks, seed=1)


@pytest.fixture
def graded(tmp_path, monkeypatch):
    """ada is read; reading bob's files meets a bug, reading cy's a hand-in file refused."""
    build = classdir.build_learner
    failures = {
        "bob": RuntimeError("a bug met in bob's files"),
        "cy": HandInRefused("holds a member outside its folder"),
    }

    def failing(learner, *args):
        if learner.learner_id in failures:
            raise failures[learner.learner_id]
        return build(learner, *args)

    monkeypatch.setattr(classdir, "build_learner", failing)
    for learner_id in ("ada", "bob", "cy"):
        write_notebook(tmp_path / "class" / learner_id / "01_softmax.ipynb", MY_SOFTMAX)
    pool, out = CannedPool(), tmp_path / "out"
    run = grade_and_report(tmp_path / "class", out, pool, GradeOptions(seed=1))
    return pool, out, {r.learner_id: r for r in run.results}


def test_a_learner_whose_files_could_not_be_read_is_unreadable_with_the_reason_and_0_points(graded):
    _, _, results = graded
    bob = results["bob"]
    assert (bob.status, bob.score) == (UNREADABLE, 0)
    assert bob.problems == ["unreadable: RuntimeError: a bug met in bob's files"]
    assert {nb.status for nb in bob.notebooks} == {UNREADABLE}


def test_a_learner_whose_hand_in_was_refused_is_refused(graded):
    _, _, results = graded
    assert (results["cy"].status, results["cy"].score) == (REFUSED, 0)
    assert results["cy"].problems == ["refused: HandInRefused: holds a member outside its folder"]


def test_no_kernel_is_started_for_them_and_the_others_are_graded(graded):
    pool, _, results = graded
    assert pool.asked == ["ada"]
    assert (results["ada"].status, results["ada"].score) == (GRADED, 135)


def test_the_gradebook_and_grades_json_say_the_status_word_and_the_reason(graded):
    _, out, _ = graded
    with (out / "gradebook.csv").open(newline="") as f:
        rows = {row["learner_id"]: row for row in csv.DictReader(f)}
    assert (rows["bob"]["status"], rows["cy"]["status"]) == (UNREADABLE, REFUSED)
    assert rows["bob"]["problems"].startswith("unreadable: RuntimeError: a bug met in bob's files; every notebook")
    learners = {r["learner_id"]: r for r in json.loads((out / "grades.json").read_text())["learners"]}
    assert (learners["bob"]["status"], learners["cy"]["status"]) == (UNREADABLE, REFUSED)
