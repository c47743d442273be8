"""Handing in the lab: `handin()` saves, pre-checks the whole series and writes one verifiable file.

- `learner`: `handin()` and `make_handin` (the pre-check with the instructor's grader, the zip);
- `save`: saving JupyterLab's open notebooks from the kernel (ipylab);
- `report`: the table, total and receipt the learner reads, in a notebook or a terminal;
- `manifest`: the hand-in file's format, which the course's grader (`lab_utils.course.handin_file`) reads;
- `__main__`: `python -m lab_utils.handin [NOTEBOOK_DIR] [--learner ID] [--out DIR]`.

`handin` is loaded on first use, so that the course's side can read the manifest format without the rest.
"""

from __future__ import annotations

from typing import Any

__all__ = ["handin"]


def __getattr__(name: str) -> Any:
    if name == "handin":
        from lab_utils.handin.learner import handin

        return handin
    raise AttributeError(f"module 'lab_utils.handin' has no attribute {name!r}")
