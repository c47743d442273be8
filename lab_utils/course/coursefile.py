"""The course file (`--course course.toml`): one assignment of one course, its due date, late policy, extensions
and overrides, read and checked here.

Every problem is refused with one line naming the key, e.g. `course.toml: [late] percent_per_day: must be a number
from 0 to 100, got "ten"`. Unknown keys are refused too, so that a misspelt key never silently does nothing.
Paths in the file (`roster`, `submission_times`) are relative to the course file's folder. `roster_key` names the
roster's column the class folder's ids are matched on (found automatically when absent, `Roster.keyed`); `zone` is
the IANA time zone of nbgrader's exchange, for the zone abbreviations of its `timestamp.txt`. The scoring itself
(scaling, late penalty, overrides) is `lab_utils.course.scoring`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the backport, same API
    import tomli as tomllib  # type: ignore[no-redef]

from lab_utils.checks import EXERCISES
from lab_utils.course.roster import KEYS
from lab_utils.errors import LabError

# What an export writes for a learner with no submission: 0; an empty cell (which *clears* a grade already in the
# LMS, in Canvas and in Moodle alike); or no row at all, so that the LMS keeps what it has.
MISSING_CHOICES = ("zero", "blank", "keep")
EXPORTS = ("canvas", "moodle")
# Canvas' gradebook importer drops every column whose title contains one of these (lib/gradebook_importer.rb,
# NON_ASSIGNMENT_COLUMN_HEADERS, matched anywhere in the title): an assignment so named would be skipped silently.
CANVAS_SKIPPED_TITLES = (
    "Current Score",
    "Current Points",
    "Current Grade",
    "Final Score",
    "Final Points",
    "Final Grade",
    "Override Score",
    "Override Grade",
    "Override Status",
)
CANVAS_RESERVED_TITLES = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Integration ID", "Root Account")
MOODLE_IDENTIFIERS = {"email": "Email address", "idnumber": "ID number"}


class CourseFileError(LabError):
    """The course file cannot be used: one line naming the file, the key and the problem."""


@dataclass(frozen=True)
class LatePolicy:
    """Percent off per started day late; 0 after `max_days`; a flat percent when the time is unknown."""

    percent_per_day: float = 0.0
    max_days: float | None = None
    percent_if_unknown: float = 0.0


@dataclass(frozen=True)
class Override:
    """An instructor's change: `points` for one `exercise` (lab points), or without one the final LMS score."""

    learner_id: str
    points: float
    reason: str
    exercise: str | None = None


@dataclass(frozen=True)
class Course:
    """One assignment of a course, as the course file states it."""

    name: str
    points: float
    due: datetime | None = None
    canvas_id: int | None = None
    late: LatePolicy = LatePolicy()
    extensions: dict[str, datetime] = field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    roster: Path | None = None
    roster_key: str | None = None  # one of roster.KEYS; None: the column that holds the class folder's ids
    zone: str | None = None  # IANA zone of nbgrader's exchange (`Exchange.timezone`); None: abbreviations only
    missing: str = "zero"
    submission_times: Path | None = None
    moodle_identifier: str = "email"
    exports: tuple[str, ...] = ()  # exports asked for whatever the roster; () writes those the roster allows

    def due_for(self, learner_id: str) -> datetime | None:
        """The learner's due date: their extension if they have one, else the assignment's."""
        return self.extensions.get(learner_id, self.due)

    @property
    def canvas_column(self) -> str:
        """The assignment's column in Canvas' import: "MNIST lab (12345)", or the bare name for a new assignment."""
        return f"{self.name} ({self.canvas_id})" if self.canvas_id is not None else self.name


_TOP_KEYS = {
    "roster",
    "roster_key",
    "zone",
    "missing",
    "submission_times",
    "assignment",
    "late",
    "extensions",
    "override",
    "moodle",
    "exports",
}
_ASSIGNMENT_KEYS = {"name", "canvas_id", "points", "due"}
_LATE_KEYS = {"percent_per_day", "max_days", "percent_if_unknown"}
_OVERRIDE_KEYS = {"learner_id", "exercise", "points", "reason"}
_MOODLE_KEYS = {"identifier"}


class _Reader:
    """Reads one table of the course file; every error names the file and the key."""

    def __init__(self, file: Path, table: dict[str, Any], where: str, allowed: set[str]) -> None:
        self.file, self.table, self.where = file, table, where
        if unknown := sorted(set(table) - allowed):
            self.fail(unknown[0], f"unknown key (known here: {', '.join(sorted(allowed))})")

    def fail(self, key: str, problem: str) -> None:
        raise CourseFileError(f"{self.file.name}: {self.where}{key}: {problem}")

    def string(self, key: str, required: bool = False) -> str | None:
        value = self.table.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty text in quotes, got {value!r}")
        return value.strip()

    def number(self, key: str, low: float, high: float | None = None, required: bool = False) -> float | None:
        value = self.table.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low or (high and value > high):
            bound = f"from {low:g} to {high:g}" if high else f"of at least {low:g}"
            self.fail(key, f"must be a number {bound}, got {value!r}")
        return float(value)

    def moment(self, key: str, value: Any) -> datetime:
        if not isinstance(value, datetime):
            self.fail(key, f"must be a date and time like 2026-12-01T23:59:00+01:00 (no quotes), got {value!r}")
        if value.tzinfo is None:
            self.fail(key, f"needs its time zone, e.g. {value.isoformat()}+01:00")
        return value


def load_course(path: Path) -> Course:
    """The course file at `path`, checked; raises `CourseFileError` (one line) when it cannot be used."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise CourseFileError(f"{path}: cannot read the course file ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise CourseFileError(f"{path.name}: not a text file (save it as UTF-8)") from None
    except tomllib.TOMLDecodeError as e:
        raise CourseFileError(f"{path.name}: not valid TOML: {e}") from None
    top = _Reader(path, data, "", _TOP_KEYS)
    if not isinstance(data.get("assignment"), dict):
        top.fail("[assignment]", "is required (with name, points and due)")
    assignment = _Reader(path, data["assignment"], "[assignment] ", _ASSIGNMENT_KEYS)
    name = assignment.string("name", required=True)
    _check_canvas_title(assignment, name)
    canvas_id = data["assignment"].get("canvas_id")
    if canvas_id is not None and (isinstance(canvas_id, bool) or not isinstance(canvas_id, int) or canvas_id < 1):
        assignment.fail("canvas_id", f"must be Canvas' assignment number (a whole number), got {canvas_id!r}")
    due = data["assignment"].get("due")
    missing = top.string("missing") or "zero"
    if missing not in MISSING_CHOICES:
        top.fail("missing", f'must be "zero", "blank" or "keep", got {missing!r}')
    return Course(
        name=name,
        points=assignment.number("points", 0.01, required=True),
        due=None if due is None else assignment.moment("due", due),
        canvas_id=canvas_id,
        late=_late(path, data.get("late", {})),
        extensions=_extensions(path, data.get("extensions", {})),
        overrides=tuple(_overrides(path, data.get("override", []))),
        roster=_relative(path, top.string("roster")),
        roster_key=_roster_key(top),
        zone=_zone(top),
        missing=missing,
        submission_times=_relative(path, top.string("submission_times")),
        moodle_identifier=_moodle_identifier(path, data.get("moodle", {})),
        exports=_exports(top, data.get("exports", [])),
    )


def _exports(reader: _Reader, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v in EXPORTS for v in value):
        reader.fail("exports", f'must be a list of "canvas" and "moodle", got {value!r}')
    return tuple(dict.fromkeys(value))


def _roster_key(reader: _Reader) -> str | None:
    key = reader.string("roster_key")
    if key is not None and key not in KEYS:
        reader.fail("roster_key", f"must be one of {', '.join(repr(k) for k in KEYS)}, got {key!r}")
    if key is not None and reader.string("roster") is None:
        reader.fail("roster_key", "names a column of the roster, but no roster is given (roster = ...)")
    return key


def _zone(reader: _Reader) -> str | None:
    zone = reader.string("zone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, such as "Europe"
            reader.fail("zone", f'must be an IANA time zone such as "Europe/Berlin", got {zone!r}')
    return zone


def _check_canvas_title(reader: _Reader, name: str) -> None:
    if skipped := next((t for t in CANVAS_SKIPPED_TITLES if t in name), None):
        reader.fail("name", f"Canvas' import silently skips a column whose name contains {skipped!r}: rename it")
    if name in CANVAS_RESERVED_TITLES:
        reader.fail("name", f"{name!r} is one of Canvas' own column names: rename it")


def _relative(course_file: Path, value: str | None) -> Path | None:
    return None if value is None else course_file.parent / value


def _table(course_file: Path, value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CourseFileError(f"{course_file.name}: {key}: must be a table ([{key}] with its keys below it)")
    return value


def _late(course_file: Path, value: Any) -> LatePolicy:
    reader = _Reader(course_file, _table(course_file, value, "late"), "[late] ", _LATE_KEYS)
    return LatePolicy(
        percent_per_day=reader.number("percent_per_day", 0, 100) or 0.0,
        max_days=reader.number("max_days", 0),
        percent_if_unknown=reader.number("percent_if_unknown", 0, 100) or 0.0,
    )


def _extensions(course_file: Path, value: Any) -> dict[str, datetime]:
    reader = _Reader(course_file, _table(course_file, value, "extensions"), "[extensions] ", set(value))
    return {str(learner_id): reader.moment(f'"{learner_id}"', due) for learner_id, due in value.items()}


def _overrides(course_file: Path, value: Any) -> list[Override]:
    if not isinstance(value, list):
        raise CourseFileError(f"{course_file.name}: override: write each one as [[override]]")
    functions = {ex.function: ex.points for ex in EXERCISES}
    overrides = []
    for number, table in enumerate(value, start=1):
        reader = _Reader(course_file, table, f"[[override]] number {number}: ", _OVERRIDE_KEYS)
        learner_id = table.get("learner_id")
        if isinstance(learner_id, int) and not isinstance(learner_id, bool):
            learner_id = str(learner_id)
        reader.table = {**table, "learner_id": learner_id}
        exercise = reader.string("exercise")
        if exercise is not None and exercise not in functions:
            reader.fail("exercise", f"no exercise {exercise!r} (the exercises: {', '.join(functions)})")
        high = functions[exercise] if exercise else None
        overrides.append(
            Override(
                learner_id=reader.string("learner_id", required=True),
                points=reader.number("points", 0, high, required=True),
                reason=reader.string("reason", required=True),
                exercise=exercise,
            )
        )
    return overrides


def _moodle_identifier(course_file: Path, value: Any) -> str:
    reader = _Reader(course_file, _table(course_file, value, "moodle"), "[moodle] ", _MOODLE_KEYS)
    identifier = reader.string("identifier") or "email"
    if identifier not in MOODLE_IDENTIFIERS:
        reader.fail("identifier", f'must be "email" or "idnumber", got {identifier!r}')
    return identifier


_TIME_HEADER = ("learner_id", "submitted_at")


def read_submission_times(path: Path) -> dict[str, datetime]:
    """The instructor's CSV of submission times: a header `learner_id,submitted_at`, then ISO times with their zone."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as e:
        raise CourseFileError(f"{path}: cannot read the submission times ({e})") from None
    if not rows or tuple(c.strip().lower() for c in rows[0][:2]) != _TIME_HEADER:
        raise CourseFileError(f"{path}: the first line must be the header learner_id,submitted_at")
    times = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            at = datetime.fromisoformat(re.sub(r"Z$", "+00:00", row[1].strip()))
        except (IndexError, ValueError):
            at = None
        if at is None or at.tzinfo is None:
            raise CourseFileError(f"{path}: line {line}: submitted_at must be like 2026-12-01T22:10:00+01:00")
        times[row[0].strip()] = at
    return times
