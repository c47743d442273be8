"""Hand-in files in a class folder, graded (lab_utils.course with course/handin_file.py): one learner per case.

A genuine hand-in in a learner's folder and in Canvas' flat download is graded like notebooks (Moodle's flat
download: test_course_downloads); a tampered one and one with a missing member are graded with the mismatch in the
learner's status and feedback page; a zip-slip entry, a zip bomb, a symlink member and a file named .zip that is
not a zip are refused with a status line, write nothing, and leave the rest of the class graded. The class is
graded once by the real grader.
"""

import json

import pytest
from grading_class import STABLE_SOFTMAX
from handin_files import genuine, rewritten, softmax_notebook, symlink_member, zip_bomb

from lab_utils.checks import EXERCISES
from lab_utils.course.batch import LocalPool, grade_class
from lab_utils.course.cli import main
from lab_utils.course.reports import write_all
from lab_utils.grading.options import GradeOptions
from lab_utils.grading.results import FLAGGED, GRADED

SOFTMAX_POINTS = sum(ex.points for ex in EXERCISES if ex.notebook == "01_softmax")
TAMPERED = "01_softmax.ipynb does not match the manifest's SHA-256: it was changed after the hand-in was made"
MISSING_MEMBER = "02_model.ipynb is listed in the manifest but missing from the hand-in file"


def build_class(folder):
    genuine(folder / "ada" / "mnist-lab-ada-20261129T101500Z.zip")
    wrong = softmax_notebook("import numpy as np", "def my_softmax(z):\n    return np.exp(z)", STABLE_SOFTMAX)
    rewritten(genuine(folder.parent / "bob.zip"), folder / "bob" / "mnist-lab-bob.zip", {"01_softmax.ipynb": wrong})
    two = {"01_softmax.ipynb": softmax_notebook(), "02_model.ipynb": softmax_notebook("x = 2")}
    rewritten(genuine(folder.parent / "cy.zip", two), folder / "cy" / "mnist-lab-cy.zip", drop=("02_model.ipynb",))
    rewritten(genuine(folder.parent / "dee.zip"), folder / "dee" / "h.zip", {"../../../evil.ipynb": b"pwned"})
    zip_bomb(folder / "eve" / "h.zip")
    symlink_member(folder / "fay" / "h.zip")
    (folder / "gus").mkdir()
    (folder / "gus" / "h.zip").write_text("not a zip")
    genuine(folder / "smithjane_4021_98113_mnist-lab-4021-20261129T101500Z.zip")
    genuine(folder / "doemax_4022_98114_mnist-lab-4022-20261129T101500Z.zip")
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("handin-class")
    folder = build_class(root / "class")
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    run = grade_class(folder, root / "out", LocalPool(2), GradeOptions(seed=4242, timeout=60))
    write_all(run.results, run.info, root / "out")
    after = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_relative_to(root / "out"))
    return {r.learner_id: r for r in run.results}, before, after, root


def test_every_learner_of_the_class_has_a_result(graded):
    results, *_ = graded
    assert sorted(results) == ["4021", "4022", "ada", "bob", "cy", "dee", "eve", "fay", "gus"]


def test_a_genuine_hand_in_is_graded_like_its_notebooks(graded):
    results, *_ = graded
    assert results["ada"].score == SOFTMAX_POINTS
    assert results["ada"].problems == []
    assert results["ada"].notebooks[0].path == "ada/mnist-lab-ada-20261129T101500Z.zip/01_softmax.ipynb"


def test_a_hand_in_in_canvas_flat_download_is_graded(graded):
    results, *_ = graded
    assert results["4021"].score == SOFTMAX_POINTS
    assert results["4022"].score == SOFTMAX_POINTS


def test_a_tampered_notebook_is_graded_and_the_mismatch_is_in_the_status(graded):
    results, *_ = graded
    bob = results["bob"]
    assert bob.problems == [f"hand-in file bob/mnist-lab-bob.zip: {TAMPERED}"]
    assert bob.status == FLAGGED
    assert bob.summary.startswith(f"hand-in file bob/mnist-lab-bob.zip: {TAMPERED}; ")
    assert bob.score == SOFTMAX_POINTS - 10  # the tampered my_softmax forgot to divide: graded as it is


def test_the_mismatch_is_on_the_learners_feedback_page(graded):
    _, _, _, root = graded
    page = (root / "out" / "feedback" / "bob.html").read_text()
    assert "What you handed in has problems" in page
    assert "it was changed after the hand-in was made" in page


def test_a_member_missing_from_the_hand_in_is_in_the_status(graded):
    results, *_ = graded
    assert results["cy"].problems == [f"hand-in file cy/mnist-lab-cy.zip: {MISSING_MEMBER}"]
    assert results["cy"].score == SOFTMAX_POINTS


@pytest.mark.parametrize(
    ("learner_id", "reason"),
    [
        ("dee", "member '../../../evil.ipynb' has '..' in its path"),
        ("eve", "member '01_softmax.ipynb' unpacks to more than 20 MB"),
        ("fay", "member '01_softmax.ipynb.link' is not a regular file (a link or a device)"),
        ("gus", "is not a zip file"),
    ],
)
def test_a_hostile_hand_in_is_refused_with_a_status_line_and_scores_nothing(graded, learner_id, reason):
    results, *_ = graded
    assert results[learner_id].problems == [f"hand-in file {learner_id}/h.zip refused: it {reason}"]
    assert results[learner_id].status == FLAGGED
    assert results[learner_id].summary.startswith(f"hand-in file {learner_id}/h.zip refused: it {reason}")
    assert results[learner_id].score == 0


def test_grading_the_class_wrote_nothing_outside_the_results(graded):
    _, before, after, root = graded
    assert after == before
    assert not (root.parent / "evil.ipynb").exists()


def test_grades_json_has_the_refusal_in_its_summary(graded):
    _, _, _, root = graded
    grades = json.loads((root / "out" / "grades.json").read_text())
    learners = {learner["learner_id"]: learner for learner in grades["learners"]}
    assert learners["gus"]["summary"].startswith("hand-in file gus/h.zip refused: it is not a zip file")
    assert learners["ada"]["status"] != GRADED  # the other notebooks of the series are missing


def test_the_command_line_refuses_a_hostile_hand_in_in_one_line(tmp_path, capsys):
    bomb = zip_bomb(tmp_path / "h.zip")
    assert main([str(bomb)]) == 2
    assert capsys.readouterr().err == (
        f"grade: error: {bomb}: hand-in file refused: it member '01_softmax.ipynb' unpacks to more than 20 MB\n"
    )


def test_the_command_line_grades_a_hand_in_file_and_prints_its_problems(tmp_path, capsys):
    wrong = softmax_notebook("import numpy as np", "def my_softmax(z):\n    return np.exp(z)", STABLE_SOFTMAX)
    tampered = rewritten(genuine(tmp_path / "h.zip"), tmp_path / "t.zip", {"01_softmax.ipynb": wrong})
    assert main([str(tampered), "--json", str(tmp_path / "grades.json"), "--timeout", "60"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"hand-in file {tampered}: {TAMPERED}\n")
    assert f"\n{tampered}/01_softmax.ipynb\n" in out
    grades = json.loads((tmp_path / "grades.json").read_text())
    assert grades["problems"] == [f"hand-in file {tampered}: {TAMPERED}"]
    assert grades["score"] == SOFTMAX_POINTS - 10
