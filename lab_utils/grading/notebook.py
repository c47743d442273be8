"""Reading a learner's notebook file: its code cells, and how a learner finds a cell.

The one reader of notebooks for every part of the grader (the command line's input check, the class folder's
matching of renamed notebooks, the grading itself), through `files.read_regular` (no link, no FIFO, no device,
no oversize file). A learner's file is hostile, so the cheap checks come first and each is bounded: its size, then
the shape of its JSON (nesting depth and number of containers, counted on the text before it is parsed), then the
parse itself, then only what the grader needs of nbformat 4's schema (cells with a type and a source; at most
`MAX_OUTPUTS` outputs). nbformat's own validation (jsonschema) is never run here: a 781 KiB file with 20,000
outputs cost it 20-44 s and 1 GB, and importing it costs over a second. A notebook older than nbformat 4 is
converted by nbformat, imported only then. Nothing here starts a kernel.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from lab_utils.grading.files import read_regular
from lab_utils.grading.text import one_line

MAX_NOTEBOOK_BYTES = 20 * 1024**2  # a larger file is not a lab notebook (outputs included)
MAX_DEPTH = 64  # nesting of JSON arrays and objects; a notebook's is under 10, outputs' JSON data included
MAX_CONTAINERS = 500_000  # JSON arrays and objects in one file
MAX_CELLS = 20_000
MAX_OUTPUTS = 10_000  # outputs over all cells
# A JSON string, or an unterminated one to the end: possessive, so no input makes it scan twice.
_STRING = re.compile(rb'"(?:[^"\\]|\\.?)*+(?:"|\Z)', re.DOTALL)
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte but the brackets, for bytes.translate


class NotANotebook(ValueError):
    """The bytes are not a notebook the grader reads; the message says why, for the learner."""


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
    return code_cells(data)


def code_cells(data: bytes) -> list[tuple[int, str, str]]:
    """`read_code_cells` of a notebook's bytes; NotANotebook (a ValueError) when they are not one."""
    try:
        cells = notebook_cells(data)
    except NotANotebook as e:
        raise NotANotebook(f"not a Jupyter notebook ({e})") from None
    code = [c for c in cells if c["cell_type"] == "code"]
    return [(n, c.get("id", "") if isinstance(c.get("id"), str) else "", c["source"]) for n, c in enumerate(code, 1)]


def notebook_cells(data: bytes) -> list[dict[str, Any]]:
    """The cells of the notebook in `data`, each with `cell_type` and `source` as text, after the bounded checks
    of the module; NotANotebook with a short reason otherwise."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotANotebook(f"larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB")
    check_json_shape(data)
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise NotANotebook(one_line(e, 100)) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("nbformat"), int):
        raise NotANotebook("no nbformat version")
    if nb["nbformat"] < 4:
        nb = _upgraded(nb)
    elif nb["nbformat"] > 4:
        raise NotANotebook(f"nbformat {nb['nbformat']} is newer than this grader reads")
    return _checked_cells(nb)


def check_json_shape(data: bytes, max_depth: int = MAX_DEPTH, max_containers: int = MAX_CONTAINERS) -> None:
    """NotANotebook when the JSON text `data` nests deeper than `max_depth` or holds more than `max_containers`
    arrays and objects: counted on the brackets outside strings, in C, before anything is parsed."""
    brackets = _STRING.sub(b'""', data).translate(None, _BRACKETS)
    if len(brackets) > 2 * max_containers:  # each array or object has an opening and a closing bracket
        raise NotANotebook(f"more than {max_containers} JSON arrays and objects")
    steps = np.frombuffer(brackets, dtype=np.uint8)
    depth = np.cumsum(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1), dtype=np.int32)
    if depth.size and int(depth.max()) > max_depth:
        raise NotANotebook(f"JSON nested deeper than {max_depth} levels")


def _checked_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise NotANotebook('no "cells" list')
    if len(cells) > MAX_CELLS:
        raise NotANotebook(f"more than {MAX_CELLS} cells")
    outputs = 0
    for cell in cells:
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotANotebook("a cell without a cell_type")
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            cell["source"] = "".join(source)
        elif not isinstance(source, str):
            raise NotANotebook("a cell's source is not text")
        outputs += len(cell["outputs"]) if isinstance(cell.get("outputs"), list) else 0
        if outputs > MAX_OUTPUTS:
            raise NotANotebook(f"more than {MAX_OUTPUTS} outputs")
    return cells


def _upgraded(nb: dict[str, Any]) -> dict[str, Any]:
    """A notebook older than nbformat 4, converted by nbformat (imported here only: it costs over a second)."""
    import nbformat

    try:
        return nbformat.convert(nbformat.from_dict(nb), 4)
    except Exception as e:  # nbformat's converters raise anything on a malformed old notebook
        raise NotANotebook(f"an old notebook that cannot be converted ({one_line(e, 80)})") from None
