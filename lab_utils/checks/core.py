"""What every check shares: the `ExerciseCheck` protocol, calling learner code, and the instant check.

A check is split at the one place where learner code runs (see PLAN.md, "the check protocol"):

- `ExerciseCheck.cases(rng)` makes the inputs: plain data, fixed edge cases and random ones from rng;
- `ExerciseCheck.observe(fn, case)` runs in the learner's kernel: it calls the learner's function
  (through `call_learner`) and describes what came back as plain data. It never raises;
- `ExerciseCheck.judge(case, obs)` runs wherever the verdict is made: NumPy only, no learner code,
  no TensorFlow. It raises `CheckFailure` or `NotImplementedYet`, or returns on success.

`run_check` is the instant check of a notebook cell: the same cases (from a fixed seed, so nbval sees
the same lines every run), the same wire round trip as the grader, then one green line.
Formatting of messages lives in `lab_utils.checks.messages`, the source check in `.library`.
"""

from __future__ import annotations

import copy
import linecache
import os
import re
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any, NamedTuple

import numpy as np

from lab_utils.checks import wire
from lab_utils.checks.library import is_library_file, library_hint, source_of
from lab_utils.checks.messages import GREEN, LIST_HINT, RESET, TF_HINT, CheckFailure, NotImplementedYet, fail, show

SEED = 2026  # the instant checks' seed: nbval compares their output line by line
MAX_TEXT = 300  # characters kept of a learner's message, repr or line of code
MAX_ITEMS = 10_000  # elements kept of a learner's list; more than any exercise returns


class Case(NamedTuple):
    """One input of a check. `args`: what the learner's function is called with; `probe`: what the kernel
    needs besides, to observe the result (images to run a returned model on, weights to build one).
    Both plain data (see `wire`)."""

    label: str
    args: list
    probe: dict | None = None


class ExerciseCheck:
    """The check of one exercise. Subclasses set the names and define `cases`, `observe`, `verify`."""

    function: str = ""  # the learner's function name, e.g. "my_softmax"
    name: str = ""  # the notebook's check function, e.g. "check_softmax"
    library_calls: tuple[str, ...] = ()  # dotted names this exercise forbids, e.g. "tensorflow.nn.softmax"
    library_hint: str = "this exercise asks you to write it yourself"
    allow_none: bool = False  # True when None is a valid return (the function works by side effect)

    def cases(self, rng: np.random.Generator) -> list[Case]:
        """Fixed edge cases, then random ones drawn from rng (a fresh seed gives fresh inputs)."""
        raise NotImplementedError

    def observe(self, fn: Callable, case: Case) -> dict:
        """KERNEL SIDE: call fn on the case and describe the result as plain data. Never raises."""
        obs, _ = call_learner(fn, case.args)
        return obs

    def judge(self, case: Case, obs: dict) -> None:
        """GRADER SIDE: raise CheckFailure / NotImplementedYet unless obs is right for case."""
        self.expect_return(case, obs)
        self.verify(case, obs)

    def verify(self, case: Case, obs: dict) -> None:
        """The exercise's own judgement of a normal return (obs["status"] == "returned")."""
        raise NotImplementedError

    def error_hint(self, case: Case, obs: dict) -> str | None:
        """A hint for an exception the learner's code raised (obs["type"], obs["message"]), if known."""
        return None

    def summary(self, cases: list[Case]) -> str:
        """The detail of the green pass line."""
        return f"{len(cases)} inputs"

    def expect_return(self, case: Case, obs: dict) -> None:
        """Turn the outcomes every exercise shares (stub, exception, None, mutated input) into failures."""
        status = obs.get("status")
        if status == "not_callable":
            raise CheckFailure(f"the check needs your function {self.function} itself, got a {obs.get('type')}")
        if status == "not_implemented":
            raise NotImplementedYet(f"{self.function} is not implemented yet: write your code between the markers")
        if status == "raised":
            lines = [f"{self.function} raised {obs.get('type')}: {obs.get('message')}", f"  for {case.label}"]
            if obs.get("where"):
                lines.append(f"  at {obs['where']}")
            hint = self.error_hint(case, obs)
            raise CheckFailure("\n".join(lines + ([f"  hint: {hint}"] if hint else [])))
        if status != "returned":
            raise CheckFailure(f"{self.function}: the kernel sent an observation the check cannot read")
        if obs.get("type") == "builtins.NoneType" and not self.allow_none:
            raise NotImplementedYet(f"{self.function} returned None: not implemented yet (or a `return` is missing)")
        if obs.get("mutated"):
            raise CheckFailure(
                f"{self.function} changed its input for {case.label}\n  hint: you mutated the input (in-place "
                "-=, /=, pop or item assignment); compute into a new array or list instead"
            )

    def __call__(self, fn: Callable, *context: Any) -> None:
        """The instant check (`run_check`); `context` (a trained model, say) is accepted and not needed."""
        run_check(self, fn)


# ---------------------------------------------------------------- the kernel side


def observe_case(check: ExerciseCheck, fn: Any, case: Case) -> dict:
    """KERNEL SIDE, what the grader's kernel and the instant check call: check.observe(fn, case), made
    plain data of exact types whatever the learner's objects did (an exception on the way is theirs)."""
    try:
        obs = check.observe(fn, case)
    except Exception as exc:  # e.g. a returned object whose methods raise while it is described
        obs = raised(exc)
    return plain(obs)


def call_learner(fn: Any, args: list) -> tuple[dict, Any]:
    """Call fn(*args) and describe the outcome as plain data: (observation, the live result or None).

    The observation is {"status": "returned", "type", "value", "is_array", "mutated"}, {"status": "raised", "type",
    "message", "where"}, {"status": "not_implemented", "message"} or {"status": "not_callable", "type"}.
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


# ---------------------------------------------------------------- the instant check


def run_check(check: ExerciseCheck, fn: Any, cases: list[Case] | None = None, seed: int = SEED) -> None:
    """The notebook's instant check: the source check, then every case observed and judged through the
    wire round trip the grader uses; prints one green line, or raises CheckFailure / NotImplementedYet."""
    if not callable(fn):
        raise CheckFailure(f"the check needs your function {check.function} itself, got a {type(fn).__name__}")
    source, aliases = source_of(fn, check.library_calls)
    hint = library_hint(check, source, aliases=aliases, name=getattr(fn, "__name__", None))
    if hint:
        raise CheckFailure(hint)
    cases = check.cases(np.random.default_rng(seed)) if cases is None else cases
    for case in cases:
        sent = Case(*wire.decode(wire.encode(list(case))))
        obs = wire.decode(wire.encode(observe_case(check, fn, sent)))
        check.judge(case, obs)
    print(f"{GREEN}✓ {check.name} passed: {check.summary(cases)}{RESET}")


# ---------------------------------------------------------------- the judge's shared verdicts


def is_tensorflow(type_: Any) -> bool:
    """Whether a type name (an observation's "type") is TensorFlow's or Keras'."""
    return str(type_).split(".")[0] in ("tensorflow", "tf_keras", "keras")


def returned_array(
    function: str, case: Case, obs: dict, shape: tuple[int, ...], shape_hint: str | None = None
) -> np.ndarray:
    """The learner's returned array (obs["value"]) if it is an ndarray of `shape`, else a failure saying why."""
    value, kind = obs.get("value"), str(obs.get("type"))
    want = f"a NumPy array of shape {shape}"
    if is_tensorflow(kind):
        fail(function, case.label, want, kind.rsplit(".", 1)[-1], TF_HINT)
    if kind in ("builtins.list", "builtins.tuple"):
        fail(function, case.label, want, value, LIST_HINT.format(kind=kind.split(".")[1]))
    if not obs.get("is_array") or not isinstance(value, np.ndarray):
        number = isinstance(value, (int, float)) or (isinstance(value, np.ndarray) and value.ndim == 0)
        fail(function, case.label, want, f"a {kind.rsplit('.', 1)[-1]}: {show(value)}", shape_hint if number else None)
    if value.shape != shape:
        fail(function, case.label, f"shape {shape}", f"shape {value.shape}", shape_hint or "one value per input value")
    return value


__all__ = [
    "SEED",
    "Case",
    "CheckFailure",
    "ExerciseCheck",
    "NotImplementedYet",
    "call_learner",
    "fail",
    "observe_case",
    "run_check",
]
