"""What every check shares: the `ExerciseCheck` protocol, calling learner code, and the instant check.

A check is split at the one place where learner code runs:

- `ExerciseCheck.cases(rng)` makes the inputs: plain data, fixed edge cases and random ones from rng;
- the check's `observer` names the code that runs in the learner's kernel (`lab_utils.observe`): it calls
  the learner's function and describes what came back as plain data. It never raises, and it holds no
  answer: the grader's kernel has `lab_utils.observe` but not this package;
- `ExerciseCheck.judge(case, obs)` runs wherever the verdict is made: NumPy only, no learner code,
  no TensorFlow. It raises `CheckFailure` or `NotImplementedYet`, or returns on success.

A check also declares its exercise: the learner's `function`, its `notebook` and its `points`; the registry
`lab_utils.checks.EXERCISES` is built from the checks the per-notebook modules define.

`run_check` is the instant check of a notebook cell: the same cases (from a fixed seed, so nbval sees
the same lines every run), the same wire round trip as the grader, then one green line. A failure without a
hint whose answer another input also got (a function reading a global instead of its argument) says so.
Formatting of messages lives in `lab_utils.checks.messages`, the source check in `.library`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lab_utils import observe
from lab_utils.checks.explain import explain
from lab_utils.checks.library import library_failure, source_of
from lab_utils.checks.messages import (
    GREEN,
    LEAD,
    LIST_HINT,
    RESET,
    TF_HINT,
    CheckFailure,
    NotImplementedYet,
    a_kind,
    fail,
    is_tensorflow,
    message,
    show,
    without_internals,
    wrapped,
)
from lab_utils.checks.relations import relation
from lab_utils.observe import wire
from lab_utils.observe.calls import Case, call_learner

SEED = 2026  # the instant checks' seed: nbval compares their output line by line


class ExerciseCheck:
    """The check of one exercise, and the exercise's declaration. Subclasses set the names, the notebook
    and the points, and define `cases` and `verify` (and `observer` when calling fn(*case.args) is not it)."""

    function: str = ""  # the learner's function name, e.g. "my_softmax"
    name: str = ""  # the notebook's check function, e.g. "check_softmax"
    notebook: str = ""  # the notebook the exercise is graded in, e.g. "01_softmax"
    points: int = 0  # what passing it earns in the grade
    observer: str = "call"  # how the kernel calls the learner's function (a key of `lab_utils.observe.OBSERVERS`)
    # A body (with {0}, {1}... for the function's parameters) that gives a wrong answer: the browser test
    # types it into the learner notebook to see the failure shown.
    wrong_answer: str | None = None
    library_calls: tuple[str, ...] = ()  # dotted names this exercise forbids, e.g. "tensorflow.nn.softmax"
    library_hint: str = "this exercise asks you to write it yourself"
    allow_none: bool = False  # True when None is a valid return (the function works by side effect)
    parameters: tuple[str, ...] = ()  # the learner's function's parameter names, to name their arrays in hints

    def cases(self, rng: np.random.Generator) -> list[Case]:
        """Fixed edge cases, then random ones drawn from rng (a fresh seed gives fresh inputs)."""
        raise NotImplementedError

    def judge(self, case: Case, obs: dict) -> None:
        """GRADER SIDE: raise CheckFailure / NotImplementedYet unless obs is right for case."""
        self.expect_return(case, obs)
        self.verify(case, obs)

    def verify(self, case: Case, obs: dict) -> None:
        """The exercise's own judgement of a normal return (obs["status"] == "returned")."""
        raise NotImplementedError

    def error_hint(self, case: Case, obs: dict) -> str | None:
        """A hint of this exercise's own for an exception the learner's code raised (obs["type"],
        obs["message"]), when the message shows its cause; else the general table (`explain`) is asked."""
        return None

    def arrays(self, case: Case) -> dict[str, tuple[int, ...]]:
        """The shapes of the case's array arguments, by the learner's parameter names."""
        return {n: a.shape for n, a in zip(self.parameters, case.args, strict=False) if isinstance(a, np.ndarray)}

    def summary(self, cases: list[Case]) -> str:
        """The detail of the green pass line."""
        return f"{len(cases)} inputs"

    def expect_return(self, case: Case, obs: dict) -> None:
        """Turn the outcomes every exercise shares (stub, exception, None, mutated input) into failures."""
        status = obs.get("status")
        if status == "not_callable":
            raise CheckFailure(f"the check needs your function {self.function} itself, got {a_kind(obs.get('type'))}")
        if status == "not_implemented":
            raise NotImplementedYet(f"{self.function} is not implemented yet: write your code between the markers")
        if status == "raised":
            detail = without_internals(str(obs.get("message")))
            lines = [wrapped(f"{self.function} raised {obs.get('type')}: {detail}", LEAD), f"  for {case.label}"]
            if obs.get("where"):  # the learner's line of code, whole, as Python shows it
                lines.append(f"  at {obs['where']}")
            hint = self.error_hint(case, obs) or explain(str(obs.get("type")), detail, self.arrays(case))
            raise CheckFailure("\n".join(lines + ([message([f"  hint: {hint}"])] if hint else [])))
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


def observe_in_kernel(check: ExerciseCheck, fn: Any, case: Case) -> dict:
    """KERNEL SIDE, what the instant check calls: the check's observer on fn and case (see `lab_utils.observe`)."""
    return observe.observe_case(check.observer, fn, case)


# ---------------------------------------------------------------- the instant check


def run_check(check: ExerciseCheck, fn: Any, cases: list[Case] | None = None, seed: int = SEED) -> None:
    """The notebook's instant check: the source check, then every case observed and judged through the
    wire round trip the grader uses; prints one green line, or raises CheckFailure / NotImplementedYet."""
    if not callable(fn):
        raise CheckFailure(f"the check needs your function {check.function} itself, got {a_kind(type(fn).__name__)}")
    source, aliases = source_of(fn, check.library_calls)
    hint = library_failure(check, source, aliases=aliases, name=getattr(fn, "__name__", None))
    if hint:
        raise CheckFailure(hint)
    cases = check.cases(np.random.default_rng(seed)) if cases is None else cases
    seen: list[tuple[Case, dict]] = []
    for i, case in enumerate(cases):
        obs = _observed(check, fn, case)
        try:
            check.judge(case, obs)
        except NotImplementedYet:
            raise
        except CheckFailure as failure:
            if "\n  hint: " in str(failure):
                raise
            # no hint yet: a passed case (or, for the first, the next one) that came back the same was not read
            others = seen or [(c, _observed(check, fn, c)) for c in cases[i + 1 : i + 2]]
            other = next((c for c, o in others if _same_answer(obs, o)), None)
            if other is None:
                raise
            hint = message([f"  hint: {_SAME_ANSWER.format(label=other.label)}"])
            raise CheckFailure(f"{failure}\n{hint}") from None
        seen.append((case, obs))
    print(f"{GREEN}✓ {check.name} passed: {check.summary(cases)}{RESET}")


_SAME_ANSWER = (
    "your function gave this same answer for {label}: it does not depend on its input (does it read a global, "
    "such as the notebook's example, instead of its argument?)"
)


def _observed(check: ExerciseCheck, fn: Any, case: Case) -> dict:
    """The observation of fn on case, both through the wire round trip the grader uses."""
    sent = Case(*wire.decode(wire.encode(list(case))))
    return wire.decode(wire.encode(observe_in_kernel(check, fn, sent)))


def _same_answer(one: dict, other: dict) -> bool:
    """Whether two observations returned one value that says something: not None, not one repeated number."""
    if one.get("status") != "returned" or other.get("status") != "returned" or one.get("type") != other.get("type"):
        return False
    value = one.get("value")
    if value is None or (isinstance(value, np.ndarray) and value.size > 1 and np.ptp(value) == 0):
        return False
    return wire.encode(value) == wire.encode(other.get("value"))


# ---------------------------------------------------------------- the judge's shared verdicts


def returned_array(
    function: str,
    case: Case,
    obs: dict,
    shape: tuple[int, ...],
    shape_hint: str | None = None,
    expected: np.ndarray | None = None,
) -> np.ndarray:
    """The learner's returned array (obs["value"]) if it is an ndarray of `shape`, else a failure saying why:
    how it relates to `expected` (transposed, an axis more or less...) when it does, else shape_hint."""
    value, kind = obs.get("value"), str(obs.get("type"))
    want = f"a NumPy array of shape {shape}"
    if is_tensorflow(kind):
        fail(function, case.label, want, a_kind(kind), TF_HINT)
    if kind in ("builtins.list", "builtins.tuple"):
        fail(function, case.label, want, value, LIST_HINT.format(kind=kind.split(".")[1]))
    if not obs.get("is_array") or not isinstance(value, np.ndarray):
        number = isinstance(value, (int, float)) or (isinstance(value, np.ndarray) and value.ndim == 0)
        fail(function, case.label, want, f"{a_kind(kind)}: {show(value)}", shape_hint if number else None)
    if value.shape != shape:
        hint = (relation(value, expected) if expected is not None else None) or shape_hint
        fail(function, case.label, f"shape {shape}", f"shape {value.shape}", hint or "one value per input value")
    return value


__all__ = [
    "SEED",
    "Case",
    "CheckFailure",
    "ExerciseCheck",
    "NotImplementedYet",
    "call_learner",
    "fail",
    "is_tensorflow",
    "observe_in_kernel",
    "run_check",
]
