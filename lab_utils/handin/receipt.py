"""What the learner reads after a hand-in: the pre-check's table, its total, what is missing, and the receipt.

The same rows are shown two ways: `handin_text` for a terminal, `handin_html` inline in a notebook. Messages
come from the learner's own code (an exception's text), so they are cut to one line and escaped in HTML.
"""

from __future__ import annotations

import html

from lab_utils.grading.results import GRADED, MISSING
from lab_utils.grading.text import one_line
from lab_utils.handin.precheck import HandIn

FINAL_GRADE = (
    "This is a pre-check on fresh random inputs. Your final grade comes from your instructor's run of the same "
    "grader on your hand-in file, with new inputs."
)
UPLOAD = "Upload this file to your course's assignment."
TABLE_MESSAGE_CHARS = 90  # a failure's first line, cut to fit the pre-check's table


def rows(made: HandIn) -> list[tuple[str, str, str, str, str]]:
    """(notebook, exercise, points, result, first line of the message) for every exercise of the series."""
    return [
        (nb.notebook, ex.exercise, f"{ex.score:g}/{ex.points:g}", ex.result, _first_line(ex.message))
        for nb in made.result.notebooks
        for ex in nb.exercises
    ]


def _first_line(message: str) -> str:
    lines = message.strip().splitlines()
    return one_line(lines[0] if lines else "", TABLE_MESSAGE_CHARS)


def problems(made: HandIn) -> list[str]:
    """One sentence per notebook that is missing or could not be run fully."""
    lines = [f"Missing: {name} (not in {made.folder}; it scores 0)" for name in made.missing]
    lines += [
        f"Could not be fully run: {nb.notebook} ({one_line(nb.status, 120)})"
        for nb in made.result.notebooks
        if nb.status not in (GRADED, MISSING)
    ]
    return lines


def total(made: HandIn) -> str:
    return f"Pre-check total: {made.result.score:g}/{made.result.max_score:g} points"


def receipt(made: HandIn) -> list[str]:
    """The receipt's lines: the file's path, size and SHA-256, and what to do with it."""
    return [
        f"Hand-in file: {made.path.resolve()}",
        f"Size: {made.size:,} bytes",
        f"SHA-256: {made.sha256}",
        UPLOAD,
    ]


def handin_text(made: HandIn) -> str:
    """The whole report as plain text, for a terminal."""
    table = [("notebook", "exercise", "points", "result", "message"), *rows(made)]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4] for row in table
    ]
    lines = [line.rstrip() for line in lines]
    lines += ["", total(made), *problems(made), FINAL_GRADE, "", *receipt(made)]
    return "\n".join(lines)


def handin_html(made: HandIn) -> str:
    """The whole report as HTML, for the notebook: a table with a caption, then the total, problems and receipt."""
    head = "".join(
        f"<th scope='col' style='text-align:left'>{name}</th>"
        for name in ("Notebook", "Exercise", "Points", "Result", "Message")
    )
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows(made)
    )
    notes = "".join(f"<li>{html.escape(line)}</li>" for line in problems(made))
    lines = "<br>".join(html.escape(line) for line in receipt(made)[:-1])
    return (
        f"<p>{html.escape(made.saved)}</p>"
        "<table><caption style='text-align:left'><b>Pre-check of the whole series</b></caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"<p><b>{html.escape(total(made))}</b></p>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + f"<p>{html.escape(FINAL_GRADE)}</p>"
        f"<p><code>{lines}</code></p><p><b>{html.escape(UPLOAD)}</b></p>"
    )
