"""The class list, as the LMS exports it: who is in the course, with the ids and names its import matches on.

Two exports are read, told apart by their header:
- **Canvas**' gradebook export (Grades > Export): `Student`, `ID`, `SIS User ID`, `SIS Login ID`, (`Integration ID`,)
  `Section`, then the assignments. A second row starting "Points Possible" and rows of "Muted"/"Manual Posting"
  are not learners. The learner's id is Canvas' `ID`, the user id in Canvas' submission file names.
- **Moodle**: the assignment's grading worksheet (`Identifier` "Participant 123456", `Full name`, `Email address`,
  ...), whose participant id is the one in Moodle's submission file names; or the participants page's download
  (`First name`, `Last name`, `Email address`, `ID number`), matched on the learner's full name.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from lab_utils.errors import LabError


class RosterError(LabError):
    """The roster file cannot be read as a Canvas or Moodle export."""


@dataclass(frozen=True)
class Member:
    """One learner of the roster; `learner_id` is the id the class folder uses ("" when matched by name only)."""

    learner_id: str
    name: str
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    id_number: str = ""


@dataclass(frozen=True)
class Roster:
    """The LMS ("canvas" or "moodle") and its learners, in the export's order."""

    lms: str
    members: tuple[Member, ...]

    def find(self, learner_id: str, name: str = "") -> Member | None:
        """The member with this id, else (for a roster without ids) the one with this full name."""
        by_id = next((m for m in self.members if m.learner_id and m.learner_id == learner_id), None)
        if by_id is not None or not name:
            return by_id
        wanted = _normal(name)
        return next((m for m in self.members if not m.learner_id and _normal(m.name) == wanted), None)


def _normal(name: str) -> str:
    return " ".join(name.lower().split())


def read_roster(path: Path) -> Roster:
    """The Canvas or Moodle export at `path`; raises `RosterError` (one line) when it is neither."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise RosterError(f"{path}: cannot read the roster ({e})") from None
    header = [cell.strip() for cell in rows[0]] if rows else []
    if header[:2] == ["Student", "ID"]:
        return Roster("canvas", tuple(_canvas(header, rows[1:])))
    if "Email address" in header:
        return Roster("moodle", tuple(_moodle(header, rows[1:])))
    raise RosterError(
        f"{path}: not a roster export: expected Canvas' gradebook export (Student, ID, ...) or a Moodle "
        "grading worksheet or participants download (with Email address)"
    )


def _cells(header: list[str], row: list[str]) -> dict[str, str]:
    return {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}


_CANVAS_NOT_A_LEARNER = re.compile(r"^\s*(Points Possible|Muted|Manual Posting)", re.I)


def _canvas(header: list[str], rows: list[list[str]]) -> list[Member]:
    members = []
    for row in rows:
        cells = _cells(header, row)
        if _CANVAS_NOT_A_LEARNER.match(cells["Student"]) or not cells["ID"]:
            continue
        members.append(
            Member(
                learner_id=cells["ID"],
                name=cells["Student"],
                sis_user_id=cells.get("SIS User ID", ""),
                sis_login_id=cells.get("SIS Login ID", ""),
                section=cells.get("Section", ""),
            )
        )
    return members


_PARTICIPANT = re.compile(r"(\d+)\s*$")


def _moodle(header: list[str], rows: list[list[str]]) -> list[Member]:
    members = []
    for row in rows:
        cells = _cells(header, row)
        participant = _PARTICIPANT.search(cells.get("Identifier", ""))
        name = cells.get("Full name") or f"{cells.get('First name', '')} {cells.get('Last name', '')}".strip()
        members.append(
            Member(
                learner_id=participant.group(1) if participant else "",
                name=name,
                email=cells["Email address"],
                id_number=cells.get("ID number", ""),
            )
        )
    return members
