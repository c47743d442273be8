"""Calling a learner's function and describing what came back as plain data (see `wire`).

KERNEL SIDE: runs in the learner's kernel (in JupyterLab for the instant checks, in the grader's sandbox
when grading), so it holds no reference maths and no judgement, only observation. Everything a
learner's object could do on the way (a subclass answering for itself, a method that raises, an
`exit()`) ends as data or as a "raised" observation, never as an exception here.
"""

from __future__ import annotations

import copy
import linecache
import os
import re
import site
import sys
import sysconfig
from types import TracebackType
from typing import Any, NamedTuple

import numpy as np

from lab_utils.observe import wire

MAX_TEXT = 300  # characters kept of a learner's message, repr or line of code
MAX_ITEMS = 10_000  # elements kept of a learner's list; more than any exercise returns
LIBRARY_DIRS = tuple(
    os.path.realpath(p)
    for p in {
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # lab_utils itself
        *(sysconfig.get_paths().get(k, "") for k in ("stdlib", "platstdlib", "purelib", "platlib")),
        site.getusersitepackages(),
    }
    if p
)


class Case(NamedTuple):
    """One input of a check. `args`: what the learner's function is called with; `probe`: what the kernel
    needs besides, to observe the result (images to run a returned model on, weights to build one).
    Both plain data (see `wire`)."""

    label: str
    args: list
    probe: dict | None = None


def call_learner(fn: Any, args: list) -> tuple[dict, Any]:
    """Call fn(*args) and describe the outcome as plain data: (observation, the live result or None).

    The observation is {"status": "returned", "type", "value", "is_array", "mutated"} ("item_types" too for a
    list or tuple), {"status": "raised", "type", "message", "where"}, {"status": "not_implemented", "message"}
    or {"status": "not_callable", "type"}.
    Arguments are deep-copied first, so "mutated" compares the learner's arguments after the call with
    copies no learner code has seen. Never raises (only KeyboardInterrupt gets through).
    """
    if not callable(fn):
        return {"status": "not_callable", "type": type_name(fn)}, None
    args = list(args)
    before = [copy.deepcopy(a) if isinstance(a, (np.ndarray, list)) else None for a in args]  # not models
    try:
        result = fn(*args)
    except NotImplementedError as exc:
        return {"status": "not_implemented", "message": _text(exc)}, None
    except (Exception, SystemExit) as exc:  # a learner's exit() is an error of theirs, not the end of the check
        return raised(exc), None
    obs = {"status": "returned", "type": type_name(result), "value": plain(result)}
    obs["is_array"] = isinstance(result, np.ndarray)
    if isinstance(result, (list, tuple)):  # a list's items become arrays on the wire: their own types go with them
        items = list.__iter__(result) if isinstance(result, list) else tuple.__iter__(result)
        obs["item_types"] = [type_name(v) for _, v in zip(range(MAX_ITEMS), items, strict=False)]
    obs["mutated"] = not all(_same(b, a) for b, a in zip(before, args, strict=True))
    return obs, result


def raised(exc: BaseException) -> dict:
    """The observation of an exception: its type, first line of its message, and the learner's line."""
    return {
        "status": "raised",
        "type": type(exc).__name__,
        "message": _text(exc),
        "where": learner_line(exc.__traceback__),
    }


def type_name(value: Any) -> str:
    """`module.QualName` of value's type, e.g. "numpy.ndarray", "builtins.list"."""
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"[:MAX_TEXT]


def plain(value: Any, depth: int = 0) -> Any:
    """value as plain data (see `wire`), read through the base types' own methods, so that a subclass
    cannot answer for itself; None when it is not data (a model, a function...). Never raises."""
    try:
        return _plain(value, depth)
    except Exception:
        return None


def _plain(value: Any, depth: int) -> Any:
    if value is None or type(value) is bool or depth > wire.MAX_DEPTH:
        return value if depth <= wire.MAX_DEPTH else None
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)[:MAX_TEXT]
    if isinstance(value, (np.ndarray, np.generic)):  # a subclass is read as the ndarray it is
        arr = np.ndarray.view(value, np.ndarray).copy() if isinstance(value, np.ndarray) else np.array(value)
        return arr if arr.dtype.kind in wire.ARRAY_KINDS else None
    if isinstance(value, (list, tuple)):
        items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
        return [plain(v, depth + 1) for _, v in zip(range(MAX_ITEMS), items, strict=False)]
    if isinstance(value, dict):
        return {str.__str__(k): plain(v, depth + 1) for k, v in dict.items(value) if isinstance(k, str)}
    arr = np.asarray(value)  # a tf.Tensor and other array-likes: their numbers, if they are numbers
    return np.array(arr) if arr.dtype.kind in wire.ARRAY_KINDS else None


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(before, after, True)
    if isinstance(before, list):
        return type(after) is list and len(before) == len(after) and all(map(_same, before, after))
    if before is None:
        return True  # not copied: an immutable value, or a model the check itself inspects
    return type(after) is type(before) and before == after  # exact types: no learner __eq__ answers


def _text(exc: BaseException) -> str:
    """The first line of an exception's message that says something: TensorFlow's run to pages, and
    Keras puts "Exception encountered when calling ..." before the reason."""
    try:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    except Exception:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].startswith("Exception encountered when calling"):
        lines = lines[1:]
    return lines[0][:MAX_TEXT] if lines else ""


def learner_line(tb: TracebackType | None) -> str | None:
    """Where the learner's own code failed, as Python shows it: the last frame outside the lab and the
    installed libraries, e.g. 'Cell In[5], line 4, in count_params: return sizes[i + 1]'."""
    where = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if not is_library_file(code.co_filename):
            where = (code.co_filename, tb.tb_lineno, code.co_name)
        tb = tb.tb_next
    if where is None:
        return None
    filename, lineno, name = where
    line = linecache.getline(filename, lineno).strip()
    return f"{_place(filename)}line {lineno}, in {name}: {line}"[:MAX_TEXT]


def _place(filename: str) -> str:
    """'Cell In[5], ' for an IPython cell (named as IPython's own tracebacks name it), else the file name."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    try:
        label = shell.compile.format_code_name(filename) if shell is not None else None
    except Exception:  # an older IPython without format_code_name
        label = None
    if label:
        return f"{label[0]} {label[1]}, "
    return f'File "{os.path.basename(filename)}", ' if not filename.startswith("<") else ""


def is_library_file(filename: str) -> bool:
    """Whether code from filename is the lab's or an installed library's, not the learner's."""
    return not filename.startswith("<") and os.path.realpath(filename).startswith(LIBRARY_DIRS)
