"""Other CPython versions for the tests that need one (Binder's, Colab's, an unsupported one), and throwaway venvs.

An interpreter is looked for as `pythonX.Y` on PATH, then among pyenv's versions (~/.pyenv/versions/X.Y.*);
a test skips, naming the version, where this machine has none.
"""

import glob
import os
import subprocess
from pathlib import Path

import pytest


def python(version: str) -> Path:
    """The path of a working CPython `version` ("3.12"), or a skip of the test saying there is none."""
    candidates = [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    found = [where / f"python{version}" for where in candidates]
    found += sorted(Path(p) for p in glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")))
    for path in found:
        if path.is_file() and _runs(path, version):
            return path
    pytest.skip(f"no Python {version} on this machine (PATH or ~/.pyenv/versions)")


def _runs(path: Path, version: str) -> bool:
    try:
        done = subprocess.run(
            [str(path), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def venv(where: Path, version: str) -> Path:
    """A new venv at `where` with CPython `version` (pip included); returns its python."""
    subprocess.run([str(python(version)), "-m", "venv", str(where)], check=True, timeout=120)
    return where / "bin" / "python"


def pip(python_path: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """`python -m pip ARGS` in that venv, quietly, with pip's own download cache."""
    command = [str(python_path), "-m", "pip", "--disable-pip-version-check", "--quiet", *args]
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def venv_env(python_path: Path) -> dict[str, str]:
    """The environment of a command run as if that venv were activated (its bin/ first on PATH)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = str(python_path.parent) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(python_path.parent.parent)
    return env
