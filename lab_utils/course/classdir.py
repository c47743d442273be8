"""Who handed in what: the learners of a class folder, each with one file per notebook of the series.

These layouts are read, and may be mixed (the LMS's names are read by `layouts`):
- one folder per learner, named by the learner's id, holding any subset of the notebooks, possibly under
  JupyterLab's copy names (`01_softmax-Copy1.ipynb`) or in sub-folders;
- the flat folder of Canvas' "Download Submissions" zip (`smithjane_late_4021_98113_01_softmax-1.ipynb`): files
  are grouped by Canvas user id, which becomes the learner's id, with the name and the `_late` marker kept;
- Moodle's "Download submissions", flat or one folder per learner (`Jane Smith_123456_assignsubmission_file_...`):
  the participant id becomes the learner's id;
- nbgrader's exchange (`submitted/<learner_id>/<assignment>/`, given as the class folder or its parent), whose
  `timestamp.txt` says when the learner handed in.

A file belongs to the notebook of the series whose stem starts its name (`01_softmax-Copy1` -> `01_softmax`);
a file named otherwise belongs to the notebook whose graded functions it defines most (read, never run).
`06_going_further` is the series' ungraded notebook: listed, not graded. When a learner has several files for one
notebook, the newest attempt wins (Canvas numbers re-submissions `-1`, `-2`, ...), then the exact name, then the
newest file; the others are listed as not graded. Every file's bytes are hashed (`Learner.digest`) so that an
unchanged learner is not graded twice. Nothing here runs learner code, and nothing the learner controls (a
notebook's metadata, a file's time) decides when they handed in.

Only regular files and real folders are read, never through a link (`lstat`, and `grading.files.read_regular`):
a learner's notebook or folder that is a symbolic link (to `solutions/`, to a classmate's work, to a host file), a
FIFO, a socket or a device is refused, with the reason in `Learner.refused`, and never stops another learner.

A hand-in file (`mnist-lab-<learner>-<time>.zip`, from `handin()`) counts wherever a notebook does: its notebooks
are read in memory by `handin_file`, and what is wrong with it goes to `Learner.problems`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lab_utils.checks import EXERCISES, series_stems
from lab_utils.course.handin_file import HandInRefused, is_handin, read_handin
from lab_utils.course.layouts import attempt, nbgrader_timestamp, parse_lms_name
from lab_utils.errors import LabError
from lab_utils.grading.files import RefusedFile, read_regular, refusal
from lab_utils.grading.notebook import MAX_NOTEBOOK_BYTES, read_code_cells

UNGRADED_STEMS = ("06_going_further",)  # notebooks of the series with no graded exercise
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)\s*\(", re.MULTILINE)


class ClassDirError(LabError):
    """The class folder cannot be read at all (missing, not a folder, no learner in it)."""


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
    problems: list[str] = field(default_factory=list)  # a hand-in file refused, or not matching its manifest
    ungraded: list[str] = field(default_factory=list)  # files of the series' ungraded notebook (06_going_further)
    digest: str = ""
    name: str = ""  # as the LMS's file names give it; "" for a folder named by id
    late_marker: bool = False  # Canvas' `_late` in a file name
    submitted_at: datetime | None = None  # nbgrader's timestamp.txt, the newest of the learner's


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


Found = tuple[Path, str]  # a learner's file and its name as handed in


def discover(class_dir: Path) -> list[Learner]:
    """Every learner of `class_dir`, sorted by id, with their files chosen and hashed, and the files refused."""
    class_dir = Path(class_dir)
    if not class_dir.is_dir():
        raise ClassDirError(f"{class_dir}: no such folder (give the folder holding one folder per learner)")
    if (class_dir / "submitted").is_dir():
        class_dir = class_dir / "submitted"  # nbgrader's exchange given by its parent
    handed_in: dict[str, list[Found]] = {}
    refused: dict[str, list[tuple[str, str]]] = {}  # learner_id -> (name as handed in, "<relpath>: <why>")
    facts: dict[str, tuple[str, bool]] = {}  # learner_id -> (name, late marker), from the LMS's names
    for entry in sorted(os.scandir(class_dir), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        lms = parse_lms_name(entry.name)
        learner_id = lms.learner_id if lms else entry.name
        if entry.is_dir(follow_symlinks=False):
            files, odd = _learner_folder(path, class_dir)
            handed_in.setdefault(learner_id, []).extend(files)
            refused.setdefault(learner_id, []).extend(odd)
        elif (entry.name.endswith(".ipynb") or is_handin(path)) and lms is not None:
            why = refusal(path)
            if why is None:
                handed_in.setdefault(learner_id, []).append((path, lms.file))
            else:
                refused.setdefault(learner_id, []).append((lms.file, f"{entry.name}: {why}"))
        elif entry.is_symlink() and entry.is_dir():  # a learner's folder that is a link: refused as a whole
            why = f"{entry.name}: the folder is a symbolic link (only real folders are graded)"
            refused.setdefault(learner_id, []).extend((f"{stem}.ipynb", why) for stem in series_stems())
        else:
            continue
        name, late = facts.get(learner_id, ("", False))
        facts[learner_id] = (name or (lms.name if lms else ""), late or bool(lms and lms.late))
    learner_ids = set(handed_in) | set(refused)
    if not learner_ids:
        raise ClassDirError(
            f"{class_dir}: no learner found (expected one folder per learner, or Canvas' "
            "name_userid_submissionid_file.ipynb files, or Moodle's download)"
        )
    learners = [_learner(s, handed_in.get(s, []), refused.get(s, []), class_dir, *facts[s]) for s in learner_ids]
    return sorted(learners, key=lambda learner: natural_key(learner.learner_id))


def _learner_folder(folder: Path, class_dir: Path) -> tuple[list[Found], list[tuple[str, str]]]:
    """The notebooks in a learner's folder and its sub-folders (hidden ones skipped, links never followed), and
    the refused entries: notebooks that are not regular files, sub-folders that are links."""
    files, refused = [], []
    for top, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # .ipynb_checkpoints and the like
        for d in list(dirs):
            if os.path.islink(os.path.join(top, d)):
                dirs.remove(d)
                relpath = Path(top, d).relative_to(class_dir).as_posix()
                refused.append((d, f"{relpath}: a symbolic link (only real folders are graded)"))
        for name in sorted(n for n in names if (n.endswith(".ipynb") or is_handin(Path(n))) and not n.startswith(".")):
            path = Path(top, name)
            why = refusal(path)
            if why is None:
                files.append((path, name))
            else:
                refused.append((name, f"{path.relative_to(class_dir).as_posix()}: {why}"))
    return files, refused


def _learner(
    learner_id: str, files: list[Found], refused: list[tuple[str, str]], class_dir: Path, name: str, late: bool
) -> Learner:
    learner = Learner(learner_id, name=name, late_marker=late)
    candidates: dict[str, list[Found]] = {}
    members: dict[Found, bytes] = {}  # (hand-in file, notebook in it) -> its bytes
    for path, handed_in_as in files:
        if is_handin(path):
            members.update({(path, member): data for member, data in _handin(learner, path, class_dir).items()})
        elif handed_in_as.startswith(UNGRADED_STEMS):
            learner.ungraded.append(path.relative_to(class_dir).as_posix())
        elif (stem := stem_of(path, handed_in_as)) is None:
            learner.unmatched.append(path.relative_to(class_dir).as_posix())
        else:
            candidates.setdefault(stem, []).append((path, handed_in_as))
    for path, member in members:
        candidates.setdefault(member.removesuffix(".ipynb"), []).append((path, member))
    for stem, found in candidates.items():
        # The newest attempt, the exact name, the newest file, then by name: never the listing order.
        found.sort(key=lambda f: (-attempt(stem, f[1]), f[1] != f"{stem}.ipynb", -f[0].lstat().st_mtime, f[1]))
        (path, chosen), others = found[0], found[1:]
        learner.files[stem] = SubmittedFile(
            path, _relpath(path, chosen, members, class_dir), chosen, members.get((path, chosen))
        )
        if others:
            newest = attempt(stem, chosen)
            learner.not_graded[stem] = [
                f"{_relpath(p, n, members, class_dir)}: "
                + ("earlier attempt, not graded" if attempt(stem, n) < newest else "another copy, not graded")
                for p, n in others
            ]
    for name, why in refused:
        stem = stem_by_name(name)
        if stem is None:
            learner.unmatched.append(f"{why} (refused)")
        elif stem in learner.files:
            learner.not_graded.setdefault(stem, []).append(f"{why} (refused)")
        else:
            learner.refused.setdefault(stem, why)
    learner.submitted_at = _nbgrader_time(learner)
    learner.digest = digest(learner)
    return learner


def _nbgrader_time(learner: Learner) -> datetime | None:
    """The newest `timestamp.txt` beside the learner's chosen files (nbgrader's exchange), None without one."""
    times = []
    for file in learner.files.values():
        stamp = file.path.parent / "timestamp.txt"
        try:
            times.append(nbgrader_timestamp(read_regular(stamp, 200).decode(errors="replace")))
        except (RefusedFile, OSError):
            continue
    return max((t for t in times if t is not None), default=None)


def _relpath(path: Path, name: str, members: dict[Found, bytes], class_dir: Path) -> str:
    """A file's path relative to the class folder; a hand-in file's notebook as "<zip>/<notebook>"."""
    relative = path.relative_to(class_dir).as_posix()
    return f"{relative}/{name}" if (path, name) in members else relative


def _handin(learner: Learner, path: Path, class_dir: Path) -> dict[str, bytes]:
    """The notebooks of the hand-in file at `path`; what is wrong with it goes to `learner.problems`."""
    relative = path.relative_to(class_dir).as_posix()
    try:
        handin = read_handin(path, series_stems())
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
