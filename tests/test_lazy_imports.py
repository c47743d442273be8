"""TensorFlow stays out of the notebooks that do not need it: their setup cells' imports do not load it."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
# NumPy-only notebooks: their setup cell must not wait for TensorFlow.
NUMPY_NOTEBOOKS = ["01_softmax", "03_gradients"]


def setup_imports(notebook: str) -> list[str]:
    """The import statements of a notebook's first code cell that imports lab_utils, IPython magics left out."""
    cells = json.loads((SOLUTIONS / f"{notebook}.ipynb").read_text())["cells"]
    source = next(
        "".join(c["source"]) for c in cells if c["cell_type"] == "code" and "from lab_utils" in "".join(c["source"])
    )
    python = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))
    imports = [node for node in ast.parse(python).body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return [ast.unparse(node) for node in imports]


def modules_loaded_by(statements: list[str]) -> set[str]:
    """Which of tensorflow and keras are in sys.modules after running `statements` in a fresh interpreter."""
    code = "\n".join([*statements, "import sys", "print(' '.join({'tensorflow', 'keras'} & set(sys.modules)))"])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize("notebook", NUMPY_NOTEBOOKS)
def test_setup_cell_of_a_numpy_notebook_does_not_load_tensorflow(notebook):
    statements = setup_imports(notebook)
    assert any("lab_utils" in s for s in statements)
    assert modules_loaded_by(statements) == set()


@pytest.mark.parametrize(
    "module",
    [
        "lab_utils",
        "lab_utils.config",
        "lab_utils.data",
        "lab_utils.plots",
        "lab_utils.model",
        "lab_utils.train",
        "lab_utils.checks",
    ],
)
def test_importing_a_lab_module_does_not_load_tensorflow(module):
    assert modules_loaded_by([f"import {module}"]) == set()


def test_tensorflow_loaded_after_the_package_starts_without_native_log_lines():
    code = "import lab_utils.model as m; from lab_utils.config import LabConfig; m.build_model(LabConfig())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cuda" not in done.stderr.lower() and "tensorflow" not in done.stderr.lower()


def test_the_setup_check_sees_a_tensorflow_import_in_a_numpy_notebook(tmp_path, monkeypatch):
    notebook = {
        "cells": [
            {"cell_type": "code", "source": ["%matplotlib inline\n", "import keras\n", "from lab_utils import data"]}
        ]
    }
    (tmp_path / "99_probe.ipynb").write_text(json.dumps(notebook))
    monkeypatch.setattr(sys.modules[__name__], "SOLUTIONS", tmp_path)
    assert modules_loaded_by(setup_imports("99_probe")) == {"tensorflow", "keras"}
