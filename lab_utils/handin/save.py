"""Saving every open notebook of JupyterLab from the kernel, before the hand-in reads them from disk; in Google
Colab, where notebooks are not on the runtime's disk, how to bring them there instead.

JupyterLab keeps a learner's edits in the browser until they are saved: a hand-in read from disk would miss
them. ipylab (the library otter-grader uses for this) runs JupyterLab's own "Save All" command
(`docmanager:save-all`, which saves every open document) from the kernel. The command travels as a widget
message and JupyterLab gives no answer the kernel could wait for while a cell runs, so the save is confirmed
by watching the notebooks' modification times. Outside JupyterLab (a terminal, nbval, another front end)
nothing confirms it, and the hand-in goes on with the files as they are on disk.

Colab keeps each notebook in the learner's Google Drive and runs it in a runtime of its own: no kernel can save
or read the series. There the learner downloads the notebooks and uploads them to the runtime (`COLAB_STEPS`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

SAVE_ALL = "docmanager:save-all"
SAVE_TIMEOUT = 8.0  # seconds to wait for JupyterLab to write the files
POLL = 0.1


COLAB_STEPS = (
    "In Google Colab your notebooks are in your Google Drive, not on this runtime's disk, so the lab can neither "
    "save nor read them. To hand them in: (1) in each notebook of the series, File > Download > Download .ipynb; "
    "(2) here, open the Files panel (the folder icon on the left) and upload those files into {folder}; (3) run "
    "handin() again: it pre-checks them and writes the file to hand in under {folder}/handed-in, which you "
    "download (its ⋮ menu > Download) and upload to your course's assignment."
)


def in_colab() -> bool:
    """Whether this runs in Google Colab (its kernel imports google.colab at start)."""
    return "google.colab" in sys.modules


def save_open_notebooks(watched: Iterable[Path], timeout: float = SAVE_TIMEOUT) -> str:
    """Ask JupyterLab to save every open notebook; returns one sentence saying whether it did.

    `watched`: notebooks whose modification time changing confirms the save (the kernel's own notebook,
    from JPY_SESSION_NAME, is added to them).
    """
    if in_colab():
        return "In Google Colab: handing in the notebooks you uploaded to this runtime, as they are."
    shell = _kernel_shell()
    if shell is None:
        return "Not running in JupyterLab: could not save open notebooks; handing in the files as saved on disk."
    from ipylab import JupyterFrontEnd

    paths = [Path(p) for p in watched]
    if session := os.environ.get("JPY_SESSION_NAME"):
        paths.append(Path(session))
    before = {path: _mtime(path) for path in paths}
    app = JupyterFrontEnd()
    try:
        app.commands.execute(SAVE_ALL)
        deadline, resent = time.monotonic() + timeout, False
        while time.monotonic() < deadline:
            if any(_mtime(path) != mtime for path, mtime in before.items()):
                time.sleep(0.5)  # Save All writes the notebooks one after another
                return "Saved every open notebook in JupyterLab."
            if not resent and time.monotonic() > deadline - timeout / 2:
                # A message sent before JupyterLab set up the widget is dropped: ask once more.
                app.commands.execute(SAVE_ALL)
                resent = True
            time.sleep(POLL)
    finally:
        app.close()
    return (
        "Could not confirm that JupyterLab saved your notebooks: save them (File > Save All) and run handin() again "
        "if you changed something since the last save."
    )


def _kernel_shell() -> object | None:
    """The IPython shell when this runs in a Jupyter kernel (a front end may be listening), else None."""
    with contextlib.suppress(ImportError):
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and getattr(shell, "kernel", None) is not None:
            return shell
    return None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
