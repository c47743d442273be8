"""TEMPORARY (removed once every check is converted): the old machinery every check shares: `CheckFailure`, `NotImplementedYet`, calling the learner's
function safely, comparing at a tolerance for the dtype, diagnosing known mistakes, the pass line.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

GREEN, RED, RESET = "\033[32m", "\033[31m", "\033[0m"
TF_HINT = "you used TensorFlow, which returns a tf.Tensor; this exercise asks for NumPy (np.exp, np.sum, ...)"
LIST_HINT = "you returned a {kind}; return a NumPy array (np.array(...))"


from lab_utils.checks.messages import CheckFailure, NotImplementedYet  # noqa: E402

Mistakes = list[tuple[str, Callable[[], Any]]]


# ---------------------------------------------------------------- shared machinery


def _show(value: Any) -> str:
    """A short, one-line picture of a value for a failure message."""
    if isinstance(value, str):
        return value
    if isinstance(value, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(value, dtype=float) if not isinstance(value, np.ndarray) else value
        except (TypeError, ValueError):
            arr = None  # a ragged or mixed sequence: its repr says more
        if arr is not None and arr.size > 24:
            return f"array of shape {arr.shape}, dtype {arr.dtype}"
        if arr is not None:
            return np.array2string(arr, precision=4, separator=", ").replace("\n", "")
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 200 else text[:200] + " ..."


def _fail(function: str, case: str, expected: Any, got: Any, hint: str | None = None) -> NoReturn:
    lines = [
        f"{function} gave a wrong answer for {case}",
        f"  expected: {_show(expected)}",
        f"  got:      {_show(got)}",
    ]
    if hint:
        lines.append(f"  hint: {hint}")
    raise CheckFailure("\n".join(lines))


def _call(
    fn: Any,
    function: str,
    args: tuple,
    case: str,
    on_error: Callable[[Exception], str | None] = lambda exc: None,
    allow_none: bool = False,
) -> Any:
    """Run the learner's function: stubs, exceptions and mutated inputs become check failures."""
    if not callable(fn):
        raise CheckFailure(f"the check needs your function {function} itself, got {type(fn).__name__}")
    originals = [copy.deepcopy(a) if isinstance(a, (np.ndarray, list)) else None for a in args]
    try:
        result = fn(*args)
    except NotImplementedError:
        raise NotImplementedYet(f"{function} is not implemented yet: write your code between the markers") from None
    except CheckFailure:
        raise
    except Exception as exc:
        hint = on_error(exc)
        message = f"{function} raised {_describe(exc)}\n  for {case}"
        raise CheckFailure(message + (f"\n  hint: {hint}" if hint else "")) from exc
    if result is None and not allow_none:
        raise NotImplementedYet(f"{function} returned None: not implemented yet (or a `return` is missing)")
    for before, after in zip(originals, args, strict=True):
        if before is not None and not _same(before, after):
            raise CheckFailure(
                f"{function} changed its input for {case}\n  hint: you mutated the input (in-place -=, /= or "
                "item assignment); compute into a new array instead, e.g. z = z - z.max()"
            )
    return result


def _describe(exc: Exception) -> str:
    """`Type: message`, cut to its first line: TensorFlow's messages run to pages."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:300]}"


def _same(a: Any, b: Any) -> bool:
    try:
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    except (TypeError, ValueError):
        return False


def _is_tf(value: Any) -> bool:
    return type(value).__module__.split(".")[0] in ("tensorflow", "tf_keras", "keras")


def _array(result: Any, function: str, case: str, shape: tuple[int, ...], shape_hint: str | None = None) -> np.ndarray:
    """The learner's result as an ndarray of the expected shape, or a failure saying why not."""
    if _is_tf(result):
        _fail(function, case, f"a NumPy array of shape {shape}", type(result).__name__, TF_HINT)
    if isinstance(result, (list, tuple)):
        _fail(function, case, f"a NumPy array of shape {shape}", result, LIST_HINT.format(kind=type(result).__name__))
    if not isinstance(result, np.ndarray):
        hint = shape_hint if isinstance(result, (int, float, np.number)) else None
        _fail(function, case, f"a NumPy array of shape {shape}", f"a {type(result).__name__}: {result!r}", hint)
    if result.shape != shape:
        hint = shape_hint or "the result must have one value per input value"
        _fail(function, case, f"shape {shape}", f"shape {result.shape}", hint)
    return result


def _tolerance(dtype: np.dtype) -> dict[str, float]:
    # Like scikit-learn's assert_allclose: float32 carries about 7 digits, float64 about 16.
    return {"rtol": 1e-6, "atol": 1e-9} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-6}


def _close(got: Any, expected: Any, dtype: np.dtype = np.float64, equal_nan: bool = False) -> bool:
    try:
        got = np.asarray(got, dtype=np.float64)
        return got.shape == np.shape(expected) and np.allclose(got, expected, equal_nan=equal_nan, **_tolerance(dtype))
    except (TypeError, ValueError):
        return False


def _diagnose(got: Any, mistakes: Mistakes, dtype: np.dtype = np.float64) -> str | None:
    """The hint of the first known mistake whose (wrong) answer is what the learner returned."""
    for hint, wrong in mistakes:
        with np.errstate(all="ignore"):
            try:
                if _close(got, wrong(), dtype, equal_nan=True):
                    return hint
            except (ValueError, IndexError, ZeroDivisionError):
                continue
    return None


def _passed(check: str, detail: str) -> None:
    print(f"{GREEN}✓ {check} passed: {detail}{RESET}")


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
