"""Running a course end to end (issue 19): Canvas and Moodle class folders with the LMS's own roster exports,
graded from the command line with a course file, and the exports checked cell by cell against hand-computed values.

Every learner hands in only notebook 01 (NumPy, no TensorFlow), so that each grading is short. The lab has 135
points; 01_softmax's exercises are my_softmax (10) and stable_softmax (15). The course scales to 100 points.
"""

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from grading_class import COURSE_TOML, MY_SOFTMAX, STABLE_SOFTMAX, STABLE_SOFTMAX_STUB, write_notebook

from lab_utils.course.cli import main

SEED = "4242"
SOFTMAX = "01_softmax.ipynb"
SOLVED = ("import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX)  # 25 lab points
HALF = ("import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX_STUB)  # 10 lab points
CANVAS_ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,MNIST lab (12345),Current Score,Final Score\n"
    "    Points Possible,,,,,100.00,(read only),(read only)\n"
    '"Smith, Jane",4021,S-1,jsmith,Lab A,,,\n'
    '"Doe, Max",4022,S-2,mdoe,Lab B,,,\n'
    '"Roe, Ann",4023,S-3,aroe,Lab A,,,\n'
    '"Kay, Lu",4028,S-8,lkay,Lab B,,,\n'
    '"Lee, Kim",4030,S-9,klee,Lab B,,,\n'
)
CANVAS_COURSE = COURSE_TOML.replace("canvas_gradebook_export.csv", "roster.csv")
MOODLE_ROSTER = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade\n"
    "Participant 123456,Jane Smith,jane@uni.example,Submitted for grading,,100.00\n"
    "Participant 123457,Max Doe,max@uni.example,Submitted for grading,,100.00\n"
    "Participant 123458,Ann Roe,ann@uni.example,No submission,,100.00\n"
)
MOODLE_COURSE = """
roster = "worksheet.csv"
missing = "blank"
submission_times = "times.csv"

[assignment]
name = "MNIST lab"
points = 100
due = 2026-12-01T23:59:00+01:00

[late]
percent_per_day = 10
max_days = 5

[[override]]
learner_id = "123456"
points = 90
reason = "re-marked by hand"
"""


def grade(class_dir: Path, out: Path, course: Path, *options: str) -> int:
    return main(
        [str(class_dir), "--out", str(out), "--course", str(course), "--seed", SEED, "--workers", "2", *options]
    )


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def journal(out: Path) -> dict[str, dict]:
    lines = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    return {line["result"]["learner_id"]: line["result"] for line in lines}


def build_canvas(folder: Path) -> Path:
    """Canvas' flat download: a resubmission, two late learners (one with an extension), one not on the roster."""
    classdir = folder / "submissions"
    write_notebook(classdir / "smithjane_4021_9001_01_softmax.ipynb", *HALF)  # the older attempt
    write_notebook(classdir / "smithjane_4021_9002_01_softmax-1.ipynb", *SOLVED)  # the newer attempt
    write_notebook(classdir / "doemax_late_4022_9003_01_softmax.ipynb", *SOLVED)  # late, but has an extension
    write_notebook(classdir / "roeann_late_4023_9004_01_softmax.ipynb", *HALF)  # late, time unknown: 10 % off
    write_notebook(classdir / "kaylu_4028_9005_01_softmax.ipynb", *SOLVED)  # + build_model override: 10
    write_notebook(classdir / "stranger_9999_9006_01_softmax.ipynb", *SOLVED)  # not on the roster
    (folder / "roster.csv").write_text(CANVAS_ROSTER)
    (folder / "course.toml").write_text(CANVAS_COURSE)
    return classdir


@pytest.fixture(scope="module")
def canvas(tmp_path_factory):
    folder = tmp_path_factory.mktemp("canvas")
    classdir = build_canvas(folder)
    out = folder / "results"
    assert grade(classdir, out, folder / "course.toml") == 0
    return folder, classdir, out


def test_canvas_csv_matches_the_hand_computed_scores_cell_by_cell(canvas):
    _, _, out = canvas
    assert read_csv(out / "canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "MNIST lab (12345)"],
        ["Smith, Jane", "4021", "S-1", "jsmith", "Lab A", "18.52"],  # newest attempt: 25/135*100
        ["Doe, Max", "4022", "S-2", "mdoe", "Lab B", "18.52"],  # late marker, extension: no penalty
        ["Roe, Ann", "4023", "S-3", "aroe", "Lab A", "6.67"],  # 10/135*100 - 10 %
        ["Kay, Lu", "4028", "S-8", "lkay", "Lab B", "25.93"],  # (25 + 10)/135*100
        ["Lee, Kim", "4030", "S-9", "klee", "Lab B", "0"],  # no submission, missing = "zero"
    ]


def test_the_report_lists_the_learner_not_on_the_roster_and_links_every_feedback_page(canvas):
    _, _, out = canvas
    report = (out / "report.html").read_text()
    assert "not on the roster" in report and "<li>9999 (stranger)</li>" in report
    for learner_id in ("4021", "4022", "4023", "4028", "9999"):
        assert f"href='feedback/{learner_id}.html'" in report


def test_the_feedback_page_shows_the_newest_attempt_and_the_earlier_one_not_graded(canvas):
    _, _, out = canvas
    page = (out / "feedback" / "4021.html").read_text()
    assert "Smith, Jane" in page and "smithjane_4021_9002_01_softmax-1.ipynb" in page
    assert "smithjane_4021_9001_01_softmax.ipynb: earlier attempt, not graded" in page
    assert "older or copied" not in page


def test_a_late_learner_page_shows_the_penalty_and_an_extension_is_shown(canvas):
    _, _, out = canvas
    late = (out / "feedback" / "4023.html").read_text()
    assert "Handed in late (the time is not known): 10 % off, 7.41 became 6.67 points." in late
    extended = (out / "feedback" / "4022.html").read_text()
    assert "You had an extension to 2026-12-03 23:59+01:00." in extended


def test_the_override_and_its_reason_are_on_the_page_in_the_gradebook_and_in_grades_json(canvas):
    _, _, out = canvas
    assert "Reason: oral exam, 2026-12-04." in (out / "feedback" / "4028.html").read_text()
    rows = {row[0]: row for row in read_csv(out / "gradebook.csv")}
    assert rows["learner_id"][-6:] == [
        "name",
        "submitted_at",
        "late",
        "late_penalty_percent",
        "overrides",
        "course_score",
    ]
    assert rows["4028"][-2:] == ["build_model: 10 (oral exam, 2026-12-04)", "25.93"]
    assert rows["4023"][-4:-2] == ["yes", "10"]
    grades = json.loads((out / "grades.json").read_text())
    record = next(learner["record"] for learner in grades["learners"] if learner["learner_id"] == "4028")
    assert record["overrides"] == [
        {"learner_id": "4028", "points": 10, "reason": "oral exam, 2026-12-04", "exercise": "build_model"}
    ]
    assert record["name"] == "Kay, Lu" and record["seed"] == int(SEED) and record["graded_at"]
    assert grades["run"]["lab_version"].startswith("0.1.0")


def test_a_whole_score_override_added_later_applies_without_grading_again(canvas, tmp_path):
    folder, classdir, out = canvas
    copy = tmp_path / "results"
    shutil.copytree(out, copy)
    course = tmp_path / "course.toml"
    course.write_text(
        CANVAS_COURSE.replace('roster = "roster.csv"', f'roster = "{folder / "roster.csv"}"')
        + '\n[[override]]\nlearner_id = "4021"\npoints = 50\nreason = "agreed exception"\n'
    )
    before = journal(copy)
    assert grade(classdir, copy, course) == 0
    assert journal(copy) == before  # nobody graded again
    assert read_csv(copy / "canvas.csv")[1][5] == "50"


@pytest.mark.parametrize("regrade", [[], ["--regrade"]], ids=["only", "only-regrade"])
def test_only_regrades_that_learner_and_leaves_the_others_results_unchanged(canvas, tmp_path, regrade):
    folder, classdir, out = canvas
    copy = tmp_path / "results"
    shutil.copytree(out, copy)
    before = journal(copy)
    command = [str(classdir), "--out", str(copy), "--course", str(folder / "course.toml"), "--seed", "7"]
    assert main([*command, "--only", "4023", *regrade]) == 0
    after = journal(copy)
    assert after["4023"]["seed"] == 7 and before["4023"]["seed"] == int(SEED)
    assert {s: r for s, r in after.items() if s != "4023"} == {s: r for s, r in before.items() if s != "4023"}
    assert read_csv(copy / "canvas.csv") == read_csv(out / "canvas.csv")


def test_only_an_unknown_learner_is_refused_in_one_line(canvas, tmp_path, capsys):
    folder, classdir, _ = canvas
    assert grade(classdir, tmp_path / "r", folder / "course.toml", "--only", "123") == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


@pytest.fixture(scope="module")
def moodle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("moodle")
    classdir = folder / "download"
    write_notebook(classdir / "Jane Smith_123456_assignsubmission_file_" / SOFTMAX, *SOLVED)  # folder layout
    write_notebook(classdir / "Max Doe_123457_assignsubmission_file_01_softmax.ipynb", *HALF)  # flat layout
    (folder / "worksheet.csv").write_text(MOODLE_ROSTER)
    (folder / "times.csv").write_text(
        "learner_id,submitted_at\n123456,2026-12-01T20:00:00+01:00\n123457,2026-12-03T08:00:00+01:00\n"
    )
    (folder / "course.toml").write_text(MOODLE_COURSE)
    out = folder / "results"
    assert grade(classdir, out, folder / "course.toml") == 0
    return folder, classdir, out


MOODLE_EXPECTED = [
    ["Email address", "Full name", "MNIST lab"],
    ["jane@uni.example", "Jane Smith", "90"],  # whole-score override, final
    ["max@uni.example", "Max Doe", "5.93"],  # 10/135*100, 2 started days late: - 20 %
    ["ann@uni.example", "Ann Roe", ""],  # no submission, missing = "blank"
]


def test_moodle_csv_matches_the_hand_computed_scores_cell_by_cell(moodle):
    _, _, out = moodle
    assert read_csv(out / "moodle.csv") == MOODLE_EXPECTED
    assert not (out / "canvas.csv").exists()


def test_moodle_learners_are_known_by_participant_id_and_name(moodle):
    _, _, out = moodle
    page = (out / "feedback" / "123457.html").read_text()
    assert "Max Doe" in page and "2 day(s) late: 20 % off" in page


def test_an_override_survives_a_regrade(moodle):
    folder, classdir, out = moodle
    before = journal(out)
    assert grade(classdir, out, folder / "course.toml", "--regrade") == 0
    assert journal(out)["123456"]["graded_at"] >= before["123456"]["graded_at"]
    assert read_csv(out / "moodle.csv") == MOODLE_EXPECTED


def test_out_that_is_a_file_is_refused_in_one_line(tmp_path, capsys):
    write_notebook(tmp_path / "class" / "ada" / SOFTMAX, *SOLVED)
    (tmp_path / "results").write_text("not a folder")
    assert main([str(tmp_path / "class"), "--out", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and err.strip().count("\n") == 0


def test_out_inside_the_class_folder_is_refused_in_one_line(tmp_path, capsys):
    write_notebook(tmp_path / "class" / "ada" / SOFTMAX, *SOLVED)
    assert main([str(tmp_path / "class"), "--out", str(tmp_path / "class" / "results")]) == 2
    err = capsys.readouterr().err
    assert "inside the class folder" in err and err.strip().count("\n") == 0
    assert not (tmp_path / "class" / "results").exists()


def test_a_bad_course_file_is_refused_in_one_line_before_grading(tmp_path, capsys):
    write_notebook(tmp_path / "class" / "ada" / SOFTMAX, *SOLVED)
    (tmp_path / "course.toml").write_text('[assignment]\nname = "MNIST lab"\npoints = "many"\n')
    assert grade(tmp_path / "class", tmp_path / "out", tmp_path / "course.toml") == 2
    err = capsys.readouterr().err
    assert "[assignment] points: must be a number" in err and err.strip().count("\n") == 0
    assert not (tmp_path / "out").exists()


def test_the_canvas_feedback_zip_names_each_page_after_the_graded_attempts_attachment(canvas):
    """Canvas' re-upload (app/models/assignment.rb) reads the user id and one of their attachment ids from a name."""
    _, _, out = canvas
    with zipfile.ZipFile(out / "feedback-canvas.zip") as archive:
        names = sorted(archive.namelist())
        jane = archive.read("smithjane_4021_9002_feedback.html").decode()
    assert names == [
        "doemax_4022_9003_feedback.html",
        "kaylu_4028_9005_feedback.html",
        "roeann_4023_9004_feedback.html",
        "smithjane_4021_9002_feedback.html",  # the newest attempt's attachment, the one graded
        "stranger_9999_9006_feedback.html",
    ]
    assert jane == (out / "feedback" / "4021.html").read_text()


def test_the_moodle_feedback_zip_has_a_folder_per_participant(moodle):
    """Moodle's importer (mod/assign/feedback/file/importziplib.php) splits a folder name on `_`: name, participant
    id, `assignfeedback`, `file`."""
    _, _, out = moodle
    with zipfile.ZipFile(out / "feedback-moodle.zip") as archive:
        assert sorted(archive.namelist()) == [
            "Jane Smith_123456_assignfeedback_file/feedback.html",
            "Max Doe_123457_assignfeedback_file/feedback.html",
        ]
        assert "Your grade: 90 of 100 points" in archive.read(archive.namelist()[0]).decode()
