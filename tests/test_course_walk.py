"""The three-class walk of issue 26: a Canvas class, a Moodle class downloaded in folders and an nbgrader exchange,
each with its roster and course file, graded through `grade_and_report`; every exported cell compared with a score
worked out by hand here.

The class folders are named as each LMS's source names them:
- Canvas' "Download Submissions" (`lib/content_zipper.rb`): `<sortable name lowercased, non-word characters
  dropped>[_LATE]_<user id>_<attachment id>_<file as submitted>`; a second upload of one name is `01_softmax-1.ipynb`.
  The roster is Canvas' gradebook export (`Student` as "Last, First", `Points Possible` row).
- Moodle 4.x's "Download submissions" in folders (`mod/assign/classes/downloader.php`):
  `<full name, clean_filename'd>_<participant id>_assignsubmission_file/` (no trailing `_`); an upload of a name
  already there becomes `01_softmax (1).ipynb` (`file_storage::get_unused_filename`). The roster is the grading
  worksheet ("Participant 123456").
- nbgrader's exchange after `nbgrader collect`: `submitted/<username>/<assignment>/timestamp.txt` written as
  `%Y-%m-%d %H:%M:%S.%f %Z` in `Exchange.timezone`, with a hand-in zip in `handed-in/`. The roster is a Canvas
  export whose `SIS Login ID` holds the nbgrader usernames (`roster_key = "sis_login_id"`).

The grading is canned (`CannedPool`): each learner's exercise results are given here, so the walk checks discovery,
matching, times, the course's rules and the exports, not the kernels (those are the grader's own tests).
"""

import csv
import json
from pathlib import Path

from grading_class import MY_SOFTMAX, write_notebook
from handin_files import genuine, softmax_notebook

from lab_utils.checks import EXERCISES
from lab_utils.course.cli import grade_and_report
from lab_utils.course.coursefile import load_course
from lab_utils.grading.options import GradeOptions
from lab_utils.grading.results import FAILED, GRADED, PASSED, ExerciseResult, NotebookResult, SubmissionResult

SOFTMAX = {"my_softmax", "stable_softmax"}  # 10 + 15 = 25 lab points
MODEL = {"count_params", "build_model", "my_dense"}  # 10 + 15 + 10 = 35
GRADIENTS = {"cross_entropy_from_logits", "softmax_cross_entropy_grad", "dense_backward", "gd_step"}  # 40
ALL = {ex.function for ex in EXERCISES}  # 135


def result(learner_id: str, passed: set[str]) -> SubmissionResult:
    """The grader's result for a learner who passed exactly the exercises `passed`."""
    notebooks = []
    for stem in dict.fromkeys(ex.notebook for ex in EXERCISES):
        exercises = [
            ExerciseResult(ex.function, stem, ex.points, ex.points, PASSED, "ok")
            if ex.function in passed
            else ExerciseResult(ex.function, stem, ex.points, 0, FAILED, "wrong")
            for ex in EXERCISES
            if ex.notebook == stem
        ]
        notebooks.append(NotebookResult(stem, f"{stem}.ipynb", GRADED, exercises))
    return SubmissionResult(learner_id, notebooks, seed=7)


class CannedPool:
    """Grades nobody for real: each learner gets `result(id, passed[id])`; it records whom it was asked for."""

    def __init__(self, passed: dict[str, set[str]]) -> None:
        self.passed, self.asked = passed, []

    def describe(self):
        return {"pool": "canned", "workers": 1}

    def run(self, learners, options):
        for learner in learners:
            self.asked.append(learner.learner_id)
            yield learner, result(learner.learner_id, self.passed[learner.learner_id])


def walk(class_dir: Path, course: Path, passed: dict[str, set[str]], out: Path, absent: str):
    """Grade the class; the course check's only finding is the roster's learners who handed nothing in."""
    pool = CannedPool(passed)
    run = grade_and_report(class_dir, out, pool, GradeOptions(seed=7), course=load_course(course))
    assert sorted(pool.asked) == sorted(passed)
    assert [f.line for f in run.findings] == [f"warning: 2 learner(s) of the roster handed nothing in: {absent}"]
    return run


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def records(out: Path) -> dict[str, dict]:
    return {r["learner_id"]: r["record"] for r in json.loads((out / "grades.json").read_text())["learners"]}


# --- Canvas, with its gradebook export as roster --------------------------------------------------------------

CANVAS_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,MNIST lab (12345),Current Score,Final Score
    Points Possible,,,,,100.00,(read only),(read only)
"Souza, Ana",4021,S4021,asouza,Lab A,,,
"Ode, Ben",4022,S4022,bode,Lab A,,,
"Lam, Cy",4023,S4023,clam,Lab A,,,
"Ray, Dee",4024,S4024,dray,Lab A,,,
"Noor, Eve",4025,S4025,enoor,Lab A,,,
"Lin, Fay",4026,S4026,flin,Lab A,,,
"""
CANVAS_COURSE = """roster = "gradebook.csv"
missing = "zero"

[assignment]
name = "MNIST lab"
canvas_id = 12345
points = 100
due = 2026-12-01T23:59:00+01:00

[late]
percent_per_day = 10
percent_if_unknown = 20

[extensions]
"4023" = 2026-12-04T23:59:00+01:00

[[override]]
learner_id = "4024"
exercise = "build_model"
points = 10
reason = "explained it in the lab"

[[override]]
learner_id = "4025"
points = 70
reason = "oral exam, 2026-12-04"
"""


def test_the_canvas_walk_exports_every_cell_as_worked_out_by_hand(tmp_path):
    class_dir = tmp_path / "submissions"
    write_notebook(class_dir / "souzaana_4021_98001_01_softmax-1.ipynb", MY_SOFTMAX)  # her second upload
    write_notebook(class_dir / "souzaana_4021_98002_02_model.ipynb", "x = 1")
    write_notebook(class_dir / "odeben_LATE_4022_98003_01_softmax.ipynb", MY_SOFTMAX)
    write_notebook(class_dir / "lamcy_LATE_4023_98004_01_softmax.ipynb", MY_SOFTMAX)
    write_notebook(class_dir / "raydee_4024_98005_01_softmax.ipynb", MY_SOFTMAX)
    (tmp_path / "gradebook.csv").write_text(CANVAS_ROSTER)
    (tmp_path / "course.toml").write_text(CANVAS_COURSE)
    out = tmp_path / "out"
    passed = {"4021": SOFTMAX | MODEL, "4022": ALL, "4023": SOFTMAX, "4024": SOFTMAX}
    run = walk(class_dir, tmp_path / "course.toml", passed, out, "Noor, Eve (4025), Lin, Fay (4026)")
    header, *rows = csv_rows(out / "canvas.csv")
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "MNIST lab (12345)"]
    assert {row[1]: row[-1] for row in rows} == {
        "4021": "44.44",  # (25 + 35) / 135 * 100 = 44.444, on time (no LATE in her names)
        "4022": "80",  # 135 / 135 * 100 = 100, LATE without a time: 20 % off -> 80
        "4023": "18.52",  # 25 / 135 * 100 = 18.518, LATE but an extension: no penalty
        "4024": "25.93",  # (25 + build_model overridden to 10) / 135 * 100 = 25.926
        "4025": "70",  # handed nothing in, whole-score override 70
        "4026": "0",  # handed nothing in, missing = "zero"
    }
    assert [row[0] for row in rows] == ["Souza, Ana", "Ode, Ben", "Lam, Cy", "Ray, Dee", "Noor, Eve", "Lin, Fay"]
    assert run.info["roster_match"] == "roster matched on ID (4 of 4 learners)"
    assert "roster matched on ID (4 of 4 learners)" in (out / "report.html").read_text()
    audit = records(out)
    assert (audit["4022"]["late"], audit["4022"]["late_penalty_percent"]) == (True, 20)
    assert (audit["4023"]["late"], audit["4023"]["late_penalty_percent"]) == (False, 0)
    assert audit["4021"]["files"]["01_softmax"] == "souzaana_4021_98001_01_softmax-1.ipynb"


# --- Moodle 4.x, downloaded in folders, with its grading worksheet --------------------------------------------

WORKSHEET_HEADER = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
    "Last modified (submission),Online text,Last modified (grade),Feedback comments\n"
)
MOODLE_WORKSHEET = WORKSHEET_HEADER + "".join(
    f'Participant {participant},{name},{email},{status},,50.00,Yes,"{modified}",,-,\n'
    for participant, name, email, status, modified in [
        (123456, "Ana Souza", "ana.souza@uni.example", "Submitted for grading", "Tuesday, 1 December 2026, 10:00 PM"),
        (123457, "Ben O'Neil", "ben.oneil@uni.example", "Submitted for grading", "Thursday, 3 December 2026, 10:00 AM"),
        (123458, "Cy Lam", "cy.lam@uni.example", "Submitted for grading", "Friday, 4 December 2026, 12:00 PM"),
        (123459, "Dee Ray", "dee.ray@uni.example", "Submitted for grading", "Wednesday, 2 December 2026, 12:00 AM"),
        (123460, "Eve Noor", "eve.noor@uni.example", "No submission", "-"),
        (123461, "Fay Lin", "fay.lin@uni.example", "No submission", "-"),
    ]
)
MOODLE_TIMES = """learner_id,submitted_at
123456,2026-12-01T22:00:00+01:00
123457,2026-12-03T10:00:00+01:00
123458,2026-12-04T12:00:00+01:00
123459,2026-12-02T00:00:00+01:00
"""
MOODLE_COURSE = """roster = "worksheet.csv"
submission_times = "times.csv"
missing = "keep"

[assignment]
name = "MNIST lab"
points = 50
due = 2026-12-01T23:59:00+01:00

[late]
percent_per_day = 10

[extensions]
"123458" = 2026-12-05T23:59:00+01:00

[[override]]
learner_id = "123459"
exercise = "train_step"
points = 10
reason = "re-marked by hand"

[[override]]
learner_id = "123460"
points = 45
reason = "oral exam, 2026-12-04"

[moodle]
identifier = "email"
"""


def test_the_moodle_walk_in_folders_exports_every_cell_as_worked_out_by_hand(tmp_path):
    class_dir = tmp_path / "download"
    folders = ["Ana Souza_123456", "Ben ONeil_123457", "Cy Lam_123458", "Dee Ray_123459"]  # clean_filename drops '
    for folder in folders:
        write_notebook(class_dir / f"{folder}_assignsubmission_file" / "01_softmax.ipynb", MY_SOFTMAX)
    write_notebook(class_dir / "Cy Lam_123458_assignsubmission_file" / "01_softmax (1).ipynb", MY_SOFTMAX)
    (tmp_path / "worksheet.csv").write_text(MOODLE_WORKSHEET)
    (tmp_path / "times.csv").write_text(MOODLE_TIMES)
    (tmp_path / "course.toml").write_text(MOODLE_COURSE)
    out = tmp_path / "out"
    passed = {
        "123456": SOFTMAX | MODEL | GRADIENTS,
        "123457": ALL,
        "123458": SOFTMAX,
        "123459": SOFTMAX | {"compile_model"},
    }
    run = walk(class_dir, tmp_path / "course.toml", passed, out, "Eve Noor (123460), Fay Lin (123461)")
    assert csv_rows(out / "moodle.csv") == [
        ["Email address", "Full name", "MNIST lab"],
        ["ana.souza@uni.example", "Ana Souza", "37.04"],  # (25 + 35 + 40) / 135 * 50 = 37.037, on time
        ["ben.oneil@uni.example", "Ben O'Neil", "40"],  # 135 / 135 * 50 = 50; 1 day 10 h late: 2 days, 20 % -> 40
        ["cy.lam@uni.example", "Cy Lam", "9.26"],  # 25 / 135 * 50 = 9.259; before his extension: no penalty
        # (25 + 10 + train_step overridden to 10) / 135 * 50 = 16.667; 1 minute late: 1 day, 10 % -> 15
        ["dee.ray@uni.example", "Dee Ray", "15"],
        ["eve.noor@uni.example", "Eve Noor", "45"],  # handed nothing in, whole-score override 45
    ]  # Fay Lin handed nothing in: missing = "keep", no row, Moodle keeps what it has
    assert run.info["roster_match"] == "roster matched on participant id (4 of 4 learners)"
    audit = records(out)
    assert audit["123458"]["files"]["01_softmax"] == "Cy Lam_123458_assignsubmission_file/01_softmax (1).ipynb"
    assert audit["123457"]["days_late"] == 2 and audit["123459"]["days_late"] == 1


# --- nbgrader's exchange, with a Canvas roster keyed on SIS Login ID ------------------------------------------

NBGRADER_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Lab nb (777)
    Points Possible,,,,,20.00
"Adams, Ada",5001,S5001,ada,Lab B,
"Baker, Ben",5002,S5002,ben,Lab B,
"Cole, Cy",5003,S5003,cy,Lab B,
"Diaz, Dee",5004,S5004,dee,Lab B,
"Ems, Eve",5005,S5005,eve,Lab B,
"Fox, Fay",5006,S5006,fay,Lab B,
"""
NBGRADER_COURSE = """roster = "gradebook.csv"
roster_key = "sis_login_id"
zone = "Europe/Berlin"

[assignment]
name = "Lab nb"
canvas_id = 777
points = 20
due = 2026-12-01T23:59:00+01:00

[late]
percent_per_day = 25
max_days = 2

[extensions]
cy = 2026-12-06T23:59:00+01:00

[[override]]
learner_id = "ada"
exercise = "gd_step"
points = 5
reason = "fixed a typo the grader could not see"

[[override]]
learner_id = "dee"
points = 15
reason = "oral exam, 2026-12-04"
"""


def test_the_nbgrader_walk_exports_every_cell_as_worked_out_by_hand(tmp_path):
    submitted = tmp_path / "course" / "submitted"
    files = {"01_softmax.ipynb": softmax_notebook(), "02_model.ipynb": softmax_notebook("x = 1")}
    genuine(submitted / "ada" / "mnist" / "handed-in" / "mnist-lab-ada-20261202T090000Z.zip", files)
    times = {
        "ada": "2026-12-02 10:00:00.123456 CET",  # 10 h 1 min late
        "ben": "2026-12-01 20:00:00.000001 CET",
        "cy": "2026-12-05 12:00:00.000000 CET",  # before his extension
        "eve": "2026-12-04 09:00:00.000000 CET",  # 2 days 9 h 1 min late: 3 started days, over max_days
    }
    for learner_id, when in times.items():
        (submitted / learner_id / "mnist").mkdir(parents=True, exist_ok=True)
        (submitted / learner_id / "mnist" / "timestamp.txt").write_text(when)
        if learner_id != "ada":
            write_notebook(submitted / learner_id / "mnist" / "01_softmax.ipynb", MY_SOFTMAX)
    (tmp_path / "gradebook.csv").write_text(NBGRADER_ROSTER)
    (tmp_path / "course.toml").write_text(NBGRADER_COURSE)
    out = tmp_path / "out"
    passed = {"ada": SOFTMAX | MODEL, "ben": ALL, "cy": SOFTMAX, "eve": ALL}
    run = walk(tmp_path / "course", tmp_path / "course.toml", passed, out, "Diaz, Dee (dee), Fox, Fay (fay)")
    header, *rows = csv_rows(out / "canvas.csv")
    assert header[-1] == "Lab nb (777)"
    assert {row[3]: (row[1], row[-1]) for row in rows} == {
        # (25 + 35 + gd_step overridden to 5) / 135 * 20 = 9.630; 1 day late: 25 % off -> 7.222
        "ada": ("5001", "7.22"),
        "ben": ("5002", "20"),  # 135 / 135 * 20, on time
        "cy": ("5003", "3.7"),  # 25 / 135 * 20 = 3.704, before his extension
        "dee": ("5004", "15"),  # handed nothing in, whole-score override 15
        "eve": ("5005", "0"),  # 3 started days late, more than max_days = 2: 100 % off
        "fay": ("5006", "0"),  # handed nothing in, missing = "zero"
    }
    assert run.info["roster_match"] == "roster matched on SIS Login ID (4 of 4 learners)"
    assert "<td>dee</td><td>Diaz, Dee</td><td>15</td>" in (out / "report.html").read_text()  # her override applied
    audit = records(out)
    assert audit["ada"]["files"]["01_softmax"] == (
        "ada/mnist/handed-in/mnist-lab-ada-20261202T090000Z.zip/01_softmax.ipynb"
    )
    assert audit["ada"]["submitted_at"] == "2026-12-02T10:00:00.123456+01:00"
    assert (audit["ada"]["days_late"], audit["eve"]["days_late"]) == (1, 3)
