"""`grade_submission`: one learner's notebooks graded in one sandboxed kernel, judged in this process.

For each notebook of the submission, in the order given: a fresh namespace (`%reset -f`), the learner's
cells that a graded function may depend on (see `cells`), each under the per-cell time limit and all
under the per-notebook one, then one grading cell per exercise (see `judge`). Whatever the notebook
does (raise, loop, flood, exhaust its limits, kill its kernel) is recorded in its `NotebookResult` and
grading goes on, in a restarted kernel if need be (the notebook's completed cells are replayed).
`on_notebook` is called with each NotebookResult as soon as it is final, for incremental writing.
"""

from __future__ import annotations

import contextlib
import resource
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from lab_utils.checks import exercises_in
from lab_utils.checks.core import ExerciseCheck
from lab_utils.grading import judge
from lab_utils.grading.cells import cells_to_run
from lab_utils.grading.channels import MAX_MESSAGE
from lab_utils.grading.files import RefusedFile, read_regular
from lab_utils.grading.forking import fork_server
from lab_utils.grading.notebook import MAX_NOTEBOOK_BYTES, cell_label, read_code_cells
from lab_utils.grading.options import GradeError, GradeOptions
from lab_utils.grading.results import (
    ERROR,
    GRADING_FAILED,
    MISSING,
    TIMEOUT,
    UNREADABLE,
    ExerciseResult,
    NotebookResult,
    SubmissionResult,
)
from lab_utils.grading.runner import Kernel, KernelStartError
from lab_utils.grading.sandbox import Limits, Sandbox, bwrap_available
from lab_utils.grading.text import one_line
from lab_utils.observe import wire

OUT_OF_TIME = "the time for grading this learner ran out"
MAX_NOTES = 20  # notes kept per notebook
# A fresh namespace for the next notebook. `%reset` runs a full garbage collection twice, over every object of
# TensorFlow once it is loaded (0.44 CPU s each time): frozen first, those objects are not walked again.
RESET = "__import__('gc').freeze()\n%reset -f\n" + judge.PRELOAD
_warned = []


def grade_submission(
    learner_id: str,
    notebooks: Mapping[str, Path | None],
    options: GradeOptions,
    on_notebook: Callable[[NotebookResult], None] | None = None,
) -> SubmissionResult:
    """Grade one learner as `options` say: `notebooks` maps a registry stem ("01_softmax") to the learner's file,
    or None.

    Never raises for anything a submission does; GradeError only for sandbox="required" without bwrap.
    `options.learner_timeout` bounds the wall time of everything done for this learner, replays after a lost
    kernel included: what is left when it runs out is recorded as timed out.
    """
    sandbox = options.sandbox
    enabled = sandbox != "off" and bwrap_available()
    if sandbox == "required" and not enabled:
        raise GradeError("bubblewrap (bwrap) is not installed or cannot create namespaces here: cannot sandbox")
    if sandbox == "auto" and not enabled and not _warned:
        _warned.append(True)
        print("grade: warning: bubblewrap not available, grading WITHOUT a sandbox", file=sys.stderr)
    started, cpu_before = time.monotonic(), _own_cpu()
    submission = SubmissionResult(learner_id=learner_id, seed=options.seed, sandbox=enabled)
    limits = options.limits or Limits()
    forked = enabled and options.fork and fork_server().usable()
    sandboxed = Sandbox(limits, enabled=enabled, forked=forked)
    grader = _Grader(
        sandboxed, options.seed, options.timeout, options.notebook_timeout, started + options.learner_timeout
    )
    try:
        for stem, path in notebooks.items():  # all before the kernel starts: never write where it can reach
            # A refused file (a link, a FIFO, a device, oversize) is reported when its turn comes.
            with contextlib.suppress(RefusedFile, OSError):
                if path is not None:
                    grader.sandbox.add_copy(f"{stem}.ipynb", read_regular(Path(path), MAX_NOTEBOOK_BYTES))
        for stem, path in notebooks.items():
            result = grader.grade(stem, path)
            submission.notebooks.append(result)
            if on_notebook is not None:
                on_notebook(result)
    finally:
        kernel_cpu = grader.close()
    submission.seconds = time.monotonic() - started
    submission.cpu_seconds = kernel_cpu + _own_cpu() - cpu_before
    return submission


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Grader:
    """One learner's kernel, started on first need and restarted when a notebook loses it."""

    def __init__(self, sandbox: Sandbox, seed: int, timeout: int, notebook_timeout: int, deadline: float) -> None:
        self.sandbox, self.seed, self.timeout, self.notebook_timeout = sandbox, seed, timeout, notebook_timeout
        self.deadline = deadline  # the learner's one budget (time.monotonic()), see grade_submission
        self.kernel = Kernel(sandbox)
        self.fresh = False  # whether the kernel's namespace is empty
        self.completed: list[str] = []  # the current notebook's cells that ran, replayed after a restart

    def close(self) -> float:
        """Stop everything; returns the CPU seconds the sandbox used."""
        cpu = self.sandbox.cgroup.cpu_seconds()
        self.kernel.close()
        return cpu

    def grade(self, stem: str, path: Path | None) -> NotebookResult:
        started = time.monotonic()
        exercises = exercises_in(stem)
        nb = NotebookResult(notebook=stem, path=None if path is None else str(path))
        try:
            if path is None:
                nb.status = MISSING
                nb.exercises = [judge.result(ex, MISSING, f"notebook {stem} was not handed in") for ex in exercises]
                return nb
            try:
                cells = read_code_cells(Path(path))
            except ValueError as e:
                nb.status, nb.reason = UNREADABLE, one_line(e, 120)
                nb.exercises = [judge.result(ex, ERROR, f"notebook unreadable: {one_line(e)}") for ex in exercises]
                return nb
            try:
                self._run_cells(nb, stem, cells, exercises)
                nb.exercises = [self._grade_one(nb, ex, cells) for ex in exercises]
            except KernelStartError as e:
                nb.status, nb.reason = GRADING_FAILED, f"set-up failed: {one_line(e, 120)}"
                nb.exercises = [judge.result(ex, ERROR, f"grading could not start: {one_line(e)}") for ex in exercises]
            except Exception as e:  # a grader bug must cost this notebook, not the batch
                nb.status, nb.reason = GRADING_FAILED, one_line(e, 120)
                nb.exercises = [judge.result(ex, ERROR, "the grader failed on this notebook") for ex in exercises]
            return nb
        finally:
            nb.notes = nb.notes[:MAX_NOTES]
            nb.seconds = time.monotonic() - started

    def _left(self, deadline: float | None = None) -> float:
        """Seconds left before `deadline` and the learner's own deadline, whichever comes first."""
        return min(self.deadline, self.deadline if deadline is None else deadline) - time.monotonic()

    def _start(self) -> None:
        if self._left() <= 0:
            raise KernelStartError(OUT_OF_TIME)
        self.kernel.start(min(self.kernel.startup_timeout, self._left()))
        self.fresh = True
        self._preload()

    def _preload(self) -> None:
        """Import the kernel side before any learner cell, under the start-up time limit, so that the
        grading cells' own time limits measure the learner's functions, not imports; and keep Keras' optional
        imports out of the kernel (`lean_kernel`)."""
        preload = f"import {wire.LEAN_MODULE}\n{judge.PRELOAD}"
        if self.kernel.run(preload, min(self.kernel.startup_timeout, max(self._left(), 1))).status != "ok":
            raise KernelStartError(f"the grading kernel could not import {wire.KERNEL_MODULE}")

    def _run_cells(
        self, nb: NotebookResult, stem: str, cells: list[tuple[int, str, str]], exercises: tuple[ExerciseCheck, ...]
    ) -> None:
        if not self.kernel.alive():
            self._start()
        if not self.fresh and self.kernel.run(RESET, self._limit()).status != "ok":
            self._start()
        self.fresh = False
        plan = cells_to_run(cells, stem, [ex.function for ex in exercises])
        deadline = time.monotonic() + self.notebook_timeout
        self.completed = []
        for number, source in plan:
            cell = cell_label(number, source)
            left = self._left(deadline)
            if left <= 0:
                nb.status = TIMEOUT
                over = f"the cells ran over {self.notebook_timeout} s in all" if self._left() > 0 else OUT_OF_TIME
                nb.notes.append(f"{over}; {cell} on were not run")
                return
            run = self.kernel.run(source, min(self.timeout, left))
            if run.dropped:
                over = f"{run.dropped} output message(s) over {MAX_MESSAGE // 1024**2} MB"
                nb.notes.append(f"{cell} sent {over}: dropped unread")
            if run.status == "ok":
                self.completed.append(source)
            elif run.status == "error":
                self.completed.append(source)
                nb.notes.append(f"{cell} raised {run.error}")
            elif run.status == "timeout":
                nb.notes.append(f"{cell} timed out after {min(self.timeout, left):.0f} s and was interrupted")
            else:
                nb.notes.append(f"{cell} lost the kernel ({run.reason}); it was restarted")
                self._replay(deadline)

    def _replay(self, deadline: float) -> None:
        """A fresh kernel brought back to the state before the cell that lost the old one."""
        self._start()
        self.fresh = False
        for source in list(self.completed):
            left = self._left(deadline)
            if left <= 0 or self.kernel.run(source, min(self.timeout, left)).status == "dead":
                self._start()  # give up replaying: grade what a fresh kernel has
                return

    def _grade_one(self, nb: NotebookResult, ex: ExerciseCheck, cells: list[tuple[int, str, str]]) -> ExerciseResult:
        cases = judge.cases(ex, self.seed)
        limit = self._limit()
        if limit <= 0 or not self.kernel.alive():
            why = OUT_OF_TIME if limit <= 0 else "the kernel could not be started again"
            return judge.result(ex, TIMEOUT if limit <= 0 else ERROR, f"{ex.function} was not graded: {why}")
        run = self.kernel.run(judge.request(ex, cases), limit)
        if run.status == "dead":
            nb.notes.append(f"grading {ex.function} lost the kernel ({run.reason}); it was restarted")
            try:
                self._replay(time.monotonic() + self.notebook_timeout)
            except KernelStartError as e:  # the next exercises find no kernel: errors, not a lost notebook
                nb.notes.append(one_line(e))
        return judge.judge(ex, cases, run, [source for _, _, source in cells], limit)

    def _limit(self) -> float:
        """The time limit of the next cell or grading call: the per-cell one, within the learner's budget."""
        return min(self.timeout, self._left())
