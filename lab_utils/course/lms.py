"""The exports an LMS imports as they are: `canvas.csv` (Canvas' gradebook import) and `moodle.csv` (Moodle's
"Import grades > CSV file"), one row per learner of the roster, with the course score (`scoring.course_score`).

What the formats need, from the LMS's own code (see docs/course.md for the sources):
- Canvas (lib/gradebook_importer.rb): a header whose first cells are `Student`, `ID`, then `SIS User ID`,
  `SIS Login ID`, ending the learner columns with `Section`; each other column is an assignment, matched on the
  number in `Name (12345)`, and created when unknown. Rows are matched on `ID`, then the SIS ids, then the name.
  A row whose first cell is "Points Possible" is optional: it sets the points of a new assignment, so it is
  written only when the course file gives no `canvas_id`.
- Moodle (grade/import/grade_import_form.php): any header; at import the instructor maps one column to the user
  field it identifies (email address or ID number) and the grade column to the assignment. A row with a blank
  identifier is skipped *without* resetting the current user (grade/import/csv/classes/load_data.php), so its grade
  would land on the learner of the row before: such learners are left out (the course check lists them).

A learner of the roster with no submission gets the course's `missing` cell ("0", blank, or no row with "keep": in
both LMSs a blank cell clears a grade already there), unless an override gives them a score (an oral exam).

Both are written by the grader's one spreadsheet-safe writer (`spreadsheet.write_csv`): names come from files
learners and the LMS wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab_utils.course.coursefile import MOODLE_IDENTIFIERS, Course
from lab_utils.course.layouts import CANVAS, parse_name
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


def canvas_attachment_id(learner_id: str, relpath: str) -> str | None:
    """The Canvas attachment id in the name of a learner's downloaded file (relative to the class folder), when it
    is Canvas' download name for that learner; None otherwise."""
    lms = parse_name(CANVAS, relpath.split("/", 1)[0])  # Canvas' re-upload reads the same two ids (assignment.rb)
    return str(lms.order) if lms and lms.learner_id == learner_id else None


def moodle_identifier(course: Course, member: Member) -> str:
    """The member's cell in moodle.csv's identifier column: their email or ID number, as the course file chose."""
    return member.email if course.moodle_identifier == "email" else member.id_number


def _cell(course: Course, standing: Standing | None) -> str | None:
    """The grade cell; None: no row at all (`missing = "keep"`)."""
    if standing is not None:
        return format_points(standing.score.final)
    return {"zero": "0", "blank": ""}.get(course.missing)


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
        if (cell := _cell(course, standing)) is not None:
            rows.append([*ids, cell])
    return rows


def moodle_rows(course: Course, roster: Roster, standings: list[Standing]) -> list[list[str]]:
    """moodle.csv: the identifier column the course file chose (email or ID number), the full name, the grade; never
    a row with a blank identifier (see the module)."""
    column = MOODLE_IDENTIFIERS[course.moodle_identifier]
    rows = [[column, "Full name", course.name]]
    for member, standing in _members(roster, standings):
        identifier, cell = moodle_identifier(course, member), _cell(course, standing)
        if identifier and cell is not None:
            rows.append([identifier, member.name, cell])
    return rows


def write_exports(course: Course, roster: Roster | None, standings: list[Standing], out: Path) -> list[str]:
    """Write the exports into `out`: those the course file asks for (`exports`), else those the roster allows;
    returns their file names.

    canvas.csv is written for a Canvas roster, or when asked (then without a roster the learner ids must be Canvas'
    user ids, as in Canvas' download); moodle.csv needs a Moodle roster, the only source of the email addresses and
    ID numbers it matches on. A class without a roster gets no export unless one is asked for: Canvas could match
    none of an nbgrader class's usernames.
    """
    written = []
    lms = set(course.exports) or ({roster.lms} if roster is not None else set())
    if "canvas" in lms:
        header, *rows = canvas_rows(course, roster, standings)
        write_csv(out / "canvas.csv", header, rows)
        written.append("canvas.csv")
    if "moodle" in lms and roster is not None and roster.lms == "moodle":
        header, *rows = moodle_rows(course, roster, standings)
        write_csv(out / "moodle.csv", header, rows)
        written.append("moodle.csv")
    return written
