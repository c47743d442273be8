"""Who handed in what: the learners of a class folder, each with one file per notebook of the series.

The class folder's layout is decided once, from its whole listing (`layouts`): one pattern reads its files, the
layout that fits most of them (Canvas' "Download Submissions", Canvas' anonymous one, Moodle's flat download),
and one reads its folders (Moodle's download in folders, nbgrader's exchange, or one folder per learner named by
the learner's id). Every name is read by that pattern alone; an entry it does not fit is nobody's and is listed
in `ClassFolder.unmatched`. The LMS's parts of a name give the learner's id, name and Canvas' `LATE` marker; the
learner's own file name after them never does.

nbgrader's exchange (`submitted/<learner_id>/<assignment>/`, given as the class folder or its parent) says when
each assignment was handed in, in `timestamp.txt` at the top of the assignment's folder; a file anywhere inside
that folder (a hand-in zip in `handed-in/` too) takes that time, and a `timestamp.txt` anywhere else is the
learner's and never read. A time that cannot be read is unknown, and the learner's status says so.

Each learner is read under one guard: whatever goes wrong while reading their files (a damaged zip, a file that
vanished, a bug) becomes their `input_status` (`refused` or `unreadable`) with the reason in `problems`, and the
next learner is read. Choosing each learner's files is `learner_files`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lab_utils.checks import series_stems
from lab_utils.course.handin_file import HandInRefused, is_handin
from lab_utils.course.layouts import (
    MOODLE_FLAT,
    MOODLE_FOLDERS,
    NBGRADER,
    BadTimestamp,
    decide_flat,
    decide_folders,
    nbgrader_timestamp,
    parse_name,
)
from lab_utils.course.learner_files import (
    REFUSED,
    UNREADABLE,
    Entry,
    Learner,
    Refusal,
    SubmittedFile,
    TimeOf,
    bounded,
    build_learner,
    digest,
    file_bytes,
    folder_entries,
    moodle_order,
    natural_key,
    stem_of,
)
from lab_utils.errors import LabError
from lab_utils.grading.files import RefusedFile, read_regular, refusal
from lab_utils.grading.notebook import NotANotebook

__all__ = ["REFUSED", "UNREADABLE", "ClassDirError", "ClassFolder", "Learner", "SubmittedFile", "digest"]
__all__ += ["discover", "file_bytes", "natural_key", "read_class", "stem_of"]

TIMESTAMP = "timestamp.txt"
MAX_TIMESTAMP_BYTES = 200


class ClassDirError(LabError):
    """The class folder cannot be read at all (missing, not a folder, no learner in it)."""


@dataclass
class ClassFolder:
    """A class folder read: its layouts (of files, of folders), its learners by id, the entries nobody's."""

    flat_layout: str
    folder_layout: str
    learners: list[Learner]
    unmatched: list[str] = field(default_factory=list)  # "<name>: why it is nobody's"


@dataclass
class _Unit:
    """What the listing gives one learner before their files are read."""

    entries: list[Entry] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    name: str = ""
    late: bool = False
    moodle: bool = False  # its folders are Moodle's: `(1)` clash names are its newer uploads


def discover(class_dir: Path, zone: str | None = None) -> list[Learner]:
    """Every learner of `class_dir`, sorted by id, with their files chosen and hashed, and the files refused."""
    return read_class(class_dir, zone).learners


def read_class(class_dir: Path, zone: str | None = None) -> ClassFolder:
    """The class folder `class_dir` read (see the module); `zone`: the IANA zone of nbgrader's exchange, for the
    abbreviations of its timestamps that name no single offset. ClassDirError when no learner is in it."""
    class_dir = Path(class_dir)
    if not class_dir.is_dir():
        raise ClassDirError(f"{class_dir}: no such folder (give the folder holding one folder per learner)")
    if (class_dir / "submitted").is_dir() and not (class_dir / "submitted").is_symlink():
        class_dir = class_dir / "submitted"  # nbgrader's exchange given by its parent
    try:
        listing = sorted((e for e in os.scandir(class_dir) if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError as e:
        raise ClassDirError(f"{class_dir}: cannot be read ({e.strerror})") from None
    folders = [e for e in listing if e.is_dir()]  # links to folders too: refused below, by their name
    files = [e for e in listing if not e.is_dir()]
    flat = decide_flat(e.name for e in files)
    # nbgrader's exchange only by its own name: a learner's folders must not make a class nbgrader's (its times)
    folder_layout = NBGRADER if class_dir.name == "submitted" else decide_folders(e.name for e in folders)
    units: dict[str, _Unit] = {}
    unmatched = _read_files(files, flat, units) + _read_folders(folders, folder_layout, units)
    if not units:
        raise ClassDirError(
            f"{class_dir}: no learner found (expected one folder per learner, or Canvas' "
            "name_userid_attachmentid_file.ipynb files, or Moodle's download)"
        )
    time_of = _exchange_times(class_dir, zone) if folder_layout == NBGRADER else None
    learners = [_guarded(learner_id, unit, class_dir, time_of) for learner_id, unit in units.items()]
    learners.sort(key=lambda learner: natural_key(learner.learner_id))
    return ClassFolder(flat, folder_layout, learners, bounded(unmatched, 50))


def _read_files(files: list[os.DirEntry], layout: str, units: dict[str, _Unit]) -> list[str]:
    """The class folder's files read by the flat `layout` into `units`; returns the names it does not fit."""
    unmatched = []
    for entry in files:
        lms = parse_name(layout, entry.name)
        if lms is None:
            unmatched.append(f"{entry.name}: not a {layout} download name, so nobody's file")
            continue
        unit = units.setdefault(lms.learner_id, _Unit())
        unit.name, unit.late = unit.name or lms.name, unit.late or lms.late
        path = Path(entry.path)
        if not (lms.file.endswith(".ipynb") or is_handin(Path(lms.file))):
            unit.refused.append((lms.file, f"{entry.name}: not a notebook or a hand-in file"))
        elif (why := refusal(path)) is not None:
            unit.refused.append((lms.file, f"{entry.name}: {why}"))
        else:
            order = moodle_order(lms.file) if layout == MOODLE_FLAT else (lms.order, 0)
            unit.entries.append(Entry(path, lms.file, order))
    return unmatched


def _read_folders(folders: list[os.DirEntry], layout: str, units: dict[str, _Unit]) -> list[str]:
    """The class folder's folders read by the folder `layout` into `units`; returns the names it does not fit."""
    unmatched = []
    for entry in folders:
        lms = parse_name(MOODLE_FOLDERS, entry.name) if layout == MOODLE_FOLDERS else None
        if layout == MOODLE_FOLDERS and lms is None:
            unmatched.append(f"{entry.name}/: not a Moodle download folder, so nobody's")
            continue
        unit = units.setdefault(lms.learner_id if lms else entry.name, _Unit())
        unit.name, unit.moodle = unit.name or (lms.name if lms else ""), lms is not None
        if entry.is_symlink():  # a learner's folder that is a link: refused as a whole
            why = f"{entry.name}: the folder is a symbolic link (only real folders are graded)"
            unit.refused += [(f"{stem}.ipynb", why) for stem in series_stems()]
        else:
            unit.folders.append(Path(entry.path))
    return unmatched


def _guarded(learner_id: str, unit: _Unit, class_dir: Path, time_of: TimeOf | None) -> Learner:
    """The learner read from `unit`; whatever stops the reading becomes their status (see the module)."""
    learner = Learner(learner_id, name=unit.name, late_marker=unit.late)
    try:
        entries, refused = list(unit.entries), list(unit.refused)
        for folder in unit.folders:
            found, odd, problems = folder_entries(folder, class_dir)
            entries += [Entry(e.path, e.name, moodle_order(e.name)) for e in found] if unit.moodle else found
            refused += odd
            learner.problems += problems
        return build_learner(learner, entries, refused, class_dir, time_of)
    except Exception as e:  # the one guard: any failure is this learner's status, never the class's
        kind = REFUSED if isinstance(e, RefusedFile | HandInRefused | NotANotebook) else UNREADABLE
        failed = Learner(learner_id, name=unit.name, late_marker=unit.late, input_status=kind)
        failed.problems = bounded([*learner.problems, f"{kind}: {type(e).__name__}: {e}"])
        failed.digest = digest(failed)
        return failed


def _exchange_times(class_dir: Path, zone: str | None) -> TimeOf:
    """For nbgrader's exchange `class_dir`: the time of a file, from its assignment folder's `timestamp.txt`."""
    cache: dict[Path, datetime | str] = {}

    def time_of(path: Path) -> datetime | str:
        parts = path.relative_to(class_dir).parts
        if len(parts) < 3:  # a file beside the assignments: no assignment, no time
            return "it is in no assignment folder"
        assignment = class_dir / parts[0] / parts[1]
        if assignment not in cache:
            cache[assignment] = _timestamp(assignment / TIMESTAMP, zone)
        return cache[assignment]

    return time_of


def _timestamp(path: Path, zone: str | None) -> datetime | str:
    """The time in nbgrader's `timestamp.txt` at `path`; why there is none when it is missing or not a time."""
    try:
        return nbgrader_timestamp(read_regular(path, MAX_TIMESTAMP_BYTES).decode("utf-8", "replace"), zone)
    except FileNotFoundError:
        return f"no {TIMESTAMP} in {path.parent.name}/"
    except (RefusedFile, OSError, BadTimestamp) as e:
        return f"{path.parent.name}/{TIMESTAMP}: {e}"
