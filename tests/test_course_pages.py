"""The pages agree with the grade (lab_utils.course.pages): the learner's page after overrides says the number the
exports hold, "N of M points", and an overridden exercise as the instructor set it; the report's histogram is in the
LMS's points, its roster lists who handed nothing in, unknown times are flagged, and a rerun that graded nobody
offers no seed "to reproduce". Built from small records here, nothing run."""

from datetime import datetime, timedelta, timezone

from test_course_records import softmax_only

from lab_utils.course.class_report import report_html
from lab_utils.course.classdir import Learner
from lab_utils.course.coursefile import Course, Override
from lab_utils.course.pages import feedback_html
from lab_utils.course.records import learner_records
from lab_utils.course.roster import Member
from lab_utils.grading.results import ERROR, PASSED

DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=1)))


def record_of(course, result, learner=None):
    (record,) = learner_records([learner or Learner(result.learner_id)], [result], course)
    return record


def test_a_whole_score_override_is_the_grade_out_of_the_courses_points():
    course = Course("MNIST lab", 100, overrides=(Override("4021", 95, "re-marked by hand"),))
    result = softmax_only("4021", PASSED)
    page = feedback_html(result, record_of(course, result))
    assert "Your grade: 95 of 100 points" in page
    assert "Your instructor set your grade to 95 of 100 points. Reason: re-marked by hand." in page
    assert "Your instructor set this grade (see below); the grader&#x27;s part was 25 of the lab&#x27;s 135" in page
    assert "changed your score set to" not in page


def test_exercise_overrides_count_in_the_summary_and_show_as_set_not_could_not_be_checked():
    overrides = tuple(Override("4021", p, "oral exam", ex) for ex, p in (("my_softmax", 10), ("stable_softmax", 15)))
    course = Course("MNIST lab", 135, overrides=overrides)
    result = softmax_only("4021", ERROR)
    page = feedback_html(result, record_of(course, result))
    assert "Your grade: 25 of 135 points" in page
    assert "25 of the lab&#x27;s 135 points (with your instructor&#x27;s changes below)" in page
    assert "15/15 points, set by your instructor (the grader: could not be checked)" in page
    assert "Your instructor set my_softmax to 10 of its 10 lab points. Reason: oral exam." in page


def test_the_report_draws_course_scores_and_lists_the_roster_learner_with_nothing_handed_in():
    course = Course("MNIST lab", 50, due=DUE, missing="zero")
    result = softmax_only("ada", PASSED)
    record = record_of(course, result)
    page = report_html([result], {"seed": 9, "graded": 0}, [record], absent=[Member("bob", "Bob Ode")], course=course)
    assert "Histogram of the 2 learners&#x27; course scores after penalties and overrides out of 50" in page
    assert "<td>bob</td><td>Bob Ode</td><td>0</td>" in page and "nothing handed in" in page
    assert "time not known" in page  # a plain folder, a due date, no time
    assert "no learner graded in this run" in page and "--seed 9" not in page
    assert "<h2>Course check</h2>" in page and "No mismatch" in page
