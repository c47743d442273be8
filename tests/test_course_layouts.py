"""The LMS's download names, read as pure functions (lab_utils.course.layouts)."""

from datetime import datetime, timedelta, timezone

from lab_utils.course.layouts import LmsName, attempt, nbgrader_timestamp, parse_lms_name


def test_a_canvas_name_gives_user_id_name_late_marker_and_file():
    assert parse_lms_name("smithjane_late_4021_98113_01_softmax-1.ipynb") == LmsName(
        "4021", "smithjane", True, "01_softmax-1.ipynb"
    )


def test_a_moodle_name_gives_participant_id_full_name_and_file():
    assert parse_lms_name("Jane Smith_123456_assignsubmission_file_01_softmax.ipynb") == LmsName(
        "123456", "Jane Smith", False, "01_softmax.ipynb"
    )


def test_a_moodle_folder_name_has_an_empty_file_part():
    assert parse_lms_name("Jane Smith_123456_assignsubmission_file_").learner_id == "123456"


def test_a_plain_name_is_no_lms_name():
    assert parse_lms_name("01_softmax.ipynb") is None


def test_canvas_attempt_numbers_count_and_copies_do_not():
    assert attempt("01_softmax", "01_softmax.ipynb") == 0
    assert attempt("01_softmax", "01_softmax-2.ipynb") == 2
    assert attempt("01_softmax", "01_softmax-Copy1.ipynb") == 0


def test_nbgrader_timestamps_are_utc_unless_they_say_otherwise():
    assert nbgrader_timestamp("2026-12-01 22:10:00.123456 UTC\n") == datetime(
        2026, 12, 1, 22, 10, 0, 123456, tzinfo=timezone.utc
    )
    plus_one = timezone(timedelta(hours=1))
    assert nbgrader_timestamp("2026-12-01 22:10:00 +0100") == datetime(2026, 12, 1, 22, 10, tzinfo=plus_one)
    assert nbgrader_timestamp("yesterday") is None
