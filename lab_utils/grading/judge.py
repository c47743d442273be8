"""The grader's side of an exercise: its cases from the run's seed, the cell that asks the kernel to
observe them, and the verdict on what came back, in this process, where no learner code runs.

`request(ex, cases)` is the grading cell's code; `judge(ex, cases, run, sources)` reads the kernel's
answer (the wire format: plain data, validated and size-capped, never unpickled or evaluated) and
calls the exercise's own `check.judge` on each case, with the cases the grader made, not any the
kernel echoes. The source check (`library_failure`) reads the learner's notebook text, not the kernel.
Whatever the kernel sends that is not a well-formed answer is an error worth 0 points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lab_utils.checks.core import ExerciseCheck
from lab_utils.checks.library import library_failure
from lab_utils.checks.messages import CheckFailure, NotImplementedYet
from lab_utils.grading.results import ERROR, FAILED, MISSING, NOT_IMPLEMENTED, PASSED, TIMEOUT, ExerciseResult
from lab_utils.grading.runner import CellRun
from lab_utils.grading.text import MESSAGE_CHARS, one_line
from lab_utils.observe import wire
from lab_utils.observe.calls import Case

MAX_ANSWER = 8 * 1024**2  # bytes: the largest answer a kernel may send for one exercise
MESSAGE_LINES = 12  # a failure message keeps this many lines


PRELOAD = f"import {wire.KERNEL_MODULE}"  # run before the learner's cells


def cases(ex: ExerciseCheck, seed: int) -> list[Case]:
    """The exercise's cases for this run: its fixed edge cases and random ones from `seed`."""
    return list(ex.cases(np.random.default_rng(seed)))


def request(ex: ExerciseCheck, cases: list[Case]) -> str:
    """The grading cell that has the kernel observe the learner's function on `cases`."""
    request = {"function": ex.function, "observer": ex.observer, "cases": [list(c) for c in cases]}
    payload = wire.encode(request)
    return f"__import__({wire.KERNEL_MODULE!r}, fromlist=['observe_all']).observe_all(globals(), {payload!r})"


def result(ex: ExerciseCheck, result: str, message: str, hint: str | None = None) -> ExerciseResult:
    """An ExerciseResult with the registry's points, scored by the grader."""
    score = ex.points if result == PASSED else 0
    return ExerciseResult(ex.function, ex.notebook, ex.points, score, result, message, hint)


def judge(ex: ExerciseCheck, cases: list[Case], run: CellRun, sources: list[str], timeout: float) -> ExerciseResult:
    """The verdict on the kernel's answer `run` to `request(ex, cases)`; `sources`: the notebook's code cells."""
    hint = library_failure(ex, sources)
    if hint:
        return result(ex, FAILED, one_line(hint), ex.library_hint)
    if run.status == "timeout":
        return result(ex, TIMEOUT, f"{ex.function} ran for more than {timeout:g} s (an infinite loop?) and was stopped")
    if run.status == "dead":
        return result(ex, ERROR, f"the kernel was lost while {ex.function} ran: {run.reason}")
    try:
        answer = _answer(run, len(cases))
    except wire.WireError as e:
        return result(ex, ERROR, f"the kernel's answer for {ex.function} was not valid: {one_line(e)}")
    if "missing" in answer:
        return result(ex, MISSING, one_line(answer["missing"]))
    for case, obs in zip(cases, answer["observations"], strict=True):
        try:
            ex.judge(case, obs)
        except NotImplementedYet as e:
            return _failure(ex, NOT_IMPLEMENTED, e)
        except CheckFailure as e:
            return _failure(ex, FAILED, e)
        except Exception:  # an observation shaped to trip the judge: the kernel lied, the learner gets nothing
            return result(ex, FAILED, f"{ex.function}: the kernel sent an observation the check cannot read")
    return result(ex, PASSED, f"{ex.name} passed: {ex.summary(cases)}")


def _answer(run: CellRun, n_cases: int) -> dict[str, Any]:
    """The kernel's answer, checked for shape: {"missing": str} or {"observations": [dict] * n_cases}."""
    if run.payload is None:
        raise wire.WireError(f"none came back{f' (the cell raised {run.error})' if run.error else ''}")
    answer = wire.decode(run.payload, max_bytes=MAX_ANSWER)
    if isinstance(answer, dict) and set(answer) == {"missing"} and isinstance(answer["missing"], str):
        return answer
    observations = answer.get("observations") if isinstance(answer, dict) and len(answer) == 1 else None
    if not (isinstance(observations, list) and len(observations) == n_cases):
        raise wire.WireError(f"expected {n_cases} observations")
    if not all(isinstance(obs, dict) for obs in observations):
        raise wire.WireError("an observation is not a dict")
    return answer


def _failure(ex: ExerciseCheck, verdict: str, failure: CheckFailure) -> ExerciseResult:
    """The failure's message (cut to a sane size) and its hint, kept apart for the class report. The hint is whole:
    its line and the lines `messages.wrapped` continued it on (indented deeper), joined into one text."""
    message, hint = _split_hint(str(failure).splitlines() or [""])
    kept = [line[:MESSAGE_CHARS] for line in message][:MESSAGE_LINES]
    return result(ex, verdict, "\n".join(kept), hint[:MESSAGE_CHARS] if hint else None)


def _split_hint(lines: list[str]) -> tuple[list[str], str | None]:
    """(the message's lines without the first hint, that hint's text with its continuation lines joined)."""
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("hint:")), None)
    if start is None:
        return lines, None
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) > indent:
        end += 1
    hint = " ".join(line.strip() for line in lines[start:end]).removeprefix("hint:").strip()
    return lines[:start] + lines[end:], hint
