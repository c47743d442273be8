"""Everything a learner hands in is hostile, not only their code: names, links, odd files, disk and time.

One class folder is built here with a hostile learner per case, beside honest ones (`ada`, full marks; `bob`,
stubs), and graded once, end to end, by `grade_and_report` (what `python -m lab_utils.grade` calls) with 2 local
workers, in a child process that the test ends by its PID if it outlives the test's own limit. The cases: a JSON
file name (Canvas' flat layout and the folder layout), ids that would escape or collide, a symlinked notebook and a
symlinked learner folder, a FIFO, a device (a link to /dev/zero and a real character device), a 252-character
name, formula ids, terminal escapes in a name and in messages, 2 GiB written, a SIGINT-proof sleep, and 10,000
one-line cells. Each test reads one fact off the results: 0 undeserved points, the others' rows and pages intact,
nothing written outside RESULTS_DIR. The time limits are the test's own (short); the figures (wall time, bytes
refused) are in grades.json for `make bench` and the closing note, not asserted.
"""

import csv
import json
import os
import random
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from grading_class import MY_SOFTMAX, MY_SOFTMAX_STUB, STABLE_SOFTMAX, STABLE_SOFTMAX_STUB, write_notebook
from handin_files import damaged_zip, genuine, quoted_overlap_bomb, raw_zip, rewritten

import lab_utils
from lab_utils.checks import EXERCISES
from lab_utils.course.cli import format_table
from lab_utils.course.names import file_stem
from lab_utils.course.spreadsheet import safe_cell
from lab_utils.grading.results import NotebookResult, SubmissionResult
from lab_utils.grading.sandbox import bwrap_available

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not installed here")

ROOT = Path(lab_utils.__file__).resolve().parents[1]
POINTS = {ex.function: ex.points for ex in EXERCISES}
SOFTMAX = POINTS["my_softmax"] + POINTS["stable_softmax"]
LIMIT = 1500  # seconds: the child process grading the class is killed after this (the test's own bound)
OPTIONS = "GradeOptions(seed=7, timeout=10, notebook_timeout=90, learner_timeout=150)"
NB = "01_softmax.ipynb"
HONEST = ("import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX)
STUBS = ("import numpy as np", MY_SOFTMAX_STUB, STABLE_SOFTMAX_STUB)
JSON_NAME = '01_softmax", "score": 135, "learner_id": "ada", "notebooks": [], "x": ".ipynb'
LONG_ID = "g" * 252
FORMULA_IDS = ('=HYPERLINK("evil","open")', "@SUM(1+1)", "+1-2", "-3")
ESCAPE_ID = "esc\x1b]0;pwned\x07\x1b[2A\x1b[2K\x1b[?1049h"
ESCAPE_MESSAGE = (
    'raise ValueError("\\x1b]8;;http://evil\\x1b\\\\click\\x1b]8;;\\x1b\\\\ \\x1b[1A\\x1b[2K\\x1b]0;t\\x07")'
)
WRITE_2_GIB = """
import os
written = 0
try:
    for i in range(16):  # 16 x 128 MiB, each under the per-file limit: only the total is over
        with open(f"big{i}.bin", "wb") as f:
            for _ in range(128):
                f.write(b"x" * 1024**2)
                written += 1024**2
except OSError as e:
    raise OSError(f"refused after {written} bytes of 2 GiB: {e}") from None
"""
SIGINT_PROOF = """
import signal, time
def my_softmax(z):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        time.sleep(1)
"""


def build_class(folder: Path) -> Path:
    """The class folder: honest learners, then one hostile learner (or file) per case."""
    write_notebook(folder / "ada" / NB, *HONEST)
    write_notebook(folder / "bob" / NB, *STUBS)
    write_notebook(folder / "Ada" / NB, *STUBS)  # collides with ada on a case-insensitive file system
    write_notebook(folder / f"evil_4000_1_{JSON_NAME}", *STUBS)  # flat layout
    write_notebook(folder / "carl" / JSON_NAME, *STUBS)  # folder layout
    write_notebook(folder / "..%2f..%2fescaped", *STUBS)  # not a learner: matches no layout
    write_notebook(folder / "a\\..\\..\\escaped" / NB, *STUBS)
    (folder / "dan").mkdir()
    (folder / "dan" / NB).symlink_to(ROOT / "solutions" / NB)
    (folder / "eli").symlink_to(folder / "ada", target_is_directory=True)
    os.mkfifo(folder / f"fifo_4001_2_{NB}")
    (folder / f"zed_4002_3_{NB}").symlink_to("/dev/zero")
    (folder / "fred").mkdir()
    os.mknod(folder / "fred" / NB, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    write_notebook(folder / LONG_ID / NB, *HONEST)
    for learner_id in FORMULA_IDS:
        write_notebook(folder / learner_id / NB, *STUBS)
    write_notebook(folder / ESCAPE_ID / NB, "import numpy as np", ESCAPE_MESSAGE, STABLE_SOFTMAX)
    write_notebook(folder / "hugo" / NB, "import numpy as np", MY_SOFTMAX, WRITE_2_GIB, STABLE_SOFTMAX)
    write_notebook(folder / "ivy" / NB, "import numpy as np", SIGINT_PROOF, STABLE_SOFTMAX)
    write_notebook(folder / "jay" / NB, *HONEST, *(f"x = {i}" for i in range(10_000)))
    build_input_cases(folder)
    return folder


RETARGET = "smithjane_4021_98113_x_4022_assignsubmission_file_01_softmax-9.ipynb"  # aims at 4022's grade
HIDDEN_LATE = "lateguy_LATE_4023_98115_x_4023_assignsubmission_file_01_softmax.ipynb"
SERIES = ("01_softmax", "02_model", "03_training", "04_evaluation", "05_experiments")


def build_input_cases(folder: Path) -> None:
    """Issue 25's input cases: names that aim at another learner's grade or hide lateness, a damaged zip, a
    manifest nested 60,000 deep, Fifield's overlap bomb, 250 small zips, and a 781 KiB notebook of 20,000 outputs."""
    write_notebook(folder / RETARGET, *STUBS)
    write_notebook(folder / "doejohn_4022_98114_01_softmax.ipynb", *HONEST)
    write_notebook(folder / HIDDEN_LATE, *HONEST)
    damaged_zip(folder / "kim" / "h.zip")
    with tempfile.TemporaryDirectory() as tmp:
        deep = {"manifest.json": b"[" * 60_000}
        rewritten(genuine(Path(tmp) / "lou.zip"), folder / "lou" / "h.zip", deep)
        small = raw_zip(Path(tmp) / "small.zip", {f"{stem}.ipynb": bytes(1024**2) for stem in SERIES}).read_bytes()
    runs = random.Random(25)
    kernel = b"".join(runs.choice([b"a", b"b", b"c"]) * 40 for _ in range(500_000))  # 19 MiB, ~40 times smaller
    quoted_overlap_bomb(folder / "max" / "h.zip", [f"{stem}.ipynb" for stem in SERIES], kernel)
    for number in range(250):
        (folder / "ned").mkdir(exist_ok=True)
        (folder / "ned" / f"h{number:03d}.zip").write_bytes(small)
    write_notebook(folder / "oli" / NB, *HONEST)
    outputs = [{"output_type": "stream", "text": "x" * 8}] * 20_000  # no "name": invalid for nbformat's schema
    scratch = {"cells": [{"cell_type": "code", "source": "", "metadata": {}, "outputs": outputs}], "nbformat": 4}
    (folder / "oli" / "scratch.ipynb").write_text(json.dumps({**scratch, "metadata": {}, "nbformat_minor": 5}))


# learner -> points deserved (every exercise not named: 0)
EXPECTED = {
    "ada": SOFTMAX,
    "bob": 0,
    "Ada": 0,
    "4000": 0,
    "carl": 0,
    "a\\..\\..\\escaped": 0,
    "dan": 0,
    "eli": 0,
    "4001": 0,
    "4002": 0,
    "fred": 0,
    LONG_ID: SOFTMAX,
    **dict.fromkeys(FORMULA_IDS, 0),
    ESCAPE_ID: POINTS["stable_softmax"],
    "hugo": SOFTMAX,  # the write is refused; the learner loses nothing else
    "ivy": POINTS["stable_softmax"],
    "jay": SOFTMAX,
    "4021": 0,  # its learner-chosen name aimed at 4022: it stays 4021's, a stub
    "4022": SOFTMAX,
    "4023": SOFTMAX,
    "kim": 0,
    "lou": SOFTMAX,
    "max": 0,
    "ned": 0,
    "oli": SOFTMAX,
}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under `folder` (links not followed): (mode, size)."""
    found = {}
    for top, dirs, names in os.walk(folder):
        for name in dirs + names:
            info = os.lstat(os.path.join(top, name))
            found[os.path.relpath(os.path.join(top, name), folder)] = (info.st_mode, info.st_size)
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """(class folder, results folder, snapshot of the class folder before grading, the child's exit status)."""
    base = tmp_path_factory.mktemp("hostile")
    class_dir, out = build_class(base / "class"), base / "results"
    before = snapshot(class_dir)
    script = (
        "import sys; from pathlib import Path\n"
        "from lab_utils.course.batch import LocalPool\nfrom lab_utils.grading.options import GradeOptions\n"
        "from lab_utils.course.cli import grade_and_report\n"
        f"grade_and_report(Path(sys.argv[1]), Path(sys.argv[2]), LocalPool(2), {OPTIONS})\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(class_dir), str(out)], cwd=base)
    try:
        code = child.wait(timeout=LIMIT)
    finally:
        if child.poll() is None:
            child.kill()  # by its PID: the sandboxes die with their parent
            child.wait()
    return class_dir, out, before, code


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        return {row["learner_id"]: row for row in csv.DictReader(f)}


def learners(out: Path) -> dict[str, dict]:
    return {r["learner_id"]: r for r in json.loads((out / "grades.json").read_text())["learners"]}


def test_the_class_is_graded_to_the_end_with_a_row_per_learner(graded):
    _, out, _, code = graded
    assert code == 0
    assert sorted(gradebook(out)) == sorted(safe_cell(learner_id) for learner_id in EXPECTED)


@pytest.mark.parametrize("learner_id", sorted(EXPECTED))
def test_each_learner_gets_exactly_the_points_deserved(graded, learner_id):
    _, out, _, _ = graded
    assert float(gradebook(out)[safe_cell(learner_id)]["score"]) == EXPECTED[learner_id]
    assert learners(out)[learner_id]["score"] == EXPECTED[learner_id]


def test_a_json_file_name_forges_nothing_in_either_layout(graded):
    _, out, _, _ = graded
    got = learners(out)
    for learner_id in ("4000", "carl"):
        assert got[learner_id]["notebooks"][0]["path"].endswith(JSON_NAME)
        assert got[learner_id]["learner_id"] == learner_id
    assert [r["learner_id"] for r in json.loads((out / "grades.json").read_text())["learners"]].count("ada") == 1


def test_each_learner_has_one_page_of_their_own_inside_feedback(graded):
    _, out, _, _ = graded
    pages = sorted(p.name for p in (out / "feedback").iterdir())
    assert pages == sorted(f"{file_stem(s)}.html" for s in EXPECTED)
    assert all(len(name) <= 100 and name.isascii() for name in pages)
    assert "Your grade: 0 of " in (out / "feedback" / f"{file_stem('Ada')}.html").read_text()
    assert f"Your grade: {SOFTMAX:g} of " in (out / "feedback" / "ada.html").read_text()


def test_links_fifos_and_devices_are_refused_each_with_a_status_line(graded):
    _, out, _, _ = graded
    rows = gradebook(out)
    assert "01_softmax refused: dan/01_softmax.ipynb: a symbolic link" in rows["dan"]["problems"]
    assert "every notebook refused: eli: the folder is a symbolic link" in rows["eli"]["problems"]
    assert "a FIFO (named pipe)" in rows["4001"]["problems"]
    assert "a symbolic link" in rows["4002"]["problems"]
    assert "a character device" in rows["fred"]["problems"]


def test_formula_ids_are_text_in_the_gradebook_and_numbers_stay_numbers(graded):
    _, out, _, _ = graded
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {row["learner_id"]: row for row in csv.DictReader(f)}
    for learner_id in FORMULA_IDS:
        assert f"'{learner_id}" in rows
        assert [rows[f"'{learner_id}"][c] for c in ("score", "max_score")] == ["0", f"{sum(POINTS.values()):g}"]


def test_terminal_escapes_never_reach_the_table_printed_or_the_gradebook(graded):
    _, out, _, _ = graded
    assert "\x1b" not in (out / "gradebook.csv").read_text(encoding="utf-8")
    result = SubmissionResult.from_dict(learners(out)[ESCAPE_ID])
    nb: NotebookResult = result.notebooks[0]
    assert not any("\x1b" in note or "\x07" in note for note in nb.notes)
    table = format_table(nb, result.learner_id)
    assert "\x1b" not in table and "\x07" not in table
    assert "click" in table  # the text of the message stays; only its sequences go


def test_two_gib_written_are_refused_and_the_learner_keeps_the_rest(graded):
    _, out, _, _ = graded
    nb = learners(out)["hugo"]["notebooks"][0]
    refused = [note for note in nb["notes"] if "refused after" in note]
    assert refused and "No space left on device" in refused[0]
    written = int(refused[0].split("refused after ")[1].split(" ")[0])
    assert written < 2 * 1024**3


def test_a_sigint_proof_function_is_killed_and_the_next_exercise_graded(graded):
    _, out, _, _ = graded
    nb = learners(out)["ivy"]["notebooks"][0]
    assert any("ignored the interrupt; the kernel was killed" in note for note in nb["notes"])
    assert {ex["exercise"]: ex["score"] for ex in nb["exercises"]} == {
        "my_softmax": 0,
        "stable_softmax": POINTS["stable_softmax"],
    }


def test_ten_thousand_cells_run_or_stop_at_the_notebooks_budget_and_the_functions_are_graded(graded):
    _, out, _, _ = graded
    nb = learners(out)["jay"]["notebooks"][0]
    assert nb["status"] in ("graded", "timeout")
    assert all(ex["result"] == "passed" for ex in nb["exercises"])


def test_nothing_is_written_outside_results_dir(graded):
    class_dir, out, before, _ = graded
    assert snapshot(class_dir) == before
    assert sorted(p.name for p in class_dir.parent.iterdir()) == ["class", "results"]
    top = {p.name for p in out.iterdir()}
    # feedback-canvas.zip: the pages of the learners graded from Canvas' download names, for its re-upload
    assert top == {"gradebook.csv", "grades.json", "report.html", "journal.jsonl", "feedback", "feedback-canvas.zip"}


def test_the_report_names_every_refused_learner(graded):
    _, out, _, _ = graded
    report = (out / "report.html").read_text()
    for learner_id in ("dan", "eli", "4001", "4002", "fred"):
        assert f"<td>{learner_id}</td>" in report


def test_a_learners_file_name_never_reaches_another_learners_grade(graded):
    _, out, _, _ = graded
    got = learners(out)
    assert got["4021"]["notebooks"][0]["path"] == RETARGET
    assert got["4022"]["notebooks"][0]["path"] == "doejohn_4022_98114_01_softmax.ipynb"
    assert got["4023"]["notebooks"][0]["path"] == HIDDEN_LATE  # its lateness: test_course_downloads


def test_a_damaged_zip_and_an_overlap_bomb_are_refused_each_in_one_status_line(graded):
    _, out, _, _ = graded
    rows = gradebook(out)
    assert (
        "hand-in file kim/h.zip refused: it member '01_softmax.ipynb' cannot be read: damaged"
        in rows["kim"]["problems"]
    )
    assert "hand-in file max/h.zip refused: it has members that share bytes" in rows["max"]["problems"]


def test_a_manifest_nested_sixty_thousand_deep_is_a_problem_and_the_notebook_is_graded(graded):
    _, out, _, _ = graded
    assert (
        "manifest.json is not a manifest: more than 1000 JSON arrays and objects" in gradebook(out)["lou"]["problems"]
    )


def test_two_hundred_and_fifty_zips_give_a_status_cut_to_a_few_lines(graded):
    _, out, _, _ = graded
    status = gradebook(out)["ned"]["problems"]
    assert "more than 200 files, the rest not read" in status
    assert "more)" in status and len(status) < 6000


def test_an_invalid_notebook_of_twenty_thousand_outputs_is_unmatched_and_the_rest_graded(graded):
    _, out, _, _ = graded
    unmatched = json.loads((out / "grades.json").read_text())["run"]["unmatched_files"]
    assert "oli/scratch.ipynb" in unmatched
