"""The course's scoring order (lab_utils.course.scoring), as pure functions: numbers computed by hand here."""

from datetime import datetime, timedelta, timezone

import pytest

from lab_utils.course.coursefile import Course, LatePolicy, Override
from lab_utils.course.scoring import Handin, course_score, days_late, format_points

CET = timezone(timedelta(hours=1))
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=CET)
LATE = LatePolicy(percent_per_day=10, max_days=5, percent_if_unknown=20)
SOFTMAX_ONLY = {"my_softmax": 10, "stable_softmax": 15}  # 25 of the lab's 135 points


def course(**changes):
    return Course(**{"name": "MNIST lab", "points": 100, "due": DUE, "late": LATE, **changes})


def test_a_started_day_counts_as_a_whole_day():
    assert days_late(DUE, DUE) == 0
    assert days_late(DUE + timedelta(seconds=1), DUE) == 1
    assert days_late(DUE + timedelta(days=1), DUE) == 1
    assert days_late(DUE + timedelta(days=1, minutes=1), DUE) == 2
    assert days_late(DUE - timedelta(days=3), DUE) == 0


def test_the_lab_points_are_scaled_to_the_assignment_points():
    score = course_score(course(), "a", SOFTMAX_ONLY, Handin(DUE))
    assert score.final == pytest.approx(25 / 135 * 100)
    assert not score.late


def test_each_started_day_late_takes_its_percentage_off_the_scaled_score():
    score = course_score(course(), "a", SOFTMAX_ONLY, Handin(DUE + timedelta(days=1, hours=2)))
    assert (score.late, score.days_late, score.penalty_percent) == (True, 2, 20)
    assert score.final == pytest.approx(25 / 135 * 100 * 0.8)


def test_later_than_max_days_scores_zero():
    score = course_score(course(), "a", SOFTMAX_ONLY, Handin(DUE + timedelta(days=5, minutes=1)))
    assert (score.days_late, score.final) == (6, 0)


def test_the_late_marker_without_a_time_takes_the_flat_percentage():
    score = course_score(course(), "a", SOFTMAX_ONLY, Handin(None, late_marker=True))
    assert (score.late, score.days_late, score.penalty_percent) == (True, None, 20)
    assert score.final == pytest.approx(25 / 135 * 100 * 0.8)


def test_an_extension_moves_the_due_date_of_that_learner():
    extended = course(extensions={"a": DUE + timedelta(days=2)})
    on_time = course_score(extended, "a", SOFTMAX_ONLY, Handin(DUE + timedelta(days=1)))
    assert (on_time.late, on_time.extension) == (False, DUE + timedelta(days=2))
    other = course_score(extended, "b", SOFTMAX_ONLY, Handin(DUE + timedelta(days=1)))
    assert other.late


def test_an_extension_cancels_the_late_marker_when_the_time_is_unknown():
    extended = course(extensions={"a": DUE + timedelta(days=2)})
    assert not course_score(extended, "a", SOFTMAX_ONLY, Handin(None, late_marker=True)).late


def test_an_exercise_override_replaces_its_lab_points_before_scaling_and_penalty():
    overridden = course(overrides=(Override("a", 15, "oral exam", exercise="build_model"),))
    score = course_score(overridden, "a", SOFTMAX_ONLY, Handin(DUE + timedelta(hours=1)))
    assert score.exercise_points["build_model"] == 15
    assert score.final == pytest.approx(40 / 135 * 100 * 0.9)


def test_a_whole_score_override_is_final_after_the_penalty():
    overridden = course(overrides=(Override("a", 77, "oral exam"),))
    score = course_score(overridden, "a", SOFTMAX_ONLY, Handin(DUE + timedelta(days=9)))
    assert (score.after_penalty, score.final) == (0, 77)


def test_an_override_of_another_learner_changes_nothing():
    overridden = course(overrides=(Override("b", 77, "oral exam"),))
    assert course_score(overridden, "a", SOFTMAX_ONLY, Handin(DUE)).final == pytest.approx(25 / 135 * 100)


def test_points_are_written_rounded_to_two_decimals_without_trailing_zeros():
    assert [format_points(x) for x in (18.518518, 80.0, 72.5, 0.0, 66.666)] == ["18.52", "80", "72.5", "0", "66.67"]
