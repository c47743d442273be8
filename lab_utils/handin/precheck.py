"""The learner's hand-in: save, pre-check the whole series with the instructor's grader, write one zip.

`make_handin` does the work and returns a `HandIn` (what was checked, the file written); `lab_utils.handin.handin`
and `python -m lab_utils.handin` call it, and show the result in a notebook or a terminal.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lab_utils.checks import series_stems
from lab_utils.errors import LabError
from lab_utils.grading.results import NotebookResult, SubmissionResult
from lab_utils.handin import manifest

OUT_FOLDER = "handed-in"  # beside the notebooks, so JupyterLab's file browser shows it (listed in .gitignore)


class HandInError(LabError):
    """The hand-in cannot be made as asked (no such folder, an unusable learner id, no notebook at all)."""


@dataclass
class HandIn:
    """A hand-in made: the pre-check's result, the notebooks not found, and the file written."""

    folder: Path
    result: SubmissionResult
    missing: list[str]
    path: Path
    size: int
    sha256: str
    saved: str = ""  # what saving the open notebooks did, one sentence


def default_learner() -> str:
    """The learner id used when none is given: the login name when it is fit for a file name, else "learner"."""
    with_fallback = re.sub(r"[^A-Za-z0-9._-]", "", _login())[:64]
    return with_fallback if manifest.LEARNER_ID.match(with_fallback) else "learner"


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name at all (some containers)
        return ""


def make_handin(folder: Path, learner: str | None = None, out: Path | None = None, seed: int | None = None) -> HandIn:
    """Pre-check the series' notebooks in `folder` with a fresh seed, then write the hand-in zip to `out`.

    `out` defaults to `folder`/handed-in. Raises HandInError on unusable arguments, never for a notebook's content.
    """
    folder = Path(folder)
    learner = default_learner() if learner is None else learner
    if not manifest.LEARNER_ID.match(learner):
        raise HandInError(
            f"learner id {learner!r} cannot name a file: use letters, digits, '.', '_' or '-' (64 at most)"
        )
    if not folder.is_dir():
        raise HandInError(f"{folder}: no such folder (give the folder that holds your notebooks)")
    found = {stem: folder / f"{stem}.ipynb" for stem in series_stems()}
    notebooks = {stem: path if path.is_file() else None for stem, path in found.items()}
    missing = [f"{stem}.ipynb" for stem, path in notebooks.items() if path is None]
    if len(missing) == len(notebooks):
        raise HandInError(f"{folder}: none of the lab's notebooks is here ({', '.join(missing)})")
    files = {path.name: path.read_bytes() for path in notebooks.values() if path is not None}
    result = precheck(files, learner, secrets.randbits(32) if seed is None else seed)
    when = datetime.now(timezone.utc)
    summary = {"score": result.score, "max_score": result.max_score, "seed": result.seed, "sandbox": result.sandbox}
    target = Path(out) if out is not None else folder / OUT_FOLDER
    path = write_zip(
        target / manifest.file_name(learner, when), files, manifest.manifest_bytes(learner, when, files, summary), when
    )
    data = path.read_bytes()
    digest = manifest.entry(path.name, data)
    return HandIn(folder, result, missing, path, digest.size, digest.sha256)


def precheck(files: dict[str, bytes], learner: str, seed: int) -> SubmissionResult:
    """The instructor's grader on exactly these notebooks (file name -> bytes, the bytes that go into the zip):
    sandboxed where bubblewrap works, else (the learner's own code) without a sandbox, and without the grader's
    warning about that. Prints a line as each notebook is done: the whole series takes a minute or more."""
    from lab_utils.grading import GradeOptions, grade_submission
    from lab_utils.grading.sandbox import bwrap_available

    def progress(nb: NotebookResult) -> None:
        print(f"pre-check: {nb.notebook} {nb.score:g}/{nb.max_score:g}", flush=True)

    sandbox = "auto" if bwrap_available() else "off"
    # One learner: a fork server would import what one fresh kernel imports, and then stay, holding its memory, in
    # the learner's own Jupyter kernel, which runs this. So the kernel starts afresh.
    options = GradeOptions(seed=seed, sandbox=sandbox, fork=False)
    with tempfile.TemporaryDirectory(prefix="lab-handin-") as private:
        notebooks: dict[str, Path | None] = {}
        for stem in series_stems():
            name = f"{stem}.ipynb"
            if name in files:
                (Path(private) / name).write_bytes(files[name])
            notebooks[stem] = Path(private) / name if name in files else None
        return grade_submission(learner, notebooks, options, progress)


def write_zip(path: Path, files: dict[str, bytes], manifest_data: bytes, when: datetime) -> Path:
    """Write the zip of `files` and the manifest at `path`, whole or not at all (a temporary file, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = when.astimezone(timezone.utc).timetuple()[:6]
    handle, tmp = tempfile.mkstemp(prefix=".handin-", suffix=".zip", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in {**files, manifest.MANIFEST_NAME: manifest_data}.items():
                zf.writestr(zipfile.ZipInfo(name, date_time=stamp), data, zipfile.ZIP_DEFLATED)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
