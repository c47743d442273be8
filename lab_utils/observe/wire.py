"""The wire format between the grader and a learner's kernel: JSON, with NumPy arrays as `.npy` bytes.

Cases travel to the kernel and observations travel back as plain data only: None, bool, int,
float, str, lists (tuples are sent as lists), dicts with string keys, and NumPy arrays of
booleans or numbers. An array is `{"__ndarray__": "<base64 of its .npy bytes>"}`, read back with
`np.load(allow_pickle=False)`. Nothing is ever unpickled or evaluated, and `decode` refuses
anything else (object or string dtypes, unknown markers, oversize payloads, deep nesting) with a
one-line `WireError`, so what a kernel sends can only ever be data.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from typing import Any

import numpy as np

from lab_utils.errors import LabError

MIME = "application/vnd.lab-grade.observations+json"  # the output type the grader reads
KERNEL_MODULE = "lab_utils.observe.kernel_side"  # what the grader imports in the kernel, by name
LEAN_MODULE = "lab_utils.observe.lean_kernel"  # imported first in a grading kernel: it changes how imports work there
ARRAY_KEY = "__ndarray__"
ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats
MAX_BYTES = 64 * 2**20  # far above any observation of the lab (a few kB), far below a memory problem
MAX_DEPTH = 32


class WireError(LabError, ValueError):
    """A message is not plain data, or too large; the message says which part."""


def encode(obj: Any) -> str:
    """`obj` as JSON text. Only exact plain types are accepted (see the module docstring); NumPy
    scalars become 0-d arrays so that their dtype survives. Raises WireError for anything else."""
    return json.dumps(_to_json(obj, 0), separators=(",", ":"))


def decode(text: str | bytes, max_bytes: int = MAX_BYTES) -> Any:
    """The plain data in `text`. Raises WireError when it is not JSON, larger than `max_bytes`
    (text and decoded arrays together), or holds anything but plain data."""
    if len(text) > max_bytes:
        raise WireError(f"message of {len(text)} bytes is over the limit of {max_bytes}")
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"not JSON ({str(exc)[:100]})") from None
    budget = [max_bytes - len(text)]
    return _from_json(raw, 0, budget)


def _to_json(obj: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError(f"nested deeper than {MAX_DEPTH} levels")
    kind = type(obj)
    if obj is None or kind in (bool, int, float, str):
        return obj
    if kind in (list, tuple):
        return [_to_json(v, depth + 1) for v in obj]
    if kind is dict:
        if not all(type(k) is str for k in obj):
            raise WireError("dict keys must be strings")
        if ARRAY_KEY in obj:
            raise WireError(f"the key {ARRAY_KEY!r} is reserved for arrays")
        return {k: _to_json(v, depth + 1) for k, v in obj.items()}
    if kind is np.ndarray or isinstance(obj, np.generic):
        arr = np.asarray(obj)
        if arr.dtype.kind not in ARRAY_KINDS:
            raise WireError(f"arrays of dtype {arr.dtype} are not plain data")
        buffer = io.BytesIO()
        np.save(buffer, arr, allow_pickle=False)
        return {ARRAY_KEY: base64.b64encode(buffer.getvalue()).decode("ascii")}
    raise WireError(f"a {kind.__module__}.{kind.__qualname__} is not plain data")


def _from_json(raw: Any, depth: int, budget: list[int]) -> Any:
    if depth > MAX_DEPTH:
        raise WireError(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(raw, list):
        return [_from_json(v, depth + 1, budget) for v in raw]
    if isinstance(raw, dict):
        if ARRAY_KEY in raw:
            return _array(raw, budget)
        return {k: _from_json(v, depth + 1, budget) for k, v in raw.items()}
    return raw  # json.loads gives only None, bool, int, float and str besides lists and dicts


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def _array(raw: dict, budget: list[int]) -> np.ndarray:
    data = raw[ARRAY_KEY]
    if len(raw) != 1 or not isinstance(data, str):
        raise WireError("an array must be a single base64 string")
    try:
        payload = base64.b64decode(data, validate=True)
        buffer = io.BytesIO(payload)
        version = np.lib.format.read_magic(buffer)
        read_header = _HEADER_READERS.get(version)
        if read_header is None:
            raise ValueError(f".npy version {version}")
        shape, _, dtype = read_header(buffer)  # the header alone: no data is read before the size is known
    except (ValueError, binascii.Error, EOFError) as exc:
        raise WireError(f"not an .npy array ({str(exc)[:100]})") from None
    if dtype.kind not in ARRAY_KINDS or dtype.hasobject:
        raise WireError(f"arrays of dtype {dtype} are not plain data")
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    budget[0] -= size
    if budget[0] < 0:
        raise WireError(f"an array of shape {shape} and dtype {dtype} goes over the size limit")
    try:
        return np.load(io.BytesIO(payload), allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        raise WireError(f"not an .npy array ({str(exc)[:100]})") from None
