"""The names an LMS gives to the files it downloads, read as pure functions (no file is opened here).

Each pattern is the LMS's own way of building the name, anchored at both ends, and read from its source:
- Canvas' "Download Submissions" (`lib/content_zipper.rb`, `get_filename` and `add_upload_submission`):
  `<sortable name>[_LATE]_<user id>_<attachment id>_<file name as submitted>`. The name is the sortable name with
  `_<digits>_` joined, lowercased and every non-word character removed (`smithjane`); `LATE` is Canvas' own
  marker (`late` in older downloads); the attachment id is Canvas' and grows with each upload. With anonymous
  grading the name is left out and the id is `anon_<anonymous id>` (`anon_Xk3pQ_5323902_01_softmax.ipynb`).
  The ids are the first `_<digits>_<digits>_` after the name, as Canvas' own re-upload reads them, so nothing in
  the learner's file name can change them.
- Moodle's "Download submissions" (`mod/assign/classes/downloader.php`): the prefix is the full name with `_`
  made a space and `clean_filename` applied, then `_<participant id>`; flat files are
  `<prefix>_assignsubmission_file_<file>`, folders `<prefix>_assignsubmission_file/` (since Moodle 4.1; Moodle
  3.x wrote `..._file_/`). A file uploaded twice under one name is renamed by `file_storage::get_unused_filename`
  (`01_softmax (1).ipynb`): the higher number is the newer upload.
- nbgrader's exchange: `submitted/<learner_id>/<assignment>/timestamp.txt`, written by `nbgrader submit` as
  `2026-12-01 22:10:00.123456 UTC` (`Exchange.timestamp_format`, `%Z` of `Exchange.timezone`: `CET`, `PST`...).

`decide_flat` and `decide_folders` choose, once per class folder, the one pattern that reads its files and the one
that reads its folders: the layout that fits the most names. A name is then read by that pattern only; a name it
does not fit is nobody's (listed as unmatched), never re-read by another layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CANVAS = "canvas"
CANVAS_ANONYMOUS = "canvas anonymous"
MOODLE_FLAT = "moodle flat"
MOODLE_FOLDERS = "moodle folders"
NBGRADER = "nbgrader"
PLAIN = "plain"  # one folder per learner, named by the learner's id
FLAT_LAYOUTS = (CANVAS_ANONYMOUS, CANVAS, MOODLE_FLAT)  # on a tie, the first: an anonymous name fits both
FOLDER_LAYOUTS = (MOODLE_FOLDERS, NBGRADER, PLAIN)

_PATTERNS = {
    CANVAS: re.compile(r"(?P<name>\w*?)(?:_(?P<late>LATE|late))?_(?P<user>\d+)_(?P<order>\d+)_(?P<file>.+)"),
    CANVAS_ANONYMOUS: re.compile(r"(?:(?P<late>LATE)_)?(?P<user>anon_[A-Za-z0-9]+)_(?P<order>\d+)_(?P<file>.+)"),
    MOODLE_FLAT: re.compile(r"(?P<name>[^_/]*)_(?P<user>\d+)_assignsubmission_(?:file|onlinetext)_(?P<file>.+)"),
    MOODLE_FOLDERS: re.compile(r"(?P<name>[^_/]*)_(?P<user>\d+)_assignsubmission_(?:file|onlinetext)_?"),
}
_CLASH = re.compile(r" \((\d+)\)")  # Moodle's get_unused_filename
_NBGRADER_TIME = re.compile(
    r"\s*(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,6})?)\s*(?:(?P<abbr>[A-Za-z]{1,5})|(?P<offset>[+-]\d\d:?\d\d))?\s*"
)
# Zone abbreviations that name one offset wherever they are used; others (IST, CST, ...) need the course's zone.
_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3,
    "SAST": 2, "JST": 9, "KST": 9, "AWST": 8, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12,
    "NZDT": 13, "HST": -10, "AKST": -9, "AKDT": -8, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "EST": -5, "EDT": -4,
}  # fmt: skip


@dataclass(frozen=True)
class LmsName:
    """What an LMS's file or folder name says: the learner's id and name, the late marker, the file's own name, and
    the LMS's order of uploads (Canvas' attachment id; 0 where the name has none)."""

    learner_id: str
    name: str
    late: bool
    file: str
    order: int = 0


def parse_name(layout: str, name: str) -> LmsName | None:
    """`name` read by `layout`'s pattern alone (one of FLAT_LAYOUTS or MOODLE_FOLDERS), None when it does not fit."""
    match = _PATTERNS[layout].fullmatch(name)
    if match is None:
        return None
    parts = match.groupdict()
    return LmsName(
        parts["user"],
        parts.get("name") or "",
        bool(parts.get("late")),
        parts.get("file") or "",
        int(parts.get("order") or 0),
    )


def decide_flat(names: Iterable[str]) -> str:
    """The flat layout that reads the most of `names` (the class folder's files), the first of FLAT_LAYOUTS on a tie."""
    names = list(names)
    return max(FLAT_LAYOUTS, key=lambda layout: sum(parse_name(layout, n) is not None for n in names))


def decide_folders(names: Iterable[str]) -> str:
    """The folder layout for the class folder's folders `names`: Moodle's when most are named as Moodle names
    them, else one folder per learner (nbgrader's exchange is known by its `submitted` folder, not by names)."""
    names = list(names)
    moodle = sum(parse_name(MOODLE_FOLDERS, n) is not None for n in names)
    return MOODLE_FOLDERS if moodle and moodle >= len(names) - moodle else PLAIN


def clash_number(stem: str, name: str) -> int:
    """Moodle's number of a file uploaded again under one name: `01_softmax (2).ipynb` is 2; any other name 0."""
    match = _CLASH.fullmatch(name.removesuffix(".ipynb").removeprefix(stem))
    return int(match.group(1)) if match else 0


def moodle_name(full_name: str) -> str:
    """A full name as Moodle's download writes it: `_` made a space, then `clean_filename` (PARAM_FILE), which
    drops control characters and & < > " ` | ' : \\ / (so "Ana O'Neil" is "Ana ONeil")."""
    return re.sub(r"[\x00-\x1f\x7f&<>\"`|':\\/]", "", full_name.replace("_", " "))


def canvas_name(sortable_name: str) -> str:
    """A sortable name ("Smith, Jane") as Canvas' download writes it: "smithjane" (see the module)."""
    return re.sub(r"[^\w]", "", re.sub(r"_(\d+)_", r"\1", sortable_name).lower())


class BadTimestamp(ValueError):
    """nbgrader's timestamp.txt does not hold a time this reader can place on the clock; the message says why."""


def nbgrader_timestamp(text: str, zone: str | None = None) -> datetime:
    """The time in nbgrader's `timestamp.txt`: UTC unless it says otherwise, with an offset (`+0100`) or a zone
    abbreviation (`CET`, `PST`); an abbreviation that names several offsets (`IST`) is read in `zone` (an IANA
    name, the exchange's `Exchange.timezone`) when the zone uses it. BadTimestamp when it is not such a time."""
    match = _NBGRADER_TIME.fullmatch(text)
    if match is None:
        raise BadTimestamp(f"not a time: {text.strip()[:40]!r}")
    try:
        moment = datetime.fromisoformat(match.group(1).replace(" ", "T"))
    except ValueError as e:
        raise BadTimestamp(f"not a time: {match.group(1)!r} ({e})") from None
    if offset := match["offset"]:
        return moment.replace(tzinfo=datetime.strptime(offset.replace(":", ""), "%z").tzinfo)
    abbr = (match["abbr"] or "UTC").upper()
    if zone is not None and (zoned := _in_zone(moment, abbr, zone)) is not None:
        return zoned
    if abbr in _ABBREVIATIONS:
        return moment.replace(tzinfo=timezone(timedelta(hours=_ABBREVIATIONS[abbr])))
    raise BadTimestamp(f"zone {abbr!r} names no single offset: give the exchange's zone in the course file")


def _in_zone(moment: datetime, abbr: str, zone: str) -> datetime | None:
    """`moment` in the IANA zone `zone`, if the zone calls that moment `abbr`; None otherwise."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadTimestamp(f"the course file's zone {zone!r} is not a time zone") from None
    for fold in (0, 1):
        zoned = moment.replace(tzinfo=tz, fold=fold)
        if zoned.tzname() == abbr:
            return zoned
    return None
