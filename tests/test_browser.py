"""The lab's own notebooks in real JupyterLab, as learners see them after `make lab`, driven in headless Chromium.

A notebook can pass nbval and still show "Error displaying widget", a figure as text, or a wall of traceback
in JupyterLab: only a browser shows that. JupyterLab is started by jupyter/lab.py with the settings `make lab`
uses (tests/browser_lab.py), on a free loopback port with a random token, serving a scratch copy of the notebooks.

- JupyterLab itself: it opens 01_softmax.ipynb with the notebooks listed in order, never asks about news,
  and the page asks nothing of any server but its own.
- Every solved notebook in solutions/ (outputs removed), Run All Cells: every cell runs, the kernel ends idle,
  every figure renders as an image, every widget displays, nothing is written to stderr, nothing is fetched
  from outside.
- Every learner notebook in notebooks/ with an exercise, Run All Cells: it stops at its first check with the
  red, compact "not implemented yet" message; a wrong answer typed into the exercise shows expected, got and
  hint lines; the solution typed in passes.
- The widgets in use: softmax logit fields (01), the live training curves (04), the digit pad (05).

Screenshots go to artifacts/browser/; `make screenshots` also refreshes the README's copies in docs/screenshots/.
Needs Chromium (`apt-get install chromium`) and Playwright's Python package; without them the tests are
skipped, except under CI and `make screenshots` (LAB_SCREENSHOTS set), where they fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from browser_lab import (
    REPO,
    RUN_ALL_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    NotebookPage,
    close_notebook,
    open_notebook,
    publish_screenshot,
)

from lab_utils.checks import EXERCISES

EXERCISE_START = "### START CODE HERE ###"
LEARNER = sorted(
    path.stem for path in (REPO / "notebooks").glob("*.ipynb") if EXERCISE_START in path.read_text(encoding="utf-8")
)
# Each check's own wrong answer (`ExerciseCheck.wrong_answer`): the body of the learner's function, with {0}, {1},
# ... standing for its parameters; a mistake the check recognises, so it gives a hint.
WRONG_ANSWERS = {ex.function: ex.wrong_answer for ex in EXERCISES if ex.wrong_answer}
PROBABILITY = re.compile(r"p = (\d\.\d{3})")
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
WIDGET_VIEW = ".jp-OutputArea-output > .jupyter-widgets"  # an output showing a widget (not the widgets inside it)
# A figure: lab_utils.plots shows each as an HTML <img> with its alt text (JupyterLab ignores an image output's alt).
FIGURE = ".jp-OutputArea-output img.lab-figure"


# ---------------------------------------------------------------- the notebooks


def stored_outputs(name: str, mime: str) -> int:
    """How many outputs of `mime` the solved notebook holds (the outputs nbval checks)."""
    notebook = nbformat.read(REPO / "solutions" / f"{name}.ipynb", as_version=4)
    return sum(
        mime in output.get("data", {}) for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )


# ---------------------------------------------------------------- JupyterLab as `make lab` opens it


@pytest.fixture(scope="module")
def start_page(lab_server, lab_browser):
    """What `make lab` shows first: the server's root URL, which opens 01_softmax.ipynb."""
    notebook = NotebookPage(lab_browser.new_page(), lab_server, url=f"{lab_server.url}/?token={lab_server.token}")
    notebook.screenshot("start_page")
    yield notebook
    close_notebook(lab_server, notebook)


def test_make_lab_opens_the_first_notebook(start_page):
    from playwright.sync_api import expect

    current = start_page.page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    expect(current).to_have_text("01_softmax.ipynb")


def test_the_file_browser_lists_the_notebooks_in_order(start_page):
    names = start_page.page.locator(".jp-DirListing-content .jp-DirListing-itemText").all_text_contents()
    notebooks = [name for name in names if name.endswith(".ipynb")]
    assert notebooks == sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))


def test_jupyterlab_does_not_ask_about_news(start_page):
    from playwright.sync_api import expect

    expect(start_page.page.get_by_text("official Jupyter news")).to_have_count(0)
    expect(start_page.page.locator(".jp-toast-message, .Toastify__toast")).to_have_count(0)


def test_the_page_asks_nothing_of_any_server_but_its_own(start_page):
    assert start_page.foreign_requests() == []
    # Nor its own server for what that would fetch from the internet.
    for api in ("/lab/api/news", "/lab/api/update", "/lab/api/extensions"):
        assert not [url for url in start_page.requests if api in url], f"the page asked {api}"


# ---------------------------------------------------------------- solved notebooks, Run All Cells


def test_every_cell_of_a_solved_notebook_runs_and_the_kernel_ends_idle(solved_in_lab):
    counts = solved_in_lab.execution_counts()
    assert counts and None not in counts, counts
    solved_in_lab.wait_for_kernel_idle(UI_TIMEOUT_MS)


def test_every_figure_of_a_solved_notebook_renders_as_an_image(solved_in_lab):
    images = solved_in_lab.page.locator(FIGURE)
    assert images.count() == stored_outputs(solved_in_lab.name, "image/png")
    for image in images.all():
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "an image did not load"
    texts = " ".join(solved_in_lab.page.locator(".jp-OutputArea-output").all_text_contents())
    assert "<Figure size" not in texts  # a figure shown as its text form instead of an image


def test_every_widget_of_a_solved_notebook_displays(solved_in_lab):
    from playwright.sync_api import expect

    expect(solved_in_lab.page.get_by_text("Error displaying widget")).to_have_count(0)
    expect(solved_in_lab.page.get_by_text("Error rendering output")).to_have_count(0)
    expect(solved_in_lab.page.locator(WIDGET_VIEW)).to_have_count(
        stored_outputs(solved_in_lab.name, "application/vnd.jupyter.widget-view+json")
    )


def test_a_solved_notebook_writes_nothing_to_stderr(solved_in_lab):
    assert solved_in_lab.page.locator(STDERR).all_text_contents() == []


def test_a_solved_notebook_and_its_widgets_ask_nothing_of_any_other_server(solved_in_lab):
    assert solved_in_lab.foreign_requests() == []


@pytest.mark.parametrize("solved_in_lab", ["01_softmax"], indirect=True)
def test_softmax_logit_fields_move_the_probability_bars(solved_in_lab):
    from playwright.sync_api import expect

    explorer = solved_in_lab.page.locator(".lab-softmax")
    explorer.scroll_into_view_if_needed()
    fields = explorer.get_by_role("spinbutton")
    expect(fields).to_have_count(4)
    before = shown_probabilities(explorer)
    assert len(before) == 4 and sum(before) == pytest.approx(1.0, abs=0.005)

    fields.last.fill("3")

    expect(explorer.locator(".lab-proba-value").last).not_to_have_text(f"p = {before[-1]:.3f}")
    after = shown_probabilities(explorer)
    assert after[-1] > before[-1]
    assert sum(after) == pytest.approx(1.0, abs=0.005)
    solved_in_lab.screenshot("softmax_explorer", explorer)


@pytest.mark.parametrize("solved_in_lab", ["04_training"], indirect=True)
def test_live_training_curves_show_as_one_image(solved_in_lab):
    cell = solved_in_lab.cell_with("callbacks=[LiveCurves()]")
    images = cell.locator(FIGURE)
    assert images.count() == 1
    images.scroll_into_view_if_needed()
    publish_screenshot(solved_in_lab.screenshot("live_curves", cell.locator(".jp-Cell-outputArea")), "live_curves")


@pytest.mark.parametrize("solved_in_lab", ["05_evaluation"], indirect=True)
def test_the_confusion_heatmap_shows(solved_in_lab):
    cell = solved_in_lab.cell_with("plot_confusion_matrix(cm)")
    image = cell.locator(FIGURE)
    image.scroll_into_view_if_needed()
    assert image.evaluate("img => img.naturalWidth") > 300
    publish_screenshot(solved_in_lab.screenshot("confusion_matrix", image), "confusion_matrix")


@pytest.mark.parametrize("solved_in_lab", ["05_evaluation"], indirect=True)
def test_the_digit_pad_shows_a_blank_preview_before_anything_is_drawn(solved_in_lab):
    preview = solved_in_lab.page.locator(".lab-digit-pad img.lab-picture")
    preview.scroll_into_view_if_needed()
    # Loaded (a broken-image icon has no natural size) and black all over.
    assert preview.evaluate(
        """img => {
            if (!img.complete || !img.naturalWidth) return false;
            const canvas = document.createElement('canvas');
            [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
            const context = canvas.getContext('2d');
            context.drawImage(img, 0, 0);
            return context.getImageData(0, 0, canvas.width, canvas.height).data.every((v, i) => i % 4 === 3 || v === 0);
        }"""
    )


@pytest.mark.parametrize("solved_in_lab", ["05_evaluation"], indirect=True)
def test_the_digit_pad_recognises_a_digit_drawn_with_the_mouse(solved_in_lab):
    from playwright.sync_api import expect

    pad = solved_in_lab.page.locator(".lab-digit-pad")
    canvas = pad.locator("canvas").first
    # hover() scrolls the canvas into view and waits until it is visible and stable (JupyterLab renders cells
    # lazily as they scroll in): only then does its box say where the strokes land.
    canvas.hover()
    box = canvas.bounding_box()
    mouse = solved_in_lab.page.mouse
    # A "7": the top bar, then the diagonal down to the bottom.
    mouse.move(box["x"] + 70, box["y"] + 60)
    mouse.down()
    mouse.move(box["x"] + 200, box["y"] + 60, steps=12)
    mouse.move(box["x"] + 120, box["y"] + 230, steps=15)
    mouse.up()
    # The strokes travel to the kernel and back as drawing commands: wait until the page shows them.
    solved_in_lab.page.wait_for_function(
        """canvas => {
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 200) return true;
            return false;
        }""",
        arg=canvas.element_handle(),
    )
    pad.get_by_role("button", name="Classify").click()

    expect(pad.get_by_text("prediction:")).to_be_visible()
    shown = shown_probabilities(pad)
    assert len(shown) == 10 and sum(shown) == pytest.approx(1.0, abs=0.01)
    assert re.search(r"prediction:\s*7\b", pad.inner_text()), pad.inner_text()
    publish_screenshot(solved_in_lab.screenshot("digit_pad", pad), "digit_pad")


def shown_probabilities(widget) -> list[float]:
    texts = widget.locator(".lab-proba-value").all_inner_texts()
    return [float(match.group(1)) for match in map(PROBABILITY.search, texts) if match]


# ---------------------------------------------------------------- learner notebooks


class Exercise:
    """A learner notebook's first exercise: its function, the cell defining it, the check cell after it."""

    def __init__(self, name: str) -> None:
        notebook = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        index = next(i for i, cell in enumerate(code) if EXERCISE_START in cell.source)
        self.stub = code[index].source
        header = re.search(r"def (\w+)\(([^)]*)\)", self.stub)
        self.function = header.group(1)
        self.parameters = [p.split("=")[0].strip() for p in header.group(2).split(",") if p.strip()]
        self.definition = f"def {self.function}("
        self.check = code[index + 1].source.strip().splitlines()[0]
        self.check_index = index + 1
        solved = nbformat.read(REPO / "solutions" / f"{name}.ipynb", as_version=4)
        solution = next(cell.source for cell in solved.cells if self.definition in cell.source)
        # What a learner would have written: the solution's code between the markers, without the
        # generator's BEGIN/END SOLUTION lines.
        self.solution = "\n".join(line for line in solution.splitlines() if "SOLUTION" not in line)

    def wrong_answer(self) -> str:
        """The stub with its `raise NotImplementedError` line replaced by a wrong answer."""
        if self.function not in WRONG_ANSWERS:
            pytest.fail(f"the check of {self.function} has no wrong_answer: give its ExerciseCheck one")
        stub_line = re.search(r"^( *)raise NotImplementedError.*$", self.stub, re.MULTILINE)
        indent = stub_line.group(1)
        body = WRONG_ANSWERS[self.function].format(*self.parameters)
        lines = "\n".join(indent + line for line in body.splitlines())
        return self.stub[: stub_line.start()] + lines + self.stub[stub_line.end() :]


@pytest.fixture(scope="module", params=LEARNER)
def learner(request, lab_server, lab_browser):
    """A learner notebook after Run All Cells, with its name and first exercise."""
    notebook = open_notebook(lab_server, lab_browser, f"{request.param}.ipynb")
    notebook.name, notebook.exercise = request.param, Exercise(request.param)
    notebook.run_all(RUN_ALL_TIMEOUT_MS)
    check = notebook.cell_with(notebook.exercise.check)
    check.scroll_into_view_if_needed()
    notebook.screenshot(f"learner-{request.param}")
    yield notebook
    close_notebook(lab_server, notebook)


def check_output(notebook: NotebookPage):
    return notebook.cell_with(notebook.exercise.check).locator(".jp-OutputArea-output")


def test_run_all_stops_at_the_first_check(learner):
    counts = learner.execution_counts()
    stop = learner.exercise.check_index
    assert None not in counts[: stop + 1], counts
    assert set(counts[stop + 1 :]) <= {None}, counts
    assert learner.page.locator(STDERR).count() == 1  # the check's message, and nothing else


def test_the_first_check_says_not_implemented_yet_in_red_without_traceback(learner):
    output = check_output(learner)
    text = output.text_content()
    assert "not implemented yet" in text
    assert output.locator(".ansi-red-fg").count() >= 1
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) <= 3, text
    for frame in ("Traceback", 'File "', ".py", "lab_utils"):
        assert frame not in text


def test_a_wrong_answer_shows_expected_got_and_hint(learner):
    exercise = learner.exercise
    learner.replace_source(learner.cell_with(exercise.definition), exercise.wrong_answer())
    learner.run_cell(learner.cell_with(exercise.definition))
    learner.run_cell(learner.cell_with(exercise.check))
    output = check_output(learner)
    starts = [line.strip().split(":")[0] for line in output.text_content().splitlines()]
    assert {"expected", "got", "hint"} <= set(starts), output.text_content()
    assert output.locator(".ansi-red-fg").count() >= 1
    shot = screenshot_exercise(learner, f"wrong-answer-{learner.name}")
    if learner.name == LEARNER[0]:
        publish_screenshot(shot, "check_failing")


def test_the_solution_typed_in_passes_the_check(learner):
    exercise = learner.exercise
    learner.replace_source(learner.cell_with(exercise.definition), exercise.solution)
    learner.run_cell(learner.cell_with(exercise.definition))
    learner.run_cell(learner.cell_with(exercise.check))
    output = check_output(learner)
    assert output.locator(".ansi-green-fg").count() >= 1, output.text_content()
    assert learner.page.locator(STDERR).count() == 0
    shot = screenshot_exercise(learner, f"right-answer-{learner.name}")
    if learner.name == LEARNER[0]:
        publish_screenshot(shot, "check_passing")


def screenshot_exercise(notebook: NotebookPage, name: str) -> Path:
    """The exercise cell and its check cell together, as the learner sees them."""
    exercise = notebook.exercise
    return notebook.screenshot_cells(name, notebook.cell_with(exercise.definition), notebook.cell_with(exercise.check))
