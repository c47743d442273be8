"""The names an LMS gives to the files it downloads, read as pure functions (no file is opened here).

- Canvas' "Download Submissions": `<name>[_late]_<user id>_<submission id>_<file name as submitted>`, with `-1`,
  `-2` added to a re-submitted file's name (`smithjane_late_4021_98113_01_softmax-1.ipynb`).
- Moodle's "Download submissions", flat or in folders: `<full name>_<participant id>_assignsubmission_file_<file>`
  (`Jane Smith_123456_assignsubmission_file_01_softmax.ipynb`), the folder being `..._assignsubmission_file_`.
- nbgrader's exchange: `submitted/<learner_id>/<assignment>/timestamp.txt`, written by `nbgrader submit` as
  `2026-12-01 22:10:00.123456 UTC` (nbgrader.utils.get_timestamp / parse_utc).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

CANVAS_NAME = re.compile(r"^(?P<name>.+?)(?P<late>_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$", re.I)
MOODLE_NAME = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_(?:file|onlinetext)_(?P<file>.*)$")
_ATTEMPT = re.compile(r"-(\d+)$")
_NBGRADER_TIME = re.compile(r"^\s*(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?)\s*(UTC|Z|[+-]\d\d:?\d\d)?\s*$")


@dataclass(frozen=True)
class LmsName:
    """What an LMS's file or folder name says: the learner's id and name, the late marker, the file's own name."""

    learner_id: str
    name: str
    late: bool
    file: str


def parse_lms_name(name: str) -> LmsName | None:
    """The Moodle or Canvas reading of a downloaded file or folder name; None when it is neither."""
    if match := MOODLE_NAME.match(name):
        return LmsName(match["user"], match["name"], False, match["file"])
    if match := CANVAS_NAME.match(name):
        return LmsName(match["user"], match["name"], bool(match["late"]), match["file"])
    return None


def attempt(stem: str, name: str) -> int:
    """Canvas' attempt number of a re-submitted file: `01_softmax-2.ipynb` is 2; the plain name, or any other, 0."""
    rest = name.removesuffix(".ipynb").removeprefix(stem)
    match = _ATTEMPT.fullmatch(rest) if rest else None
    return int(match.group(1)) if match else 0


def nbgrader_timestamp(text: str) -> datetime | None:
    """The time in nbgrader's `timestamp.txt` (UTC unless it says otherwise); None when it is not one."""
    match = _NBGRADER_TIME.match(text)
    if match is None:
        return None
    moment = datetime.fromisoformat(match.group(1).replace(" ", "T"))
    zone = match.group(2)
    if zone in (None, "UTC", "Z"):
        return moment.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(f"{moment.isoformat()}{zone[:3]}:{zone[-2:]}")
