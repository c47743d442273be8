"""The lab's own outputs in real JupyterLab, as a learner with a screen reader or only a keyboard meets them.

- axe-core (through axe-playwright-python), scoped to the output areas (`.jp-OutputArea`) of every solved
  notebook after Run All Cells: no serious or critical violation. JupyterLab's own chrome (menus, toolbars,
  the cell editors) is not the lab's to fix; the README's Accessibility section lists what axe finds there.
- Every figure shows as an image whose alt text is the description the lab wrote from its data.
- The softmax sliders (01) and the digit pad's keyboard alternative (05) work from the keyboard alone:
  Tab to reach a control, arrow keys and typing to change it, Enter to press a button.

Shares JupyterLab, Chromium and the solved notebooks' runs with tests/test_browser.py (the session fixtures of
tests/browser_lab.py); the same skip rules apply. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from browser_lab import RUN_ALL_TIMEOUT_MS, axe_violations, describe_violations, open_notebook
from test_browser import FIGURE, shown_probabilities

OUTPUTS = ".jp-OutputArea"


def test_the_outputs_of_a_solved_notebook_have_no_serious_or_critical_axe_violation(solved_in_lab):
    # JupyterLab renders outputs lazily as they scroll into view: show each one before asking axe.
    for output in solved_in_lab.page.locator(OUTPUTS).all():
        output.scroll_into_view_if_needed()
    violations = axe_violations(solved_in_lab.page, OUTPUTS)
    assert violations == [], describe_violations(violations)


def test_every_figure_of_a_solved_notebook_shows_with_an_alt_text_written_from_its_data(solved_in_lab):
    figures = solved_in_lab.page.locator(FIGURE)
    assert figures.count() == len(solved_in_lab.page.locator(".jp-OutputArea-output img:not(.lab-picture)").all())
    for figure in figures.all():
        alt = figure.get_attribute("alt")
        assert alt and re.search(r"\d", alt), f"a figure's alt text says nothing from its data: {alt!r}"


def focused_name(page) -> str:
    """The accessible name of the focused element, as the browser computes it for a screen reader."""
    snapshot = page.locator("*:focus").aria_snapshot()  # e.g. '- spinbutton "test digit": "0"'
    match = re.match(r'- [\w-]+ "((?:[^"\\]|\\.)*)"', snapshot)
    return match.group(1) if match else ""


def tab_through(page, count: int) -> list[str]:
    """The names of the focused element and of the next `count` - 1 elements Tab moves to."""
    names = [focused_name(page)]
    for _ in range(count - 1):
        page.keyboard.press("Tab")
        names.append(focused_name(page))
    return names


@pytest.fixture
def softmax_of_its_own(lab_server, lab_browser):
    """Solved 01_softmax after Run All Cells, in a page and a kernel of its own (a copy in keyboard/): the keyboard
    meets the sliders as the notebook shows them, whatever test_browser.py typed into the shared run's."""
    folder = lab_server.notebooks / "keyboard"
    folder.mkdir(exist_ok=True)
    shutil.copy(lab_server.notebooks / "solutions" / "01_softmax.ipynb", folder)
    notebook = open_notebook(lab_server, lab_browser, "keyboard/01_softmax.ipynb")
    notebook.run_all(RUN_ALL_TIMEOUT_MS)
    yield notebook
    notebook.page.close()  # its kernel ends with the shared run's, at the next close_notebook


def test_the_softmax_logits_change_with_the_arrow_keys_and_tab_in_reading_order(softmax_of_its_own):
    from playwright.sync_api import expect

    explorer = softmax_of_its_own.page.locator(".lab-softmax")
    fields = explorer.get_by_role("spinbutton")
    fields.first.scroll_into_view_if_needed()
    fields.first.focus()  # where a screen reader's cursor lands on the widget; from here on, only keys
    assert tab_through(softmax_of_its_own.page, fields.count()) == [f"z[{k}]" for k in range(fields.count())]

    before = [float(field.input_value()) for field in fields.all()]
    for _ in range(10):
        softmax_of_its_own.page.keyboard.press("ArrowUp")  # the last logit, up by 10 steps of 0.1
    logits = np.array([float(field.input_value()) for field in fields.all()])
    assert logits[-1] == pytest.approx(before[-1] + 1.0)
    # The bars follow once the kernel has answered the last step: each shows the softmax of the fields' logits.
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    for bar, p in zip(explorer.locator(".lab-proba-value").all(), expected, strict=True):
        expect(bar).to_have_text(f"p = {p:.3f}")
    softmax_of_its_own.screenshot("softmax_explorer_keyboard", explorer)


@pytest.mark.parametrize("solved_in_lab", ["05_evaluation"], indirect=True)
def test_the_digit_pads_controls_tab_in_reading_order(solved_in_lab):
    pad = solved_in_lab.page.locator(".lab-digit-pad")
    classify = pad.get_by_role("button", name="Classify")
    classify.scroll_into_view_if_needed()
    classify.focus()
    names = tab_through(solved_in_lab.page, 5)
    assert names[:4] == ["Classify", "Clear", "test digit", "Use this test digit"]
    assert names[4].startswith("Load an image file")


@pytest.mark.parametrize("solved_in_lab", ["05_evaluation"], indirect=True)
def test_the_digit_pad_classifies_a_test_digit_chosen_from_the_keyboard(solved_in_lab):
    from playwright.sync_api import expect

    pad = solved_in_lab.page.locator(".lab-digit-pad")
    number = pad.get_by_role("spinbutton", name="test digit")
    number.scroll_into_view_if_needed()
    number.focus()
    solved_in_lab.page.keyboard.press("Control+a")
    solved_in_lab.page.keyboard.type("3")
    solved_in_lab.page.keyboard.press("Tab")
    assert focused_name(solved_in_lab.page) == "Use this test digit"
    solved_in_lab.page.keyboard.press("Enter")

    message = pad.get_by_text(re.compile(r"prediction: \d"))
    expect(message).to_be_visible()
    expect(pad.locator("img.lab-picture")).to_have_attribute("alt", re.compile("the digit scaled and centred"))
    shown = shown_probabilities(pad)
    assert len(shown) == 10 and sum(shown) == pytest.approx(1.0, abs=0.01)
    assert re.search(r"prediction: (\d)", message.inner_text()).group(1) == str(shown.index(max(shown)))
    solved_in_lab.screenshot("digit_pad_keyboard", pad)


@pytest.mark.parametrize("solved_in_lab", ["05_evaluation"], indirect=True)
def test_the_prediction_explorer_steps_through_digits_with_the_arrow_keys(solved_in_lab):
    from playwright.sync_api import expect

    explorer = solved_in_lab.page.locator(".lab-prediction-explorer")
    number = explorer.get_by_role("spinbutton", name="test digit")
    number.scroll_into_view_if_needed()
    number.focus()
    solved_in_lab.page.keyboard.press("ArrowUp")
    expect(number).to_have_value("1")
    described = re.compile(r"^test digit 1: a handwritten \d$")
    expect(explorer.locator("img.lab-picture")).to_have_attribute("alt", described)
    solved_in_lab.page.keyboard.press("Tab")
    assert focused_name(solved_in_lab.page) == "next error"
    solved_in_lab.page.keyboard.press("Enter")
    expect(explorer.get_by_text("wrong")).to_be_visible()
