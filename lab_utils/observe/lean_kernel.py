"""Run in each grading kernel before any learner cell: Keras' optional imports are not loaded there.

Keras 3 imports scikit-learn (and with it SciPy) for `keras.wrappers` whenever it is installed, and
`matplotlib.pyplot` for `keras.visualization`, each inside `try: ... except ImportError`. No graded function
needs them, and they cost about 1 CPU s of every `import keras` (3.2 s -> 2.3 s here). So in a grading kernel,
an import of those packages made by Keras or TensorFlow themselves raises ImportError, and Keras goes on
without them, as it does where they are not installed. An import by anything else (a learner's cell, the
lab's own plots) is untouched, and once loaded a package is Keras' too. Grading does not trust this module:
a learner who removes it only makes their own kernel slower.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec
from types import FrameType

OPTIONAL = frozenset({"sklearn", "scipy", "matplotlib"})  # top-level packages Keras imports only if present
IMPORTERS = frozenset({"keras", "tensorflow"})  # whose optional imports of them are refused
_IMPORT_MACHINERY = frozenset({"importlib", "_frozen_importlib", "_frozen_importlib_external"})


def _importer(frame: FrameType | None) -> str:
    """The module that asked for the import: the first caller outside the import machinery."""
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.partition(".")[0] not in _IMPORT_MACHINERY:
            return name
        frame = frame.f_back
    return ""


class KerasOptionalImports:
    """A `sys.meta_path` finder that refuses OPTIONAL packages to IMPORTERS and finds nothing itself."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name.partition(".")[0] in OPTIONAL and _importer(sys._getframe(1)).partition(".")[0] in IMPORTERS:
            raise ImportError(f"{name} is not loaded for Keras in a grading kernel", name=name)
        return None


def install() -> None:
    """Put the finder first on `sys.meta_path` (once)."""
    if not any(isinstance(finder, KerasOptionalImports) for finder in sys.meta_path):
        sys.meta_path.insert(0, KerasOptionalImports())


install()
