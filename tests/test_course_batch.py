"""Grading a class end to end (lab_utils.course.batch, through `python -m lab_utils.grade CLASS_DIR --out ...`).

A synthetic class is built here, one learner per case: solved, stubs, mixed, an unreadable file, an endless loop
after the exercises, a JupyterLab copy name, a forged check, no notebook of the series, and a learner from Canvas'
flat download. It is graded once, by the real grader (sandboxed kernels), with 2 local workers and short time
limits; the tests read the gradebook row by row against totals computed by hand from the registry's points.
A learner with every solved notebook of the series is graded in a class of its own, with time for real cells.
"""

import csv
import json
import shutil
from pathlib import Path

import pytest
from grading_class import (
    ENDLESS_LOOP,
    FORGED_SOFTMAX,
    MY_SOFTMAX,
    MY_SOFTMAX_STUB,
    STABLE_SOFTMAX,
    STABLE_SOFTMAX_NO_KEEPDIMS,
    STABLE_SOFTMAX_STUB,
    write_notebook,
)

from lab_utils.checks import EXERCISES, series_stems
from lab_utils.course.batch import (
    Entry,
    Journal,
    LocalPool,
    failed_result,
    grade_class,
    grader_version,
    is_failed,
    outcome_to_result,
)
from lab_utils.course.cli import main
from lab_utils.grading.options import GradeOptions
from lab_utils.grading.results import GRADED, GRADING_FAILED, MISSING, ExerciseResult, NotebookResult, SubmissionResult

ROOT = Path(__file__).resolve().parents[1]
POINTS = {ex.function: ex.points for ex in EXERCISES}
MAX_SCORE = sum(POINTS.values())
SEED = "4242"
SHORT = "30"  # seconds per cell: every cell of this class needs far less on a loaded machine, except the endless loop
OTHERS_MISSING = "; ".join(f"{stem} missing" for stem in series_stems() if stem != "01_softmax")

# learner -> the points each exercise should earn (every other exercise: 0)
EXPECTED = {
    "ada": {"my_softmax": POINTS["my_softmax"], "stable_softmax": POINTS["stable_softmax"]},
    "bob": {},
    "cy": {"my_softmax": POINTS["my_softmax"]},
    "dee": {},
    "eve": {"my_softmax": POINTS["my_softmax"], "stable_softmax": POINTS["stable_softmax"]},
    "fay": {"my_softmax": POINTS["my_softmax"], "stable_softmax": POINTS["stable_softmax"]},
    "gus": {"stable_softmax": POINTS["stable_softmax"]},
    "hal": {},
    "4021": {"my_softmax": POINTS["my_softmax"], "stable_softmax": POINTS["stable_softmax"]},
}


def build_class(folder: Path) -> Path:
    softmax = "01_softmax.ipynb"
    write_notebook(folder / "ada" / softmax, "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX)
    write_notebook(folder / "bob" / softmax, "import numpy as np", MY_SOFTMAX_STUB, STABLE_SOFTMAX_STUB)
    write_notebook(folder / "cy" / softmax, "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX_NO_KEEPDIMS)
    (folder / "dee").mkdir()
    (folder / "dee" / softmax).write_bytes(b'{"cells": [{"cell_type": "code", "source": "x = \x00\xff')
    cells = ("import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX, ENDLESS_LOOP)
    write_notebook(folder / "eve" / softmax, *cells, markdown_first=True)
    write_notebook(
        folder / "fay" / "01_softmax-Copy1.ipynb", "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX, markdown_first=True
    )
    write_notebook(folder / "gus" / softmax, "import numpy as np", FORGED_SOFTMAX, STABLE_SOFTMAX)
    write_notebook(folder / "hal" / "scratch.ipynb", "print('hello')")
    canvas = "smithjane_late_4021_98113_01_softmax-1.ipynb"
    write_notebook(folder / canvas, "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX)
    return folder


def grade(class_dir: Path, out: Path, *options: str) -> int:
    return main([str(class_dir), "--out", str(out), "--seed", SEED, "--timeout", SHORT, *options])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded once with 2 workers: (class folder, results folder, exit status, stdout)."""
    class_dir = build_class(tmp_path_factory.mktemp("class"))
    out = tmp_path_factory.mktemp("results")
    with pytest.MonkeyPatch.context() as mp:
        lines = []
        mp.setattr("builtins.print", lambda *a, **k: lines.append(" ".join(map(str, a))))
        code = grade(class_dir, out, "--workers", "2")
    return class_dir, out, code, "\n".join(lines)


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as f:
        return {row["learner_id"]: row for row in csv.DictReader(f)}


def learner_json(out: Path, learner_id: str) -> dict:
    return next(r for r in json.loads((out / "grades.json").read_text())["learners"] if r["learner_id"] == learner_id)


def test_the_command_exits_0_and_writes_every_output(graded):
    _, out, code, _ = graded
    assert code == 0
    for name in ("gradebook.csv", "grades.json", "report.html", "journal.jsonl"):
        assert (out / name).is_file(), name
    assert sorted(p.stem for p in (out / "feedback").glob("*.html")) == sorted(EXPECTED)


def test_the_gradebook_has_one_row_per_learner_sorted_by_id(graded):
    _, out, _, _ = graded
    assert list(gradebook(out)) == ["4021", "ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal"]


@pytest.mark.parametrize("learner_id", sorted(EXPECTED))
def test_each_row_holds_the_hand_computed_points_and_total(graded, learner_id):
    _, out, _, _ = graded
    row = gradebook(out)[learner_id]
    for ex in EXERCISES:
        assert row[ex.function] == f"{EXPECTED[learner_id].get(ex.function, 0):g}", (learner_id, ex.function)
    assert row["score"] == f"{sum(EXPECTED[learner_id].values()):g}"
    assert row["max_score"] == f"{MAX_SCORE:g}"


def test_missing_notebooks_score_0_and_are_named_in_the_problems(graded):
    _, out, _, _ = graded
    rows = gradebook(out)
    assert (rows["ada"]["status"], rows["ada"]["problems"]) == ("missing", OTHERS_MISSING)
    assert rows["hal"]["problems"] == "every notebook missing"


def test_an_unreadable_file_is_its_status_and_does_not_stop_the_others(graded):
    _, out, _, _ = graded
    row = gradebook(out)["dee"]
    assert row["status"] == "unreadable"
    assert row["problems"].startswith("01_softmax unreadable: ")


def test_an_endless_loop_after_the_exercises_keeps_their_points_and_is_noted(graded):
    _, out, _, _ = graded
    softmax = learner_json(out, "eve")["notebooks"][0]
    assert softmax["score"] == POINTS["my_softmax"] + POINTS["stable_softmax"]
    # Named as the learner finds it: the 4th code cell (the markdown cell above it is not counted), by its first line.
    assert any(note.startswith("code cell 4 (`while True:`) timed out") for note in softmax["notes"]), softmax["notes"]


def test_a_forged_check_earns_nothing(graded):
    _, out, _, _ = graded
    result = next(r for r in learner_json(out, "gus")["notebooks"][0]["exercises"] if r["exercise"] == "my_softmax")
    assert result["score"] == 0 and result["result"] == "failed"


def test_grades_json_names_the_files_graded_relative_to_the_class_folder(graded):
    _, out, _, _ = graded
    assert learner_json(out, "fay")["notebooks"][0]["path"] == "fay/01_softmax-Copy1.ipynb"
    assert learner_json(out, "4021")["notebooks"][0]["path"] == "smithjane_late_4021_98113_01_softmax-1.ipynb"
    assert "<grading folder>" not in (out / "grades.json").read_text()


def test_grades_json_records_the_seed_the_sandbox_and_timings(graded):
    _, out, _, _ = graded
    data = json.loads((out / "grades.json").read_text())
    assert data["run"]["seed"] == int(SEED) and data["run"]["workers"] == 2
    assert data["run"]["unmatched_files"] == ["hal/scratch.ipynb"]
    ada = learner_json(out, "ada")
    assert ada["seed"] == int(SEED) and isinstance(ada["sandbox"], bool) and ada["seconds"] > 0


def test_the_report_counts_the_learners_each_hint_fired_for(graded):
    _, out, _, _ = graded
    cy = next(r for r in learner_json(out, "cy")["notebooks"][0]["exercises"] if r["exercise"] == "stable_softmax")
    assert cy["hint"], cy
    report = (out / "report.html").read_text()
    assert "(1 learner): " in report  # only cy left keepdims out
    assert "<td>dee</td>" in report and "<td>ada</td>" in report  # not fully graded: unreadable, missing


def test_the_feedback_page_shows_the_learners_hint(graded):
    _, out, _, _ = graded
    page = (out / "feedback" / "cy.html").read_text()
    hint = next(r for r in learner_json(out, "cy")["notebooks"][0]["exercises"] if r["exercise"] == "stable_softmax")
    assert "stable_softmax" in page and "Hint:" in page
    assert hint["hint"].split()[0] in page


def copy_graded(graded, tmp_path):
    """A copy of the graded class and of its results, for a test that grades again."""
    class_dir, out, _, _ = graded
    shutil.copytree(class_dir, tmp_path / "class")
    shutil.copytree(out, tmp_path / "results")
    return tmp_path / "class", tmp_path / "results"


def test_a_rerun_skips_every_unchanged_learner(graded, tmp_path):
    class_dir, out = copy_graded(graded, tmp_path)
    before = (out / "gradebook.csv").read_bytes()
    assert grade(class_dir, out) == 0
    assert json.loads((out / "grades.json").read_text())["run"]["graded"] == 0
    assert (out / "gradebook.csv").read_bytes() == before


def test_a_rerun_grades_a_learner_whose_file_changed(graded, tmp_path):
    class_dir, out = copy_graded(graded, tmp_path)
    write_notebook(class_dir / "bob" / "01_softmax.ipynb", "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX_STUB)
    assert grade(class_dir, out) == 0
    run = json.loads((out / "grades.json").read_text())["run"]
    assert (run["graded"], run["reused"]) == (1, len(EXPECTED) - 1)
    assert gradebook(out)["bob"]["score"] == f"{POINTS['my_softmax']:g}", learner_json(out, "bob")


def test_an_interrupted_run_resumes_from_its_journal(graded, tmp_path):
    class_dir, out = copy_graded(graded, tmp_path)
    lines = (out / "journal.jsonl").read_text().splitlines()
    # As if interrupted while writing the last learner's line.
    (out / "journal.jsonl").write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:40])
    last = json.loads(lines[-1])["result"]["learner_id"]
    assert grade(class_dir, out) == 0
    run = json.loads((out / "grades.json").read_text())["run"]
    assert (run["graded"], run["reused"]) == (1, len(EXPECTED) - 1)
    assert gradebook(out)[last] == gradebook(graded[1])[last]


class VanishingPool(LocalPool):
    """A local pool during whose run one learner's notebook disappears (the class folder changed under us)."""

    def __init__(self, workers, doomed):
        super().__init__(workers)
        self.doomed = doomed

    def run(self, learners, options):
        self.doomed.unlink()
        yield from super().run(learners, options)


def test_a_learner_whose_grading_fails_is_recorded_with_the_reason_and_graded_again_next_run(tmp_path):
    class_dir = tmp_path / "class"
    doomed = write_notebook(class_dir / "zed" / "01_softmax.ipynb", "x = 1")
    (class_dir / "yan").mkdir()  # a learner with nothing handed in: graded, all missing
    run = grade_class(class_dir, tmp_path / "out", VanishingPool(2, doomed), GradeOptions(seed=1))
    yan, zed = run.results
    assert zed.status == GRADING_FAILED and zed.score == 0
    assert zed.summary.startswith("every notebook failed: FileNotFoundError")
    assert yan.status == MISSING and yan.learner_id == "yan"
    write_notebook(doomed, "x = 1")  # handed in again: graded again, the unchanged learner is not
    again = grade_class(class_dir, tmp_path / "out", LocalPool(1), GradeOptions(seed=1))
    assert (again.info["graded"], again.info["reused"]) == (1, 1)
    assert again.results[1].status != GRADING_FAILED


@pytest.fixture(scope="module")
def full_marks(tmp_path_factory):
    """A learner who handed in every solved notebook of the series, graded with time for the real cells."""
    class_dir = tmp_path_factory.mktemp("class")
    for stem in series_stems():
        (class_dir / "max").mkdir(exist_ok=True)
        shutil.copy(ROOT / "solutions" / f"{stem}.ipynb", class_dir / "max" / f"{stem}.ipynb")
    out = tmp_path_factory.mktemp("results")
    assert main([str(class_dir), "--out", str(out), "--seed", SEED, "--workers", "1"]) == 0
    return out


def test_every_solved_notebook_earns_full_marks(full_marks):
    row = gradebook(full_marks)["max"]
    assert row["status"] == GRADED
    assert row["score"] == row["max_score"] == f"{MAX_SCORE:g}"
    assert all(row[ex.function] == f"{ex.points:g}" for ex in EXERCISES)


def _softmax_result(learner_id: str) -> SubmissionResult:
    from lab_utils.checks import exercises_in

    exercises = [
        ExerciseResult(ex.function, ex.notebook, ex.points, 0, "failed", "") for ex in exercises_in("01_softmax")
    ]
    return SubmissionResult(
        learner_id, [NotebookResult("01_softmax", f"{learner_id}/01_softmax.ipynb", exercises=exercises)]
    )


def test_a_journal_line_that_does_not_validate_is_discarded_and_the_others_kept(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append(Entry("d1", {}, _softmax_result("ada")))
    forged = _softmax_result("bob").to_dict()
    forged["notebooks"][0]["exercises"][0].update(points=135, score=135, result="passed")
    with journal.path.open("a") as f:
        f.write(json.dumps({"digest": "d2", "how": {}, "result": forged}) + "\n")
    assert list(journal.load()) == ["ada"]


def test_a_workers_result_with_forged_points_becomes_a_failed_grading():
    forged = _softmax_result("bob").to_dict()
    forged["notebooks"][0]["exercises"][0].update(points=135, score=135, result="passed")
    result = outcome_to_result("bob", forged)
    assert result.score == 0 and result.status == GRADING_FAILED
    assert "the worker's result was refused" in result.summary


def test_a_workers_result_for_another_learner_becomes_a_failed_grading():
    result = outcome_to_result("bob", _softmax_result("ada").to_dict())
    assert result.learner_id == "bob" and result.score == 0 and is_failed(result)


class CannedPool:
    """A pool that grades nobody for real: it records whom it was asked to grade and answers with `answer(id)`."""

    def __init__(self, answer):
        self.answer, self.asked = answer, []

    def describe(self):
        return {"pool": "canned", "workers": 1}

    def run(self, learners, options):
        for learner in learners:
            self.asked.append(learner.learner_id)
            yield learner, self.answer(learner.learner_id)


def _two_learners(tmp_path):
    class_dir = tmp_path / "class"
    for learner_id in ("ada", "bob"):
        write_notebook(class_dir / learner_id / "01_softmax.ipynb", "x = 1")
    return class_dir


def test_a_failed_learner_is_kept_by_a_run_with_only_another_and_graded_again_by_the_next_full_run(tmp_path):
    class_dir, out = _two_learners(tmp_path), tmp_path / "out"
    grade_class(
        class_dir,
        out,
        CannedPool(lambda i: failed_result(i, "KilledWorker") if i == "bob" else _softmax_result(i)),
        GradeOptions(seed=1),
    )
    only_ada = grade_class(class_dir, out, CannedPool(_softmax_result), GradeOptions(seed=1), only=["ada"])
    assert [r.learner_id for r in only_ada.results] == ["ada", "bob"]
    assert only_ada.results[1].status == GRADING_FAILED
    full = CannedPool(_softmax_result)
    grade_class(class_dir, out, full, GradeOptions(seed=1))
    assert full.asked == ["bob"]


def test_a_result_graded_with_another_sandbox_mode_is_graded_again(tmp_path):
    class_dir, out = _two_learners(tmp_path), tmp_path / "out"
    grade_class(class_dir, out, CannedPool(_softmax_result), GradeOptions(seed=1, sandbox="off"))
    same = CannedPool(_softmax_result)
    grade_class(class_dir, out, same, GradeOptions(seed=2, sandbox="off"))
    assert same.asked == []  # another seed alone reuses the results
    required = CannedPool(_softmax_result)
    grade_class(class_dir, out, required, GradeOptions(seed=1, sandbox="required"))
    assert required.asked == ["ada", "bob"]


def test_the_journal_records_how_each_result_was_graded(tmp_path):
    class_dir, out = _two_learners(tmp_path), tmp_path / "out"
    grade_class(class_dir, out, CannedPool(_softmax_result), GradeOptions(seed=1, sandbox="off", timeout=9))
    how = Journal(out / "journal.jsonl").load()["ada"].how
    assert (how["sandbox"], how["timeout"], how["lab_version"]) == ("off", 9, grader_version())
