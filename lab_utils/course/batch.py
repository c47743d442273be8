"""Grading a whole class: every learner of a class folder, in parallel, resumable, one learner never stopping the rest.

`grade_class` finds the learners (`classdir.read_class`), skips those whose files are byte-identical to their last
grading (unless `regrade`), and sends the others to a pool: `LocalPool` here (threads: each learner's grading is
a sandboxed kernel subprocess, so threads only wait), or `cluster.DaskPool` on a Dask cluster. What travels to a
worker is a `Task`: the learner's files as bytes, so a worker needs no access to the class folder; it writes them
to a private folder and calls `lab_utils.grading.grade_submission`. Both pools give identical results. A learner
whose files could not be read at all (`Learner.input_status`) is not sent: their result is that status
(`refused` or `unreadable`) with the reasons, 0 points (`input_result`).

Each finished learner is appended at once to `RESULTS_DIR/journal.jsonl` (one JSON line, flushed): a run that is
interrupted resumes from it, and a learner whose grading failed (status `GRADING_FAILED`: a worker died, an error in
the grader) is recorded with the reason, kept in the reports, and graded again next run. A journaled result is
reused only when it was graded the same way (`how`: the sandbox mode, the time limits, the lab's
version), so `--sandbox required` regrades anything graded with `--sandbox off`. The gradebook and reports are
written from it at the end (`reports`).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import cache
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import Any

from lab_utils.checks import EXERCISES, series_stems
from lab_utils.course.classdir import ClassDirError, ClassFolder, Learner, file_bytes, read_class
from lab_utils.grading.files import RefusedFile
from lab_utils.grading.options import GradeOptions
from lab_utils.grading.results import (
    ERROR,
    GRADING_FAILED,
    REFUSED,
    ExerciseResult,
    InvalidResult,
    NotebookResult,
    SubmissionResult,
    validated,
)

JOURNAL = "journal.jsonl"


@cache
def grader_version() -> str:
    """The grader's version, as a journaled result records it: the lab's package version with the git commit of
    its checkout when there is one ("0.1.0+g1a2b3c4"); a hand-in's manifest records the package version alone
    (`handin.manifest.lab_version`)."""
    version = metadata.version("lab-utils")
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{commit}" if commit else version


def how(options: GradeOptions) -> dict[str, Any]:
    """What makes a journaled result reusable by a run with `options`: every option but the seed and how kernels
    start (neither changes what a correct grading gives), and the lab's version."""
    options_used = {k: v for k, v in asdict(options).items() if k not in ("seed", "fork")}
    return {**options_used, "lab_version": grader_version()}


@dataclass(frozen=True)
class Task:
    """One learner's grading as it travels to a worker: plain data, the notebooks as bytes."""

    learner_id: str
    files: dict[str, tuple[str, bytes]]  # stem -> (path relative to the class folder, bytes)
    not_graded: dict[str, list[str]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # stem -> "<relpath>: <why>"
    problems: list[str] = field(default_factory=list)  # a hand-in file refused or not matching its manifest

    @classmethod
    def of(cls, learner: Learner) -> Task:
        files, refused = {}, dict(learner.refused)
        for stem, submitted in learner.files.items():
            try:
                files[stem] = (submitted.relpath, file_bytes(submitted))
            except RefusedFile as e:  # became a link or grew since discovery: refused like any other
                refused[stem] = f"{submitted.relpath}: {e}"
        return cls(learner.learner_id, files, learner.not_graded, refused, learner.problems)


def grade_task(task: Task, options: GradeOptions) -> dict[str, Any]:
    """Grade one learner (runs on a worker); returns `SubmissionResult.to_dict()`.

    The learner's names never reach the file system here: each notebook is written as `<stem>.ipynb` in a private
    folder, and the result is changed field by field (a path, a note), never as text, so no name can change its
    shape. Raises only what the grader raises for the whole run (`GradeError`: `--sandbox required` without
    bubblewrap).
    """
    from lab_utils.grading import grade_submission

    with tempfile.TemporaryDirectory(prefix="lab-grade-") as tmp:
        paths: dict[str, Path | None] = dict.fromkeys(series_stems())
        for stem, (_, data) in task.files.items():
            paths[stem] = Path(tmp) / f"{stem}.ipynb"
            paths[stem].write_bytes(data)
        result = grade_submission(task.learner_id, paths, options)
    for nb in result.notebooks:
        _describe_files(nb, task, tmp)
    result.problems = list(task.problems)
    return result.to_dict()


def _describe_files(nb: NotebookResult, task: Task, tmp: str) -> None:
    """`nb` told in the class folder's terms: its file's path there, the files refused or not graded."""
    nb.path = task.files[nb.notebook][0] if nb.notebook in task.files else None
    # The private folder's path means nothing to the learner or the instructor, and differs between runs.
    nb.reason = nb.reason.replace(tmp, "<grading folder>")
    nb.notes = [note.replace(tmp, "<grading folder>") for note in nb.notes]
    for ex in nb.exercises:
        ex.message = ex.message.replace(tmp, "<grading folder>")
    if why := task.refused.get(nb.notebook):
        nb.status, nb.reason = REFUSED, why
        for ex in nb.exercises:
            ex.message = f"your file was not graded: {why}"
    if others := task.not_graded.get(nb.notebook):
        nb.notes.append(f"also handed in: {'; '.join(others)}")


def failed_result(learner_id: str, reason: str) -> SubmissionResult:
    """The result of a learner the grader could not grade: each notebook of the series GRADING_FAILED with the
    reason, every exercise 0 points. It validates like any result, so the journal keeps it (and the next run grades
    the learner again, `is_failed`)."""
    message = f"the grader could not grade this submission ({reason}); your instructor has been told"
    return _ungraded_result(learner_id, GRADING_FAILED, reason, message)


def input_result(learner: Learner) -> SubmissionResult:
    """The result of a learner whose files could not be read (`Learner.input_status`, REFUSED or UNREADABLE, the
    reason in `Learner.problems`): each notebook of the series with that status, every exercise 0 points; no kernel
    is started for it."""
    reason = "what you handed in could not be read (see the problems)"
    result = _ungraded_result(learner.learner_id, learner.input_status, reason, f"your files were not graded: {reason}")
    result.problems = list(learner.problems)
    return result


def _ungraded_result(learner_id: str, status: str, reason: str, message: str) -> SubmissionResult:
    notebooks = []
    for stem in dict.fromkeys(ex.notebook for ex in EXERCISES):
        exercises = [
            ExerciseResult(e.function, stem, e.points, 0, ERROR, message) for e in EXERCISES if e.notebook == stem
        ]
        notebooks.append(NotebookResult(stem, None, status, exercises, reason=reason))
    return SubmissionResult(learner_id=learner_id, notebooks=notebooks)


def is_failed(result: SubmissionResult | None) -> bool:
    """Whether the grader failed on any of the learner's notebooks (then they are graded again next run)."""
    return result is not None and any(nb.status == GRADING_FAILED for nb in result.notebooks)


def outcome_to_result(learner_id: str, outcome: dict[str, Any] | BaseException) -> SubmissionResult:
    """A pool's outcome for one learner as a result: an exception, or a result that does not validate against the
    registry (`results.validated`), becomes a failed grading, never a crash and never a score."""
    from lab_utils.grading import GradeError

    if isinstance(outcome, GradeError):
        raise outcome  # a problem of the whole run (e.g. --sandbox required without bubblewrap): stop at once
    if isinstance(outcome, BaseException):
        text = str(outcome).strip().splitlines()
        return failed_result(
            learner_id, f"{type(outcome).__name__}: {text[0][:200]}" if text else type(outcome).__name__
        )
    try:
        return validated(outcome, learner_id)
    except InvalidResult as e:
        return failed_result(learner_id, f"the worker's result was refused: {e}")


class LocalPool:
    """Grades learners on this machine, `workers` at a time (threads that wait for the grading kernels)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def describe(self) -> dict[str, Any]:
        return {"pool": "local", "workers": self.workers}

    def run(self, learners: Iterable[Learner], options: GradeOptions) -> Iterator[tuple[Learner, SubmissionResult]]:
        executor = ThreadPoolExecutor(self.workers, thread_name_prefix="grade")
        try:
            futures = {executor.submit(_grade_learner, learner, options): learner for learner in learners}
            for future in as_completed(futures):
                learner = futures[future]
                try:
                    outcome: dict[str, Any] | BaseException = future.result()
                except Exception as e:  # noqa: BLE001 - one learner's failure is that learner's result
                    outcome = e
                yield learner, outcome_to_result(learner.learner_id, outcome)
        finally:
            executor.shutdown(wait=True, cancel_futures=True)  # Ctrl-C: start nobody new, let running kernels end


def _grade_learner(learner: Learner, options: GradeOptions) -> dict[str, Any]:
    return grade_task(Task.of(learner), options)


class Journal:
    """`journal.jsonl`: one line per learner graded, appended and flushed as each finishes; the last line wins."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Entry]:
        """learner_id -> its entry; a line that is cut or does not validate is ignored."""
        entries: dict[str, Entry] = {}
        if not self.path.exists():
            return entries
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
                result = validated(entry["result"], entry["result"]["learner_id"])
                if not isinstance(entry["digest"], str) or not isinstance(entry["how"], dict):
                    continue
            except (ValueError, KeyError, TypeError):
                continue  # cut by an interruption, or not the grader's: that learner is graded again
            entries[result.learner_id] = Entry(entry["digest"], entry["how"], result)
        return entries

    def rewrite(self, entries: dict[str, Entry]) -> None:
        """Keep only `entries` (the learners still in the class, graded): the journal does not grow run after run."""
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(entry.line() for entry in entries.values()))
        os.replace(tmp, self.path)

    def append(self, entry: Entry) -> None:
        with self.path.open("a") as f:
            f.write(entry.line())
            f.flush()
            os.fsync(f.fileno())


@dataclass(frozen=True)
class Entry:
    """A journaled learner: the digest of the files graded, how they were graded (`how`), the result."""

    digest: str
    how: dict[str, Any]
    result: SubmissionResult

    def line(self) -> str:
        return json.dumps({"digest": self.digest, "how": self.how, "result": self.result.to_dict()}) + "\n"

    def reusable(self, learner: Learner, how: dict[str, Any]) -> bool:
        """Whether this run may keep the result: same files, graded the same way, and not a failed grading."""
        return self.digest == learner.digest and self.how == how and not is_failed(self.result)


@dataclass
class ClassRun:
    """A run's outcome: every learner's result (sorted by id) and what the reports say about the run."""

    results: list[SubmissionResult]
    info: dict[str, Any]
    learners: list[Learner] = field(default_factory=list)  # the learners of `results`, in the same order
    findings: list[Any] = field(default_factory=list)  # the course check's (`check.Finding`), set by the command


def refuse_unknown(only: Sequence[str], learners: list[Learner], class_dir: Path) -> None:
    """ClassDirError (one line) for the first id of `only` that is no learner of the class folder."""
    if unknown := sorted(set(only) - {learner.learner_id for learner in learners}):
        raise ClassDirError(f"--only {unknown[0]}: no such learner in {class_dir}")


Progress = Callable[[int, int, str], None]  # (learners done, learners to grade, the learner just done)


def grade_class(
    class_dir: Path,
    out: Path,
    pool: Any,
    options: GradeOptions,
    regrade: bool = False,
    progress: Progress | None = None,
    only: Sequence[str] = (),
    folder: ClassFolder | None = None,
) -> ClassRun:
    """Grade every learner of `class_dir` with `pool`, journaling into `out`; skip unchanged ones unless `regrade`.

    With `only`, grade those learners (changed or not) and keep every other learner's journaled result as it is,
    a failed one included (graded again by the next run without `only`); a learner of `only` who is not in the class
    folder is refused (`ClassDirError`). `folder`: the class folder read, when the caller has read it already.
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    folder = read_class(class_dir) if folder is None else folder
    learners = folder.learners
    refuse_unknown(only, learners, class_dir)
    out.mkdir(parents=True, exist_ok=True)
    journal = Journal(out / JOURNAL)
    previous = {} if regrade and not only else journal.load()  # with `only`, the others' results are kept
    how_graded = how(options)
    done: dict[str, Entry] = {}
    todo = []
    for learner in learners:
        entry = previous.get(learner.learner_id)
        keep = learner.learner_id not in only if only else entry is not None and entry.reusable(learner, how_graded)
        if entry is not None and keep:
            done[learner.learner_id] = entry
        elif not only or learner.learner_id in only:
            todo.append(learner)
    journal.rewrite(done)
    reused = len(done)
    if progress is not None:
        progress(0, len(todo), "")
    unread = [learner for learner in todo if learner.input_status]  # nothing to run: their status is the result
    unread_results = ((learner, input_result(learner)) for learner in unread)
    readable = [learner for learner in todo if not learner.input_status]
    for count, (learner, result) in enumerate(chain(unread_results, pool.run(readable, options)), start=1):
        result.graded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        done[learner.learner_id] = Entry(learner.digest, how_graded, result)
        journal.append(done[learner.learner_id])
        if progress is not None:
            progress(count, len(todo), learner.learner_id)
    graded = [learner for learner in learners if learner.learner_id in done]
    info = {
        "seed": options.seed,
        "options": asdict(options),
        "lab_version": how_graded["lab_version"],
        **pool.describe(),
        "learners": len(learners),
        "graded": len(todo),
        "reused": reused,
        "only": list(only),
        "seconds": round(time.perf_counter() - start, 3),
        "grader_cpu_seconds": round(time.process_time() - cpu_start, 3),
        "digests": {learner.learner_id: learner.digest for learner in learners},
        "unmatched_files": folder.unmatched + [f for learner in learners for f in learner.unmatched],
    }
    return ClassRun([done[learner.learner_id].result for learner in graded], info, graded)
