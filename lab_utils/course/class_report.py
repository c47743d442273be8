"""The instructor's class report, `report.html`: the course check, the run, the figures with their numbers as
tables, the exercises and the hints that fired, the roster (with those who handed nothing in), the learners not fully
graded. Built from the parts of `pages`, so it keeps their promises (axe-core clean, everything escaped, nothing
loaded from the network).
"""

from __future__ import annotations

import base64
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
from lab_utils.course.pages import escape, html_page, html_table
from lab_utils.course.records import LearnerRecord, exercise_scores
from lab_utils.course.roster import Member
from lab_utils.course.scoring import LAB_POINTS, format_points
from lab_utils.grading.results import ERROR, FAILED, GRADED, MISSING, NOT_IMPLEMENTED, PASSED, TIMEOUT, SubmissionResult
from lab_utils.plots import PNG_DPI

HISTOGRAM_BINS = 10


def _figure(fig: Figure, alt: str, numbers: str) -> str:
    """The figure as an embedded PNG with its text alternative, and its numbers as a table right below it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<figure><img alt="{escape(alt)}" src="data:image/png;base64,{data}">{numbers}</figure>'


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
    return _figure(
        score_histogram(scores, top), alt, html_table(["score", "learners"], rows, "Learners per score range")
    )


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
        link = f"<a href='feedback/{escape(file_stem(r.learner_id))}.html'>{escape(r.learner_id)}</a>"
        status = r.result.status if r.on_roster is not False else f"{r.result.status}; not on the roster"
        cells = [
            link,
            escape(r.name),
            points,
            escape(_late_cell(r)),
            escape(r.overrides_text),
            escape(status),
            str(r.result.seed),
        ]
        rows.append(cells)
    overrides = {o.learner_id: o for o in course.overrides if o.exercise is None} if course else {}
    for m in absent:
        whole = overrides.get(m.learner_id)
        points = format_points(whole.points) if whole else _missing_cell(course)
        text = f"score: {whole.points:g} ({whole.reason})" if whole else ""
        rows.append([escape(m.learner_id), escape(m.name), escape(points), "", escape(text), "nothing handed in", ""])
    scored = "course score" if any(r.score for r in records) else f"score (of {LAB_POINTS:g})"
    header = ["learner", "name", scored, "late or extension", "overrides", "status", "seed"]
    return html_table(header, rows)


def _course_check(findings: list[Finding], roster_match: str | None) -> list[str]:
    """The key the roster was matched on and the course check's findings, errors first, as the top of the report."""
    body = ["<h2>Course check</h2>"]
    if roster_match:
        body.append(f"<p>{escape(roster_match)}</p>")
    if not findings:
        return [*body, "<p>No mismatch between the class folder, the roster and the course file.</p>"]
    errors = sum(f.level == CHECK_ERROR for f in findings)
    if errors:
        body.append(
            f"<p class='warning'>{errors} error(s): no export was written. Fix the course file and run again.</p>"
        )
    items = "".join(f"<li><b>{escape(f.level)}</b>: {escape(f.text)}</li>" for f in findings)
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
        body += _course_check(findings or [], info.get("roster_match"))
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
    body.append("<ul>" + "".join(f"<li>{escape(f)}</li>" for f in facts) + "</ul>")
    if records is not None:
        body.append("<h2>Learners</h2>")
        body.append(_roster_table(records, absent, course))
        if starters := [r.learner_id for r in records if r.starter_only]:
            body.append("<h3>Handed in the starter notebooks (no exercise written)</h3>")
            body.append("<ul>" + "".join(f"<li>{escape(s)}</li>" for s in starters) + "</ul>")
    if off_roster:
        body.append("<h2>Handed in, but not on the roster (in no export)</h2>")
        body.append("<ul>" + "".join(f"<li>{escape(_named(s, names))}</li>" for s in off_roster) + "</ul>")
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
                f"<li><b>{count / n:.0%}</b> ({count} learner{'s' * (count != 1)}): {escape(hint)}</li>"
                for hint, count in e["hints"]
            )
            body.append(f"<h3>{escape(name)}</h3><ul>{items}</ul>")
    body.append("<h2>Learners not fully graded</h2>")
    if summary["problems"]:
        rows = [[escape(s), escape(names.get(s, "")), escape(why)] for s, why in summary["problems"]]
        body.append(html_table(["learner", "name", "why"], rows))
    else:
        body.append("<p>None: every notebook of every learner was graded.</p>")
    if unmatched := info.get("unmatched_files"):
        items = "".join(f"<li>{escape(f)}</li>" for f in unmatched)
        body.append(f"<h2>Files that match no notebook of the series (not graded)</h2><ul>{items}</ul>")
    return html_page("Class report", body)


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
        [escape(name), f"{e['pass_rate']:.0%}", *(str(e["results"].get(c, 0)) for c in columns)]
        for name, e in exercises.items()
    ]
    return html_table(["exercise", "pass rate", *columns], rows)
