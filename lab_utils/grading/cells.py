"""Which code of a learner's notebook the grader runs: the statements a graded function may depend on.

Grading calls the learner's functions on the grader's inputs, so the cells that train models or draw
figures are not needed, and they cost most of a notebook's time. What is needed is decided per
top-level statement: a statement is needed when it defines a graded function, or binds a name (an
import, a helper, a constant) that a needed statement reads, transitively (`symtable` tells a
function's globals from its parameters and locals).

Which statements may be left out is decided from the master notebook in `solutions/`, never from
anything the learner can edit. A learner's cell is cut down only when its id is that of a master cell
AND its source is exactly the generated learner version's (so an edited cell always runs whole); it
then runs the statements the master needs plus those the learner's own graded functions need (so a
learner who made a graded function depend on a training cell still gets it run). A cell that does not
parse always runs whole.

What the grader knows of the masters ships in the package (`masters.json`, written by
`tools/build_notebooks.py` and checked for drift with the learner notebooks), so an installed lab (a hub's
shared environment, an image, a Dask worker) grades as a checkout does. It holds no solution: per master code
cell, the SHA-256 of its generated learner source and, per statement, the SHA-256 of its text with the global
names it binds and reads; a learner on a hub can read the package.
"""

from __future__ import annotations

import ast
import hashlib
import json
import symtable
from collections.abc import Iterable, Mapping, Sequence
from functools import cache, lru_cache
from importlib import resources

MASTERS = "masters.json"  # beside this module, in the package
Statement = tuple[str, set[str], set[str]]  # (its code, the global names it binds, those it reads)


@cache
def _transformer():  # IPython's own cell transformer: turns %magics and !shell lines into Python
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def names(code: str) -> tuple[set[str], set[str]]:
    """(global names `code` binds, global names it reads, in its own code or in the functions it
    defines). Raises SyntaxError."""
    top = symtable.symtable(code, "<cell>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    used = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    tables = list(top.get_children())
    while tables:
        table = tables.pop()
        tables += table.get_children()
        used |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
        bound |= {s.get_name() for s in table.get_symbols() if s.is_declared_global() and s.is_assigned()}
    return bound, used


@lru_cache(maxsize=4096)  # learners' cells repeat the handed-out ones; the rest should not pile up in a batch
def statements(source: str) -> tuple[Statement, ...] | None:
    """The cell's top-level statements as IPython runs them (magics made Python), or None when it does not parse."""
    try:
        code = _transformer().transform_cell(source)
        lines = code.splitlines(keepends=True)
        found = []
        for node in ast.parse(code).body:
            text = "".join(lines[node.lineno - 1 : node.end_lineno])
            found.append((text, *names(text)))
        return tuple(found)
    except (SyntaxError, ValueError):
        return None


def needed(sources: list[str], functions: Iterable[str]) -> dict[int, set[int] | None]:
    """For each cell index: the indices of its needed statements, or None when it must run whole."""
    return needed_statements([statements(s) for s in sources], functions)


def needed_statements(
    parsed: Sequence[Sequence[Statement] | None], functions: Iterable[str]
) -> dict[int, set[int] | None]:
    """`needed` for cells already split into statements (None: a cell that does not parse).

    A work list over the names read: each name is followed once to the statements that bind it, so the cost is
    linear in the statements and names (a chain of 10,000 one-line cells is one pass, not 10,000)."""
    functions = set(functions)
    keep: dict[int, set[int] | None] = {i: None if p is None else set() for i, p in enumerate(parsed)}
    binders: dict[str, list[tuple[int, int]]] = {}  # name -> the statements (cell, index) that bind it
    for i, p in enumerate(parsed):
        for j, (_, bound, _) in enumerate(p or ()):
            for name in bound:
                binders.setdefault(name, []).append((i, j))
    todo = [(i, j) for name in functions for i, j in binders.get(name, ())]
    wanted: set[str] = set()
    while todo:
        i, j = todo.pop()
        chosen = keep[i]
        if chosen is None or j in chosen:
            continue
        chosen.add(j)
        for name in parsed[i][j][2] - wanted:
            wanted.add(name)
            todo += binders.get(name, ())
    return keep


def digest(text: str) -> str:
    """The SHA-256 of a cell's or a statement's text, as `masters.json` records it."""
    return hashlib.sha256(text.encode()).hexdigest()


def master_record(master: Iterable[tuple[str, str]], generated: Mapping[str, str]) -> list[dict]:
    """What `masters.json` holds of one notebook: for each code cell of the master, as (id, source), its id, the
    digest of the generated learner cell with that id (None if there is none), and its statements as [digest,
    names bound, names read] (None if it does not parse). `generated`: cell id -> the learner version's source."""
    record = []
    for cid, source in master:
        parsed = statements(source)
        record.append(
            {
                "id": cid,
                "learner": digest(generated[cid]) if cid in generated else None,
                "statements": None
                if parsed is None
                else [[digest(text), sorted(bound), sorted(used)] for text, bound, used in parsed],
            }
        )
    return record


@cache
def _masters() -> dict[str, list[dict]]:
    """The package's `masters.json`: notebook stem -> `master_record` of its master; empty when not installed."""
    try:
        return json.loads(resources.files(__package__).joinpath(MASTERS).read_text(encoding="utf-8"))["notebooks"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


@cache
def reducible(stem: str, functions: frozenset[str]) -> Mapping[str, tuple[str, frozenset[str]]]:
    """Cell id -> (the digest of the generated learner source, the digests of the statements the master needs), for
    the code cells of `stem`; empty when its master is not recorded (then every cell runs whole)."""
    cells = _masters().get(stem, [])
    parsed = [
        None if c["statements"] is None else [(text, set(bound), set(used)) for text, bound, used in c["statements"]]
        for c in cells
    ]
    keep = needed_statements(parsed, functions)
    return {
        c["id"]: (c["learner"], frozenset(parsed[i][j][0] for j in keep[i]))
        for i, c in enumerate(cells)
        if keep[i] is not None and c["learner"] is not None
    }


def cells_to_run(cells: list[tuple[int, str, str]], stem: str, functions: Iterable[str]) -> list[tuple[int, str]]:
    """(cell number, code) of what grading runs, in order: whole cells, or unedited cells cut down to
    their needed statements. `cells`: the notebook's code cells as (number, id, source)."""
    functions = frozenset(functions)
    masters = reducible(stem, functions)
    cells = [cell for cell in cells if cell[2].strip()]
    own = needed([source for _, _, source in cells], functions)
    runs = []
    for i, (number, cid, source) in enumerate(cells):
        generated, chosen = masters.get(cid, (None, frozenset()))
        if generated != digest(source) or own[i] is None:
            runs.append((number, source))
            continue
        # The same statement as the master's (exercise cells differ only inside the graded functions).
        kept = [
            text
            for j, (text, bound, _) in enumerate(statements(source))
            if digest(text) in chosen or bound & functions or j in own[i]
        ]
        if kept:
            runs.append((number, "".join(kept)))
    return runs
