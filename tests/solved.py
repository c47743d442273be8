"""The solved notebooks (solutions/) read for the tests: their graded functions, their exercises and check calls.

The tests derive from the registry (`lab_utils.checks.EXERCISES`) and from these notebooks what they once
kept in hand-written lists, so adding an exercise touches its check module and its notebook, not the tests.
"""

from functools import cache
from pathlib import Path

import nbformat

import lab_utils
from lab_utils.checks import EXERCISES
from lab_utils.grading.cells import needed, statements

SOLUTIONS_DIR = Path(lab_utils.__file__).resolve().parents[1] / "solutions"
START_CODE = "### START CODE HERE ###"
GRADED = sorted({ex.notebook for ex in EXERCISES})


def code_cells(stem: str, folder: Path = SOLUTIONS_DIR) -> list[str]:
    """The sources of the code cells of a solved notebook, e.g. "02_model"."""
    nb = nbformat.read(folder / f"{stem}.ipynb", as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def exercise_functions(stem: str, folder: Path = SOLUTIONS_DIR) -> list[str]:
    """The functions of a notebook whose body holds a START CODE marker (its exercises), in order."""
    found = []
    for source in code_cells(stem, folder):
        for text, bound, _ in statements(source) or ():
            if START_CODE in text and text.lstrip().startswith("def "):
                found += sorted(bound)
    return found


def check_calls(stem: str, folder: Path = SOLUTIONS_DIR) -> list[str]:
    """The check cells of a notebook, as written, e.g. "check_softmax(my_softmax)"."""
    return [source.strip() for source in code_cells(stem, folder) if source.strip().startswith("check_")]


@cache
def solved_functions(stem: str) -> dict:
    """The namespace after running what the notebook's graded functions need (as the grader selects it)."""
    sources = code_cells(stem)
    functions = [ex.function for ex in EXERCISES if ex.notebook == stem]
    namespace: dict = {}
    for source, keep in zip(sources, needed(sources, functions).values(), strict=True):
        parsed = statements(source) or ()
        for j, (text, _, _) in enumerate(parsed):
            if keep is None or j in keep:
                exec(compile(text, f"<{stem}>", "exec"), namespace)  # noqa: S102 (the lab's own solved notebook)
    return namespace
