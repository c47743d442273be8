"""The course check (lab_utils.course.check) and what it stops: every mismatch between a class folder, its roster and
its course file said in one line, before any grading; errors keep the exports from being written.

Class folders are Canvas' flat download (`<name>[_late]_<user id>_<attachment id>_<file>`, the names Canvas'
re-upload reads back in app/models/assignment.rb) and Moodle's download in folders
(`<full name>_<participant id>_assignsubmission_file_/`, Moodle 3.x's mod/assign/locallib.php); rosters
are Canvas' gradebook export and Moodle's grading worksheet. Nothing here runs a kernel: the end-to-end tests grade
with a pool that answers with results built here (`CannedPool`).
"""

import csv
import json
import time
import zipfile
from pathlib import Path

from grading_class import MY_SOFTMAX, write_notebook

from lab_utils.checks import EXERCISES
from lab_utils.course.check import ERROR, WARNING, check_course
from lab_utils.course.classdir import discover
from lab_utils.course.cli import grade_and_report, main
from lab_utils.course.coursefile import load_course
from lab_utils.course.roster import read_roster
from lab_utils.grading.results import PASSED, ExerciseResult, NotebookResult, SubmissionResult

CANVAS_IDS = [str(4021 + i) for i in range(10)]
NAMES = ["Ana Souza", "Ben Ode", "Cy Lam", "Dee Ray", "Eve Noor", "Fay Lin", "Gus Orr", "Hal Ito", "Ivy Poe", "Jo Kai"]


def canvas_roster(points: str = "100.00") -> str:
    rows = ["Student,ID,SIS User ID,SIS Login ID,Section,MNIST lab (12345),Current Score,Final Score"]
    rows.append(f"    Points Possible,,,,,{points},(read only),(read only)")
    rows += [
        f'"{name}",{learner_id},S-{learner_id},l{learner_id},Lab A,,,'
        for learner_id, name in zip(CANVAS_IDS, NAMES, strict=True)
    ]
    return "\n".join(rows) + "\n"


def canvas_class(folder: Path, ids=CANVAS_IDS) -> Path:
    """Canvas' flat download: `<lastfirst>_<user id>_<attachment id>_<file as handed in>`."""
    class_dir = folder / "submissions"
    for number, learner_id in enumerate(ids):
        name = NAMES[CANVAS_IDS.index(learner_id)].lower().replace(" ", "") if learner_id in CANVAS_IDS else "x"
        write_notebook(class_dir / f"{name}_{learner_id}_{98000 + number}_01_softmax.ipynb", MY_SOFTMAX)
    return class_dir


def course_file(folder: Path, body: str, roster: str | None = "roster.csv") -> Path:
    top = f'roster = "{roster}"\n' if roster else ""
    path = folder / "course.toml"
    path.write_text(top + body)
    return path


ASSIGNMENT = (
    '[assignment]\nname = "MNIST lab"\ncanvas_id = 12345\npoints = 100\ndue = 2026-12-01T23:59:00+01:00\n'
    "\n[late]\npercent_per_day = 10\n"
)


def override(learner_id: str, points: float, exercise: str | None = None) -> str:
    which = f'exercise = "{exercise}"\n' if exercise else ""
    return f'\n[[override]]\nlearner_id = "{learner_id}"\n{which}points = {points}\nreason = "oral exam"\n'


def findings_of(folder: Path, class_dir: Path, course: Path):
    course = load_course(course)
    roster = read_roster(course.roster) if course.roster else None
    return check_course(discover(class_dir), course, roster)


def lines(findings, level):
    return [f.text for f in findings if f.level == level]


def test_check_names_a_typod_override_id_a_typod_canvas_id_and_other_points_each_in_one_line(tmp_path, capsys):
    class_dir = canvas_class(tmp_path)
    (tmp_path / "roster.csv").write_text(canvas_roster(points="50.00"))
    body = ASSIGNMENT.replace("12345", "12346") + override("4062", 20)  # 4026 is in the class
    course = course_file(tmp_path, body)
    started = time.perf_counter()
    assert main([str(class_dir), "--course", str(course), "--check"]) == 1
    seconds = time.perf_counter() - started
    err = capsys.readouterr().err.splitlines()
    errors = [line for line in err if line.startswith("grade: error: ")]
    assert len(errors) == 3, err
    assert any("'4062' matches no learner" in line and "4026" in line for line in errors)
    assert any("canvas_id 12346: no such assignment column in roster.csv" in line for line in errors)
    assert any("points = 100, but roster.csv gives MNIST lab (12345) Points Possible 50.00" in line for line in errors)
    print(f"--check on a Canvas class of 10: {seconds:.2f} s")  # the figure for the closing note


def test_check_of_a_matching_class_says_so_and_exits_0(tmp_path, capsys):
    class_dir = canvas_class(tmp_path)
    (tmp_path / "roster.csv").write_text(canvas_roster())
    assert main([str(class_dir), "--course", str(course_file(tmp_path, ASSIGNMENT)), "--check"]) == 0
    assert "no mismatch" in capsys.readouterr().out


def test_check_needs_a_course_file(tmp_path, capsys):
    class_dir = canvas_class(tmp_path)
    try:
        main([str(class_dir), "--check"])
    except SystemExit as e:
        assert e.code == 2
    assert "--check checks a class against its course file" in capsys.readouterr().err


def test_an_extension_for_nobody_is_an_error(tmp_path):
    class_dir = canvas_class(tmp_path)
    (tmp_path / "roster.csv").write_text(canvas_roster())
    course = course_file(tmp_path, ASSIGNMENT + '\n[extensions]\n"4O23" = 2026-12-03T23:59:00+01:00\n')
    [error] = lines(findings_of(tmp_path, class_dir, course), ERROR)
    assert error.startswith("[extensions]: '4O23' matches no learner") and "did you mean 4023?" in error


def test_a_whole_score_override_above_the_points_is_an_error(tmp_path):
    class_dir = canvas_class(tmp_path)
    (tmp_path / "roster.csv").write_text(canvas_roster())
    course = course_file(tmp_path, ASSIGNMENT + override("4021", 95).replace("95", "195"))
    assert lines(findings_of(tmp_path, class_dir, course), ERROR) == [
        "[[override]] number 1: 195 points for 4021 is above the assignment's 100 points"
    ]


def test_submitters_off_the_roster_and_roster_learners_with_nothing_are_warnings(tmp_path):
    class_dir = canvas_class(tmp_path, ids=[*CANVAS_IDS[:8], "5000"])
    (tmp_path / "roster.csv").write_text(canvas_roster())
    warnings = lines(findings_of(tmp_path, class_dir, course_file(tmp_path, ASSIGNMENT)), WARNING)
    assert "x (5000) handed in but is not on the roster: in no export" in warnings
    assert "2 learner(s) of the roster handed nothing in: Ivy Poe (4029), Jo Kai (4030)" in warnings


def test_without_canvas_id_a_column_of_the_same_title_is_a_warning(tmp_path):
    class_dir = canvas_class(tmp_path)
    (tmp_path / "roster.csv").write_text(canvas_roster())
    course = course_file(tmp_path, ASSIGNMENT.replace("canvas_id = 12345\n", ""))
    [warning] = lines(findings_of(tmp_path, class_dir, course), WARNING)
    assert "Canvas will match 'MNIST lab' by its title" in warning and "'MNIST lab (12345)'" in warning


def test_unknown_hand_in_times_are_a_warning_but_canvas_names_say_on_time(tmp_path):
    plain = tmp_path / "plain"
    write_notebook(plain / "ada" / "01_softmax.ipynb", MY_SOFTMAX)
    course = course_file(tmp_path, ASSIGNMENT, roster=None)
    [warning] = lines(findings_of(tmp_path, plain, course), WARNING)
    assert warning.startswith("the hand-in time of 1 learner(s) is not known, so no late penalty applies: ada")
    assert findings_of(tmp_path, canvas_class(tmp_path), course) == []
    no_penalty = course_file(tmp_path, ASSIGNMENT.replace("percent_per_day = 10", "percent_per_day = 0"), roster=None)
    assert findings_of(tmp_path, plain, no_penalty) == []  # lateness costs nothing: the time changes nothing


MOODLE_WORKSHEET = "Identifier,Full name,Email address,ID number,Status,Grade,Maximum Grade\n" + "".join(
    f"Participant {123456 + i},{name},{name.split()[0].lower()}@uni.example,{'' if i else 'ID-1'},Submitted,,100.00\n"
    for i, name in enumerate(NAMES[:3])
)
MOODLE_COURSE = ASSIGNMENT.replace("canvas_id = 12345\n", "") + '\n[moodle]\nidentifier = "idnumber"\n'


def moodle_class(folder: Path) -> Path:
    """Moodle's download in folders: `<full name>_<participant id>_assignsubmission_file_/<file>` (Moodle 3.x,
    mod/assign/locallib.php; 4.1 drops the trailing `_`)."""
    class_dir = folder / "download"
    for i, name in enumerate(NAMES[:3]):
        write_notebook(class_dir / f"{name}_{123456 + i}_assignsubmission_file_" / "01_softmax.ipynb", MY_SOFTMAX)
    return class_dir


def test_blank_moodle_identifiers_are_listed_one_line_each(tmp_path):
    (tmp_path / "worksheet.csv").write_text(MOODLE_WORKSHEET)
    course = course_file(tmp_path, MOODLE_COURSE, roster="worksheet.csv")
    warnings = lines(findings_of(tmp_path, moodle_class(tmp_path), course), WARNING)
    assert warnings == [
        "moodle.csv: Ben Ode (123457) has a blank ID number in the roster: left out of moodle.csv",
        "moodle.csv: Cy Lam (123458) has a blank ID number in the roster: left out of moodle.csv",
        "the hand-in time of 3 learner(s) is not known, so no late penalty applies: Ana Souza (123456), "
        "Ben Ode (123457), Cy Lam (123458) (give submission_times in the course file)",
    ]


def test_an_all_blank_moodle_identifier_column_is_an_error(tmp_path):
    (tmp_path / "worksheet.csv").write_text(MOODLE_WORKSHEET.replace("ID-1", ""))
    course = course_file(tmp_path, MOODLE_COURSE, roster="worksheet.csv")
    [error] = lines(findings_of(tmp_path, moodle_class(tmp_path), course), ERROR)
    assert error.startswith("moodle.csv: every learner's ID number is blank") and 'identifier = "email"' in error


def test_moodle_points_that_differ_from_the_maximum_grade_are_an_error(tmp_path):
    (tmp_path / "worksheet.csv").write_text(MOODLE_WORKSHEET.replace("100.00", "50.00"))
    course = course_file(tmp_path, MOODLE_COURSE, roster="worksheet.csv")
    assert lines(findings_of(tmp_path, moodle_class(tmp_path), course), ERROR) == [
        "[assignment] points = 100, but worksheet.csv gives Maximum grade 50.00"
    ]


# --- end to end, with results built here ---------------------------------------------------------------------


def solved_softmax(learner_id: str) -> SubmissionResult:
    """A result as the grader gives it to a learner who solved 01_softmax and handed in nothing else."""
    notebooks = []
    for stem in dict.fromkeys(ex.notebook for ex in EXERCISES):
        exercises = [
            ExerciseResult(ex.function, stem, ex.points, ex.points if stem == "01_softmax" else 0, PASSED, "ok")
            if stem == "01_softmax"
            else ExerciseResult(ex.function, stem, ex.points, 0, "missing", "not handed in")
            for ex in EXERCISES
            if ex.notebook == stem
        ]
        status = "graded" if stem == "01_softmax" else "missing"
        notebooks.append(NotebookResult(stem, f"{stem}.ipynb" if status == "graded" else None, status, exercises))
    return SubmissionResult(learner_id, notebooks, seed=7)


class CannedPool:
    """Grades nobody for real: every learner gets `solved_softmax`."""

    def describe(self):
        return {"pool": "canned", "workers": 1}

    def run(self, learners, options):
        for learner in learners:
            yield learner, solved_softmax(learner.learner_id)


def grade_canned(class_dir: Path, out: Path, course: Path):
    from lab_utils.grading.options import GradeOptions

    return grade_and_report(class_dir, out, CannedPool(), GradeOptions(seed=7), course=load_course(course))


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def test_an_error_stops_the_exports_and_stands_at_the_top_of_the_report(tmp_path):
    class_dir = canvas_class(tmp_path)
    (tmp_path / "roster.csv").write_text(canvas_roster())
    out = tmp_path / "out"
    good = course_file(tmp_path, ASSIGNMENT)
    assert grade_canned(class_dir, out, good).info["exports"] == ["canvas.csv"]
    bad = course_file(tmp_path, ASSIGNMENT + override("4062", 20))
    run = grade_canned(class_dir, out, bad)
    assert not (out / "canvas.csv").exists()  # the good run's export is not left beside grades it does not hold
    assert (out / "gradebook.csv").exists() and run.info["exports"] == []
    report = (out / "report.html").read_text()
    assert report.index("<h2>Course check</h2>") < report.index("<h2>Learners</h2>")
    assert "1 error(s): no export was written" in report and "&#x27;4062&#x27; matches no learner" in report


def test_an_override_for_a_learner_who_handed_nothing_in_is_exported(tmp_path):
    class_dir = canvas_class(tmp_path, ids=CANVAS_IDS[:9])  # 4030 handed nothing in
    (tmp_path / "roster.csv").write_text(canvas_roster())
    out = tmp_path / "out"
    grade_canned(class_dir, out, course_file(tmp_path, ASSIGNMENT + override("4030", 80)))
    rows = {row[1]: row[-1] for row in read_csv(out / "canvas.csv")[1:]}
    assert rows["4030"] == "80" and rows["4021"] == "18.52"  # 25/135*100
    report = (out / "report.html").read_text()
    assert "<td>4030</td><td>Jo Kai</td><td>80</td>" in report and "nothing handed in" in report


def test_missing_keep_leaves_the_row_out_so_the_lms_keeps_its_grade(tmp_path):
    class_dir = canvas_class(tmp_path, ids=CANVAS_IDS[:9])
    (tmp_path / "roster.csv").write_text(canvas_roster())
    out = tmp_path / "out"
    grade_canned(class_dir, out, course_file(tmp_path, 'missing = "keep"\n' + ASSIGNMENT))
    assert [row[1] for row in read_csv(out / "canvas.csv")[1:]] == CANVAS_IDS[:9]


def test_moodle_csv_never_has_a_row_with_a_blank_identifier(tmp_path):
    (tmp_path / "worksheet.csv").write_text(MOODLE_WORKSHEET)
    out = tmp_path / "out"
    grade_canned(moodle_class(tmp_path), out, course_file(tmp_path, MOODLE_COURSE, roster="worksheet.csv"))
    assert read_csv(out / "moodle.csv") == [["ID number", "Full name", "MNIST lab"], ["ID-1", "Ana Souza", "18.52"]]


def test_no_canvas_csv_for_a_class_without_a_roster_unless_asked(tmp_path):
    plain = tmp_path / "plain"
    write_notebook(plain / "ada" / "01_softmax.ipynb", MY_SOFTMAX)
    out = tmp_path / "out"
    assert grade_canned(plain, out, course_file(tmp_path, ASSIGNMENT, roster=None)).info["exports"] == []
    asked = course_file(tmp_path, 'exports = ["canvas"]\n' + ASSIGNMENT, roster=None)
    assert grade_canned(plain, out, asked).info["exports"] == ["canvas.csv"]


def test_moodle_feedback_zip_names_each_page_as_moodles_upload_reads_it(tmp_path):
    """mod/assign/feedback/file/importziplib.php: explode('_', part, 5): [name, participant id, plugin type, plugin]."""
    (tmp_path / "worksheet.csv").write_text(MOODLE_WORKSHEET)
    out = tmp_path / "out"
    grade_canned(moodle_class(tmp_path), out, course_file(tmp_path, MOODLE_COURSE, roster="worksheet.csv"))
    with zipfile.ZipFile(out / "feedback-moodle.zip") as archive:
        names = archive.namelist()
        page = archive.read(names[0]).decode()
    assert names == [f"{name}_{123456 + i}_assignfeedback_file/feedback.html" for i, name in enumerate(NAMES[:3])]
    for name in names:
        pieces = name.split("/")[0].split("_", 4)
        assert pieces[1].isdigit() and pieces[2:4] == ["assignfeedback", "file"]
    assert "Your grade: 18.52 of 100 points" in page
    assert not (out / "feedback-canvas.zip").exists()


def test_canvas_feedback_zip_names_each_page_with_the_user_and_an_attachment_of_theirs(tmp_path):
    """app/models/assignment.rb, infer_comment_context_from_filename: the first two all-digit `_`-pieces are the
    user id and one of their submission's attachment ids."""
    class_dir = canvas_class(tmp_path)
    (tmp_path / "roster.csv").write_text(canvas_roster())
    out = tmp_path / "out"
    grade_canned(class_dir, out, course_file(tmp_path, ASSIGNMENT))
    with zipfile.ZipFile(out / "feedback-canvas.zip") as archive:
        names = archive.namelist()
    assert "anasouza_4021_98000_feedback.html" in names and len(names) == 10
    for name in names:
        user, attachment = [piece for piece in name.split("_") if piece.isdigit()][:2]
        assert int(attachment) == 98000 + CANVAS_IDS.index(user)


def test_canvas_late_names_in_either_case_give_the_attachment_for_the_re_upload():
    from lab_utils.course.lms import canvas_attachment_id

    assert canvas_attachment_id("4021", "smithjane_LATE_4021_98113_01_softmax-1.ipynb") == "98113"
    assert canvas_attachment_id("4021", "smithjane_late_4021_98113_01_softmax.ipynb") == "98113"
    assert canvas_attachment_id("4022", "smithjane_4021_98113_01_softmax.ipynb") is None  # another learner's
    assert canvas_attachment_id("123456", "Jane Smith_123456_assignsubmission_file_01_softmax.ipynb") is None


# --- the roster's key and the exchange's zone, from the course file -------------------------------------------


def test_check_says_which_column_the_roster_matched_on_and_how_many_it_found(tmp_path, capsys):
    class_dir = canvas_class(tmp_path, ids=CANVAS_IDS[:9])
    (tmp_path / "roster.csv").write_text(canvas_roster())
    main([str(class_dir), "--course", str(course_file(tmp_path, ASSIGNMENT)), "--check"])
    assert "course check: roster matched on ID (9 of 9 learners)\n" in capsys.readouterr().out


def test_the_course_files_roster_key_is_the_one_matched_on(tmp_path, capsys):
    class_dir = canvas_class(tmp_path)
    (tmp_path / "roster.csv").write_text(canvas_roster())
    course = course_file(tmp_path, 'roster_key = "sis_user_id"\n' + ASSIGNMENT)  # holds S-4021, not 4021
    assert main([str(class_dir), "--course", str(course), "--check"]) == 0
    captured = capsys.readouterr()
    assert "course check: roster matched on SIS User ID (0 of 10 learners)" in captured.out
    assert "grade: warning: anasouza (4021) handed in but is not on the roster: in no export" in captured.err


def test_the_report_says_which_column_the_roster_matched_on(tmp_path):
    class_dir = canvas_class(tmp_path)
    (tmp_path / "roster.csv").write_text(canvas_roster())
    out = tmp_path / "out"
    grade_canned(class_dir, out, course_file(tmp_path, ASSIGNMENT))
    report = (out / "report.html").read_text()
    check = report[report.index("<h2>Course check</h2>") : report.index("<h2>Learners</h2>")]
    assert "<p>roster matched on ID (10 of 10 learners)</p>" in check


def nbgrader_exchange(folder: Path, stamp: str) -> Path:
    """nbgrader's exchange after `nbgrader collect`: submitted/<username>/<assignment>/timestamp.txt, written in
    `Exchange.timezone` as `%Y-%m-%d %H:%M:%S.%f %Z` (nbgrader/exchange/submit.py)."""
    assignment = folder / "course" / "submitted" / "ada" / "mnist"
    write_notebook(assignment / "01_softmax.ipynb", MY_SOFTMAX)
    (assignment / "timestamp.txt").write_text(stamp)
    return folder / "course"


def test_the_course_files_zone_places_an_abbreviation_of_several_offsets(tmp_path, capsys):
    exchange = nbgrader_exchange(tmp_path, "2026-12-02 03:00:00.000000 IST")  # India's, Ireland's or Israel's
    unknown = "the hand-in time of 1 learner(s) is not known"
    assert main([str(exchange), "--course", str(course_file(tmp_path, ASSIGNMENT, roster=None)), "--check"]) == 0
    assert unknown in capsys.readouterr().err
    zoned = course_file(tmp_path, 'zone = "Asia/Kolkata"\n' + ASSIGNMENT, roster=None)
    assert main([str(exchange), "--course", str(zoned), "--check"]) == 0
    assert unknown not in capsys.readouterr().err


def test_grading_reads_the_exchange_in_the_course_files_zone(tmp_path):
    exchange = nbgrader_exchange(tmp_path, "2026-12-02 03:00:00.000000 IST")  # 2026-12-01T22:30+01:00: on time
    out = tmp_path / "out"
    grade_canned(exchange, out, course_file(tmp_path, 'zone = "Asia/Kolkata"\n' + ASSIGNMENT, roster=None))
    [learner] = json.loads((out / "grades.json").read_text())["learners"]
    assert learner["record"]["submitted_at"] == "2026-12-02T03:00:00+05:30"
    assert learner["record"]["late"] is False
