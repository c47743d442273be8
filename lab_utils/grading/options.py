"""How a learner is graded, declared once: `GradeOptions`, the same for the command line, a class, a Dask cluster
and the learner's pre-check.

`grade_submission` takes one; `course.batch` journals it with each result (a kept result is reused only when it
was graded the same way) and ships it to each worker. The sandbox mode is one of `sandbox.SANDBOX_MODES`:
a new sandbox backend adds its mode there and its set-up in `Sandbox` (docs/maintainers.md).
Light on purpose: no kernel client is imported, so the command line can build options before any grading.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab_utils.errors import LabError
from lab_utils.grading.sandbox import SANDBOX_MODES, Limits

DEFAULT_TIMEOUT = 60  # seconds per cell and per exercise's grading cell
DEFAULT_NOTEBOOK_TIMEOUT = 300  # seconds for all the cells of one notebook
DEFAULT_LEARNER_TIMEOUT = 1800  # seconds for the whole learner: cells, grading calls, kernel starts and replays


class GradeError(LabError):
    """Grading cannot run as asked (an unknown sandbox mode, sandbox="required" without bubblewrap)."""


@dataclass(frozen=True)
class GradeOptions:
    """Every setting of a grading but the learner's notebooks: the seed the inputs are drawn from, the time limits,
    the sandbox mode, the sandbox's resource limits (None: `Limits()`'s defaults), and how kernels start."""

    seed: int
    timeout: int = DEFAULT_TIMEOUT
    notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT
    learner_timeout: int = DEFAULT_LEARNER_TIMEOUT
    sandbox: str = "auto"
    limits: Limits | None = None
    fork: bool = True  # start each kernel from the warm fork server where it works (`forking`); same grades either way

    def __post_init__(self) -> None:
        if self.sandbox not in SANDBOX_MODES:
            raise GradeError(f"sandbox must be one of {', '.join(SANDBOX_MODES)}, not {self.sandbox!r}")
