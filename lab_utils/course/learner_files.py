"""One learner's files, from the entries of the class folder that are theirs to the file chosen for each notebook.

A file belongs to the notebook of the series whose stem starts its name (`01_softmax-Copy1` -> `01_softmax`);
a file named otherwise belongs to the notebook whose graded functions it defines most (read, never run).
`06_going_further` is the series' ungraded notebook: listed, not graded. When a learner has several files for one
notebook, the LMS's newest upload wins (Canvas' attachment id, Moodle's `(1)` clash number), then the exact name,
then the newest file; the others are listed as not graded. Nothing the learner names decides whose file it is,
which is newer than another learner's, or when it was handed in. Every file's bytes are hashed (`Learner.digest`)
so that an unchanged learner is not graded twice.

Only regular files and real folders are read, never through a link (`lstat`, and `grading.files.read_regular`):
a learner's notebook or folder that is a symbolic link, a FIFO, a socket or a device is refused, with the reason
in `Learner.refused`. A hand-in file (`mnist-lab-<learner>-<time>.zip`, from `handin()`) counts wherever a
notebook does: its notebooks are read in memory by `handin_file`, and what is wrong with it goes to
`Learner.problems`. One learner's reading is bounded: `MAX_FILES` files looked at, `MAX_READS` notebooks opened
to find their notebook, `handin_file.Allowance` for the zips, and every list shown cut to a few lines.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lab_utils.checks import EXERCISES, UNGRADED_STEMS, series_stems
from lab_utils.course.handin_file import Allowance, HandInRefused, is_handin, read_handin
from lab_utils.course.layouts import clash_number
from lab_utils.grading.files import RefusedFile, read_regular, refusal
from lab_utils.grading.notebook import MAX_NOTEBOOK_BYTES, read_code_cells
from lab_utils.grading.text import one_line

MAX_FILES = 200  # notebooks and hand-in files looked at in one learner's folder
MAX_READS = 32  # notebooks with another name opened to find which notebook of the series they are
MAX_LINES = 10  # lines of one list shown (problems, files not graded, unmatched)
LINE_CHARS = 300
REFUSED = "refused"  # Learner.input_status: what the learner handed in cannot be trusted
UNREADABLE = "unreadable"  # Learner.input_status: it could not be read at all
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)\s*\(", re.MULTILINE)


@dataclass(frozen=True)
class SubmittedFile:
    """One learner notebook: where it is (`relpath`, relative to the class folder) and its name as handed in."""

    path: Path
    relpath: str
    name: str
    data: bytes | None = None  # a notebook of a hand-in file, read from it in memory


@dataclass
class Learner:
    """One learner: their id, the file chosen for each notebook stem, and the files not graded."""

    learner_id: str
    files: dict[str, SubmittedFile] = field(default_factory=dict)
    not_graded: dict[str, list[str]] = field(default_factory=dict)  # stem -> "<file>: why it was not graded"
    unmatched: list[str] = field(default_factory=list)  # files that belong to no notebook of the series
    refused: dict[str, str] = field(default_factory=dict)  # stem -> "<relpath>: <why>", for stems with no file
    problems: list[str] = field(default_factory=list)  # a hand-in file refused, a time unknown, ...
    ungraded: list[str] = field(default_factory=list)  # files of the series' ungraded notebook (06_going_further)
    digest: str = ""
    name: str = ""  # as the LMS's file names give it; "" for a folder named by id
    late_marker: bool = False  # Canvas' `LATE` in a file name
    submitted_at: datetime | None = None  # nbgrader's timestamp.txt, the newest of the learner's assignments
    input_status: str = ""  # "" when read; REFUSED or UNREADABLE when reading stopped, the reason in `problems`


@dataclass(frozen=True)
class Entry:
    """One file the learner handed in: where it is, its name as handed in, and the LMS's order of uploads."""

    path: Path
    name: str
    order: tuple[int, int] = (0, 0)  # (Canvas' attachment id, Moodle's clash number): higher is newer


Refusal = tuple[str, str]  # (name as handed in, "<relpath>: <why>")
TimeOf = Callable[[Path], "datetime | str"]  # the hand-in time of a file, or why it is unknown


def bounded(lines: list[str], limit: int = MAX_LINES) -> list[str]:
    """`lines`, each cut to LINE_CHARS characters, and at most `limit` of them, then "… (N more)"."""
    shown = [one_line(line, LINE_CHARS) for line in lines[:limit]]
    return shown + [f"… ({len(lines) - limit} more)"] if len(lines) > limit else shown


def natural_key(learner_id: str) -> list[str | int]:
    """Sort key that puts "s2" before "s10" and 999 before 1000 (ids as an instructor reads them)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", learner_id)]


def stem_by_name(name: str) -> str | None:
    """The series stem that starts the file name `name` ("01_softmax-Copy1.ipynb" -> "01_softmax"), or None."""
    base = name.removesuffix(".ipynb")
    by_name = [s for s in series_stems() if base.startswith(s)]
    return max(by_name, key=len) if by_name else None


def stem_of(path: Path, name: str | None = None) -> str | None:
    """The series stem the notebook `name` (default: the file's name) belongs to, None if it belongs to none."""
    if (stem := stem_by_name(name or path.name)) is not None:
        return stem
    stems = series_stems()
    defined = _defined_functions(path)
    counts = {s: sum(ex.function in defined for ex in EXERCISES if ex.notebook == s) for s in stems}
    best = max(stems, key=lambda s: counts[s])
    return best if counts[best] else None


def _defined_functions(path: Path) -> set[str]:
    """Functions defined with `def` in the code cells of the notebook at `path`; empty if it is not one."""
    try:
        code = read_code_cells(path)
    except ValueError:
        return set()
    return set(_DEF.findall("\n".join(source for _, _, source in code)))


def folder_entries(folder: Path, class_dir: Path) -> tuple[list[Entry], list[Refusal], list[str]]:
    """The notebooks and hand-in files in a learner's folder and its sub-folders (hidden ones skipped, links never
    followed), the refused entries (not regular files, sub-folders that are links), and problems (too many)."""
    entries, refused, problems = [], [], []
    for top, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # .ipynb_checkpoints and the like
        for d in list(dirs):
            if os.path.islink(os.path.join(top, d)):
                dirs.remove(d)
                relpath = Path(top, d).relative_to(class_dir).as_posix()
                refused.append((d, f"{relpath}: a symbolic link (only real folders are graded)"))
        for name in sorted(n for n in names if (n.endswith(".ipynb") or is_handin(Path(n))) and not n.startswith(".")):
            if len(entries) + len(refused) >= MAX_FILES:
                problems.append(
                    f"{folder.relative_to(class_dir).as_posix()}: more than {MAX_FILES} files, the rest not read"
                )
                return entries, refused, problems
            path = Path(top, name)
            why = refusal(path)
            if why is None:
                entries.append(Entry(path, name))
            else:
                refused.append((name, f"{path.relative_to(class_dir).as_posix()}: {why}"))
    return entries, refused, problems


def build_learner(
    learner: Learner, entries: list[Entry], refused: list[Refusal], class_dir: Path, time_of: TimeOf | None
) -> Learner:
    """`learner` with their files chosen among `entries`, the refusals placed, the hand-in time (`time_of` each
    chosen file's, for nbgrader's exchange) and the digest."""
    candidates: dict[str, list[Entry]] = {}
    members: dict[tuple[Path, str], bytes] = {}  # (hand-in file, notebook in it) -> its bytes
    allowance, reads = Allowance(), 0
    for entry in entries:
        relative = entry.path.relative_to(class_dir).as_posix()
        if is_handin(entry.path):
            for member, data in _handin(learner, entry.path, relative, allowance).items():
                members[(entry.path, member)] = data
                candidates.setdefault(member.removesuffix(".ipynb"), []).append(Entry(entry.path, member, entry.order))
        elif entry.name.startswith(UNGRADED_STEMS):
            learner.ungraded.append(relative)
        else:
            stem = stem_by_name(entry.name)
            if stem is None and reads >= MAX_READS:
                learner.unmatched.append(f"{relative} (not read: {MAX_READS} notebooks with other names were)")
                continue
            if stem is None:
                reads += 1
                stem = stem_of(entry.path, entry.name)
            if stem is None:
                learner.unmatched.append(relative)
            else:
                candidates.setdefault(stem, []).append(entry)
    for stem, found in candidates.items():
        _choose(learner, stem, found, members, class_dir)
    for name, why in refused:
        stem = stem_by_name(name)
        if stem is None:
            learner.unmatched.append(f"{why} (refused)")
        elif stem in learner.files:
            learner.not_graded.setdefault(stem, []).append(f"{why} (refused)")
        else:
            learner.refused.setdefault(stem, why)
    if time_of is not None:
        learner.submitted_at = _handin_time(learner, time_of)
    learner.problems = bounded(learner.problems)
    learner.unmatched = bounded(learner.unmatched)
    learner.not_graded = {stem: bounded(whys) for stem, whys in learner.not_graded.items()}
    learner.digest = digest(learner)
    return learner


def _choose(
    learner: Learner, stem: str, found: list[Entry], members: dict[tuple[Path, str], bytes], class_dir: Path
) -> None:
    """The file graded for `stem` among `found`: the LMS's newest upload, the exact name, the newest file, then by
    name (never the listing order); the others listed as not graded."""
    mtimes = {entry.path: entry.path.lstat().st_mtime for entry in found}
    found.sort(key=lambda e: (tuple(-n for n in e.order), e.name != f"{stem}.ipynb", -mtimes[e.path], e.name))
    chosen, others = found[0], found[1:]
    relpath = _relpath(chosen, members, class_dir)
    learner.files[stem] = SubmittedFile(chosen.path, relpath, chosen.name, members.get((chosen.path, chosen.name)))
    if others:
        learner.not_graded[stem] = [
            f"{_relpath(e, members, class_dir)}: "
            + ("earlier attempt, not graded" if e.order < chosen.order else "another copy, not graded")
            for e in others
        ]


def moodle_order(name: str, stem: str | None = None) -> tuple[int, int]:
    """The order of a Moodle upload named `name`: its clash number ("01_softmax (2).ipynb" is 2)."""
    stem = stem or stem_by_name(name)
    return (0, clash_number(stem, name)) if stem else (0, 0)


def _handin_time(learner: Learner, time_of: TimeOf) -> datetime | None:
    """The newest hand-in time of the learner's chosen files; None, said in `problems`, when one is unknown."""
    times = {file.relpath: time_of(file.path) for file in sorted(learner.files.values(), key=lambda f: f.relpath)}
    unknown = [f"hand-in time unknown for {path}: {why}" for path, why in times.items() if isinstance(why, str)]
    if unknown:
        learner.problems += unknown
        return None
    return max((moment for moment in times.values() if isinstance(moment, datetime)), default=None)


def _relpath(entry: Entry, members: dict[tuple[Path, str], bytes], class_dir: Path) -> str:
    """A file's path relative to the class folder; a hand-in file's notebook as "<zip>/<notebook>"."""
    relative = entry.path.relative_to(class_dir).as_posix()
    return f"{relative}/{entry.name}" if (entry.path, entry.name) in members else relative


def _handin(learner: Learner, path: Path, relative: str, allowance: Allowance) -> dict[str, bytes]:
    """The notebooks of the hand-in file at `path`; what is wrong with it goes to `learner.problems`."""
    try:
        handin = read_handin(path, series_stems(), allowance)
    except HandInRefused as e:
        learner.problems.append(f"hand-in file {relative} refused: it {e}")
        return {}
    learner.problems += [f"hand-in file {relative}: {problem}" for problem in handin.problems]
    return handin.notebooks


def file_bytes(submitted: SubmittedFile) -> bytes:
    """The bytes of a chosen file, read safely (see the module); RefusedFile when it is not fit to read, OSError
    when it cannot be read at all (then the learner's grading fails, and is tried again next run)."""
    if submitted.data is not None:  # from a hand-in file, read and checked by handin_file
        return submitted.data
    return read_regular(submitted.path, MAX_NOTEBOOK_BYTES)


def digest(learner: Learner) -> str:
    """SHA-256 of what decides a learner's grade: the registry, the bytes of each chosen file, the refusals."""
    h = hashlib.sha256()
    registry = [(ex.function, ex.points, ex.notebook) for ex in EXERCISES]
    h.update(json.dumps([registry, learner.refused, learner.problems]).encode())
    for stem in sorted(learner.files):
        h.update(f"\0{stem}\0".encode())
        try:
            h.update(hashlib.sha256(file_bytes(learner.files[stem])).digest())
        except (RefusedFile, OSError) as e:  # refused or failed again when the worker reads it
            h.update(str(e).encode())
    return h.hexdigest()
