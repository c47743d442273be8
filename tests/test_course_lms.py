"""Rosters from the LMS's own exports (lab_utils.course.roster) and the exports it imports (lab_utils.course.lms).

The rosters are written here exactly as Canvas' gradebook export and Moodle's grading worksheet lay them out;
the exports are checked cell by cell against scores computed by hand.
"""

import csv
from datetime import datetime, timedelta, timezone

import pytest

from lab_utils.course.coursefile import Course
from lab_utils.course.lms import Standing, canvas_rows, moodle_rows, not_on_roster, write_exports
from lab_utils.course.roster import RosterError, read_roster
from lab_utils.course.scoring import Handin, course_score

CET = timezone(timedelta(hours=1))
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=CET)
CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,MNIST lab (12345),Current Score,Final Score\n"
    "    Points Possible,,,,,100.00,(read only),(read only)\n"
    '"Smith, Jane",4021,S-1,jsmith,Lab A,,,\n'
    '"Doe, Max",4022,S-2,mdoe,Lab B,,,\n'
    '"Roe, Ann",4023,S-3,aroe,Lab A,,,\n'
)
MOODLE_WORKSHEET = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,Last modified (grade)\n"
    "Participant 123456,Jane Smith,jane@uni.example,Submitted for grading,,100.00,Yes,-\n"
    "Participant 123457,Max Doe,max@uni.example,No submission,,100.00,Yes,-\n"
)


def roster_file(tmp_path, text, name="roster.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


ON_TIME = Handin(DUE)


def standing(learner_id, name, earned, handin=ON_TIME, course=None):
    course = course or Course("MNIST lab", 100, due=DUE, canvas_id=12345)
    return Standing(learner_id, name, course_score(course, learner_id, earned, handin))


def test_a_canvas_gradebook_export_is_read_without_its_points_possible_row(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_EXPORT))
    assert roster.lms == "canvas"
    assert [m.learner_id for m in roster.members] == ["4021", "4022", "4023"]
    jane = roster.members[0]
    assert (jane.name, jane.sis_user_id, jane.sis_login_id, jane.section) == ("Smith, Jane", "S-1", "jsmith", "Lab A")


def test_a_moodle_grading_worksheet_gives_participant_ids_and_emails(tmp_path):
    roster = read_roster(roster_file(tmp_path, MOODLE_WORKSHEET))
    assert roster.lms == "moodle"
    assert [(m.learner_id, m.name, m.email) for m in roster.members] == [
        ("123456", "Jane Smith", "jane@uni.example"),
        ("123457", "Max Doe", "max@uni.example"),
    ]


def test_a_moodle_participants_download_matches_learners_by_full_name(tmp_path):
    text = "First name,Last name,ID number,Email address,Roles\nJane,Smith,U77,jane@uni.example,Student\n"
    roster = read_roster(roster_file(tmp_path, text))
    assert roster.find("123456", "jane  smith").id_number == "U77"


def test_a_file_that_is_no_roster_export_is_refused_in_one_line(tmp_path):
    with pytest.raises(RosterError, match="not a roster export"):
        read_roster(roster_file(tmp_path, "name,score\nada,3\n"))


def test_canvas_csv_has_a_row_per_roster_learner_with_hand_computed_scores(tmp_path):
    course = Course("MNIST lab", 100, due=DUE, canvas_id=12345, missing="blank")
    roster = read_roster(roster_file(tmp_path, CANVAS_EXPORT))
    jane = standing("4021", "smithjane", {"my_softmax": 10, "stable_softmax": 15}, course=course)  # 25/135
    late = Handin(DUE + timedelta(hours=3))
    max_ = standing("4022", "doemax", {"my_softmax": 10}, late, course=course)  # no late policy
    stranger = standing("9999", "who", {"my_softmax": 10}, course=course)
    rows = canvas_rows(course, roster, [jane, max_, stranger])
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "MNIST lab (12345)"],
        ["Smith, Jane", "4021", "S-1", "jsmith", "Lab A", "18.52"],
        ["Doe, Max", "4022", "S-2", "mdoe", "Lab B", "7.41"],
        ["Roe, Ann", "4023", "S-3", "aroe", "Lab A", ""],
    ]
    assert not_on_roster(roster, [jane, max_, stranger]) == [stranger]


def test_canvas_csv_gives_zero_to_a_learner_without_submission_when_missing_is_zero(tmp_path):
    course = Course("MNIST lab", 100, canvas_id=12345, missing="zero")
    roster = read_roster(roster_file(tmp_path, CANVAS_EXPORT))
    assert [row[5] for row in canvas_rows(course, roster, [])[1:]] == ["0", "0", "0"]


def test_canvas_csv_for_a_new_assignment_states_its_points_possible():
    course = Course("MNIST lab", 50)
    rows = canvas_rows(course, None, [standing("4021", "smithjane", {"my_softmax": 10}, course=course)])
    assert rows[0][5] == "MNIST lab"
    assert rows[1] == ["Points Possible", "", "", "", "", "50"]
    assert rows[2] == ["smithjane", "4021", "", "", "", "3.7"]


def test_moodle_csv_has_the_email_column_and_the_grade(tmp_path):
    course = Course("MNIST lab", 100, due=DUE)
    roster = read_roster(roster_file(tmp_path, MOODLE_WORKSHEET))
    jane = standing("123456", "Jane Smith", {"my_softmax": 10, "stable_softmax": 15}, course=course)
    assert moodle_rows(course, roster, [jane]) == [
        ["Email address", "Full name", "MNIST lab"],
        ["jane@uni.example", "Jane Smith", "18.52"],
        ["max@uni.example", "Max Doe", "0"],
    ]


def test_canvas_csv_without_a_roster_is_written_only_when_asked_and_is_spreadsheet_safe(tmp_path):
    assert write_exports(Course("MNIST lab", 100), None, [], tmp_path) == []
    course = Course("MNIST lab", 100, exports=("canvas",))
    hostile = standing("4021", '=HYPERLINK("http://x")', {}, course=course)
    assert write_exports(course, None, [hostile], tmp_path) == ["canvas.csv"]
    with (tmp_path / "canvas.csv").open(newline="") as f:
        assert list(csv.reader(f))[2][0] == '\'=HYPERLINK("http://x")'
