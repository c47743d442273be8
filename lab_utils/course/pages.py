"""The HTML pages of a class grading: each learner's feedback page here, and the parts every page is made of
(`escape`, `html_page`, `html_table`); the instructor's class report is `class_report`.

Both are meant to pass axe-core with no violation (tests/test_course_pages_a11y.py): one `main` landmark holding
everything, headings in order, every figure with a text alternative and its numbers also in a table, column
headers marked as such. Every text from a submission or the LMS is HTML-escaped; the pages load nothing from the
network. With a course file (a `records.LearnerRecord` with a score) they also show the course's side: the score
in the LMS's points, late penalties and extensions, overrides with their reasons, and the report's roster table.
"""

from __future__ import annotations

import html

from lab_utils.checks import EXERCISES
from lab_utils.course.records import LearnerRecord, exercise_scores
from lab_utils.course.scoring import LAB_POINTS, format_points
from lab_utils.grading.results import (
    ERROR,
    FAILED,
    GRADED,
    MISSING,
    NOT_IMPLEMENTED,
    PASSED,
    TIMEOUT,
    UNREADABLE,
    ExerciseResult,
    NotebookResult,
    SubmissionResult,
)

RESULT_WORDS = {  # how a learner reads each result
    PASSED: "correct",
    FAILED: "not correct yet",
    NOT_IMPLEMENTED: "not written yet",
    MISSING: "not found in your notebook",
    ERROR: "could not be checked",
    TIMEOUT: "ran too long and was stopped",
}
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.25rem 0.6rem; text-align: left; }
caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
tr:nth-child(even) { background: #f6f6f6; } th { border-bottom: 1px solid #999; }
.passed { color: #1a7f37; } .other { color: #b42318; } .muted { color: #595959; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 0.5rem; margin: 0.3rem 0; }
.hint { background: #fff8c5; padding: 0.4rem 0.6rem; border-left: 3px solid #d4a72c; }
.exercise { margin: 1rem 0; } .warning { background: #ffebe9; padding: 0.4rem 0.6rem; }
"""


def escape(text: object) -> str:
    return html.escape(str(text))


def html_page(title: str, body: list[str]) -> str:
    head = f'<meta charset="utf-8"><title>{escape(title)}</title><style>{STYLE}</style>'
    main = "<main>\n" + "\n".join(body) + "\n</main>"
    return f"<!DOCTYPE html>\n<html lang='en'><head>{head}</head><body>\n{main}\n</body></html>\n"


def html_table(header: list[str], rows: list[list[str]], caption: str = "") -> str:
    """A table of cells already escaped, its header cells marked as column headers."""
    head = "<tr>" + "".join(f"<th scope='col'>{h}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{f'<caption>{caption}</caption>' if caption else ''}{head}{body}</table>"


def _when(record: LearnerRecord) -> str:
    if record.handin.at:
        return record.handin.at.isoformat(sep=" ", timespec="minutes")
    return "time not known" if not record.time_known else "on time, as the LMS says"


# --- the learner's page -------------------------------------------------------------------------------------


def _message_without_hint(result: ExerciseResult) -> str:
    """The check's message, without its "hint:" line when the hint is shown on its own."""
    lines = result.message.splitlines()
    if result.hint:
        lines = [line for line in lines if line.strip() != f"hint: {result.hint}".strip()]
    return "\n".join(lines).strip()


def _course_lines(record: LearnerRecord) -> list[str]:
    """The course's side of a learner's page: files and times, late penalty or extension, overrides."""
    lines = []
    files = [f"<li>{escape(path)} ({escape(stem)})</li>" for stem, path in record.files.items()]
    files += [f"<li>{escape(why)}</li>" for why in record.not_graded]
    files += [f"<li>{escape(path)}: the series' ungraded notebook, not graded</li>" for path in record.ungraded]
    lines.append(f"<h2>What was graded</h2><p>Handed in: {escape(_when(record))}.</p><ul>{''.join(files)}</ul>")
    score = record.score
    if score is None:
        return lines
    if score.extension is not None:
        lines.append(
            f"<p>You had an extension to {escape(score.extension.isoformat(sep=' ', timespec='minutes'))}.</p>"
        )
    if score.late:
        days = f"{score.days_late} day(s) late" if score.days_late is not None else "late (the time is not known)"
        lines.append(
            f"<p class='warning'>Handed in {days}: {score.penalty_percent:g} % off, "
            f"{format_points(score.scaled)} became {format_points(score.after_penalty)} points.</p>"
        )
    points = {ex.function: ex.points for ex in EXERCISES}
    for override in score.overrides:
        if override.exercise:
            what = f"{override.exercise} to {override.points:g} of its {points[override.exercise]:g} lab points"
        else:
            what = f"your grade to {format_points(override.points)} of {format_points(score.out_of)} points"
        lines.append(f"<p>Your instructor set {escape(what)}. Reason: {escape(override.reason)}.</p>")
    return lines


def _summary(record: LearnerRecord) -> list[str]:
    """The grade and how it was made, agreeing with the exports: "Your grade: 95 of 100 points" and its steps."""
    score = record.score
    assert score is not None
    body = [f"<h1>Your grade: {format_points(score.final)} of {format_points(score.out_of)} points</h1>"]
    if score.whole_override is not None:
        graded = f"the grader's part was {score.lab_points:g} of the lab's {LAB_POINTS:g} points"
        body.append(f"<p>Your instructor set this grade (see below); {escape(graded)}.</p>")
        return body
    changed = " (with your instructor's changes below)" if score.overrides else ""
    steps = f"{score.lab_points:g} of the lab's {LAB_POINTS:g} points{changed}"
    steps += f", scaled to {format_points(score.scaled)} of the course's {format_points(score.out_of)} points"
    if score.late:
        steps += f", {score.penalty_percent:g} % off for handing in late"
    body.append(f"<p>{escape(steps)}.</p>")
    return body


def _notebook_warning(nb: NotebookResult) -> str:
    if nb.status == MISSING:
        return f"<p class='warning'>We found no {escape(nb.notebook)} notebook in what you handed in.</p>"
    if nb.status == UNREADABLE:
        return (
            f"<p class='warning'>Your file {escape(nb.path or nb.notebook)} could not be opened as a notebook: "
            "please upload it again.</p>"
        )
    return f"<p class='warning'>This notebook could not be fully graded: {escape(nb.described)}.</p>"


def _exercise(ex: ExerciseResult, record: LearnerRecord | None, unreadable: bool) -> list[str]:
    """One exercise: its mark and points (an instructor's override in place of the grader's), message and hint."""
    override = record.score.exercise_override(ex.exercise) if record is not None and record.score else None
    word = RESULT_WORDS.get(ex.result, ex.result)
    if override is not None:
        mark, css = ("✓", "passed") if override.points == ex.points else ("•", "other")
        line = f"{override.points:g}/{ex.points:g} points, set by your instructor (the grader: {word})"
    else:
        mark, css = ("✓", "passed") if ex.result == PASSED else ("✗", "other")
        line = f"{ex.score:g}/{ex.points:g} points, {word}"
    body = [f"<div class='exercise'><b class='{css}'>{mark} {escape(ex.exercise)}</b> — {escape(line)}"]
    message = _message_without_hint(ex)
    if ex.result != PASSED and message and not unreadable and override is None:
        body.append(f"<pre>{escape(message)}</pre>")
    if ex.hint:
        body.append(f"<p class='hint'>Hint: {escape(ex.hint)}</p>")
    body.append("</div>")
    return body


def feedback_html(result: SubmissionResult, record: LearnerRecord | None = None) -> str:
    """The learner's page: their grade, who they are, what was graded and when, then each exercise."""
    total = sum(exercise_scores(result).values())
    if record is not None and record.score is not None:
        body = _summary(record)
    else:
        body = [f"<h1>Your grade: {total:g} of {LAB_POINTS:g} points</h1>"]
    name = f"{record.name} " if record is not None and record.name else ""
    body.append(f"<p class='muted'>Learner {escape(name)}({escape(result.learner_id)}).</p>")
    if result.problems:
        items = "".join(f"<li>{escape(problem)}</li>" for problem in result.problems)
        body.append(f"<p class='warning'>What you handed in has problems:</p><ul>{items}</ul>")
    if record is not None:
        body += _course_lines(record)
    for nb in result.notebooks:
        body.append(f"<h2>{escape(nb.notebook)}</h2>")
        if nb.status != GRADED:
            body.append(_notebook_warning(nb))
        if nb.notes:
            items = "".join(f"<li>{escape(note)}</li>" for note in nb.notes)
            body.append(f"<p>While running your notebook:</p><ul>{items}</ul>")
        unreadable = nb.status in (MISSING, UNREADABLE)  # the warning above says it all
        for ex in nb.exercises:
            body += _exercise(ex, record, unreadable)
    return html_page(f"Feedback for {result.learner_id}", body)
