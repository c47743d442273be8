"""The project's scripts (tools/make.py, jupyter/lab.py, ...) imported from their paths, for tests of their functions:
they are run as programs, not installed as packages."""

import importlib.util
from pathlib import Path
from types import ModuleType


def load_script(path: Path, name: str) -> ModuleType:
    """The script at `path`, imported as a module called `name` (its `__main__` block is not run)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
