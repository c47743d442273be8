"""Each learner's record in the course (lab_utils.course.records): built here from small results, nothing run."""

from datetime import datetime, timedelta, timezone

from lab_utils.checks import EXERCISES
from lab_utils.course.classdir import Learner
from lab_utils.course.coursefile import Course
from lab_utils.course.records import learner_records
from lab_utils.course.roster import Member, Roster
from lab_utils.grading.results import MISSING, NOT_IMPLEMENTED, PASSED, ExerciseResult, NotebookResult, SubmissionResult

CET = timezone(timedelta(hours=1))
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=CET)


def softmax_only(learner_id, result):
    """01_softmax handed in with both exercises ending as `result`; the other notebooks missing."""
    notebooks = []
    for stem in dict.fromkeys(ex.notebook for ex in EXERCISES):
        handed_in = stem == "01_softmax"
        exercises = [
            ExerciseResult(
                ex.function,
                stem,
                ex.points,
                ex.points if handed_in and result == PASSED else 0,
                result if handed_in else MISSING,
                "",
            )
            for ex in EXERCISES
            if ex.notebook == stem
        ]
        notebooks.append(NotebookResult(stem, f"{learner_id}/{stem}.ipynb" if handed_in else None, "graded", exercises))
    return SubmissionResult(learner_id, notebooks, seed=3)


def test_a_learner_who_wrote_no_exercise_is_flagged_as_handing_in_the_starter_notebooks():
    starter, worked = learner_records(
        [Learner("a"), Learner("b")], [softmax_only("a", NOT_IMPLEMENTED), softmax_only("b", PASSED)]
    )
    assert (starter.starter_only, worked.starter_only) == (True, False)


def test_the_roster_name_and_the_instructors_time_win_over_the_lms_file_names_and_nbgrader():
    nbgrader_time = DUE - timedelta(days=1)
    instructor_time = DUE + timedelta(hours=1)
    learner = Learner("4021", name="smithjane", submitted_at=nbgrader_time)
    roster = Roster("canvas", (Member("4021", "Smith, Jane"),))
    course = Course("MNIST lab", 100, due=DUE)
    (record,) = learner_records([learner], [softmax_only("4021", PASSED)], course, roster, {"4021": instructor_time})
    assert (record.name, record.handin.at, record.on_roster) == ("Smith, Jane", instructor_time, True)
    assert record.audit()["submitted_at"] == instructor_time.isoformat()
    assert record.score.final == 25 / 135 * 100  # late, but this course has no late policy


def test_without_a_course_a_record_has_no_course_score_but_keeps_the_late_marker():
    (record,) = learner_records([Learner("4021", late_marker=True)], [softmax_only("4021", PASSED)])
    assert record.score is None
    assert (record.audit()["late"], record.audit()["course_score"], record.on_roster) == (True, None, None)
