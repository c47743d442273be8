"""Handing in from JupyterLab (lab_utils.handin), as a learner does it after `make lab`, in headless Chromium.

A learner edits a solved notebook without saving it, then runs `handin()` in a new cell of the same notebook:
the pre-check's table appears inline, the hand-in file holds the unsaved edit (JupyterLab saved it through
ipylab), and the instructor's grader, given that file, awards the points the pre-check announced.
The README's picture of the pre-check (docs/screenshots/handin.png) is taken here with LAB_SCREENSHOTS set.
"""

from __future__ import annotations

import json
import zipfile

import pytest
from browser_lab import close_notebook, open_notebook, publish_screenshot

from lab_utils.checks import EXERCISES
from lab_utils.course.cli import main as grade

WRONG_SOFTMAX = "import numpy as np\n\ndef my_softmax(z):\n    return np.exp(z)  # unsaved edit: forgot to divide\n"
HANDIN = "from lab_utils.handin import handin\n\nhandin()"
PRECHECK_TIMEOUT_MS = 15 * 60_000  # a kernel for the grader and every notebook of the series, on a busy machine
MAX_SCORE = sum(ex.points for ex in EXERCISES)
EXPECTED = MAX_SCORE - next(ex.points for ex in EXERCISES if ex.function == "my_softmax")


@pytest.fixture(scope="module")
def handed_in(lab_server, lab_browser):
    """01_softmax (solved) with my_softmax broken and not saved, then handin() run in a new cell below it."""
    handed_in_files = lab_server.notebooks / "solutions" / "handed-in"
    before = set(handed_in_files.glob("mnist-lab-*.zip"))  # solved 05_evaluation, run in the same lab, hands in too
    notebook = open_notebook(lab_server, lab_browser, "solutions/01_softmax.ipynb")
    edited = notebook.cell_with("def my_softmax(")
    notebook.replace_source(edited, WRONG_SOFTMAX)
    cell = notebook.insert_cell_below(edited, HANDIN)
    notebook.run_cell(cell, PRECHECK_TIMEOUT_MS)
    notebook.cell = cell
    (notebook.handin_file,) = set(handed_in_files.glob("mnist-lab-*.zip")) - before
    yield notebook
    close_notebook(lab_server, notebook)


def test_the_precheck_table_appears_with_the_total_and_the_receipt(handed_in):
    from playwright.sync_api import expect

    output = handed_in.cell.locator(".jp-Cell-outputArea")
    expect(output.locator("table caption")).to_have_text("Pre-check of the whole series")
    expect(output.locator("tbody tr")).to_have_count(len(EXERCISES))
    expect(output).to_contain_text(f"Pre-check total: {EXPECTED}/{MAX_SCORE} points")
    expect(output).to_contain_text("Saved every open notebook in JupyterLab.")
    expect(output).to_contain_text("Upload this file to your course's assignment.")
    handed_in.page.set_viewport_size({"width": 1280, "height": 1800})  # the whole output, table to receipt
    shot = handed_in.screenshot("handin", output.locator(".jp-RenderedHTMLCommon"))
    publish_screenshot(shot, "handin")


def test_the_handin_file_holds_the_unsaved_edit(handed_in):
    with zipfile.ZipFile(handed_in.handin_file) as zf:
        notebook = zf.read("01_softmax.ipynb").decode()
    assert "unsaved edit: forgot to divide" in notebook


def test_grading_the_handin_file_gives_the_points_of_the_precheck(handed_in, tmp_path):
    with zipfile.ZipFile(handed_in.handin_file) as zf:
        precheck = json.loads(zf.read("manifest.json"))["precheck"]
    assert grade([str(handed_in.handin_file), "--json", str(tmp_path / "grades.json")]) == 0
    grades = json.loads((tmp_path / "grades.json").read_text())
    assert grades["problems"] == []
    assert grades["score"] == precheck["score"] == EXPECTED
