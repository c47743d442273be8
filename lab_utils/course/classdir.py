"""Who handed in what: the learners of a class folder, each with one file per notebook of the series.

Two layouts are read, and may be mixed:
- one folder per learner, named by the learner's id, holding any subset of the notebooks, possibly under
  JupyterLab's copy names (`01_softmax-Copy1.ipynb`) or in sub-folders;
- the flat folder of Canvas' "Download Submissions" zip, where each file is named
  `<name>[_late]_<user id>_<submission id>_<file name as submitted>` (`smithjane_late_4021_98113_01_softmax-1.ipynb`:
  Canvas adds `_late` after the deadline and `-1`, `-2` to a re-submitted file name). Files are grouped by user id,
  which becomes the learner's id.

A file belongs to the notebook of the series whose stem starts its name (`01_softmax-Copy1` -> `01_softmax`);
a file named otherwise belongs to the notebook whose graded functions it defines most (read, never run).
When a learner has several files for one notebook, the exact name wins, then the newest file; the others are
listed as not graded. Every file's bytes are hashed (`Learner.digest`) so that an unchanged learner is not
graded twice. Nothing here runs learner code.

A hand-in file (`mnist-lab-<learner>-<time>.zip`, from `handin()`) counts wherever a notebook does: its notebooks
are read in memory by `handin_file`, and what is wrong with it goes to `Learner.problems`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lab_utils.checks import EXERCISES
from lab_utils.course.handin_file import HandInRefused, is_handin, read_handin
from lab_utils.errors import LabError
from lab_utils.grading.notebook import read_code_cells

CANVAS_NAME = re.compile(r"^(?P<name>.+?)(?P<late>_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$", re.I)
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)\s*\(", re.MULTILINE)


class ClassDirError(LabError):
    """The class folder cannot be read at all (missing, not a folder, no learner in it)."""


@dataclass(frozen=True)
class SubmittedFile:
    """One learner notebook: where it is (`relpath`, relative to the class folder) and its name as handed in."""

    path: Path
    relpath: str
    name: str
    data: bytes | None = None  # a member of a hand-in file, read from it in memory

    def read(self) -> bytes:
        return self.path.read_bytes() if self.data is None else self.data


@dataclass
class Learner:
    """One learner: their id, the file chosen for each notebook stem, and the files not graded."""

    student: str
    files: dict[str, SubmittedFile] = field(default_factory=dict)
    not_graded: dict[str, list[str]] = field(default_factory=dict)  # stem -> other files handed in for it
    unmatched: list[str] = field(default_factory=list)  # files that belong to no notebook of the series
    problems: list[str] = field(default_factory=list)  # a hand-in file refused, or not matching its manifest
    digest: str = ""


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
    handed_in: dict[str, list[tuple[Path, str]]] = {}  # student -> (file, name as handed in)
    for entry in sorted(class_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found = sorted(p for p in entry.rglob("*") if p.suffix == ".ipynb" or is_handin(p))
            files = [p for p in found if p.is_file() and not _hidden(p.relative_to(entry))]
            handed_in.setdefault(entry.name, []).extend((p, p.name) for p in files)
        elif (entry.suffix == ".ipynb" or is_handin(entry)) and (match := CANVAS_NAME.match(entry.name)):
            handed_in.setdefault(match["user"], []).append((entry, match["file"]))
    if not handed_in:
        raise ClassDirError(
            f"{class_dir}: no learner found (expected one folder per learner, or Canvas' "
            "name_userid_submissionid_file.ipynb files)"
        )
    learners = [_learner(student, files, class_dir) for student, files in handed_in.items()]
    return sorted(learners, key=lambda learner: natural_key(learner.student))


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)  # .ipynb_checkpoints and the like


def _learner(student: str, files: list[tuple[Path, str]], class_dir: Path) -> Learner:
    learner = Learner(student)
    candidates: dict[str, list[tuple[Path, str]]] = {}
    members: dict[tuple[Path, str], bytes] = {}  # (hand-in file, notebook in it) -> its bytes
    for path, name in files:
        if is_handin(path):
            members.update({(path, member): data for member, data in _handin(learner, path, class_dir).items()})
            continue
        stem = stem_of(path, name)
        if stem is None:
            learner.unmatched.append(path.relative_to(class_dir).as_posix())
        else:
            candidates.setdefault(stem, []).append((path, name))
    for path, member in members:
        candidates.setdefault(member.removesuffix(".ipynb"), []).append((path, member))
    for stem, found in candidates.items():
        # The exact name first, then the newest file, then by name so that the choice never depends on listing order.
        found.sort(key=lambda f: (f[1] != f"{stem}.ipynb", -f[0].stat().st_mtime, f[1]))
        (path, name), others = found[0], found[1:]
        relpath = _relpath(path, name, class_dir, members)
        learner.files[stem] = SubmittedFile(path, relpath, name, members.get((path, name)))
        if others:
            learner.not_graded[stem] = [_relpath(p, n, class_dir, members) for p, n in others]
    learner.digest = digest(learner)
    return learner


def _relpath(path: Path, name: str, class_dir: Path, members: dict[tuple[Path, str], bytes]) -> str:
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


def digest(learner: Learner) -> str:
    """SHA-256 of what decides a learner's grade: the registry, and the bytes of each chosen file."""
    h = hashlib.sha256()
    registry = [(ex.function, ex.points, ex.notebook) for ex in EXERCISES]
    h.update(json.dumps(registry).encode())
    h.update(json.dumps(learner.problems).encode())  # a hand-in file's manifest changed: grade again
    for stem in sorted(learner.files):
        h.update(f"\0{stem}\0".encode())
        h.update(hashlib.sha256(learner.files[stem].read()).digest())
    return h.hexdigest()
