"""The exports an LMS imports as they are: `canvas.csv` (Canvas' gradebook import) and `moodle.csv` (Moodle's
"Import grades > CSV file"), one row per learner of the roster, with the course score (`scoring.course_score`).

What the formats need, from the LMS's own code (see docs/course.md for the sources):
- Canvas (lib/gradebook_importer.rb): a header whose first cells are `Student`, `ID`, then `SIS User ID`,
  `SIS Login ID`, ending the learner columns with `Section`; each other column is an assignment, matched on the
  number in `Name (12345)`, and created when unknown. Rows are matched on `ID`, then the SIS ids, then the name.
  A row whose first cell is "Points Possible" is optional: it sets the points of a new assignment, so it is
  written only when the course file gives no `canvas_id`.
- Moodle (grade/import/grade_import_form.php): any header; at import the instructor maps one column to the user
  field it identifies (email address or ID number) and the grade column to the assignment.

Both are written by the grader's one spreadsheet-safe writer (`spreadsheet.write_csv`): names come from files
learners and the LMS wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab_utils.course.coursefile import MOODLE_IDENTIFIERS, Course
from lab_utils.course.roster import Member, Roster
from lab_utils.course.scoring import CourseScore, format_points
from lab_utils.course.spreadsheet import write_csv

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


@dataclass(frozen=True)
class Standing:
    """A learner who handed in: their id, their name as the LMS's file names give it, their course score."""

    learner_id: str
    name: str
    score: CourseScore


def _cell(course: Course, standing: Standing | None) -> str:
    if standing is None:
        return "0" if course.missing == "zero" else ""
    return format_points(standing.score.final)


def _members(roster: Roster | None, standings: list[Standing]) -> list[tuple[Member, Standing | None]]:
    """Each roster member with their standing (None: no submission); without a roster, everyone who handed in."""
    if roster is None:
        return [(Member(s.learner_id, s.name), s) for s in standings]
    found = {}
    for standing in standings:
        member = roster.find(standing.learner_id, standing.name)
        if member is not None:
            found[member] = standing
    return [(member, found.get(member)) for member in roster.members]


def not_on_roster(roster: Roster | None, standings: list[Standing]) -> list[Standing]:
    """The learners who handed in but are not on the roster (listed in the report; in no export)."""
    if roster is None:
        return []
    return [s for s in standings if roster.find(s.learner_id, s.name) is None]


def canvas_rows(course: Course, roster: Roster | None, standings: list[Standing]) -> list[list[str]]:
    """canvas.csv: the header, the "Points Possible" row for a new assignment, one row per learner."""
    rows = [[*CANVAS_COLUMNS, course.canvas_column]]
    if course.canvas_id is None:
        rows.append(["Points Possible", "", "", "", "", format_points(course.points)])
    for member, standing in _members(roster, standings):
        ids = [member.name, member.learner_id, member.sis_user_id, member.sis_login_id, member.section]
        rows.append([*ids, _cell(course, standing)])
    return rows


def moodle_rows(course: Course, roster: Roster, standings: list[Standing]) -> list[list[str]]:
    """moodle.csv: the identifier column the course file chose (email or ID number), the full name, the grade."""
    column = MOODLE_IDENTIFIERS[course.moodle_identifier]
    rows = [[column, "Full name", course.name]]
    for member, standing in _members(roster, standings):
        identifier = member.email if course.moodle_identifier == "email" else member.id_number
        rows.append([identifier, member.name, _cell(course, standing)])
    return rows


def write_exports(course: Course, roster: Roster | None, standings: list[Standing], out: Path) -> list[str]:
    """Write the exports this roster allows into `out`; returns their file names.

    canvas.csv is written for a Canvas roster or none (then the learner ids are Canvas' user ids from its file
    names); moodle.csv needs a Moodle roster, the only source of the email addresses and ID numbers it matches on.
    """
    written = []
    if roster is None or roster.lms == "canvas":
        header, *rows = canvas_rows(course, roster, standings)
        write_csv(out / "canvas.csv", header, rows)
        written.append("canvas.csv")
    if roster is not None and roster.lms == "moodle":
        header, *rows = moodle_rows(course, roster, standings)
        write_csv(out / "moodle.csv", header, rows)
        written.append("moodle.csv")
    return written
