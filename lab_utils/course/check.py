"""The course check: every mismatch between the class folder, the roster and the course file, said before grading.

`check_course` reads only what discovery, the roster and the course file already hold (no learner code runs, no
notebook is graded), so `python -m lab_utils.grade CLASS_DIR --course course.toml --check` answers in seconds.
Each finding is one line, an ERROR or a WARNING:
- errors would put a wrong number in the LMS: an id in `[extensions]` or `[[override]]` that matches nobody (a
  typo: the rule silently applies to no one), a `canvas_id` that is not a column of the Canvas export (Canvas'
  import would create a new assignment), `points` that differ from the roster export's (Canvas' Points Possible,
  Moodle's Maximum grade), a whole-score override above `points`, an all-blank Moodle identifier column (Moodle's
  import stops), an export asked for without the roster it needs. Errors stop the exports (`cli`);
- warnings are told and reported: learners who handed in but are not on the roster, roster learners who handed in
  nothing, learners left out of `moodle.csv` for a blank identifier (Moodle's CSV import gives a row with a blank
  identifier to the learner of the row before: `grade/import/csv/classes/load_data.php`), hand-in times unknown.

The same findings stand at the top of the report (`class_report.report_html`), after the key the roster was
matched on (`roster_match`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lab_utils.course.classdir import Learner
from lab_utils.course.coursefile import Course
from lab_utils.course.lms import moodle_identifier
from lab_utils.course.records import class_id, handin, handin_time_known
from lab_utils.course.roster import Roster, RosterError, export_rows
from lab_utils.course.scoring import format_points

ERROR, WARNING = "error", "warning"
_CANVAS_COLUMN = re.compile(r"^(?P<title>.*) \((?P<id>\d+)\)$")  # "MNIST lab (12345)", Canvas' assignment column
_SHOWN = 12  # learners named in one line before "... and N more"


@dataclass(frozen=True)
class Finding:
    """One mismatch: its level (ERROR or WARNING) and the line that says it."""

    level: str
    text: str

    @property
    def line(self) -> str:
        return f"{self.level}: {self.text}"


def check_course(
    learners: list[Learner],
    course: Course,
    roster: Roster | None = None,
    times: dict[str, datetime] | None = None,
) -> list[Finding]:
    """Every mismatch between the class folder's `learners`, the `roster` and the `course` file, errors first."""
    findings = _rules_that_match_nobody(learners, course, roster)
    findings += _whole_overrides_above_points(course)
    if roster is not None and course.roster is not None:
        findings += _roster_columns(course, roster, course.roster)
        findings += _roster_membership(learners, roster)
        findings += _blank_identifiers(course, roster)
    findings += _exports_without_their_roster(course, roster)
    findings += _unknown_times(learners, course, times or {})
    return sorted(findings, key=lambda f: f.level != ERROR)


# Each roster key (`roster.KEYS`) as the LMS's export names its column.
_KEY_COLUMNS = {
    "id": {"canvas": "ID", "moodle": "participant id"},
    "sis_user_id": "SIS User ID",
    "sis_login_id": "SIS Login ID",
    "email": "email address",
    "id_number": "ID number",
    "name": "name",
}


def roster_match(learners: list[Learner], roster: Roster) -> str:
    """The key the roster is matched on and how many of the class folder's learners it finds: "roster matched on
    SIS Login ID (9 of 9 learners)"."""
    column = _KEY_COLUMNS[roster.key]
    column = column[roster.lms] if isinstance(column, dict) else column
    found = sum(roster.find(learner.learner_id, learner.name) is not None for learner in learners)
    return f"roster matched on {column} ({found} of {len(learners)} learners)"


def _who(learners: list[tuple[str, str]]) -> str:
    """ "Ana Souza (4021), 4022, ..." for a line, at most _SHOWN of them."""
    shown = [f"{name} ({learner_id})" if name else learner_id for learner_id, name in learners[:_SHOWN]]
    more = f" and {len(learners) - _SHOWN} more" if len(learners) > _SHOWN else ""
    return ", ".join(shown) + more


def _rules_that_match_nobody(learners: list[Learner], course: Course, roster: Roster | None) -> list[Finding]:
    known = {learner.learner_id for learner in learners}
    known |= {class_id(roster, m) for m in roster.members} - {""} if roster else set()
    findings = []

    def nobody(where: str, learner_id: str) -> None:
        if learner_id in known:
            return
        close = [other for other in sorted(known) if _one_slip_apart(learner_id, other)]
        guess = f" (did you mean {' or '.join(close[:3])}?)" if close else ""
        text = (
            f"{where}: {learner_id!r} matches no learner of the class folder or the roster{guess}: it applies to no one"
        )
        findings.append(Finding(ERROR, text))

    for learner_id in course.extensions:
        nobody("[extensions]", learner_id)
    for number, override in enumerate(course.overrides, start=1):
        nobody(f"[[override]] number {number}", override.learner_id)
    return findings


def _one_slip_apart(typed: str, known: str) -> bool:
    """Whether `typed` is `known` with one slip of the hand: a character wrong (4O23), two neighbours swapped
    (4062 for 4026), one left out or one too many."""
    if len(typed) == len(known):
        wrong = [i for i, (a, b) in enumerate(zip(typed, known, strict=True)) if a != b]
        swapped = len(wrong) == 2 and wrong[1] == wrong[0] + 1 and typed[wrong[0]] == known[wrong[1]]
        return len(wrong) == 1 or (swapped and typed[wrong[1]] == known[wrong[0]])
    short, long = sorted((typed, known), key=len)
    return len(long) == len(short) + 1 and any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _whole_overrides_above_points(course: Course) -> list[Finding]:
    return [
        Finding(
            ERROR,
            f"[[override]] number {number}: {format_points(o.points)} points for {o.learner_id} is above the "
            f"assignment's {format_points(course.points)} points",
        )
        for number, o in enumerate(course.overrides, start=1)
        if o.exercise is None and o.points > course.points
    ]


def _roster_membership(learners: list[Learner], roster: Roster) -> list[Finding]:
    findings = []
    matched = set()
    for learner in learners:
        member = roster.find(learner.learner_id, learner.name)
        if member is None:
            who = _who([(learner.learner_id, learner.name)])
            findings.append(Finding(WARNING, f"{who} handed in but is not on the roster: in no export"))
        else:
            matched.add(member)
    absent = [(class_id(roster, m), m.name) for m in roster.members if m not in matched]
    if absent:
        findings.append(Finding(WARNING, f"{len(absent)} learner(s) of the roster handed nothing in: {_who(absent)}"))
    return findings


def _blank_identifiers(course: Course, roster: Roster) -> list[Finding]:
    if roster.lms != "moodle":
        return []
    blank = [(m.learner_id, m.name) for m in roster.members if not moodle_identifier(course, m)]
    column = "email address" if course.moodle_identifier == "email" else "ID number"
    if blank and len(blank) == len(roster.members):
        text = f"moodle.csv: every learner's {column} is blank in the roster, and Moodle's import stops on that"
        other = "idnumber" if course.moodle_identifier == "email" else "email"
        return [Finding(ERROR, f'{text}: set [moodle] identifier = "{other}" or fill the column')]
    return [
        Finding(WARNING, f"moodle.csv: {_who([who])} has a blank {column} in the roster: left out of moodle.csv")
        for who in blank
    ]


def _exports_without_their_roster(course: Course, roster: Roster | None) -> list[Finding]:
    if "moodle" in course.exports and (roster is None or roster.lms != "moodle"):
        return [Finding(ERROR, 'exports = ["moodle"]: moodle.csv needs a Moodle roster (roster = "worksheet.csv")')]
    return []


def _unknown_times(learners: list[Learner], course: Course, times: dict[str, datetime]) -> list[Finding]:
    """Learners whose hand-in time nobody knows, when lateness costs points: no late penalty can apply to them.
    Canvas' file names say it (a `_late` marker or none); other downloads need a time."""
    if course.due is None or not (course.late.percent_per_day or course.late.max_days is not None):
        return []  # no penalty for lateness: the time changes nothing
    unknown = [
        (learner.learner_id, learner.name)
        for learner in learners
        if not handin_time_known(
            learner.learner_id, handin(learner, times), (f.relpath for f in learner.files.values())
        )
    ]
    if not unknown:
        return []
    text = f"the hand-in time of {len(unknown)} learner(s) is not known, so no late penalty applies: {_who(unknown)}"
    return [Finding(WARNING, f"{text} (give submission_times in the course file)")]


# --- the roster export's assignment columns -----------------------------------------------------------------


def _roster_columns(course: Course, roster: Roster, path: Path) -> list[Finding]:
    try:
        rows = export_rows(path)
    except RosterError:
        return []  # read_roster has refused it already, with its reason
    if not rows:
        return []
    if roster.lms == "canvas":
        return _canvas_columns(course, rows, path.name)
    return _moodle_maximum(course, rows, path.name)


def _canvas_columns(course: Course, rows: list[list[str]], name: str) -> list[Finding]:
    header = [cell.strip() for cell in rows[0]]
    possible = next((row for row in rows[1:] if row and row[0].strip() == "Points Possible"), [])
    columns = {}
    for i, title in enumerate(header):
        if match := _CANVAS_COLUMN.match(title):
            points = possible[i].strip() if i < len(possible) else ""
            columns[int(match["id"])] = (match["title"], points)
    if course.canvas_id is None:
        same = [f"{title} ({number})" for number, (title, _) in columns.items() if title == course.name]
        if same:
            text = f"[assignment] canvas_id is not set: Canvas will match {course.name!r} by its title; "
            return [Finding(WARNING, text + f"to be sure, set canvas_id from the column {same[0]!r}")]
        return []
    findings = []
    column = course.canvas_id
    if column not in columns:
        listed = ", ".join(f"{title} ({number})" for number, (title, _) in columns.items()) or "none"
        text = f"[assignment] canvas_id {course.canvas_id}: no such assignment column in {name}"
        findings.append(Finding(ERROR, f"{text} (Canvas' import would create a new one); its assignments: {listed}"))
        # the points are still compared with the assignment meant: the one of the same title, or the only one
        titled = [number for number, (title, _) in columns.items() if title == course.name]
        column = titled[0] if titled else next(iter(columns)) if len(columns) == 1 else None
    if column is not None:
        title, points = columns[column]
        findings += _points_differ(course, points, f"{name} gives {title} ({column}) Points Possible {points}")
    return findings


def _moodle_maximum(course: Course, rows: list[list[str]], name: str) -> list[Finding]:
    header = [cell.strip().lower() for cell in rows[0]]
    if "maximum grade" not in header:
        return []
    column = header.index("maximum grade")
    maxima = {row[column].strip() for row in rows[1:] if column < len(row) and row[column].strip()}
    return next((_points_differ(course, m, f"{name} gives Maximum grade {m}") for m in sorted(maxima)), [])


def _points_differ(course: Course, points: str, source: str) -> list[Finding]:
    try:
        value = float(points.replace(",", "."))
    except ValueError:
        return []
    if abs(value - course.points) < 0.005:
        return []
    return [Finding(ERROR, f"[assignment] points = {format_points(course.points)}, but {source}")]
