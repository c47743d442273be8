"""The helpers behind the MNIST practice lab: data, model, training, plots, widgets, checks and grading.

Whatever first imports TensorFlow after this package does so with TensorFlow's native
start-up messages silenced (the package itself does not import TensorFlow: its checks judge
without it). On a machine without a GPU, TensorFlow's CUDA probing writes log lines straight
to the process's stderr (file descriptor 2), before its own log level applies: Jupyter would
show them in red under a learner's first cell, and their timestamps would make the notebooks'
outputs differ on every run.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Iterator
from importlib.machinery import ModuleSpec
from types import ModuleType

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send what C/C++ code writes to file descriptor 2 to /dev/null for the duration."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr descriptor at all (a detached process): nothing to silence
        yield
        return
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Loads TensorFlow, the first time anything imports it, with file descriptor 2 silenced.

    Not at package import: the grader judges in a process that imports `lab_utils.checks` and never
    needs TensorFlow, and a NumPy-only notebook cell should not wait seconds for it.
    """

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: from here on the ordinary finders answer
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        self.loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        with _native_stderr_silenced():
            self.loader.exec_module(module)
            # Device discovery is where the CUDA probe fails noisily; do it now, while quiet.
            module.config.list_physical_devices()


if "tensorflow" not in sys.modules:
    sys.meta_path.insert(0, _QuietTensorFlowImport())
