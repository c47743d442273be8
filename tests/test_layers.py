"""Specification of how lab_utils is layered: every import runs down (or sideways), and no modules import each other
in a circle.

The layers, lowest first, are the map of the package in docs/maintainers.md: what each may use. Imports under
`if TYPE_CHECKING:` are annotations only, never run, and do not count; imports inside functions do.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lab_utils"
LAYERS = [
    {"lab_utils", "errors", "activations"},
    {"data", "config", "reference"},
    {"model", "plots", "observe"},
    {"checks", "train", "widgets"},
    {"grading"},
    {"handin"},
    {"course"},
    {"grade"},
]


def module_names() -> dict[str, Path]:
    """Every module of lab_utils by dotted name (a package by its own name)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of a module that run: all but those under `if TYPE_CHECKING:`."""
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for statement in node.body
        for inner in ast.walk(statement)
    }
    kinds = (ast.Import, ast.ImportFrom)
    return [node for node in ast.walk(tree) if isinstance(node, kinds) and id(node) not in skipped]


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The lab_utils modules that the module at `path` imports when it runs."""
    found = set()
    for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif node.level == 0 and node.module in modules:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= (submodules & modules.keys()) or {node.module}
    return found


@cache
def import_graph() -> dict[str, set[str]]:
    """Each module's lab_utils imports, read once per test run (every module's test reads the whole graph)."""
    modules = module_names()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def layer_of(module: str) -> int:
    """The layer of a module: that of its top-level part below lab_utils ("lab_utils.course.cli" -> course's)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else parts[0]
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def test_every_part_of_lab_utils_has_a_layer():
    tops = {name.split(".")[1] if "." in name else name for name in module_names()}
    assert tops <= set().union(*LAYERS), f"not in LAYERS: {sorted(tops - set().union(*LAYERS))}"


@pytest.mark.parametrize("module", sorted(module_names()))
def test_a_module_imports_only_from_its_own_layer_or_below(module):
    upward = sorted(other for other in import_graph()[module] if layer_of(other) > layer_of(module))
    assert not upward, f"{module} imports from a higher layer: {upward}"


def test_no_modules_import_each_other_in_a_circle():
    graph = import_graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        for other in sorted(graph[module]):
            cycle = visit(other, path + [module])
            if cycle:
                return cycle
        done.add(module)
        return None

    cycles = [cycle for module in sorted(graph) if (cycle := visit(module, []))]
    assert not cycles, f"an import cycle: {' -> '.join(cycles[0])}"


def test_the_layering_test_sees_a_function_level_import_and_ignores_type_checking_ones(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lab_utils.course import cli\n"
        "def f():\n    from lab_utils.grading import judge\n"
    )
    modules = {"lab_utils.course.cli": source, "lab_utils.grading.judge": source, "lab_utils.grading": source}
    assert imports_of(source, modules) == {"lab_utils.grading.judge"}
