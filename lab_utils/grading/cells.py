"""Which cells of a learner's notebook the grader runs: the ones a graded function may depend on.

Grading calls the learner's functions on the grader's inputs, so the cells that train models or draw
figures are not needed, and they cost most of a notebook's time. Which cells those are is decided from
the master notebook in `solutions/` (never from anything the learner can edit): a master cell is
needed when it defines a graded function, or binds a name (an import, a helper, a constant) that a
needed cell uses, transitively. A learner's cell is skipped only when its id is that of an unneeded
master cell AND its source is exactly the generated learner version's (so an edited cell always runs),
AND it binds no name that the learner's own needed cells use (so a learner who made a graded function
depend on a training cell still gets it run). A cell that does not parse always runs.
"""

from __future__ import annotations

import symtable
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import nbformat

import lab_utils

ROOT = Path(lab_utils.__file__).resolve().parent.parent
MASTERS, GENERATED = ROOT / "solutions", ROOT / "notebooks"


@cache
def _transformer():  # IPython's own cell transformer: turns %magics and !shell lines into Python
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def names(source: str) -> tuple[set[str], set[str]] | None:
    """(global names the cell binds, global names it reads, in its own code or in the functions it
    defines, which is what `symtable` tells apart from their parameters and locals), or None when it
    does not parse."""
    try:
        top = symtable.symtable(_transformer().transform_cell(source), "<cell>", "exec")
    except (SyntaxError, ValueError):
        return None
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    used = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    tables = list(top.get_children())
    while tables:
        table = tables.pop()
        tables += table.get_children()
        used |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
        bound |= {s.get_name() for s in table.get_symbols() if s.is_declared_global() and s.is_assigned()}
    return bound, used


def needed(sources: list[str], functions: Iterable[str]) -> set[int]:
    """Indices of the cells that the `functions` may depend on (see the module docstring)."""
    parsed = [names(s) for s in sources]
    keep = {i for i, p in enumerate(parsed) if p is None or p[0] & set(functions)}
    wanted: set[str] = set()
    while True:
        for i in keep:
            wanted |= parsed[i][1] if parsed[i] is not None else set()
        more = {i for i, p in enumerate(parsed) if i not in keep and p is not None and p[0] & wanted}
        if not more:
            return keep
        keep |= more


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.get("cell_type") == "code"]


@cache
def skippable(stem: str, functions: frozenset[str]) -> Mapping[str, str]:
    """Cell id -> the generated learner source, for the master cells of `stem` that no graded function
    needs; empty when the master or its generated version is not installed (then every cell runs)."""
    try:
        master = nbformat.read(MASTERS / f"{stem}.ipynb", as_version=4)
        generated = nbformat.read(GENERATED / f"{stem}.ipynb", as_version=4)
    except (OSError, ValueError):
        return {}
    cells = _code_cells(master)
    keep = needed([c.source for c in cells], functions)
    unneeded = {c.get("id") for i, c in enumerate(cells) if i not in keep}
    return {c.id: c.source for c in _code_cells(generated) if c.get("id") in unneeded}


def cells_to_run(cells: list[tuple[int, str, str]], stem: str, functions: Iterable[str]) -> list[tuple[int, str]]:
    """(cell number, source) of the learner's code cells that grading runs, in order.
    `cells`: the notebook's code cells as (number, id, source)."""
    functions = frozenset(functions)
    skip = skippable(stem, functions)
    cells = [cell for cell in cells if cell[2].strip()]
    own = needed([source for _, _, source in cells], functions)
    return [(n, source) for i, (n, cid, source) in enumerate(cells) if i in own or skip.get(cid) != source]
