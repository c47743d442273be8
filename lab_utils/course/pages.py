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
from lab_utils.course.check import ERROR as CHECK_ERROR
from lab_utils.course.check import Finding
from lab_utils.course.coursefile import Course
from lab_utils.course.names import file_stem
from lab_utils.course.records import LearnerRecord, exercise_scores
from lab_utils.course.roster import Member
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
    points = {ex.function: ex.points for ex in EXERCISES}
    for override in score.overrides:
        if override.exercise:
            what = f"{override.exercise} to {override.points:g} of its {points[override.exercise]:g} lab points"
        else:
            what = f"your grade to {format_points(override.points)} of {format_points(score.out_of)} points"
        lines.append(f"<p>Your instructor set {_e(what)}. Reason: {_e(override.reason)}.</p>")
    return lines


def _summary(record: LearnerRecord) -> list[str]:
    """The grade and how it was made, agreeing with the exports: "Your grade: 95 of 100 points" and its steps."""
    score = record.score
    assert score is not None
    body = [f"<h1>Your grade: {format_points(score.final)} of {format_points(score.out_of)} points</h1>"]
    if score.whole_override is not None:
        graded = f"the grader's part was {score.lab_points:g} of the lab's {LAB_POINTS:g} points"
        body.append(f"<p>Your instructor set this grade (see below); {_e(graded)}.</p>")
        return body
    changed = " (with your instructor's changes below)" if score.overrides else ""
    steps = f"{score.lab_points:g} of the lab's {LAB_POINTS:g} points{changed}"
    steps += f", scaled to {format_points(score.scaled)} of the course's {format_points(score.out_of)} points"
    if score.late:
        steps += f", {score.penalty_percent:g} % off for handing in late"
    body.append(f"<p>{_e(steps)}.</p>")
    return body


def _notebook_warning(nb: NotebookResult) -> str:
    if nb.status == MISSING:
        return f"<p class='warning'>We found no {_e(nb.notebook)} notebook in what you handed in.</p>"
    if nb.status == UNREADABLE:
        return (
            f"<p class='warning'>Your file {_e(nb.path or nb.notebook)} could not be opened as a notebook: "
            "please upload it again.</p>"
        )
    return f"<p class='warning'>This notebook could not be fully graded: {_e(nb.described)}.</p>"


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
    body = [f"<div class='exercise'><b class='{css}'>{mark} {_e(ex.exercise)}</b> — {_e(line)}"]
    message = _message_without_hint(ex)
    if ex.result != PASSED and message and not unreadable and override is None:
        body.append(f"<pre>{_e(message)}</pre>")
    if ex.hint:
        body.append(f"<p class='hint'>Hint: {_e(ex.hint)}</p>")
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
        unreadable = nb.status in (MISSING, UNREADABLE)  # the warning above says it all
        for ex in nb.exercises:
            body += _exercise(ex, record, unreadable)
    return _page(f"Feedback for {result.learner_id}", body)


# --- the class report ---------------------------------------------------------------------------------------


def _figure(fig: Figure, alt: str, numbers: str) -> str:
    """The figure as an embedded PNG with its text alternative, and its numbers as a table right below it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">{numbers}</figure>'


def histogram_counts(scores: list[float], top: float = LAB_POINTS) -> list[tuple[float, float, int]]:
    """(from, to, learners) for each tenth of 0 to `top` points, as the histogram draws them."""
    counts, edges = np.histogram(scores, bins=HISTOGRAM_BINS, range=(0, top))
    return [(float(edges[i]), float(edges[i + 1]), int(c)) for i, c in enumerate(counts)]


def score_histogram(scores: list[float], top: float = LAB_POINTS) -> Figure:
    """Histogram of the learners' scores, 0 to `top` points in tenths."""
    fig = Figure(figsize=(6, 3), layout="constrained")
    ax = fig.subplots()
    ax.hist(scores, bins=HISTOGRAM_BINS, range=(0, top), color="tab:blue", edgecolor="white")
    ax.set(xlabel=f"score (out of {top:g})", ylabel="learners", title="Scores")
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
        "problems": [(r.learner_id, r.summary) for r in results if r.status != GRADED],
    }


def _histogram(scores: list[float], top: float, what: str) -> str:
    counts = histogram_counts(scores, top)
    alt = f"Histogram of the {len(scores)} learners' {what} out of {top:g}; the counts are in the table below."
    rows = [[f"{low:g} to {high:g}", str(n)] for low, high, n in counts]
    return _figure(score_histogram(scores, top), alt, _table(["score", "learners"], rows, "Learners per score range"))


def _late_cell(r: LearnerRecord) -> str:
    score = r.score
    if score and score.late:
        late = f"late, {score.penalty_percent:g} % off"
    elif r.handin.late_marker and not score:
        late = "late"
    else:
        late = "" if r.time_known else "time not known"
    if score and score.extension:
        late = f"{late}; extension" if late else "extension"
    return late


def _missing_cell(course: Course | None) -> str:
    """What the exports give a roster learner who handed nothing in (see coursefile.MISSING_CHOICES)."""
    if course is None:
        return ""
    return {"zero": "0", "blank": "blank (clears a grade in the LMS)"}.get(course.missing, "no row: the LMS keeps its")


def _roster_table(records: list[LearnerRecord], absent: list[Member], course: Course | None) -> str:
    rows = []
    for r in records:
        score = r.score
        points = format_points(score.final) if score else f"{r.result.score:g}"
        link = f"<a href='feedback/{_e(file_stem(r.learner_id))}.html'>{_e(r.learner_id)}</a>"
        status = r.result.status if r.on_roster is not False else f"{r.result.status}; not on the roster"
        cells = [link, _e(r.name), points, _e(_late_cell(r)), _e(r.overrides_text), _e(status), str(r.result.seed)]
        rows.append(cells)
    overrides = {o.learner_id: o for o in course.overrides if o.exercise is None} if course else {}
    for m in absent:
        whole = overrides.get(m.learner_id)
        points = format_points(whole.points) if whole else _missing_cell(course)
        text = f"score: {whole.points:g} ({whole.reason})" if whole else ""
        rows.append([_e(m.learner_id), _e(m.name), _e(points), "", _e(text), "nothing handed in", ""])
    scored = "course score" if any(r.score for r in records) else f"score (of {LAB_POINTS:g})"
    header = ["learner", "name", scored, "late or extension", "overrides", "status", "seed"]
    return _table(header, rows)


def _course_check(findings: list[Finding]) -> list[str]:
    """The course check's findings, errors first, as the top of the report."""
    body = ["<h2>Course check</h2>"]
    if not findings:
        return [*body, "<p>No mismatch between the class folder, the roster and the course file.</p>"]
    errors = sum(f.level == CHECK_ERROR for f in findings)
    if errors:
        body.append(
            f"<p class='warning'>{errors} error(s): no export was written. Fix the course file and run again.</p>"
        )
    items = "".join(f"<li><b>{_e(f.level)}</b>: {_e(f.text)}</li>" for f in findings)
    return [*body, f"<ul>{items}</ul>"]


def report_html(
    results: list[SubmissionResult],
    info: dict[str, Any],
    records: list[LearnerRecord] | None = None,
    off_roster: list[str] | None = None,
    absent: list[Member] | None = None,
    course: Course | None = None,
    findings: list[Finding] | None = None,
) -> str:
    """The instructor's class report: the course check, the run, the figures with their numbers, exercises, hints,
    the roster (those who handed nothing in included)."""
    summary = class_summary(results)
    n = len(results)
    absent = absent or []
    names = {r.learner_id: r.name for r in records or []}
    scores, top, what = summary["scores"], LAB_POINTS, "lab points"
    if course is not None and records:
        scores = [r.score.final for r in records if r.score] + _absent_scores(course, absent)
        top, what = course.points, "course scores after penalties and overrides"
    cpu = [r.cpu_seconds for r in results if r.cpu_seconds]
    sandboxed = sum(r.sandbox for r in results)
    seeds = sorted({r.seed for r in results})
    body = [f"<h1>Class report: {n} learners</h1>"]
    if course is not None:
        body += _course_check(findings or [])
    graded = info.get("graded", n)
    run_seed = (
        f"seed {info.get('seed')} for the {graded} learner(s) graded in this run (--seed {info.get('seed')} grades "
        "them with the same inputs)"
        if graded
        else "no learner graded in this run"
    )
    facts = [
        f"mean {what} {statistics.mean(scores):.1f} / {top:g}, median {format_points(statistics.median(scores))}"
        if scores
        else "no learner",
        f"{run_seed}; the seeds of the learners' gradings: {', '.join(map(str, seeds)) or 'none'} (each learner's "
        "in the roster table)",
        f"sandbox on for {sandboxed} of {n} learners",
        f"{info.get('graded', n)} learners graded in this run, {info.get('reused', 0)} unchanged since the last one",
        f"{info.get('seconds', 0):.0f} s wall on {info.get('workers', '?')} {info.get('pool', '')} worker(s)",
    ]
    if version := info.get("lab_version"):
        facts.append(f"graded by lab_utils {version}")
    if cpu:
        facts.append(f"median {statistics.median(cpu):.1f} CPU s per learner's grading")
    body.append("<ul>" + "".join(f"<li>{_e(f)}</li>" for f in facts) + "</ul>")
    if records is not None:
        body.append("<h2>Learners</h2>")
        body.append(_roster_table(records, absent, course))
        if starters := [r.learner_id for r in records if r.starter_only]:
            body.append("<h3>Handed in the starter notebooks (no exercise written)</h3>")
            body.append("<ul>" + "".join(f"<li>{_e(s)}</li>" for s in starters) + "</ul>")
    if off_roster:
        body.append("<h2>Handed in, but not on the roster (in no export)</h2>")
        body.append("<ul>" + "".join(f"<li>{_e(_named(s, names))}</li>" for s in off_roster) + "</ul>")
    body.append("<h2>Scores</h2>")
    if scores:
        body.append(_histogram(scores, top, what))
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
        rows = [[_e(s), _e(names.get(s, "")), _e(why)] for s, why in summary["problems"]]
        body.append(_table(["learner", "name", "why"], rows))
    else:
        body.append("<p>None: every notebook of every learner was graded.</p>")
    if unmatched := info.get("unmatched_files"):
        items = "".join(f"<li>{_e(f)}</li>" for f in unmatched)
        body.append(f"<h2>Files that match no notebook of the series (not graded)</h2><ul>{items}</ul>")
    return _page("Class report", body)


def _named(learner_id: str, names: dict[str, str]) -> str:
    return f"{learner_id} ({names[learner_id]})" if names.get(learner_id) else learner_id


def _absent_scores(course: Course, absent: list[Member]) -> list[float]:
    """The course scores the exports give the roster's learners who handed nothing in (none for a blank or no row)."""
    overrides = {o.learner_id: o.points for o in course.overrides if o.exercise is None}
    scores = []
    for m in absent:
        if m.learner_id in overrides:
            scores.append(overrides[m.learner_id])
        elif course.missing == "zero":
            scores.append(0.0)
    return scores


def _results_table(exercises: dict[str, dict[str, Any]]) -> str:
    columns = [PASSED, FAILED, NOT_IMPLEMENTED, MISSING, TIMEOUT, ERROR]
    rows = [
        [_e(name), f"{e['pass_rate']:.0%}", *(str(e["results"].get(c, 0)) for c in columns)]
        for name, e in exercises.items()
    ]
    return _table(["exercise", "pass rate", *columns], rows)
