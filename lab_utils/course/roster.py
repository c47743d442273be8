"""The class list, as the LMS exports it: who is in the course, with the ids and names its import matches on.

Two exports are read, in UTF-8 with or without a BOM, with whichever separator the file uses (`,`, `;`, a tab:
Canvas writes `;` where the user's CSV setting or language asks for it, and its own importer detects it):
- **Canvas**' gradebook export (Grades > Export): `Student`, `ID`, `SIS User ID`, `SIS Login ID`, (`Integration
  ID`,) `Section`, then the assignments. The row whose `Student` cell is exactly `Points Possible` gives each
  assignment's points (decimal commas read); rows without an `ID` (Canvas' "Muted" and "Manual Posting" rows) are
  not learners. A learner named "Mutedi, Grace" is one.
- **Moodle**: the assignment's grading worksheet, in any language: the identifier column is found by what it holds
  ("Participant 123456", "Teilnehmer/in 123456"), the full name is the column after it, the email column holds
  email addresses; or the participants download (first and last name, email, ID number), matched on the name.
  `columns` maps a role (`name`, `first_name`, `last_name`, `email`, `id_number`) to a header where finding fails.

A roster is matched on one key (`Roster.key`): the column that holds the class folder's ids (`keyed` finds it:
Canvas' `ID`, `SIS User ID`, `SIS Login ID`, the email, Moodle's participant id or ID number), or the name,
compared the way the LMS cleans the names of its downloads (`layouts.moodle_name`, `layouts.canvas_name`), after
Unicode normalisation and case folding. Namesakes matched by name are never guessed: `find` gives neither.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from lab_utils.course.layouts import canvas_name, moodle_name
from lab_utils.errors import LabError

KEYS = ("id", "sis_user_id", "sis_login_id", "email", "id_number", "name")  # Roster.key, in order of preference
MAX_ROSTER_BYTES = 20 * 1024**2
_SEPARATORS = (",", ";", "\t")
_PARTICIPANT = re.compile(r"\D*?\s(\d+)")  # "Participant 123456" in any language
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_HEADERS = {  # a few languages' headers of Moodle's participants download; `columns` maps any other
    "first_name": {"first name", "vorname", "prénom", "nombre", "nome", "voornaam"},
    "last_name": {"last name", "surname", "nachname", "nom", "apellido(s)", "cognome", "achternaam"},
    "id_number": {"id number", "id-nummer", "matrikelnummer", "numéro d'identification", "número de id"},
}


class RosterError(LabError):
    """The roster file cannot be read as a Canvas or Moodle export."""


@dataclass(frozen=True)
class Member:
    """One learner of the roster; `learner_id` is the LMS's own id (Canvas `ID`, Moodle participant id; "" when
    the export has none)."""

    learner_id: str
    name: str
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    id_number: str = ""

    def value(self, key: str) -> str:
        """The member's cell for `key` (one of KEYS), as it is compared: emails and logins case-folded."""
        cell = self.learner_id if key == "id" else getattr(self, key)
        return cell.casefold() if key in ("email", "sis_login_id") else cell


@dataclass(frozen=True)
class Roster:
    """The LMS ("canvas" or "moodle"), its learners in the export's order, the key they are matched on, and (Canvas)
    each assignment's Points Possible."""

    lms: str
    members: tuple[Member, ...]
    key: str = "id"
    points_possible: tuple[tuple[str, float], ...] = ()

    def find(self, learner_id: str, name: str = "") -> Member | None:
        """The member whose key is `learner_id`; by name when the roster is matched on names (or has no ids), and
        then only a name that no other member shares. None when nobody, or more than one, matches."""
        if self.key == "name" or (self.key == "id" and not any(m.learner_id for m in self.members)):
            wanted = comparable(name, self.lms)
            found = [m for m in self.members if wanted and comparable(m.name, self.lms) == wanted]
        else:
            wanted = learner_id.casefold() if self.key in ("email", "sis_login_id") else learner_id
            found = [m for m in self.members if wanted and m.value(self.key) == wanted]
        return found[0] if len(found) == 1 else None

    def namesakes(self) -> list[str]:
        """The names two or more members share, as compared (learners with them are matched by an id or not at all)."""
        counts = Counter(comparable(m.name, self.lms) for m in self.members)
        return sorted({m.name for m in self.members if counts[comparable(m.name, self.lms)] > 1})

    def keyed(self, learner_ids: Iterable[str], key: str | None = None) -> Roster:
        """This roster matched on `key`, or (None) on the column that holds the most of `learner_ids` with each
        value once; on the name when no column holds any of them."""
        if key is not None:
            if key not in KEYS:
                raise RosterError(f"roster key {key!r}: expected one of {', '.join(KEYS)}")
            return replace(self, key=key)
        ids = {i.casefold() for i in learner_ids}
        scores = {}
        for candidate in KEYS[:-1]:
            values = [m.value(candidate).casefold() for m in self.members if m.value(candidate)]
            if values and len(set(values)) == len(values):
                scores[candidate] = len(ids & set(values))
        best = max(scores, key=lambda k: scores[k], default=None)  # the first of KEYS on a tie
        return replace(self, key=best if best is not None and scores[best] else "name")


def comparable(name: str, lms: str) -> str:
    """`name` as the LMS's download cleans it, normalised (NFKC) and case-folded, spaces collapsed."""
    name = unicodedata.normalize("NFKC", name)
    cleaned = canvas_name(name) if lms == "canvas" else moodle_name(name)
    return " ".join(cleaned.casefold().split())


def read_roster(path: Path, columns: dict[str, str] | None = None) -> Roster:
    """The Canvas or Moodle export at `path`; raises `RosterError` (one line) when it is neither."""
    rows = export_rows(path)
    header = [cell.strip() for cell in rows[0]] if rows else []
    if header[:2] == ["Student", "ID"]:
        return _canvas(header, rows[1:])
    if (moodle := _moodle(header, rows[1:], columns or {})) is not None:
        return moodle
    raise RosterError(
        f"{path}: not a roster export: expected Canvas' gradebook export (Student, ID, ...) or a Moodle "
        "grading worksheet or participants download (with email addresses)"
    )


def export_rows(path: Path) -> list[list[str]]:
    """The non-blank rows of the LMS export at `path`, read as the LMS wrote it (UTF-8 with or without a BOM, the
    separator its first line uses); raises `RosterError` (one line) when it cannot be read or is too large."""
    try:
        with Path(path).open("rb") as f:
            text = f.read(MAX_ROSTER_BYTES + 1).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise RosterError(f"{path}: cannot read the roster ({e})") from None
    if len(text) > MAX_ROSTER_BYTES:
        raise RosterError(f"{path}: larger than {MAX_ROSTER_BYTES // 1024**2} MB: not a class list")
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=_separator(text)) if any(c.strip() for c in row)]
    except csv.Error as e:
        raise RosterError(f"{path}: cannot read the roster ({e})") from None


def _separator(text: str) -> str:
    """The separator that cuts the first line into the most cells."""
    first = text.split("\n", 1)[0]
    return max(_SEPARATORS, key=lambda sep: len(next(csv.reader([first], delimiter=sep), [])))


def _cells(header: list[str], row: list[str]) -> dict[str, str]:
    return {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}


def _canvas(header: list[str], rows: list[list[str]]) -> Roster:
    members, points = [], ()
    for row in rows:
        cells = _cells(header, row)
        if cells["Student"] == "Points Possible" and not cells["ID"]:
            points = tuple((h, n) for h, c in cells.items() if (n := _number(c)) is not None)
        elif cells["ID"]:  # Canvas' "Muted" and "Manual Posting" rows have none
            members.append(
                Member(
                    learner_id=cells["ID"],
                    name=cells["Student"],
                    sis_user_id=cells.get("SIS User ID", ""),
                    sis_login_id=cells.get("SIS Login ID", ""),
                    section=cells.get("Section", ""),
                )
            )
    return Roster("canvas", tuple(members), points_possible=points)


def _number(cell: str) -> float | None:
    """A number as Canvas writes it, with a decimal point or comma ("12.5", "12,5"); None for any other text."""
    if re.fullmatch(r"\d+(?:[.,]\d+)?", cell):
        return float(cell.replace(",", "."))
    return None


def _moodle(header: list[str], rows: list[list[str]], columns: dict[str, str]) -> Roster | None:
    """A Moodle worksheet or participants download, its columns found by what they hold; None when it is neither."""
    found = {role: header.index(name) for role, name in columns.items() if name in header}
    body = [[c.strip() for c in row] + [""] * (len(header) - len(row)) for row in rows]
    identifier = _column(body, _PARTICIPANT)
    found.setdefault("email", _column(body, _EMAIL))
    if identifier is not None:
        found.setdefault("name", identifier + 1)
    lowered = [h.casefold() for h in header]
    for role, names in _HEADERS.items():
        found.setdefault(role, next((i for i, h in enumerate(lowered) if h in names), None))
    if found["email"] is None and identifier is None:
        return None
    members = []
    for row in body:

        def cell(role: str, row: list[str] = row) -> str:
            index = found.get(role)
            return row[index] if index is not None and index < len(row) else ""

        participant = _PARTICIPANT.fullmatch(row[identifier]) if identifier is not None else None
        name = cell("name") or f"{cell('first_name')} {cell('last_name')}".strip()
        members.append(
            Member(
                learner_id=participant.group(1) if participant else "",
                name=name,
                email=cell("email"),
                id_number=cell("id_number"),
            )
        )
    return Roster("moodle", tuple(members))


def _column(body: list[list[str]], pattern: re.Pattern[str]) -> int | None:
    """The first column whose every non-blank cell (at least one) fits `pattern`."""
    width = max((len(row) for row in body), default=0)
    for index in range(width):
        cells = [row[index] for row in body if index < len(row) and row[index]]
        if cells and all(pattern.fullmatch(c) for c in cells):
            return index
    return None
