"""Grading learners' notebooks: in a sandboxed kernel per learner, judged outside it.

- `sandbox`: the bubblewrap command line, resource limits, cgroup; `runner`: the kernel and its cells;
- `channels`: the kernel's sockets read with a limit on each whole message;
- `cells`: which cells a graded function may depend on, from `masters.json` (the package's record of the solved
  notebooks); the code run in the kernel is `lab_utils.observe`;
- `judge`: cases from the run's seed and the verdicts; `submission`: `grade_submission`; `options`: how a learner
  is graded (`GradeOptions`);
- `results`: what grading produces; `notebook`: reading a notebook file; `text`: learner text made fit to show.

Grading a whole class, and everything a course does with the results, is `lab_utils.course`.

`grade_submission`, `GradeOptions`, `GradeError` and `Limits` are loaded on first use, so that the light modules
(`text`, `results`, `notebook`), which the course's pages and the hand-in read, do not pay for jupyter_client.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["GradeError", "GradeOptions", "Limits", "grade_submission"]
_HOMES = {"GradeError": "options", "GradeOptions": "options", "Limits": "sandbox", "grade_submission": "submission"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"lab_utils.grading.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'lab_utils.grading' has no attribute {name!r}")
