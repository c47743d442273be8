"""What a class grading writes (lab_utils.course.reports): gradebook.csv, grades.json, feedback pages, report.html.

The results are `SubmissionResult`s built here as the grader builds them (the batch tests produce them by grading
real notebooks); exercises and points come from the real registry, so the expected totals follow it.
"""

import csv
import json
import re

import pytest

from lab_utils.checks import EXERCISES
from lab_utils.course.batch import failed_result
from lab_utils.course.class_report import report_html
from lab_utils.course.pages import feedback_html
from lab_utils.course.reports import MAX_SCORE, write_all
from lab_utils.grading.results import (
    FAILED,
    GRADED,
    MISSING,
    NOT_IMPLEMENTED,
    PASSED,
    ExerciseResult,
    NotebookResult,
    SubmissionResult,
)

POINTS = {ex.function: ex.points for ex in EXERCISES}
STEMS = list(dict.fromkeys(ex.notebook for ex in EXERCISES))
TRANSPOSED = "you transposed the matrix: rows are the true labels, columns the predictions"


def submission(learner_id, outcome=None, missing=(), notes=None):
    """A learner's result: every exercise passed unless `outcome[function] = (result, message, hint)`;
    the notebooks in `missing` were not handed in."""
    outcome = outcome or {}
    notebooks = []
    for stem in STEMS:
        exercises = []
        for ex in (e for e in EXERCISES if e.notebook == stem):
            result, message, hint = (MISSING, "no notebook", None) if stem in missing else (PASSED, "correct", None)
            result, message, hint = outcome.get(ex.function, (result, message, hint))
            score = ex.points if result == PASSED else 0
            exercises.append(ExerciseResult(ex.function, stem, ex.points, score, result, message, hint))
        status = MISSING if stem in missing else GRADED
        path = None if stem in missing else f"{learner_id}/{stem}.ipynb"
        nb_notes = (notes or {}).get(stem, [])
        notebooks.append(NotebookResult(stem, path, status, exercises, nb_notes, seconds=1.5))
    return SubmissionResult(learner_id, notebooks, seed=7, sandbox=True, seconds=6.0, cpu_seconds=4.0)


def wrong_matrix(hint=TRANSPOSED):
    message = f"my_confusion_matrix gave a wrong answer for labels of 3 classes\n  expected: ...\n  hint: {hint}"
    return {"my_confusion_matrix": (FAILED, message, hint)}


@pytest.fixture
def results_dir(tmp_path):
    results = [
        submission("s10"),
        submission("s2", wrong_matrix()),
        submission(
            "s3", {**wrong_matrix(), "my_softmax": (NOT_IMPLEMENTED, "my_softmax is not implemented yet", None)}
        ),
        submission("s4", missing=["02_model"], notes={"01_softmax": ["code cell 5 (`plt.plot(x)`) raised NameError"]}),
        failed_result("s5", "KilledWorker: the worker died"),
    ]
    write_all(results, {"seed": 7, "graded": 5, "reused": 0, "seconds": 30.0, "workers": 2, "pool": "local"}, tmp_path)
    return tmp_path


def read_gradebook(path):
    with open(path / "gradebook.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_gradebook_columns_are_learner_id_each_exercise_in_registry_order_score_max_score_status_problems(results_dir):
    with open(results_dir / "gradebook.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["learner_id", *(ex.function for ex in EXERCISES), "score", "max_score", "status", "problems"]


def test_gradebook_has_one_row_per_learner_sorted_by_id_numbers_as_numbers(results_dir):
    assert [row["learner_id"] for row in read_gradebook(results_dir)] == ["s2", "s3", "s4", "s5", "s10"]


def test_gradebook_rows_hold_the_points_earned_and_hand_computed_totals(results_dir):
    rows = {row["learner_id"]: row for row in read_gradebook(results_dir)}
    full = sum(POINTS.values())
    expected_scores = {
        "s10": full,
        "s2": full - POINTS["my_confusion_matrix"],
        "s3": full - POINTS["my_confusion_matrix"] - POINTS["my_softmax"],
        "s4": full - sum(ex.points for ex in EXERCISES if ex.notebook == "02_model"),
        "s5": 0,
    }
    for learner_id, score in expected_scores.items():
        assert rows[learner_id]["score"] == f"{score:g}", learner_id
        assert rows[learner_id]["max_score"] == f"{MAX_SCORE:g}"
        assert sum(float(rows[learner_id][ex.function]) for ex in EXERCISES) == score
    assert rows["s2"]["my_confusion_matrix"] == "0"
    assert rows["s2"]["my_softmax"] == str(POINTS["my_softmax"])


def test_gradebook_status_is_one_word_and_problems_say_what_went_wrong(results_dir):
    rows = {row["learner_id"]: row for row in read_gradebook(results_dir)}
    assert rows["s10"]["status"] == rows["s2"]["status"] == "graded"
    assert (rows["s4"]["status"], rows["s4"]["problems"]) == ("missing", "02_model missing")
    assert rows["s5"]["status"] == "failed"
    assert rows["s5"]["problems"] == "every notebook failed: KilledWorker: the worker died"


def test_grades_json_holds_the_run_the_registry_and_every_result_with_messages(results_dir):
    data = json.loads((results_dir / "grades.json").read_text())
    assert data["run"]["seed"] == 7
    assert [e["function"] for e in data["exercises"]] == [ex.function for ex in EXERCISES]
    s2 = next(learner for learner in data["learners"] if learner["learner_id"] == "s2")
    assert s2["sandbox"] is True and s2["cpu_seconds"] == 4.0
    matrix = next(r for nb in s2["notebooks"] for r in nb["exercises"] if r["exercise"] == "my_confusion_matrix")
    assert matrix["hint"] == TRANSPOSED and "wrong answer" in matrix["message"]
    assert SubmissionResult.from_dict(s2).score == MAX_SCORE - POINTS["my_confusion_matrix"]


def test_a_feedback_page_is_written_per_learner(results_dir):
    assert sorted(p.name for p in (results_dir / "feedback").iterdir()) == [
        f"{s}.html" for s in ("s10", "s2", "s3", "s4", "s5")
    ]


def test_feedback_shows_each_exercise_its_message_and_its_hint_once():
    page = feedback_html(submission("s2", wrong_matrix()))
    for ex in EXERCISES:
        assert ex.function in page
    assert f"Your grade: {MAX_SCORE - POINTS['my_confusion_matrix']:g} of {MAX_SCORE:g} points" in page
    assert "labels of 3 classes" in page
    assert page.count("you transposed the matrix") == 1  # shown as the hint, not again inside the message


def test_feedback_says_in_learner_words_that_a_notebook_was_not_found_and_which_cells_crashed():
    notes = {"01_softmax": ["code cell 5 (`plt.plot(x)`) raised NameError"]}
    page = feedback_html(submission("s4", missing=["02_model"], notes=notes))
    assert "We found no 02_model notebook" in page
    assert "code cell 5 (`plt.plot(x)`) raised NameError" in page


def test_feedback_escapes_what_a_submission_wrote():
    hostile = '<script>alert("x")</script>'
    page = feedback_html(submission("s1", {"my_softmax": (FAILED, f"raised ValueError: {hostile}", hostile)}))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_report_counts_learners_per_hint_with_their_share_of_the_class(results_dir):
    page = (results_dir / "report.html").read_text()
    # s2 and s3 of 5 learners transposed the matrix.
    assert re.search(r"<b>40%</b> \(2 learners\): you transposed the matrix", page)


def test_report_embeds_the_histogram_and_the_pass_rate_figures_as_png(results_dir):
    page = (results_dir / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 2
    assert 'alt="Histogram of the 5 learners' in page
    assert 'alt="Bar chart of the share of learners who passed each exercise' in page
    assert "http://" not in page and "https://" not in page  # nothing loaded from the network


def test_report_lists_the_learners_not_fully_graded_and_why(results_dir):
    page = (results_dir / "report.html").read_text()
    assert "<td>s4</td><td></td><td>02_model missing</td>" in page
    assert "<td>s5</td><td></td><td>every notebook failed: KilledWorker: the worker died</td>" in page
    assert "<td>s2</td>" not in page.split("Learners not fully graded")[1]


def test_report_pass_rate_per_exercise_counts_every_learner_of_the_class(results_dir):
    page = (results_dir / "report.html").read_text()
    # my_confusion_matrix passed by s10 and s4 out of 5; my_softmax by s10, s2, s4.
    assert "<tr><td>my_confusion_matrix</td><td>40%</td><td>2</td><td>2</td>" in page
    assert "<tr><td>my_softmax</td><td>60%</td><td>3</td><td>0</td><td>1</td>" in page


def test_report_escapes_hints_and_learner_ids():
    hostile = "<img src=x onerror=alert(1)>"
    page = report_html([submission(hostile, wrong_matrix(hostile))], {"seed": 1})
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
