"""The helpers behind the MNIST practice lab: data, model, training, plots, widgets, checks and grading.

Importing any part of the package first loads TensorFlow with its native start-up
messages silenced. On a machine without a GPU, TensorFlow's CUDA probing writes
log lines straight to the process's stderr (file descriptor 2), before its own
log level applies: Jupyter would show them in red under a learner's first cell,
and their timestamps would make the notebooks' outputs differ on every run.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

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


with _native_stderr_silenced():
    import tensorflow as _tf

    # Device discovery is where the CUDA probe fails noisily; do it now, while quiet.
    _tf.config.list_physical_devices()
