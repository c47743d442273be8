"""What a class grading writes into RESULTS_DIR: the gradebook, the full JSON, a page per learner, the class report.

- `gradebook.csv`: one row per learner sorted by id; `student`, one column per exercise (its function, in registry
  order, the points earned), `score`, `max_score`, `status` (`graded`, or what went wrong in a few words).
- `grades.json`: everything: the run (seed, options, pool, timings), the registry, every learner's result.
- `feedback/<student>.html`: for the learner (the file name from the id by `names.file_stem`, never the id raw):
  each exercise, passed or not, with the message and hint. It shows
  only what the checks' messages show (which never include the grader's random inputs beyond a short label).
- `report.html`: for the instructor: score histogram, pass rate per exercise, the hints that fired with how many
  learners got each, and the learners whose grading did not complete, with why. Figures are embedded PNGs.

Every text from a submission is HTML-escaped, every CSV cell spreadsheet-safe (`spreadsheet.write_csv`); the pages
load nothing from the network.
"""

from __future__ import annotations

import base64
import html
import io
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from lab_utils.checks import EXERCISES
from lab_utils.course.classdir import natural_key
from lab_utils.course.names import file_stem
from lab_utils.course.spreadsheet import write_csv
from lab_utils.grading.results import (
    ERROR,
    FAILED,
    GRADED,
    MISSING,
    NOT_IMPLEMENTED,
    PASSED,
    TIMEOUT,
    ExerciseResult,
    SubmissionResult,
)
from lab_utils.plots import PNG_DPI

TEXT = {"encoding": "utf-8", "errors": "backslashreplace"}  # a folder name need not be UTF-8 (os.fsdecode)
MAX_SCORE = sum(ex.points for ex in EXERCISES)
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
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.25rem 0.6rem; text-align: left; }
tr:nth-child(even) { background: #f6f6f6; } th { border-bottom: 1px solid #999; }
.passed { color: #1a7f37; } .other { color: #b42318; } .muted { color: #666; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 0.5rem; margin: 0.3rem 0; }
.hint { background: #fff8c5; padding: 0.4rem 0.6rem; border-left: 3px solid #d4a72c; }
.exercise { margin: 1rem 0; } .warning { background: #ffebe9; padding: 0.4rem 0.6rem; }
"""


def exercise_scores(result: SubmissionResult) -> dict[str, float]:
    """Points earned per exercise function, every exercise of the registry present (0 when not graded)."""
    earned = {r.exercise: r.score for r in result.exercises}
    return {ex.function: earned.get(ex.function, 0) for ex in EXERCISES}


def write_all(results: list[SubmissionResult], info: dict[str, Any], out: Path) -> None:
    """Write the gradebook, grades.json, one feedback page per learner and the class report into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    results = sorted(results, key=lambda r: natural_key(r.student))
    write_gradebook(results, out / "gradebook.csv")
    payload = {
        "run": info,
        "exercises": [{"function": e.function, "notebook": e.notebook, "points": e.points} for e in EXERCISES],
        "learners": [{**r.to_dict(), "feedback": f"feedback/{file_stem(r.student)}.html"} for r in results],
    }
    (out / "grades.json").write_text(json.dumps(payload, indent=1) + "\n")
    (out / "feedback").mkdir(exist_ok=True)
    for result in results:
        (out / "feedback" / f"{file_stem(result.student)}.html").write_text(feedback_html(result), **TEXT)
    (out / "report.html").write_text(report_html(results, info), **TEXT)


def write_gradebook(results: list[SubmissionResult], path: Path) -> None:
    """gradebook.csv: see the module docstring; points written as `10` or `7.5`, never `10.0`; spreadsheet-safe."""
    header = ["student", *(ex.function for ex in EXERCISES), "score", "max_score", "status"]
    rows = []
    for result in results:
        scores = exercise_scores(result)
        rows.append([result.student, *scores.values(), sum(scores.values()), MAX_SCORE, result.status])
    write_csv(path, header, rows)


def _page(title: str, body: list[str]) -> str:
    head = f'<meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style>'
    return f"<!DOCTYPE html>\n<html lang='en'><head>{head}</head><body>\n" + "\n".join(body) + "\n</body></html>\n"


def _message_without_hint(result: ExerciseResult) -> str:
    """The check's message, without its "hint:" line when the hint is shown on its own."""
    lines = result.message.splitlines()
    if result.hint:
        lines = [line for line in lines if line.strip() != f"hint: {result.hint}".strip()]
    return "\n".join(lines).strip()


def feedback_html(result: SubmissionResult) -> str:
    """The learner's page: their total, then each notebook and exercise with message and hint."""
    total = sum(exercise_scores(result).values())
    body = [f"<h1>Your grade: {total:g} / {MAX_SCORE:g} points</h1>"]
    body.append(f"<p class='muted'>Learner {html.escape(result.student)}.</p>")
    if result.problems:
        items = "".join(f"<li>{html.escape(problem)}</li>" for problem in result.problems)
        body.append(f"<p class='warning'>What you handed in has problems:</p><ul>{items}</ul>")
    for nb in result.notebooks:
        body.append(f"<h2>{html.escape(nb.notebook)}</h2>")
        if nb.status == MISSING:
            body.append(
                f"<p class='warning'>We found no {html.escape(nb.notebook)} notebook in what you handed in.</p>"
            )
        elif nb.status != GRADED:
            body.append(f"<p class='warning'>This notebook could not be fully graded: {html.escape(nb.status)}.</p>")
        if nb.notes:
            items = "".join(f"<li>{html.escape(note)}</li>" for note in nb.notes)
            body.append(f"<p>While running your notebook:</p><ul>{items}</ul>")
        for ex in nb.exercises:
            mark, css = ("✓", "passed") if ex.result == PASSED else ("✗", "other")
            word = RESULT_WORDS.get(ex.result, ex.result)
            body.append(
                f"<div class='exercise'><b class='{css}'>{mark} {html.escape(ex.exercise)}</b> "
                f"— {ex.score:g}/{ex.points:g} points, {html.escape(word)}"
            )
            message = _message_without_hint(ex)
            if ex.result != PASSED and message and nb.status != MISSING:  # the warning above says it all
                body.append(f"<pre>{html.escape(message)}</pre>")
            if ex.hint:
                body.append(f"<p class='hint'>Hint: {html.escape(ex.hint)}</p>")
            body.append("</div>")
    return _page(f"Feedback for {result.student}", body)


def _figure_img(fig: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def score_histogram(scores: list[float]) -> Figure:
    """Histogram of the learners' total scores, 0 to MAX_SCORE in tenths."""
    fig = Figure(figsize=(6, 3), layout="constrained")
    ax = fig.subplots()
    ax.hist(scores, bins=10, range=(0, MAX_SCORE), color="tab:blue", edgecolor="white")
    ax.set(xlabel=f"score (out of {MAX_SCORE:g})", ylabel="learners", title="Scores")
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
        "problems": [(r.student, r.status) for r in results if r.status != GRADED],
    }


def report_html(results: list[SubmissionResult], info: dict[str, Any]) -> str:
    """The instructor's class report (see the module docstring)."""
    summary = class_summary(results)
    n = len(results)
    scores = summary["scores"]
    cpu = [r.cpu_seconds for r in results if r.cpu_seconds]
    sandboxed = sum(r.sandbox for r in results)
    body = [f"<h1>Class report: {n} learners</h1>"]
    facts = [
        f"mean score {statistics.mean(scores):.1f} / {MAX_SCORE:g}, median {statistics.median(scores):g}"
        if scores
        else "no learner",
        f"seed {info.get('seed')} (run again with --seed {info.get('seed')} to reproduce)",
        f"sandbox on for {sandboxed} of {n} learners",
        f"{info.get('graded', n)} learners graded in this run, {info.get('reused', 0)} unchanged since the last one",
        f"{info.get('seconds', 0):.0f} s wall on {info.get('workers', '?')} {info.get('pool', '')} worker(s)",
    ]
    if cpu:
        facts.append(f"median {statistics.median(cpu):.1f} CPU s per learner's grading")
    body.append("<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in facts) + "</ul>")
    if scores:
        body.append(_figure_img(score_histogram(scores), "histogram of scores"))
    rates = {name: e["pass_rate"] for name, e in summary["exercises"].items()}
    body.append(_figure_img(pass_rate_chart(rates), "pass rate per exercise"))
    body.append("<h2>Exercises</h2>")
    body.append(_results_table(summary["exercises"]))
    body.append("<h2>Hints that fired</h2>")
    for name, e in summary["exercises"].items():
        if e["hints"]:
            items = "".join(
                f"<li><b>{count / n:.0%}</b> ({count} learner{'s' * (count != 1)}): {html.escape(hint)}</li>"
                for hint, count in e["hints"]
            )
            body.append(f"<h3>{html.escape(name)}</h3><ul>{items}</ul>")
    body.append("<h2>Learners not fully graded</h2>")
    if summary["problems"]:
        rows = "".join(
            f"<tr><td>{html.escape(s)}</td><td>{html.escape(why)}</td></tr>" for s, why in summary["problems"]
        )
        body.append(f"<table><tr><th>learner</th><th>why</th></tr>{rows}</table>")
    else:
        body.append("<p>None: every notebook of every learner was graded.</p>")
    if unmatched := info.get("unmatched_files"):
        items = "".join(f"<li>{html.escape(f)}</li>" for f in unmatched)
        body.append(f"<h2>Files that match no notebook of the series (not graded)</h2><ul>{items}</ul>")
    return _page("Class report", body)


def _results_table(exercises: dict[str, dict[str, Any]]) -> str:
    columns = [PASSED, FAILED, NOT_IMPLEMENTED, MISSING, TIMEOUT, ERROR]
    head = "<tr><th>exercise</th><th>pass rate</th>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{e['pass_rate']:.0%}</td>"
        + "".join(f"<td>{e['results'].get(c, 0)}</td>" for c in columns)
        + "</tr>"
        for name, e in exercises.items()
    )
    return f"<table>{head}{rows}</table>"
