"""The HTML pages of a class grading: each learner's feedback page and the instructor's class report.

Both are meant to pass axe-core with no violation (tests/test_course_pages_a11y.py): one `main` landmark holding
everything, headings in order, every figure with a text alternative and its numbers also in a table, column
headers marked as such. Every text from a submission or the LMS is HTML-escaped; the pages load nothing from the
network. With a course file (a `records.LearnerRecord` with a score) they also show the course's side: the score
in the LMS's points, late penalties and extensions, overrides with their reasons, and the report's roster table.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from collections import Counter
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from lab_utils.checks import EXERCISES
from lab_utils.course.names import file_stem
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
    ExerciseResult,
    NotebookResult,
    SubmissionResult,
)
from lab_utils.plots import PNG_DPI

HISTOGRAM_BINS = 10
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


def _e(text: object) -> str:
    return html.escape(str(text))


def _page(title: str, body: list[str]) -> str:
    head = f'<meta charset="utf-8"><title>{_e(title)}</title><style>{STYLE}</style>'
    main = "<main>\n" + "\n".join(body) + "\n</main>"
    return f"<!DOCTYPE html>\n<html lang='en'><head>{head}</head><body>\n{main}\n</body></html>\n"


def _table(header: list[str], rows: list[list[str]], caption: str = "") -> str:
    """A table of cells already escaped, its header cells marked as column headers."""
    head = "<tr>" + "".join(f"<th scope='col'>{h}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{f'<caption>{caption}</caption>' if caption else ''}{head}{body}</table>"


def _when(record: LearnerRecord) -> str:
    return record.handin.at.isoformat(sep=" ", timespec="minutes") if record.handin.at else "time not known"


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
    files = [f"<li>{_e(path)} ({_e(stem)})</li>" for stem, path in record.files.items()]
    files += [f"<li>{_e(why)}</li>" for why in record.not_graded]
    files += [f"<li>{_e(path)}: the series' ungraded notebook, not graded</li>" for path in record.ungraded]
    lines.append(f"<h2>What was graded</h2><p>Handed in: {_e(_when(record))}.</p><ul>{''.join(files)}</ul>")
    score = record.score
    if score is None:
        return lines
    if score.extension is not None:
        lines.append(f"<p>You had an extension to {_e(score.extension.isoformat(sep=' ', timespec='minutes'))}.</p>")
    if score.late:
        days = f"{score.days_late} day(s) late" if score.days_late is not None else "late (the time is not known)"
        lines.append(
            f"<p class='warning'>Handed in {days}: {score.penalty_percent:g} % off, "
            f"{format_points(score.scaled)} became {format_points(score.after_penalty)} points.</p>"
        )
    for override in score.overrides:
        what = f"{override.exercise}: {override.points:g} lab points" if override.exercise else "your score"
        final = "" if override.exercise else f" set to {format_points(override.points)} points"
        lines.append(f"<p>Your instructor changed {_e(what)}{final}. Reason: {_e(override.reason)}.</p>")
    return lines


def _notebook_warning(nb: NotebookResult) -> str:
    if nb.status == MISSING:
        return f"<p class='warning'>We found no {_e(nb.notebook)} notebook in what you handed in.</p>"
    if nb.status.startswith("unreadable"):
        return (
            f"<p class='warning'>Your file {_e(nb.path or nb.notebook)} could not be opened as a notebook: "
            "please upload it again.</p>"
        )
    return f"<p class='warning'>This notebook could not be fully graded: {_e(nb.status)}.</p>"


def feedback_html(result: SubmissionResult, record: LearnerRecord | None = None) -> str:
    """The learner's page: their grade, who they are, what was graded and when, then each exercise."""
    total = sum(exercise_scores(result).values())
    if record is not None and record.score is not None:
        points = record.score
        body = [f"<h1>Your grade: {format_points(points.final)} points</h1>"]
        body.append(f"<p>{total:g} of the lab's {LAB_POINTS:g} points, scaled to the course's points.</p>")
    else:
        body = [f"<h1>Your grade: {total:g} / {LAB_POINTS:g} points</h1>"]
    name = f"{record.name} " if record is not None and record.name else ""
    body.append(f"<p class='muted'>Learner {_e(name)}({_e(result.learner_id)}).</p>")
    if result.problems:
        items = "".join(f"<li>{_e(problem)}</li>" for problem in result.problems)
        body.append(f"<p class='warning'>What you handed in has problems:</p><ul>{items}</ul>")
    if record is not None:
        body += _course_lines(record)
    for nb in result.notebooks:
        body.append(f"<h2>{_e(nb.notebook)}</h2>")
        if nb.status != GRADED:
            body.append(_notebook_warning(nb))
        if nb.notes:
            items = "".join(f"<li>{_e(note)}</li>" for note in nb.notes)
            body.append(f"<p>While running your notebook:</p><ul>{items}</ul>")
        unreadable = nb.status == MISSING or nb.status.startswith("unreadable")  # the warning above says it all
        for ex in nb.exercises:
            mark, css = ("✓", "passed") if ex.result == PASSED else ("✗", "other")
            word = RESULT_WORDS.get(ex.result, ex.result)
            body.append(
                f"<div class='exercise'><b class='{css}'>{mark} {_e(ex.exercise)}</b> "
                f"— {ex.score:g}/{ex.points:g} points, {_e(word)}"
            )
            message = _message_without_hint(ex)
            if ex.result != PASSED and message and not unreadable:
                body.append(f"<pre>{_e(message)}</pre>")
            if ex.hint:
                body.append(f"<p class='hint'>Hint: {_e(ex.hint)}</p>")
            body.append("</div>")
    return _page(f"Feedback for {result.learner_id}", body)


# --- the class report ---------------------------------------------------------------------------------------


def _figure(fig: Figure, alt: str, numbers: str) -> str:
    """The figure as an embedded PNG with its text alternative, and its numbers as a table right below it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">{numbers}</figure>'


def histogram_counts(scores: list[float]) -> list[tuple[float, float, int]]:
    """(from, to, learners) for each tenth of the lab's points, as the histogram draws them."""
    counts, edges = np.histogram(scores, bins=HISTOGRAM_BINS, range=(0, LAB_POINTS))
    return [(float(edges[i]), float(edges[i + 1]), int(c)) for i, c in enumerate(counts)]


def score_histogram(scores: list[float]) -> Figure:
    """Histogram of the learners' total scores, 0 to the lab's points in tenths."""
    fig = Figure(figsize=(6, 3), layout="constrained")
    ax = fig.subplots()
    ax.hist(scores, bins=HISTOGRAM_BINS, range=(0, LAB_POINTS), color="tab:blue", edgecolor="white")
    ax.set(xlabel=f"score (out of {LAB_POINTS:g})", ylabel="learners", title="Scores")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return fig


def pass_rate_chart(rates: dict[str, float]) -> Figure:
    """Horizontal bars: the share of learners who passed each exercise, in registry order top to bottom."""
    names = list(rates)
    fig = Figure(figsize=(6, 0.35 * len(names) + 1.2), layout="constrained")
    ax = fig.subplots()
    ax.barh(names[::-1], [100 * rates[n] for n in names[::-1]], color="tab:blue")
    ax.set(xlim=(0, 100), xlabel="learners who passed (%)", title="Pass rate per exercise")
    ax.grid(axis="x", alpha=0.3)
    return fig


def class_summary(results: list[SubmissionResult]) -> dict[str, Any]:
    """Per exercise: counts of each result and of each hint that fired; the scores; learners not fully graded."""
    exercises = {}
    for ex in EXERCISES:
        got = [r for res in results for r in res.exercises if r.exercise == ex.function]
        exercises[ex.function] = {
            "results": Counter(r.result for r in got),
            "hints": Counter(r.hint for r in got if r.hint).most_common(),
            "pass_rate": sum(r.result == PASSED for r in got) / len(results) if results else 0.0,
        }
    return {
        "scores": [sum(exercise_scores(r).values()) for r in results],
        "exercises": exercises,
        "problems": [(r.learner_id, r.status) for r in results if r.status != GRADED],
    }


def _histogram(scores: list[float]) -> str:
    counts = histogram_counts(scores)
    alt = f"Histogram of the {len(scores)} learners' scores out of {LAB_POINTS:g}; the counts are in the table below."
    rows = [[f"{low:g} to {high:g}", str(n)] for low, high, n in counts]
    return _figure(score_histogram(scores), alt, _table(["score", "learners"], rows, "Learners per score range"))


def _roster_table(records: list[LearnerRecord]) -> str:
    rows = []
    for r in records:
        score = r.score
        points = format_points(score.final) if score else f"{r.result.score:g}"
        if score and score.late:
            late = f"late, {score.penalty_percent:g} % off"
        else:
            late = "late" if r.handin.late_marker and not score else ""
        if score and score.extension:
            late = f"{late}; extension" if late else "extension"
        link = f"<a href='feedback/{_e(file_stem(r.learner_id))}.html'>{_e(r.learner_id)}</a>"
        cells = [link, _e(r.name), points, _e(late), _e(r.overrides_text), _e(r.result.status), str(r.result.seed)]
        rows.append(cells)
    scored = "course score" if any(r.score for r in records) else f"score (of {LAB_POINTS:g})"
    header = ["learner", "name", scored, "late or extension", "overrides", "status", "seed"]
    return _table(header, rows)


def report_html(
    results: list[SubmissionResult],
    info: dict[str, Any],
    records: list[LearnerRecord] | None = None,
    off_roster: list[str] | None = None,
) -> str:
    """The instructor's class report: the run, the figures with their numbers, exercises, hints, the roster."""
    summary = class_summary(results)
    n = len(results)
    scores = summary["scores"]
    cpu = [r.cpu_seconds for r in results if r.cpu_seconds]
    sandboxed = sum(r.sandbox for r in results)
    seeds = sorted({r.seed for r in results})
    body = [f"<h1>Class report: {n} learners</h1>"]
    facts = [
        f"mean score {statistics.mean(scores):.1f} / {LAB_POINTS:g}, median {statistics.median(scores):g}"
        if scores
        else "no learner",
        f"seed {info.get('seed')} for this run (run again with --seed {info.get('seed')} to reproduce); "
        f"seeds of the learners' gradings: {', '.join(map(str, seeds)) or 'none'} (each in the roster table)",
        f"sandbox on for {sandboxed} of {n} learners",
        f"{info.get('graded', n)} learners graded in this run, {info.get('reused', 0)} unchanged since the last one",
        f"{info.get('seconds', 0):.0f} s wall on {info.get('workers', '?')} {info.get('pool', '')} worker(s)",
    ]
    if version := info.get("lab_version"):
        facts.append(f"graded by lab_utils {version}")
    if cpu:
        facts.append(f"median {statistics.median(cpu):.1f} CPU s per learner's grading")
    body.append("<ul>" + "".join(f"<li>{_e(f)}</li>" for f in facts) + "</ul>")
    if records:
        body.append("<h2>Learners</h2>")
        body.append(_roster_table(records))
        if starters := [r.learner_id for r in records if r.starter_only]:
            body.append("<h3>Handed in the starter notebooks (no exercise written)</h3>")
            body.append("<ul>" + "".join(f"<li>{_e(s)}</li>" for s in starters) + "</ul>")
    if off_roster:
        body.append("<h2>Handed in, but not on the roster (in no export)</h2>")
        body.append("<ul>" + "".join(f"<li>{_e(s)}</li>" for s in off_roster) + "</ul>")
    body.append("<h2>Scores</h2>")
    if scores:
        body.append(_histogram(scores))
    rates = {name: e["pass_rate"] for name, e in summary["exercises"].items()}
    alt = "Bar chart of the share of learners who passed each exercise; the rates are in the Exercises table."
    body.append(_figure(pass_rate_chart(rates), alt, ""))
    body.append("<h2>Exercises</h2>")
    body.append(_results_table(summary["exercises"]))
    body.append("<h2>Hints that fired</h2>")
    for name, e in summary["exercises"].items():
        if e["hints"]:
            items = "".join(
                f"<li><b>{count / n:.0%}</b> ({count} learner{'s' * (count != 1)}): {_e(hint)}</li>"
                for hint, count in e["hints"]
            )
            body.append(f"<h3>{_e(name)}</h3><ul>{items}</ul>")
    body.append("<h2>Learners not fully graded</h2>")
    if summary["problems"]:
        body.append(_table(["learner", "why"], [[_e(s), _e(why)] for s, why in summary["problems"]]))
    else:
        body.append("<p>None: every notebook of every learner was graded.</p>")
    if unmatched := info.get("unmatched_files"):
        items = "".join(f"<li>{_e(f)}</li>" for f in unmatched)
        body.append(f"<h2>Files that match no notebook of the series (not graded)</h2><ul>{items}</ul>")
    return _page("Class report", body)


def _results_table(exercises: dict[str, dict[str, Any]]) -> str:
    columns = [PASSED, FAILED, NOT_IMPLEMENTED, MISSING, TIMEOUT, ERROR]
    rows = [
        [_e(name), f"{e['pass_rate']:.0%}", *(str(e["results"].get(c, 0)) for c in columns)]
        for name, e in exercises.items()
    ]
    return _table(["exercise", "pass rate", *columns], rows)
