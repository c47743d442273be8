"""The exercise as written: does the learner's function hand the work to a library's implementation?

Read from source text with `ast`, never by running it, so the grader can ask it of a notebook file.
A call is named by its dotted path after resolving the imports in the source (`import tensorflow as
tf`, `from scipy.special import softmax as sm`, `from keras import losses`), the simple dynamic forms
with constant strings (`__import__('scipy.special')`, `importlib.import_module('lab_utils.reference')`,
`getattr(module, 'soft' + 'max')`, and names assigned from them) and, in the learner's kernel, the names
bound in the function's globals. `tf.nn.softmax` is `tensorflow.nn.softmax`; a forbidden name matches
whole components anywhere in a path, so `keras.losses` also catches
`tf.keras.losses.SparseCategoricalCrossentropy`. The lab's own answers (`FORBIDDEN_EVERYWHERE`) are
forbidden in every exercise.

A second line of defence: the grader's kernel has no lab answers to import at all (see
`lab_utils.grading.withheld`), but a library's own function it cannot take away.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
import types
from collections.abc import Sequence
from typing import Any, Protocol

from lab_utils.observe.calls import is_library_file

CONVENTIONS = {"tf": "tensorflow", "np": "numpy"}  # names a notebook may use without importing them here
FORBIDDEN_EVERYWHERE = ("lab_utils.checks", "lab_utils.reference")  # the judges and the reference maths
INSTANT_CHECK = re.compile(r"lab_utils\.checks\.check_\w+")  # a notebook's check cell calls one: not an answer
LIBRARIES = {
    "tensorflow": "TensorFlow",
    "keras": "Keras",
    "scipy": "SciPy",
    "sklearn": "scikit-learn",
    "lab_utils": "the lab",
}


class _Check(Protocol):
    function: str
    library_calls: tuple[str, ...]
    library_hint: str


def library_failure(
    check: _Check, source: str | Sequence[str], aliases: dict[str, str] | None = None, name: str | None = None
) -> str | None:
    """The failure message when the definition of `name` (default: check.function) in `source` uses one of
    check.library_calls, else None. `source`: the function's text, or a notebook's code cells (a list).
    The definition is the last `def name` or `name = ...` in the source, with the functions it calls
    that the source also defines; when there is none (a lambda), all of the source is read."""
    forbidden = (*check.library_calls, *FORBIDDEN_EVERYWHERE)
    trees = [tree for text in ([source] if isinstance(source, str) else source) if (tree := _parse(text))]
    defs = _defs(trees)
    # a name the learner defines is theirs, even where an import or their kernel bound it to a library first
    names = {k: v for k, v in {**CONVENTIONS, **_imports(trees), **(aliases or {})}.items() if k not in defs}
    names.update(_assigned_aliases(trees, names))
    for node in _definition(trees, defs, name or check.function):
        for spelled, path in _paths(node, names):
            hit = (
                None if INSTANT_CHECK.fullmatch(path) else next((f for f in forbidden if f".{f}." in f".{path}."), None)
            )
            if hit:
                library = LIBRARIES.get(path.split(".")[0], "a library")
                library = "the lab's" if library == "the lab" else f"{library}'s"
                return f"{check.function} calls {spelled}, {library} own {hit.rsplit('.', 1)[-1]}: {check.library_hint}"
    return None


def source_of(fn: Any, library_calls: Sequence[str] = ()) -> tuple[list[str], dict[str, str]]:
    """KERNEL SIDE: the source texts of fn and of the functions of its module it calls, and the aliases
    its globals give (a module's name, or the forbidden name of a library function bound to a name)."""
    for dotted in library_calls:  # the library's function itself, passed as the learner's
        if _loaded(dotted) is fn:
            return [f"{getattr(fn, '__name__', 'fn')} = {dotted}"], {}
    sources, seen, todo = [], set(), [fn]
    while todo:
        f = todo.pop()
        if not isinstance(f, types.FunctionType) or f in seen or is_library_file(f.__code__.co_filename):
            continue
        seen.add(f)
        try:
            sources.append(inspect.getsource(f))
        except (OSError, TypeError):
            continue
        todo += [f.__globals__.get(n) for n in f.__code__.co_names]
    namespace = getattr(fn, "__globals__", {})
    aliases = {k: v.__name__ for k, v in namespace.items() if isinstance(v, types.ModuleType)}
    for dotted in library_calls:
        obj = _loaded(dotted)
        aliases.update({k: dotted for k, v in namespace.items() if obj is not None and v is obj})
    return sources, aliases


def _loaded(dotted: str) -> Any:
    """The object a dotted name refers to, if its module is already imported (never imports anything)."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None:
            obj = module
            for attr in parts[i:]:
                obj = getattr(obj, attr, None)
            return obj
    return None


def _parse(text: str) -> ast.Module | None:
    """text as a module; IPython magics and shell lines are blanked, a lambda's line fragment is tried
    as an expression. None when it still does not parse."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines()]
    code = textwrap.dedent("\n".join(lines))
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        pass
    # inspect.getsource of a lambda gives its whole lines, often cut inside a call: try shorter cuts
    for end in range(len(lines), 0, -1):
        fragment = "\n".join(lines[:end]).strip().rstrip(",")
        for wrapped in (f"(\n{fragment}\n)", f"_(\n{fragment}\n)"):  # an expression, or a call's arguments
            try:
                return ast.parse(wrapped)
            except (SyntaxError, ValueError):
                continue
    return None


def _imports(trees: list[ast.Module]) -> dict[str, str]:
    names: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
    return names


def _defs(trees: list[ast.Module]) -> dict[str, ast.AST]:
    """Every function the source defines (`def f` or `f = ...`): its last definition, by name."""
    defs: dict[str, ast.AST] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[node.name] = node
            elif isinstance(node, ast.Assign):
                defs.update({t.id: node.value for t in node.targets if isinstance(t, ast.Name)})
    return defs


def _definition(trees: list[ast.Module], defs: dict[str, ast.AST], name: str) -> list[ast.AST]:
    """The nodes that define `name`, with the functions they call that the source defines too."""
    if name not in defs:
        return list(trees)
    found, todo = [], [name]
    while todo:
        node = defs.get(todo.pop())
        if node is None or node in found:
            continue
        found.append(node)
        todo += [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in defs]
    return found


def _assigned_aliases(trees: list[ast.Module], names: dict[str, str]) -> dict[str, str]:
    """Names assigned a module or library object the source spells out: `G = __import__('lab_utils.checks')`,
    `sm = getattr(special, 'softmax')` (each assignment read in order, so later ones see earlier ones)."""
    found: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and (path := _resolve(node.value, {**names, **found})):
                found.update({t.id: path for t in node.targets if isinstance(t, ast.Name)})
    return found


def _constant(node: ast.AST) -> str | None:
    """The string a constant expression spells: 'softmax', or 'soft' + 'max'."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant(node.left), _constant(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _resolve(node: ast.AST, names: dict[str, str]) -> str | None:
    """The dotted path an expression refers to, when the source spells it out; None otherwise.

    `np.exp` is "numpy.exp"; `__import__('a.b')` is "a" (what it returns), `__import__('a.b', fromlist=...)`
    and `importlib.import_module('a.b')` are "a.b"; `getattr(x, 'name')` is x's path and ".name"."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, names)
        return f"{base}.{node.attr}" if base else None
    if not (isinstance(node, ast.Call) and node.args):
        return None
    called, first = node.func, _constant(node.args[0])
    if isinstance(called, ast.Name) and called.id == "__import__" and "__import__" not in names and first:
        with_fromlist = len(node.args) > 3 or any(k.arg == "fromlist" for k in node.keywords)
        return first if with_fromlist else first.split(".")[0]
    if first and _resolve(called, names) == "importlib.import_module":
        return first
    if isinstance(called, ast.Name) and called.id == "getattr" and "getattr" not in names and len(node.args) >= 2:
        base, attr = _resolve(node.args[0], names), _constant(node.args[1])
        return f"{base}.{attr}" if base and attr else None
    return None


def _paths(node: ast.AST, names: dict[str, str]) -> list[tuple[str, str]]:
    """(as written, resolved dotted path) of every name, attribute chain and spelled-out dynamic import or
    getattr read in node."""
    out = []
    inner = {id(n.value) for n in ast.walk(node) if isinstance(n, ast.Attribute)}  # read as part of a longer chain
    for n in ast.walk(node):
        if id(n) in inner:
            continue
        if isinstance(n, ast.Call) and (path := _resolve(n, names)):
            out.append((_spelled(n), path))
            continue
        parts: list[str] = []
        while isinstance(n, ast.Attribute):
            parts.insert(0, n.attr)
            n = n.value
        if isinstance(n, ast.Name) and (parts or n.id in names):
            spelled = ".".join([n.id, *parts])
            out.append((spelled, ".".join([names.get(n.id, n.id), *parts])))
        elif parts and (base := _resolve(n, names)):  # an attribute of a dynamic import: __import__('a').b
            out.append((_spelled(n) + "." + ".".join(parts), ".".join([base, *parts])))
    return out


def _spelled(node: ast.AST) -> str:
    """The expression as the learner wrote it, cut short for a one-line message."""
    text = ast.unparse(node)
    return text if len(text) <= 80 else text[:77] + "..."
