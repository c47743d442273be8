"""Issue 25's hostile Canvas file names, end to end and fast: names a learner chooses so that Canvas' download
re-targets a classmate's grade, hides Canvas' own `LATE` marker, or makes a classmate late, graded through
`grade_and_report` with a course file; the exported scores and lateness of every learner asserted.

Canvas stores an upload as `<sortable name>[_LATE]_<user id>_<attachment id>_<file name as submitted>`
(`lib/content_zipper.rb`); only the part after the attachment id is the learner's. The grading is canned (the
kernels are `test_course_hostile.py`'s): each learner's exercise results are given here.
"""

import csv
import json
import zipfile

from grading_class import MY_SOFTMAX, write_notebook

from lab_utils.checks import EXERCISES
from lab_utils.course.cli import grade_and_report
from lab_utils.course.coursefile import load_course
from lab_utils.grading.options import GradeOptions
from lab_utils.grading.results import FAILED, GRADED, PASSED, ExerciseResult, NotebookResult, SubmissionResult

# 4021 uploads "x_4022_assignsubmission_file_01_softmax-9.ipynb": a Moodle-looking name aimed at 4022's grade.
RETARGET = "smithjane_4021_98113_x_4022_assignsubmission_file_01_softmax-9.ipynb"
# 4023 is late; their own name tries to be read as a Moodle file, which has no late marker.
HIDDEN_LATE = "lateguy_LATE_4023_98115_x_4023_assignsubmission_file_01_softmax.ipynb"
# 4024 uploads "x_LATE_4022_99999_01_softmax.ipynb": 4022 made late, with an attachment id above 4022's own.
FRAME = "raydee_4024_98116_x_LATE_4022_99999_01_softmax.ipynb"
HONEST = "doejohn_4022_98114_01_softmax.ipynb"

ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,MNIST lab (12345)
    Points Possible,,,,,100.00
"Smith, Jane",4021,,,Lab A,
"Doe, John",4022,,,Lab A,
"Guy, Late",4023,,,Lab A,
"Ray, Dee",4024,,,Lab A,
"""
COURSE = """roster = "gradebook.csv"

[assignment]
name = "MNIST lab"
canvas_id = 12345
points = 100
due = 2026-12-01T23:59:00+01:00

[late]
percent_per_day = 10
percent_if_unknown = 50
"""
SOFTMAX = {"my_softmax", "stable_softmax"}  # 25 of the lab's 135 points
PASSED_BY = {"4021": set(), "4022": SOFTMAX, "4023": SOFTMAX, "4024": set()}  # 4021 and 4024 handed in stubs


class CannedPool:
    """Grades nobody for real: each learner passes the exercises of PASSED_BY; it records each learner's files."""

    def __init__(self):
        self.files = {}

    def describe(self):
        return {"pool": "canned", "workers": 1}

    def run(self, learners, options):
        for learner in learners:
            self.files[learner.learner_id] = {stem: f.relpath for stem, f in learner.files.items()}
            notebooks = []
            for stem in dict.fromkeys(ex.notebook for ex in EXERCISES):
                exercises = [
                    ExerciseResult(ex.function, stem, ex.points, ex.points, PASSED, "ok")
                    if ex.function in PASSED_BY[learner.learner_id]
                    else ExerciseResult(ex.function, stem, ex.points, 0, FAILED, "wrong")
                    for ex in EXERCISES
                    if ex.notebook == stem
                ]
                notebooks.append(NotebookResult(stem, f"{stem}.ipynb", GRADED, exercises))
            yield learner, SubmissionResult(learner.learner_id, notebooks, seed=7)


def graded(tmp_path):
    class_dir = tmp_path / "submissions"
    for name in (RETARGET, HONEST, HIDDEN_LATE, FRAME):
        write_notebook(class_dir / name, MY_SOFTMAX)
    (tmp_path / "gradebook.csv").write_text(ROSTER)
    (tmp_path / "course.toml").write_text(COURSE)
    out, pool = tmp_path / "out", CannedPool()
    grade_and_report(class_dir, out, pool, GradeOptions(seed=7), course=load_course(tmp_path / "course.toml"))
    with (out / "canvas.csv").open(newline="") as f:
        cells = {row[1]: row[-1] for row in list(csv.reader(f))[1:]}
    audit = {r["learner_id"]: r["record"] for r in json.loads((out / "grades.json").read_text())["learners"]}
    return pool, cells, audit, out


def test_a_name_aimed_at_a_classmate_grades_each_learner_on_their_own_file(tmp_path):
    pool, cells, audit, _ = graded(tmp_path)
    assert pool.files == {
        "4021": {"01_softmax": RETARGET},
        "4022": {"01_softmax": HONEST},
        "4023": {"01_softmax": HIDDEN_LATE},
        "4024": {"01_softmax": FRAME},
    }
    assert audit["4022"]["not_graded"] == []  # nobody's file is listed as 4022's "earlier attempt"
    assert (cells["4021"], cells["4024"]) == ("0", "0")  # their stubs: 0 / 135 * 100
    assert cells["4022"] == "18.52"  # 25 / 135 * 100 = 18.518, on time


def test_a_name_cannot_hide_canvas_late_marker(tmp_path):
    _, cells, audit, _ = graded(tmp_path)
    assert (audit["4023"]["late_marker"], audit["4023"]["late"], audit["4023"]["late_penalty_percent"]) == (
        True,
        True,
        50,
    )
    assert cells["4023"] == "9.26"  # 25 / 135 * 100 = 18.518, LATE without a time: 50 % off -> 9.259


def test_a_name_cannot_make_a_classmate_late(tmp_path):
    _, cells, audit, _ = graded(tmp_path)
    assert (audit["4022"]["late_marker"], audit["4022"]["late"]) == (False, False)
    assert (audit["4024"]["late_marker"], audit["4024"]["late"]) == (False, False)
    assert cells["4022"] == "18.52"


def test_a_moodle_looking_name_in_a_canvas_download_puts_nobody_in_moodles_feedback_zip(tmp_path):
    *_, out = graded(tmp_path)
    assert not (out / "feedback-moodle.zip").exists()
    with zipfile.ZipFile(out / "feedback-canvas.zip") as archive:
        assert sorted(archive.namelist()) == [
            "doejohn_4022_98114_feedback.html",  # each page on its own learner's attachment
            "guylate_4023_98115_feedback.html",
            "raydee_4024_98116_feedback.html",
            "smithjane_4021_98113_feedback.html",
        ]
