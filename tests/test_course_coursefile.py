"""The course file (lab_utils.course.coursefile): what it holds, and one-line refusals that name the key."""

from datetime import datetime, timedelta, timezone

import pytest
from grading_class import COURSE_TOML

from lab_utils.course.coursefile import CourseFileError, load_course, read_submission_times

CET = timezone(timedelta(hours=1))


def course_file(tmp_path, text):
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


def refusal(tmp_path, text):
    with pytest.raises(CourseFileError) as info:
        load_course(course_file(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_the_issue_example_is_read_with_every_key(tmp_path):
    course = load_course(course_file(tmp_path, COURSE_TOML))
    assert (course.name, course.canvas_id, course.points) == ("MNIST lab", 12345, 100)
    assert course.due == datetime(2026, 12, 1, 23, 59, tzinfo=CET)
    assert (course.late.percent_per_day, course.late.max_days, course.late.percent_if_unknown) == (10, 5, 10)
    assert course.extensions == {"4022": datetime(2026, 12, 3, 23, 59, tzinfo=CET)}
    (override,) = course.overrides
    assert (override.learner_id, override.exercise, override.points) == ("4028", "build_model", 10)
    assert override.reason == "oral exam, 2026-12-04"
    assert course.roster == tmp_path / "canvas_gradebook_export.csv"
    assert course.missing == "zero"


def test_the_canvas_column_is_the_name_and_the_assignment_id(tmp_path):
    assert load_course(course_file(tmp_path, COURSE_TOML)).canvas_column == "MNIST lab (12345)"


def test_an_extension_replaces_the_due_date_of_that_learner_only(tmp_path):
    course = load_course(course_file(tmp_path, COURSE_TOML))
    assert course.due_for("4022") == datetime(2026, 12, 3, 23, 59, tzinfo=CET)
    assert course.due_for("4021") == course.due


def test_a_misspelt_key_is_refused_by_name(tmp_path):
    message = refusal(tmp_path, COURSE_TOML.replace("percent_per_day", "percent_a_day"))
    assert "[late] percent_a_day: unknown key" in message


def test_a_due_date_without_its_time_zone_is_refused(tmp_path):
    message = refusal(tmp_path, COURSE_TOML.replace("due = 2026-12-01T23:59:00+01:00", "due = 2026-12-01T23:59:00"))
    assert "[assignment] due: needs its time zone" in message


def test_a_percentage_out_of_range_is_refused_with_the_value(tmp_path):
    message = refusal(tmp_path, COURSE_TOML.replace("percent_per_day = 10", "percent_per_day = 110"))
    assert "[late] percent_per_day: must be a number from 0 to 100, got 110" in message


def test_an_override_of_an_unknown_exercise_is_refused(tmp_path):
    message = refusal(tmp_path, COURSE_TOML.replace('exercise = "build_model"', 'exercise = "build_modle"'))
    assert "[[override]] number 1: exercise: no exercise 'build_modle'" in message


def test_an_exercise_override_above_the_exercise_points_is_refused(tmp_path):
    message = refusal(tmp_path, COURSE_TOML.replace("points = 10\n", "points = 16\n"))
    assert "points: must be a number from 0 to 15, got 16" in message


def test_an_override_without_a_reason_is_refused(tmp_path):
    message = refusal(tmp_path, COURSE_TOML.replace('reason = "oral exam, 2026-12-04"', ""))
    assert "[[override]] number 1: reason: is required" in message


def test_an_assignment_name_canvas_would_skip_is_refused(tmp_path):
    message = refusal(tmp_path, COURSE_TOML.replace('name = "MNIST lab"', 'name = "Lab Final Score"'))
    assert "[assignment] name: Canvas' import silently skips" in message


def test_missing_must_be_zero_blank_or_keep(tmp_path):
    assert 'missing: must be "zero", "blank" or "keep"' in refusal(tmp_path, COURSE_TOML.replace('"zero"', '"none"'))


def test_a_file_that_is_not_toml_is_refused_in_one_line(tmp_path):
    assert "course.toml: not valid TOML" in refusal(tmp_path, "[assignment\nname=")


def test_without_an_assignment_table_the_file_is_refused(tmp_path):
    assert "[assignment]: is required" in refusal(tmp_path, 'missing = "zero"\n')


def test_submission_times_are_read_with_their_zone(tmp_path):
    path = tmp_path / "times.csv"
    path.write_text("learner_id,submitted_at\n4021,2026-12-02T08:00:00+01:00\n4022,2026-12-01T20:00:00Z\n")
    times = read_submission_times(path)
    assert times["4021"] == datetime(2026, 12, 2, 8, tzinfo=CET)
    assert times["4022"] == datetime(2026, 12, 1, 20, tzinfo=timezone.utc)


def test_a_submission_time_without_zone_is_refused_with_its_line(tmp_path):
    path = tmp_path / "times.csv"
    path.write_text("learner_id,submitted_at\n4021,2026-12-02 08:00\n")
    with pytest.raises(CourseFileError, match="line 2: submitted_at must be like"):
        read_submission_times(path)


def test_the_roster_key_and_the_exchanges_zone_are_read(tmp_path):
    course = load_course(course_file(tmp_path, 'roster_key = "sis_login_id"\nzone = "Europe/Berlin"\n' + COURSE_TOML))
    assert (course.roster_key, course.zone) == ("sis_login_id", "Europe/Berlin")


def test_without_roster_key_and_zone_both_are_left_to_be_found(tmp_path):
    course = load_course(course_file(tmp_path, COURSE_TOML))
    assert (course.roster_key, course.zone) == (None, None)


def test_a_roster_key_that_is_no_column_is_refused_with_the_keys(tmp_path):
    message = refusal(tmp_path, 'roster_key = "login"\n' + COURSE_TOML)
    assert message.startswith("course.toml: roster_key: must be one of 'id', 'sis_user_id', 'sis_login_id'")
    assert "got 'login'" in message


def test_a_zone_that_is_no_iana_zone_is_refused(tmp_path):
    for zone in ("Mars/Olympus", "Europe", "../etc/passwd", "CET+1"):
        message = refusal(tmp_path, f'zone = "{zone}"\n' + COURSE_TOML)
        assert message == f'course.toml: zone: must be an IANA time zone such as "Europe/Berlin", got {zone!r}'


def test_a_roster_key_without_a_roster_is_refused(tmp_path):
    message = refusal(
        tmp_path, 'roster_key = "email"\n' + COURSE_TOML.replace('roster = "canvas_gradebook_export.csv"', "")
    )
    assert message == "course.toml: roster_key: names a column of the roster, but no roster is given (roster = ...)"
