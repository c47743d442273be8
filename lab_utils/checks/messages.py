"""How a check speaks: `CheckFailure`, `NotImplementedYet`, the failure message, and the judge's comparisons.

Pure NumPy: the grader imports this module in a process where no learner code and no TensorFlow run.
A failure names the input, what was expected, what came back and a hint that points at the idea or the
API (never the finished line of code): a known mistake's (a mutant's, see `diagnose`), or else how the wrong
value relates to the right one (`lab_utils.checks.relations`). An array of up to 10 x 10 is shown whole, row
under row, beside the expected one; a larger one by its first differing entries.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from lab_utils.checks.relations import relation
from lab_utils.errors import LabError

GREEN, RED, RESET = "\033[32m", "\033[31m", "\033[0m"
TF_HINT = "you used TensorFlow, which returns a tf.Tensor; this exercise asks for a NumPy array"
LIST_HINT = "you returned a {kind}; return a NumPy array (np.array(...))"
# Bound when the lab loads: a learner's cell that patches np.allclose in their own kernel cannot reach
# the instant check's comparisons through them (the grader judges in another process anyway).
_allclose, _array_equal = np.allclose, np.array_equal
MAX_SHOWN = 24  # array elements shown in full on one line (a case's label); a larger one by shape and dtype
MAX_BLOCK = 10  # rows and columns of an array shown whole in a failure, row under row
MAX_DIFFERENCES = 5  # differing entries listed for an array too large to show whole
# A message's lines are broken at spaces before this width: the front end would otherwise wrap a long line
# wherever it reaches the edge, in the middle of a number.
WIDTH = 100
PAD = "\0"  # a space that `wrapped` does not break at
LEAD = len("✗ NotImplementedYet: ")  # what IPython's rendering puts before a message's first line

# An exercise's mutants: plausible wrong versions of its reference maths on one case, each (the sentence that
# names its cause, a function giving that wrong answer).
Mutants = list[tuple[str, Callable[[], Any]]]


class CheckFailure(LabError, AssertionError):
    """An exercise gave a wrong answer; the message says for which input and why."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message in red, no frames from the lab.

        IPython (and so Jupyter, nbclient and nbval) still records the cell as an error
        with this exception's name and message, so Run All stops and the grader sees it.
        """
        mark = "" if isinstance(self, NotImplementedYet) else "✗ "  # a stub is not yet a mistake
        lines = str(self).splitlines() or [""]
        lines[0] = f"{mark}{type(self).__name__}: {lines[0]}"
        return [f"{RED}{line}{RESET}" for line in lines]


class NotImplementedYet(CheckFailure):
    """The exercise still holds its stub."""


def is_tensorflow(type_: Any) -> bool:
    """Whether a type name (an observation's "type") is TensorFlow's or Keras'."""
    return str(type_).split(".")[0] in ("tensorflow", "tf_keras", "keras")


def a_kind(type_: Any) -> str:
    """A type name (an observation's "type") as a learner reads it, with its article: "an int",
    "a TensorFlow tensor (EagerTensor)"."""
    short = str(type_).rsplit(".", 1)[-1]
    if is_tensorflow(type_):
        return f"a TensorFlow tensor ({short})" if "Tensor" in short else f"a TensorFlow {short}"
    if short == "ndarray":
        return "a NumPy array"
    return f"{'an' if short[:1].lower() in 'aeiou' else 'a'} {short}"


def wrapped(line: str, lead: int = 0) -> str:
    """line broken at spaces to lines of at most WIDTH characters, continued under the text after its label
    ("  expected: "), so no number is ever split; `lead` characters will stand before its first line."""
    indent = len(line) - len(line.lstrip(" "))
    label = line.find(": ", indent)
    value = line[label + 2 :]
    under = label + 2 + len(value) - len(value.lstrip(" ")) if 0 <= label < 24 else indent + 4
    # NumPy pads numbers to a column ("0.09  ,", "[ 0.5"): that padding must not become a line break
    kept = re.sub(r"\([^()]{0,20}\)", lambda m: m[0].replace(" ", PAD), line)  # a shape such as (3, 2) whole
    kept = re.sub(r" +(?=[,\]=(])|(?<=[\[=]) +", lambda m: PAD * len(m[0]), "\1" * lead + kept)
    text = textwrap.fill(kept, WIDTH, subsequent_indent=" " * under, break_long_words=False, break_on_hyphens=False)
    return text[lead:].replace(PAD, " ")


def without_internals(text: str) -> str:
    """An exception's message without the names TensorFlow and Keras give their internals, which say nothing to
    a learner: op names ("{{function_node __wrapped__...}}", "[Op:AssignSubVariableOp] name:"), symbolic tensors
    (`Tensor("data:0", shape=(None,), dtype=float32)` becomes "a tensor of shape (None,)", "'keras_tensor_26'"
    goes) and classes' module paths (`<class 'keras.src.losses.losses.Foo'>` becomes "the class Foo")."""
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\]( name:.*)?$", "", text)
    text = re.sub(r'Tensor\("[^"]*", shape=(\([^)]*\)), dtype=\w+\)', r"a tensor of shape \1", text)
    text = re.sub(r"\s*(with name\s*)?'?keras_tensor(_\d+)?'?", "", text)
    return re.sub(r"<class '(?:[\w]+\.)*(\w+)'>", r"the class \1", text).strip()


def show(value: Any) -> str:
    """A short one-line picture of a value: ints as ints, None as None, floats to 6 significant digits."""
    if value is None or isinstance(value, (str, bool)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.6g}"
        return text if any(c in text for c in ".en") else f"{text}.0"  # 7.0 stays a float: 7 would look like an int
    if isinstance(value, np.ndarray):
        if value.size > MAX_SHOWN:
            return f"array of shape {value.shape}, dtype {value.dtype}"
        return np.array2string(value, precision=4, separator=", ", max_line_width=10**6).replace("\n", "")
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_SHOWN:
            return f"a {type(value).__name__} of {len(value)} items"
        inner = ", ".join(show(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{inner}]"
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 200 else text[:200] + " ..."


def shown(label: str, value: Any) -> list[str]:
    """The lines of "  expected: value" (label padded to "expected"): an array of up to MAX_BLOCK x MAX_BLOCK
    whole, one row per line with the rows aligned; anything else as `show` gives it."""
    head = f"  {label + ':':<9} "
    arr = value if isinstance(value, np.ndarray) else None
    if arr is None or arr.ndim != 2 or arr.size <= 1 or max(arr.shape) > MAX_BLOCK:
        if arr is not None and 0 < arr.ndim < 2 and arr.size <= MAX_BLOCK * MAX_BLOCK:
            return [head + np.array2string(arr, precision=4, separator=", ", max_line_width=10**6)]
        return [head + show(value)]
    rows = np.array2string(arr, precision=4, separator=", ", max_line_width=10**6).splitlines()
    return [head + rows[0]] + [" " * len(head) + row for row in rows[1:]]


def differences(expected: Any, got: Any) -> list[str]:
    """For arrays of one shape too large to show whole: the first MAX_DIFFERENCES differing entries with
    their indices, and how many differ."""
    if not (isinstance(expected, np.ndarray) and isinstance(got, np.ndarray)) or expected.shape != got.shape:
        return []
    if expected.size <= MAX_BLOCK * MAX_BLOCK and expected.ndim <= 2:
        return []
    with np.errstate(all="ignore"):
        try:
            off = ~np.isclose(got.astype(np.float64), expected.astype(np.float64), rtol=1e-4, atol=1e-6)
        except (TypeError, ValueError):
            return []
    where = np.argwhere(off)
    if not len(where):
        return []
    entries = [
        f"[{', '.join(map(str, index))}] expected {show(expected[tuple(index)])}, got {show(got[tuple(index)])}"
        for index in where[:MAX_DIFFERENCES]
    ]
    return [f"  {len(where)} of {expected.size} entries differ; the first: " + "; ".join(entries)]


def fail(
    function: str,
    case: str,
    expected: Any,
    got: Any,
    hint: str | None = None,
    quantities: dict[str, float] | None = None,
    dtype: np.dtype | None = None,
) -> NoReturn:
    """Raise the CheckFailure of a wrong answer: the input, what was expected, what came back, and a hint:
    the one given, else how got relates to expected (`relations.relation`, naming the case's `quantities`
    such as {"m": 4} where a factor is one of them; `dtype`: the input's)."""
    hint = hint or relation(got, expected, quantities, dtype)
    lines = [*shown("expected", expected), *shown("got", got), *differences(expected, got)]
    lines += [f"  hint: {hint}"] if hint else []
    raise CheckFailure(f"{wrapped(f'{function} gave a wrong answer for {case}', LEAD)}\n{message(lines)}")


def message(lines: list[str]) -> str:
    """A failure's lines, each broken at spaces to fit WIDTH (see `wrapped`)."""
    return "\n".join(wrapped(line) for line in lines)


def tolerance(dtype: np.dtype) -> dict[str, float]:
    """Like scikit-learn's assert_allclose: float32 carries about 7 digits, float64 about 16."""
    return {"rtol": 1e-6, "atol": 1e-9} if np.dtype(dtype) == np.float64 else {"rtol": 1e-4, "atol": 1e-6}


def close(got: Any, expected: Any, dtype: np.dtype = np.float64, equal_nan: bool = False) -> bool:
    """Whether got (plain data) has expected's shape and values at the dtype's tolerance."""
    try:
        arr = np.asarray(got, dtype=np.float64)
        return arr.shape == np.shape(expected) and _allclose(arr, expected, equal_nan=equal_nan, **tolerance(dtype))
    except (TypeError, ValueError):
        return False


def equal(got: np.ndarray, expected: np.ndarray) -> bool:
    """Exact equality of shapes and values (counts)."""
    return bool(_array_equal(got, expected))


def diagnose(got: Any, mutants: Mutants, dtype: np.dtype = np.float64) -> str | None:
    """The sentence of the first mutant whose (wrong) answer is what the learner returned, or None."""
    for hint, wrong in mutants:
        with np.errstate(all="ignore"):
            try:
                if close(got, wrong(), dtype, equal_nan=True):
                    return hint
            except (ValueError, IndexError, ZeroDivisionError):
                continue
    return None
