"""How a wrong value relates to the right one, said in plain words: the hint of a mistake nobody listed.

`relation(got, expected, quantities, dtype)` tries, in order: the kind of value (a string, or a list of
numbers, where a number or an array is asked); NaN or inf where the answer is finite; a shape that is the
right one's transposed, with an extra or a missing axis, or the first example's alone; and, for values of the
right shape, a flipped sign, all zeros, all ones or one constant, every row the same, a constant factor (named
when it is one of the case's own `quantities`, e.g. {"m": 4, "K": 3, "learning_rate": 0.1}, or 2), a constant
offset, rounding or truncation, a smaller float type than the input's, and one row or column off. Each answer is
a fact about the values, never a guess at the code; None when nothing relates them. NumPy only (grader side).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Quantities = dict[str, float]


def relation(
    got: Any, expected: Any, quantities: Quantities | None = None, dtype: np.dtype | None = None
) -> str | None:
    """How got relates to expected, in a sentence, or None. expected: a number or an array (anything else
    gives None); dtype: the input's, to tell a smaller float type."""
    if isinstance(expected, bool) or not isinstance(expected, (int, float, np.integer, np.floating, np.ndarray)):
        return None
    said = _kind(got, expected)
    if said or isinstance(got, (str, bytes, dict)) or got is None:
        return said
    try:
        with np.errstate(all="ignore"):
            g, e = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    with np.errstate(all="ignore"):
        if np.all(np.isfinite(e)) and not np.all(np.isfinite(g)):
            return _non_finite(g)
        if g.shape != e.shape:
            return _shapes(g, e)
        for relate in SAME_SHAPE:
            said = relate(g, e, quantities or {}, _dtype_of(got), dtype)
            if said:
                return said
    return None


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-4, atol=1e-7))


def _number(x: float) -> str:
    return f"{x:.4g}"


def _dtype_of(got: Any) -> np.dtype | None:
    return got.dtype if isinstance(got, (np.ndarray, np.generic)) else None


def _kind(got: Any, expected: Any) -> str | None:
    """A string, or a list or tuple of numbers, where a number or an array is asked."""
    scalar = np.ndim(expected) == 0
    asked = "a number" if scalar else "a NumPy array"
    if isinstance(got, (str, bytes)):
        digits = str(got).replace(",", "").replace("_", "").strip()
        try:
            same = scalar and float(digits) == float(expected)
        except ValueError:
            same = False
        said = "the right number written as text" if same else "text"
        return f"you returned a string, {str(got)[:40]!r}: {said}; {asked} is asked (format it only to print it)"
    if scalar and isinstance(got, (list, tuple)) and got:
        try:
            total = float(np.sum(np.asarray(got, dtype=np.float64)))
        except (TypeError, ValueError):
            return None
        kind = type(got).__name__
        if np.isclose(total, float(expected), rtol=1e-6):
            return f"you returned a {kind} of {len(got)} numbers that add up to the answer: return their total"
        return f"you returned a {kind} of {len(got)} numbers; one number is asked"
    return None


def _non_finite(g: np.ndarray) -> str:
    what = " and ".join(w for w, bad in (("nan", np.isnan(g).any()), ("inf", np.isinf(g).any())) if bad)
    return (
        f"your result has {what} where every right value is finite: a number overflowed (np.exp above about "
        "709 is inf, and inf / inf is nan) or 0 was divided by 0"
    )


def _shapes(g: np.ndarray, e: np.ndarray) -> str | None:
    """A shape that is expected's transposed, with an axis of size 1 more or less, or one example's alone."""
    if e.ndim == 2 and g.shape == e.shape[::-1] and _close(g, e.T):
        return f"that is the right answer transposed: shape {g.shape} instead of {e.shape}; rows and columns swapped"
    squeezed = tuple(d for d in g.shape if d != 1) == tuple(d for d in e.shape if d != 1)
    if squeezed and g.ndim == e.ndim + 1 and _close(g.reshape(e.shape), e):
        return f"the right values with an extra axis of size 1, shape {g.shape} instead of {e.shape} (keepdims?)"
    if squeezed and g.ndim + 1 == e.ndim and _close(g.reshape(e.shape), e):
        return f"the right values without the axis of size 1 that {e.shape} has: shape {g.shape}"
    if e.ndim >= 1 and g.shape == e.shape[1:] and len(e) > 1:
        if _close(g, e[0]):
            return f"that is the right answer for the first example (row 0) only: {e.shape[0]} rows are asked"
        if _close(g, e.sum(axis=0)):
            return f"that is the right answer added up over the examples (axis 0): keep one row per example, {e.shape}"
        if _close(g, e.mean(axis=0)):
            return f"that is the right answer averaged over the examples (axis 0): keep one row per example, {e.shape}"
    if g.size == e.size and g.size > 1 and _close(g.reshape(e.shape), e):
        return f"the right values in another shape, {g.shape} instead of {e.shape}"
    return None


def _sign(g: np.ndarray, e: np.ndarray, *_: Any) -> str | None:
    if np.any(e) and _close(g, -e):
        return "every value has the right size and the wrong sign: the sign is flipped"
    return None


def _constant(g: np.ndarray, e: np.ndarray, *_: Any) -> str | None:
    if g.size < 2 or np.ptp(e) == 0 or np.ptp(g) != 0:
        return None
    value = float(g.flat[0])
    if value == 0:
        fractions = bool(np.all((e >= 0) & (e < 1)))
        cause = (
            ": fractions below 1 rounded down to 0, as integer division (//) or an int cast does" if fractions else ""
        )
        return f"every value is 0{cause}"
    if value == 1:
        return "every value is 1"
    return f"every value is the same, {_number(value)}: the result does not depend on the input's values"


def _rows(g: np.ndarray, e: np.ndarray, *_: Any) -> str | None:
    if g.ndim != 2 or len(g) < 2 or not np.all(g == g[0]) or np.all(e == e[0]):
        return None
    return (
        "every row is the same: one row repeated (a list multiplied, like [[0] * n] * n, repeats one inner list, "
        "so what is added to one row is added to all)"
    )


def _named(factor: float, quantities: Quantities) -> str | None:
    """The case's quantities (or their inverses, squares, ratios, or 2) that equal factor, as said in a hint:
    "m (m = 4)", "m/K (m = 2, K = 3)"."""
    usable = {k: v for k, v in quantities.items() if v and v != 1}
    candidates = [("2", 2.0, ()), ("1/2", 0.5, ())]
    for name, value in usable.items():
        candidates += [(name, value, (name,)), (f"1/{name}", 1 / value, (name,)), (f"{name}²", value**2, (name,))]
    candidates += [(f"{a}/{b}", usable[a] / usable[b], (a, b)) for a in usable for b in usable if a != b]
    found = {label: used for label, value, used in candidates if np.isclose(factor, value, rtol=1e-3)}
    if not found:
        return None
    used = list(dict.fromkeys(n for names in found.values() for n in names))
    values = f" ({', '.join(f'{n} = {_number(quantities[n])}' for n in used)})" if used else ""
    return " or ".join(found) + values


def _factor(g: np.ndarray, e: np.ndarray, quantities: Quantities, *_: Any) -> str | None:
    if not np.any(e):
        return None
    factor = float(np.sum(g * e) / np.sum(e * e))
    if not factor or np.isclose(factor, 1.0, rtol=1e-3) or not _close(g, factor * e):
        return None
    name = _named(factor, quantities)
    if np.count_nonzero(e) < 2 and not name:
        return None  # any two numbers are a factor apart: for one number only a named factor says something
    said = f"every value is {_number(factor)} times the right one"
    return (
        f"{said}: a factor of {name} is extra or missing" if name else f"{said}: a constant factor is extra or missing"
    )


def _offset(g: np.ndarray, e: np.ndarray, quantities: Quantities, *_: Any) -> str | None:
    off = g - e
    if not np.allclose(off, off.flat[0], rtol=1e-5, atol=1e-7) or np.isclose(off.flat[0], 0, atol=1e-7):
        return None
    value = float(off.flat[0])
    name = "1" if np.isclose(abs(value), 1.0) else _named(abs(value), quantities)
    if g.size < 2 and not name:
        return None  # one number is always off by some amount
    said = f"every value is off by the same amount, {_number(value)}" if g.size > 1 else f"off by {_number(value)}"
    return f"{said} ({'+' if value > 0 else '-'}{name})" if name else said


def _rounded(g: np.ndarray, e: np.ndarray, *_: Any) -> str | None:
    if not np.any(g) or np.allclose(e, np.round(e)):
        return None  # all zeros is said above; whole numbers are not rounded
    if _close(g, np.trunc(e)) or _close(g, np.floor(e)):
        return (
            "your values are the right ones with their fractions cut off, as integer division (//) or an int cast does"
        )
    for decimals in range(0, 4):
        if not _close(np.round(e, decimals), e) and _close(g, np.round(e, decimals)):
            return f"your values are the right ones rounded to {decimals} decimals: return them unrounded"
    return None


def _precision(g: np.ndarray, e: np.ndarray, _: Quantities, got_dtype: Any, dtype: Any) -> str | None:
    if got_dtype is None or dtype is None or np.dtype(got_dtype).kind != "f" or np.dtype(dtype).kind != "f":
        return None
    if np.dtype(got_dtype).itemsize >= np.dtype(dtype).itemsize:
        return None
    if np.allclose(g, e, rtol=2e-3, atol=1e-5):
        return (
            f"your result is {np.dtype(got_dtype)}, which keeps fewer digits than the input's {np.dtype(dtype)}: "
            "compute in the input's precision"
        )
    return None


def _one_line(g: np.ndarray, e: np.ndarray, *_: Any) -> str | None:
    """Exactly one row (or column) off, or only the first row right."""
    if g.ndim != 2 or g.size < 4:
        return None
    off = ~np.isclose(g, e, rtol=1e-4, atol=1e-7)
    rows, columns = np.flatnonzero(off.any(axis=1)), np.flatnonzero(off.any(axis=0))
    if len(rows) == 1 and len(g) > 1:
        return f"only row {rows[0]} is wrong; the other {len(g) - 1} rows are right"
    if len(columns) == 1 and g.shape[1] > 1:
        return f"only column {columns[0]} is wrong; the other {g.shape[1] - 1} columns are right"
    if len(g) > 2 and list(rows) == list(range(1, len(g))):
        return "only row 0 is right: every other row is wrong"
    return None


# How two arrays of one shape can relate, in the order they are tried: (got, expected, quantities, got's dtype,
# the input's dtype) -> a sentence or None.
Relate = Callable[[np.ndarray, np.ndarray, Quantities, Any, Any], "str | None"]
SAME_SHAPE: tuple[Relate, ...] = (_sign, _precision, _constant, _rows, _factor, _offset, _rounded, _one_line)
