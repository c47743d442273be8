"""The LMS's download names, read as pure functions (lab_utils.course.layouts): one pattern per layout, anchored.

Names are built as the LMS's source builds them: Canvas' `lib/content_zipper.rb` (`get_filename`,
`add_upload_submission`), Moodle's `mod/assign/classes/downloader.php` (`get_student_prefix`,
`load_submissionplugin_filelist`), nbgrader's `Exchange.timestamp_format` (`%Y-%m-%d %H:%M:%S.%f %Z`).
"""

from datetime import datetime, timedelta, timezone

import pytest

from lab_utils.course.layouts import (
    CANVAS,
    CANVAS_ANONYMOUS,
    MOODLE_FLAT,
    MOODLE_FOLDERS,
    PLAIN,
    BadTimestamp,
    LmsName,
    canvas_name,
    clash_number,
    decide_flat,
    decide_folders,
    moodle_name,
    nbgrader_timestamp,
    parse_name,
)


def test_a_canvas_name_gives_user_id_name_late_marker_file_and_attachment_id():
    assert parse_name(CANVAS, "smithjane_LATE_4021_98113_01_softmax-1.ipynb") == LmsName(
        "4021", "smithjane", True, "01_softmax-1.ipynb", 98113
    )


def test_a_learners_file_name_cannot_retarget_a_canvas_name():
    name = "smithjane_4021_98113_x_4022_assignsubmission_file_01_softmax-9.ipynb"
    lms = parse_name(CANVAS, name)
    assert (lms.learner_id, lms.late, lms.file) == ("4021", False, "x_4022_assignsubmission_file_01_softmax-9.ipynb")


def test_a_learners_file_name_cannot_hide_or_forge_the_late_marker():
    assert parse_name(CANVAS, "lateguy_LATE_4023_98115_x_4023_assignsubmission_file_a.ipynb").late
    assert not parse_name(CANVAS, "lateguy_4023_98115_x_LATE_1_2_a.ipynb").late


def test_a_canvas_anonymous_name_gives_the_anonymous_id_as_the_learner():
    assert parse_name(CANVAS_ANONYMOUS, "LATE_anon_Xk3pQ_5323902_01_softmax.ipynb") == LmsName(
        "anon_Xk3pQ", "", True, "01_softmax.ipynb", 5323902
    )


def test_a_moodle_name_gives_participant_id_full_name_and_file():
    assert parse_name(MOODLE_FLAT, "Jane Smith_123456_assignsubmission_file_01_softmax.ipynb") == LmsName(
        "123456", "Jane Smith", False, "01_softmax.ipynb"
    )


@pytest.mark.parametrize(
    "folder", ["Ana Souza_1480231_assignsubmission_file", "Ana Souza_1480231_assignsubmission_file_"]
)
def test_moodle_folders_are_read_with_and_without_the_trailing_underscore(folder):
    assert parse_name(MOODLE_FOLDERS, folder) == LmsName("1480231", "Ana Souza", False, "")


def test_a_name_of_another_layout_is_not_read():
    assert parse_name(MOODLE_FLAT, "smithjane_4021_98113_01_softmax.ipynb") is None
    assert parse_name(CANVAS, "Jane Smith_123456_assignsubmission_file_01_softmax.ipynb") is None
    assert parse_name(CANVAS, "01_softmax.ipynb") is None


def test_the_flat_layout_is_the_one_that_reads_most_of_the_files():
    canvas = [f"learner{i}_{4000 + i}_{9000 + i}_01_softmax.ipynb" for i in range(3)]
    hostile = "x_1_2_assignsubmission_file_01_softmax.ipynb"
    assert decide_flat([*canvas, hostile]) == CANVAS
    moodle = [f"Learner {i}_{100 + i}_assignsubmission_file_01_softmax.ipynb" for i in range(3)]
    assert decide_flat([*moodle, "evil_1_2_x.ipynb"]) == MOODLE_FLAT


def test_the_folder_layout_is_moodles_when_most_folders_are_named_so_else_one_per_learner():
    assert decide_folders(["Ana Souza_1_assignsubmission_file", "notes"]) == MOODLE_FOLDERS
    assert decide_folders(["ada", "bob", "Ana Souza_1_assignsubmission_file"]) == PLAIN


def test_moodle_clash_names_number_the_newer_upload():
    assert clash_number("01_softmax", "01_softmax (2).ipynb") == 2
    assert clash_number("01_softmax", "01_softmax.ipynb") == 0
    assert clash_number("01_softmax", "01_softmax-Copy1.ipynb") == 0


def test_names_are_cleaned_as_each_lms_cleans_them():
    assert moodle_name("Ana O'Neil_Jr") == "Ana ONeil Jr"
    assert canvas_name("Smith_12_, Jane") == "smith12jane"


def test_nbgrader_timestamps_are_utc_unless_they_say_otherwise():
    assert nbgrader_timestamp("2026-12-01 22:10:00.123456 UTC\n") == datetime(
        2026, 12, 1, 22, 10, 0, 123456, tzinfo=timezone.utc
    )
    plus_one = timezone(timedelta(hours=1))
    assert nbgrader_timestamp("2026-12-01 22:10:00 +0100") == datetime(2026, 12, 1, 22, 10, tzinfo=plus_one)


@pytest.mark.parametrize(("abbreviation", "hours"), [("CET", 1), ("CEST", 2), ("PST", -8), ("PDT", -7)])
def test_nbgrader_zone_abbreviations_with_one_offset_are_read(abbreviation, hours):
    moment = nbgrader_timestamp(f"2026-12-01 22:10:00.000001 {abbreviation}")
    assert moment.utcoffset() == timedelta(hours=hours)


def test_an_abbreviation_of_several_offsets_is_read_in_the_exchanges_zone():
    with pytest.raises(BadTimestamp, match="'IST' names no single offset"):
        nbgrader_timestamp("2026-12-01 22:10:00 IST")
    moment = nbgrader_timestamp("2026-12-01 22:10:00 IST", zone="Asia/Kolkata")
    assert moment.utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-45 10:00:00 UTC", "2026-12-01 25:00:00", ""])
def test_a_malformed_timestamp_is_refused_in_one_line(text):
    with pytest.raises(BadTimestamp, match="^not a time"):
        nbgrader_timestamp(text)
