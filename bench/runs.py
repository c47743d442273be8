"""Measurements that run other processes: the solved notebooks, the nbval suite, the headless trainer.

Notebooks run with nbclient, each in a fresh kernel that inherits this
process's environment; `LAB_MNIST_PATH` tells notebook 06 where full MNIST is
and `LAB_FULL_RUN=1` makes it run its full experiments instead of the
shortened version that nbval runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from bench.report import BenchError

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
GOING_FURTHER = SOLUTIONS / "06_going_further.ipynb"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
# Printed by the last experiment of notebook 06, e.g.
# "Best configuration: 98.62 % test accuracy after 48.1 s of training".
BEST_LINE = re.compile(r"Best configuration: (?P<acc>[\d.]+) % test accuracy after (?P<sec>[\d.]+) s of training")


@contextmanager
def environment(**values: str):
    """Set environment variables for the kernels started inside the block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def execute_notebook(path: Path, timeout: int = 1800) -> tuple[float, nbformat.NotebookNode]:
    """Run a notebook top to bottom in a fresh kernel, with its folder as working directory.

    Returns the wall seconds (kernel start included) and the executed notebook.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start, nb


def solved_notebooks() -> list[Path]:
    """Every solved notebook, in series order."""
    return sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))


def best_configuration(nb: nbformat.NotebookNode) -> tuple[float, float]:
    """(test accuracy in %, training seconds) of notebook 06's best configuration, from its printed line."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            match = BEST_LINE.search(output.get("text", ""))
            if match:
                return float(match["acc"]), float(match["sec"])
    raise BenchError(f"notebook 06 printed no line matching {BEST_LINE.pattern!r}")


def nbval_suite() -> tuple[float, str]:
    """Wall seconds of `make test`'s notebook part (pytest --nbval over solutions/) and pytest's summary line."""
    command = [sys.executable, "-m", "pytest", "-q", "--nbval", "--nbval-current-env"]
    command += ["--nbval-sanitize-with", str(SANITIZE), "solutions"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return seconds, (done.stdout.strip().splitlines() or ["no output"])[-1]


def train_command_peak_memory(data_path: Path, epochs: int) -> tuple[float, float]:
    """Peak resident memory (MiB) and wall seconds of the headless trainer on full MNIST.

    `os.wait4` reports the resource use of exactly that child process.
    """
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryFile() as errors:
        command = [sys.executable, "-m", "lab_utils.train", "--dataset", "mnist", "--data-path", str(data_path)]
        command += ["--epochs", str(epochs), "--output-dir", out, "--quiet"]
        start = time.perf_counter()
        # stderr goes to a file, not a pipe: nobody reads a pipe while wait4 blocks.
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace").strip()
    if child.returncode != 0:
        last = (stderr.splitlines() or ["no message"])[-1]
        raise BenchError(f"`{' '.join(command[1:4])} ...` failed: {last}")
    # Linux reports ru_maxrss in KiB.
    return usage.ru_maxrss / 1024, seconds
