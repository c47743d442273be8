"""Reading a learner's notebook file: its code cells, and how a learner finds a cell.

The one reader of notebooks for every part of the grader (the command line's input check, the class folder's
matching of renamed notebooks, the grading itself), through `files.read_regular` (no link, no FIFO, no device,
no oversize file). It needs only nbformat: nothing here starts a kernel.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from lab_utils.grading.files import read_regular
from lab_utils.grading.text import one_line

MAX_NOTEBOOK_BYTES = 20 * 1024**2  # a larger file is not a lab notebook (outputs included)


def cell_label(number: int, source: str) -> str:
    """A cell named the way a learner finds it: "code cell 3 (`def my_softmax(z):`)"."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return f"code cell {number} (`{first[:50]}{' ...' if len(first) > 50 else ''}`)"


def read_code_cells(path: Path) -> list[tuple[int, str, str]]:
    """(position among the code cells, cell id, source) of the notebook's code cells; ValueError, with a reason a
    learner can read, when it is not a notebook (every part of the grader reads notebooks through this).
    Code cells are counted alone: JupyterLab numbers no cells, and a learner counts the code ones."""
    try:
        data = read_regular(path, MAX_NOTEBOOK_BYTES)  # RefusedFile is a ValueError, its message a learner's
    except OSError as e:
        raise ValueError(f"cannot read it ({e.strerror})") from None
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        code_cells = [c for c in nb.cells if c["cell_type"] == "code"]
        code = [(n, c.get("id", ""), c["source"]) for n, c in enumerate(code_cells, 1)]
        if not all(isinstance(source, str) for _, _, source in code):
            raise ValueError("a cell's source is not text")
    except Exception as e:  # OS, Unicode, JSON and schema errors all mean "not a notebook" to the learner
        raise ValueError(f"not a Jupyter notebook ({one_line(e, 100)})") from None
    return code
