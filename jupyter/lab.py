"""Start JupyterLab for the lab (`make lab`), set up from this directory and never from the learner's own.

- `config/` is the Jupyter config directory (JUPYTER_CONFIG_DIR): no news feed, no update check, a read-only
  extension manager (it would otherwise list extensions from PyPI), and `/` opens `01_softmax.ipynb`.
- `settings/` is JupyterLab's application settings directory: `overrides.json` sets the defaults (news and
  update notifications off) and `page_config.json` disables the extension manager's panel.
- `state/` (not committed) keeps what the learner changes in the lab (settings, workspaces, runtime files),
  so that a global ~/.jupyter or ~/.local/share/jupyter neither leaks in nor gets written to.

The browser test (tests/test_browser.py) starts JupyterLab with `command()` and `environment()` from here,
adding only a port, a token and a scratch copy of the notebooks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent / "notebooks"
STATE = HERE / "state"


def environment(state: Path = STATE, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment JupyterLab runs in: `base` (default os.environ) with every Jupyter directory pointed here."""
    env = dict(os.environ if base is None else base)
    # Kernels inherit this environment; a matplotlib backend set in the shell (Agg, say) would stop
    # notebooks from drawing their figures inline.
    env.pop("MPLBACKEND", None)
    return dict(
        env,
        JUPYTER_CONFIG_DIR=str(HERE / "config"),
        JUPYTER_DATA_DIR=str(state / "data"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
    )


def command(notebooks: Path = NOTEBOOKS, extra: Sequence[str] = ()) -> list[str]:
    """The JupyterLab command line: serve `notebooks`, with this directory's settings, then `extra` flags."""
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={notebooks}",
        f"--LabApp.app_settings_dir={HERE / 'settings'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root; Jupyter refuses without it
        argv.append("--allow-root")
    return [*argv, *extra]


def serve(argv: Sequence[str], env: dict[str, str]) -> int:
    """Run JupyterLab attached to this terminal until it stops; returns its exit status.

    A child process waited for, not os.exec*: on Windows exec starts a new process and returns at once
    (cpython#101191), leaving JupyterLab detached behind the prompt. Ctrl-C reaches JupyterLab too, which asks
    to confirm and shuts down: this process waits for that rather than stopping first.
    """
    process = subprocess.Popen(argv, env=env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


if __name__ == "__main__":
    sys.exit(serve(command(extra=sys.argv[1:]), environment()))
