"""The instructor's pages (report.html, feedback/*.html) under axe-core in headless Chromium: 0 violations.

The pages are written by `reports.write_all` for a small class built here (a learner who passed everything, a late
one with a penalty, one with an override and an extension, one whose file could not be read), with a course file,
so that the roster table, the late and override lines and the unreadable-file sentence are all on the pages.
axe-core runs through axe-playwright-python; Chromium is Debian's, launched as tests/browser_lab.py launches it.
"""

from datetime import datetime, timedelta, timezone

import pytest
from browser_lab import CHROMIUM_ARGS, chromium_path

from lab_utils.checks import EXERCISES
from lab_utils.course.classdir import Learner, SubmittedFile
from lab_utils.course.coursefile import Course, LatePolicy, Override
from lab_utils.course.records import learner_records
from lab_utils.course.reports import write_all
from lab_utils.grading.results import ERROR, PASSED, ExerciseResult, NotebookResult, SubmissionResult

CET = timezone(timedelta(hours=1))
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=CET)


def result(learner_id, unreadable=False):
    """Every exercise passed; with `unreadable`, 01_softmax's file could not be read as a notebook."""
    notebooks = []
    for stem in dict.fromkeys(ex.notebook for ex in EXERCISES):
        broken = unreadable and stem == "01_softmax"
        exercises = [
            ExerciseResult(ex.function, stem, ex.points, 0, ERROR, "notebook unreadable: Expecting value: line 1")
            if broken
            else ExerciseResult(ex.function, stem, ex.points, ex.points, PASSED, "correct")
            for ex in EXERCISES
            if ex.notebook == stem
        ]
        status, reason = ("unreadable", "Expecting value: line 1 column 1 (char 0)") if broken else ("graded", "")
        notebooks.append(NotebookResult(stem, f"{learner_id}/{stem}.ipynb", status, exercises, reason=reason))
    return SubmissionResult(learner_id, notebooks, seed=11, sandbox=True, graded_at="2026-12-02T10:00:00+00:00")


def learner(learner_id, name, late=False):
    files = {"01_softmax": SubmittedFile(None, f"{learner_id}_01_softmax.ipynb", "01_softmax.ipynb")}
    return Learner(learner_id, files=files, name=name, late_marker=late)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    course = Course(
        "MNIST lab",
        100,
        due=DUE,
        canvas_id=12345,
        late=LatePolicy(10, 5, 10),
        extensions={"4022": DUE + timedelta(days=2)},
        overrides=(Override("4022", 10, "oral exam", exercise="build_model"),),
    )
    results = [result("4021"), result("4022"), result("4023"), result("4024", unreadable=True)]
    learners = [
        learner("4021", "Smith, Jane"),
        learner("4022", "Doe, Max"),
        learner("4023", "Roe, Ann", late=True),
        learner("4024", "Lee, Kim"),
    ]
    info = {"seed": 11, "graded": 4, "reused": 0, "seconds": 12.0, "workers": 2, "pool": "local"}
    write_all(results, info, out, learner_records(learners, results, course), course)
    return out


@pytest.fixture(scope="module")
def browser(playwright_driver):
    chromium = playwright_driver.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def violations(browser, page_path):
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page()
    try:
        page.goto(page_path.as_uri())
        return Axe().run(page)
    finally:
        page.close()


@pytest.mark.parametrize("name", ["report.html", "feedback/4021.html", "feedback/4023.html", "feedback/4024.html"])
def test_the_page_has_no_axe_violation(pages, browser, name):
    results = violations(browser, pages / name)
    assert results.violations_count == 0, results.generate_report()


def test_the_pages_have_one_main_landmark_holding_everything(pages):
    for name in ("report.html", "feedback/4022.html"):
        text = (pages / name).read_text()
        assert text.count("<main>") == 1
        assert text.index("<body>") < text.index("<main>") and text.rindex("</main>") < text.index("</body>")


def test_the_histogram_numbers_are_also_a_table_in_the_courses_points(pages):
    text = (pages / "report.html").read_text()
    assert "<caption>Learners per score range</caption>" in text
    # 4021: 100; 4023: 100 - 10 % late = 90; 4022: (120 + 10 override)/135*100 = 96.3; 4024: 110/135*100 = 81.48
    assert "<td>90 to 100</td><td>3</td>" in text and "<td>80 to 90</td><td>1</td>" in text
    assert "<td>0 to 10</td><td>0</td>" in text


def test_the_late_penalty_extension_override_and_unreadable_file_are_said_in_words(pages):
    assert "Handed in late (the time is not known): 10 % off" in (pages / "feedback/4023.html").read_text()
    extended = (pages / "feedback/4022.html").read_text()
    assert "You had an extension to" in extended and "Reason: oral exam." in extended
    unreadable = (pages / "feedback/4024.html").read_text()
    assert "could not be opened as a notebook: please upload it again." in unreadable
    assert "Expecting value" not in unreadable
