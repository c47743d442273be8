"""Who handed in what: the learners of a class folder, each with one file per notebook of the series.

These layouts are read, and may be mixed (the LMS's names are read by `layouts`):
- one folder per learner, named by the learner's id, holding any subset of the notebooks, possibly under
  JupyterLab's copy names (`01_softmax-Copy1.ipynb`) or in sub-folders;
- the flat folder of Canvas' "Download Submissions" zip (`smithjane_late_4021_98113_01_softmax-1.ipynb`): files
  are grouped by Canvas user id, which becomes the learner's id, with the name and the `_late` marker kept;
- Moodle's "Download submissions", flat or one folder per learner (`Jane Smith_123456_assignsubmission_file_...`):
  the participant id becomes the learner's id;
- nbgrader's exchange (`submitted/<student>/<assignment>/`, given as the class folder or its parent), whose
  `timestamp.txt` says when the learner handed in.

A file belongs to the notebook of the series whose stem starts its name (`01_softmax-Copy1` -> `01_softmax`);
a file named otherwise belongs to the notebook whose graded functions it defines most (read, never run).
`06_going_further` is the series' ungraded notebook: listed, not graded. When a learner has several files for one
notebook, the newest attempt wins (Canvas numbers re-submissions `-1`, `-2`, ...), then the exact name, then the
newest file; the others are listed as not graded. Every file's bytes are hashed (`Learner.digest`) so that an
unchanged learner is not graded twice. Nothing here runs learner code, and nothing the learner controls (a
notebook's metadata, a file's time) decides when they handed in.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lab_utils.checks import EXERCISES
from lab_utils.course.layouts import attempt, nbgrader_timestamp, parse_lms_name
from lab_utils.errors import LabError
from lab_utils.grading.notebook import read_code_cells

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


@dataclass
class Learner:
    """One learner: their id, the file chosen for each notebook stem, and the files not graded."""

    student: str
    files: dict[str, SubmittedFile] = field(default_factory=dict)
    not_graded: dict[str, list[str]] = field(default_factory=dict)  # stem -> "file: why not graded"
    unmatched: list[str] = field(default_factory=list)  # files that belong to no notebook of the series
    ungraded: list[str] = field(default_factory=list)  # files of the series' ungraded notebook (06_going_further)
    digest: str = ""
    name: str = ""  # as the LMS's file names give it; "" for a folder named by id
    late_marker: bool = False  # Canvas' `_late` in a file name
    submitted_at: datetime | None = None  # nbgrader's timestamp.txt, the newest of the learner's


def series_stems() -> list[str]:
    """The graded notebooks' stems, in series order ("01_softmax", "02_model", ...)."""
    return list(dict.fromkeys(ex.notebook for ex in EXERCISES))


def natural_key(student: str) -> list[str | int]:
    """Sort key that puts "s2" before "s10" and 999 before 1000 (ids as an instructor reads them)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", student)]


def stem_of(path: Path, name: str | None = None) -> str | None:
    """The series stem the notebook `name` (default: the file's name) belongs to, None if it belongs to none."""
    stems = series_stems()
    base = (name or path.name).removesuffix(".ipynb")
    by_name = [s for s in stems if base.startswith(s)]
    if by_name:
        return max(by_name, key=len)
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


def discover(class_dir: Path) -> list[Learner]:
    """Every learner of `class_dir`, sorted by id, with their files chosen and hashed."""
    class_dir = Path(class_dir)
    if not class_dir.is_dir():
        raise ClassDirError(f"{class_dir}: no such folder (give the folder holding one folder per learner)")
    if (class_dir / "submitted").is_dir():
        class_dir = class_dir / "submitted"  # nbgrader's exchange given by its parent
    handed_in: dict[str, list[tuple[Path, str]]] = {}  # student -> (file, name as handed in)
    facts: dict[str, tuple[str, bool]] = {}  # student -> (name, late marker), from the LMS's names
    for entry in sorted(class_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        lms = parse_lms_name(entry.name)
        if entry.is_dir():
            student = lms.student if lms else entry.name
            files = [p for p in sorted(entry.rglob("*.ipynb")) if p.is_file() and not _hidden(p.relative_to(entry))]
            handed_in.setdefault(student, []).extend((p, p.name) for p in files)
        elif entry.suffix == ".ipynb" and lms is not None:
            student = lms.student
            handed_in.setdefault(student, []).append((entry, lms.file))
        else:
            continue
        name, late = facts.get(student, ("", False))
        facts[student] = (name or (lms.name if lms else ""), late or bool(lms and lms.late))
    if not handed_in:
        raise ClassDirError(
            f"{class_dir}: no learner found (expected one folder per learner, or Canvas' "
            "name_userid_submissionid_file.ipynb files, or Moodle's download)"
        )
    learners = [_learner(student, files, class_dir, *facts[student]) for student, files in handed_in.items()]
    return sorted(learners, key=lambda learner: natural_key(learner.student))


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)  # .ipynb_checkpoints and the like


def _learner(student: str, files: list[tuple[Path, str]], class_dir: Path, name: str, late: bool) -> Learner:
    learner = Learner(student, name=name, late_marker=late)
    candidates: dict[str, list[tuple[Path, str]]] = {}
    for path, handed_in_as in files:
        if handed_in_as.startswith(UNGRADED_STEMS):
            learner.ungraded.append(path.relative_to(class_dir).as_posix())
        elif (stem := stem_of(path, handed_in_as)) is None:
            learner.unmatched.append(path.relative_to(class_dir).as_posix())
        else:
            candidates.setdefault(stem, []).append((path, handed_in_as))
    for stem, found in candidates.items():
        # The newest attempt, the exact name, the newest file, then by name: never the listing order.
        found.sort(key=lambda f: (-attempt(stem, f[1]), f[1] != f"{stem}.ipynb", -f[0].stat().st_mtime, f[1]))
        (path, chosen), others = found[0], found[1:]
        learner.files[stem] = SubmittedFile(path, path.relative_to(class_dir).as_posix(), chosen)
        if others:
            newest = attempt(stem, chosen)
            learner.not_graded[stem] = [
                f"{p.relative_to(class_dir).as_posix()}: "
                + ("earlier attempt, not graded" if attempt(stem, n) < newest else "another copy, not graded")
                for p, n in others
            ]
    learner.submitted_at = _nbgrader_time(learner)
    learner.digest = digest(learner)
    return learner


def _nbgrader_time(learner: Learner) -> datetime | None:
    """The newest `timestamp.txt` beside the learner's chosen files (nbgrader's exchange), None without one."""
    times = []
    for file in learner.files.values():
        stamp = file.path.parent / "timestamp.txt"
        if stamp.is_file() and not stamp.is_symlink() and stamp.stat().st_size < 200:
            times.append(nbgrader_timestamp(stamp.read_text(errors="replace")))
    return max((t for t in times if t is not None), default=None)


def digest(learner: Learner) -> str:
    """SHA-256 of what decides a learner's grade: the registry, and the bytes of each chosen file."""
    h = hashlib.sha256()
    registry = [(ex.function, ex.points, ex.notebook) for ex in EXERCISES]
    h.update(json.dumps(registry).encode())
    for stem in sorted(learner.files):
        h.update(f"\0{stem}\0".encode())
        h.update(hashlib.sha256(learner.files[stem].path.read_bytes()).digest())
    return h.hexdigest()
