"""The Python, NumPy and Keras errors learners trigger, explained in the lab's words.

`explain(kind, message, arrays)` matches an exception on its type and its own text (first line, as the
kernel observed it) and says what it means, naming the learner's own arrays where a shape in the message is
theirs (`arrays`: argument name -> shape, e.g. {"a_in": (4, 3), "W": (3, 2)}). The raw text stays the
failure's first line; this is its hint. NumPy-free and pure: the grader calls it outside the kernel.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Shapes = dict[str, tuple[int, ...]]
SHAPE = r"\(\s*\d*(?:\s*,\s*\d+)*\s*,?\s*\)"


def _shape_of(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _named(shape: tuple[int, ...], arrays: Shapes) -> str:
    """'(4, 3), the shape of a_in', or '(4, 3)' when no argument has it."""
    names = [name for name, s in arrays.items() if s == shape]
    text = f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''})"
    if names:
        return f"{text}, the shape of {' and '.join(names)}"
    size = 1
    for n in shape:
        size *= n
    reshaped = [name for name, s in arrays.items() if len(s) == 1 and s[0] == size and size > 1]
    return f"{text}, {reshaped[0]}'s values in another shape" if reshaped else text


def _listed(arrays: Shapes) -> str:
    return ", ".join(f"{name} is {_named(shape, {})}" for name, shape in arrays.items())


def _truth_value(match: re.Match, arrays: Shapes) -> str:
    return (
        "Python's own `and`, `or`, `not`, `if`, `max` and `min` need one True or False (or compare whole values), "
        "and an array holds many: use NumPy's element-wise forms, such as np.max(..., axis=...), np.maximum, "
        "& and |, or np.where"
    )


def _math_on_array(match: re.Match, arrays: Shapes) -> str:
    return (
        "a function that takes one number (math.exp, math.log, float(), int()) was given an array: "
        "NumPy's np.exp and np.log work on every element of an array at once"
    )


def _broadcast(match: re.Match, arrays: Shapes) -> str:
    shapes = [_shape_of(s) for s in re.findall(SHAPE, match.string[match.start() :])][:2]
    said = "; and ".join(_named(s, arrays) for s in shapes)
    text = (
        f"NumPy cannot combine two arrays element by element (+, -, *, /) whose shapes are {said}: compared "
        "from the right, each pair of sizes must be equal or 1"
    )
    theirs = all(s in arrays.values() for s in shapes)  # two of the learner's own arrays, as they were given
    if len(shapes) == 2 and theirs and all(len(s) == 2 for s in shapes) and shapes[0][1] == shapes[1][0]:
        text += "; these two line up for a matrix product (@), not for an element-wise one"
    return text


def _product(match: re.Match, arrays: Shapes) -> str:
    matrices = {name: shape for name, shape in arrays.items() if len(shape) == 2}
    text = "a matrix product (a, b) @ (b, c) needs the inner sizes equal, and here they differ"
    if matrices:
        text += f": {_listed(matrices)}. Which product has the shape you want, and which factor needs .T?"
    return text


def _scalar_index(match: re.Match, arrays: Shapes) -> str:
    text = "you indexed a single number with [...]: the value at that line is already one entry, not an array"
    flat = {name: shape for name, shape in arrays.items() if len(shape) == 1}
    if flat:
        text += (
            f" ({_listed(flat)}: a sum or max of a 1-D array over its last axis is one number; keepdims=True keeps "
            "it an array that lines up, whatever the number of axes)"
        )
    return text


def _too_many_indices(match: re.Match, arrays: Shapes) -> str:
    flat = {name: shape for name, shape in arrays.items() if len(shape) == 1}
    text = f"an index with {match[2]} positions on an array of {match[1]} dimension(s)"
    if flat:
        text += f" ({_listed(flat)}): write it for any number of axes, with axis=-1 and keepdims=True"
    return text


def _not_subscriptable(match: re.Match, arrays: Shapes) -> str:
    return (
        f"a {match[1]} cannot be indexed with [...]; if it has named fields, read them with a dot (cfg.learning_rate)"
    )


def _batch_axis(match: re.Match, arrays: Shapes) -> str:
    return (
        "a Keras model takes a batch, shape (m, 784): one flat image needs a batch axis of size 1 in front, "
        "shape (1, 784)"
    )


def _class_for_instance(match: re.Match, arrays: Shapes) -> str:
    named = match.groupdict().get("name")
    example = f"{named}(...) rather than {named}" if named else "Name(...) rather than Name"
    return f"a class was passed where an object of it is wanted: call the class to make one, {example}"


def _not_defined(match: re.Match, arrays: Shapes) -> str:
    return f"{match[1]} is not defined where your function runs: define or import it first, or do without it"


def _list_arithmetic(match: re.Match, arrays: Shapes) -> str:
    return (
        "arithmetic on a whole Python list: +, - and * do not work element by element on lists; "
        "work on the arrays inside, one by one, or make an array with np.array"
    )


Explanation = Callable[[re.Match, Shapes], str]
# (exception type, pattern searched in its message, explanation), first match wins
TABLE: list[tuple[str, str, Explanation]] = [
    ("ValueError", r"truth value of an array with more than one element is ambiguous", _truth_value),
    ("TypeError", r"only (length-1|size-1|0-dimensional|integer scalar) arrays can be converted", _math_on_array),
    ("ValueError", r"could not be broadcast together with shapes", _broadcast),
    (
        "ValueError",
        r"not aligned|matmul: Input operand|mismatch in its core dimension|Matrix size-incompatible",
        _product,
    ),
    ("InvalidArgumentError", r"Matrix size-incompatible", _product),
    ("IndexError", r"invalid index to scalar variable", _scalar_index),
    ("TypeError", r"'(?:float|int|numpy\.float\d+|numpy\.int\d+)' object is not subscriptable", _scalar_index),
    ("IndexError", r"array is (\d+)-dimensional, but (\d+) were indexed", _too_many_indices),
    ("TypeError", r"'(\w+)' object is not subscriptable", _not_subscriptable),
    (
        "ValueError",
        r"Invalid input shape|expected min_ndim=2|found ndim=1|expected axis -1 of input shape",
        _batch_axis,
    ),
    ("TypeError", r"missing 1 required positional argument: 'self'", _class_for_instance),
    ("ValueError", r"Could not interpret \w+ identifier: the class (?P<name>\w+)", _class_for_instance),
    ("TypeError", r"Only instances of `keras.Layer` can be added.*?the class (?P<name>\w+)", _class_for_instance),
    ("ValueError", r"Only instances of `keras.Layer` can be added.*?the class (?P<name>\w+)", _class_for_instance),
    ("NameError", r"name '(\w+)' is not defined", _not_defined),
    ("TypeError", r"unsupported operand type\(s\) for [-+*/]+: 'list'|can't multiply sequence", _list_arithmetic),
]


def explain(kind: str, message: str, arrays: Shapes | None = None) -> str | None:
    """What the exception of type `kind` (its class name) with `message` means, or None if not in the table."""
    for wanted, pattern, explanation in TABLE:
        match = re.search(pattern, message)
        if kind.rsplit(".", 1)[-1] == wanted and match:
            return explanation(match, arrays or {})
    return None
