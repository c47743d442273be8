"""Re-execute solved notebooks in place, so that their stored outputs are what nbval compares against.

    python tools/run_solutions.py                      # every notebook in solutions/ (`make solutions`)
    python tools/run_solutions.py solutions/02_model.ipynb

Each notebook runs top to bottom in a fresh kernel started in `solutions/`, as nbval runs it. Nothing
but the outputs and execution counts change: the notebook's metadata stays as it was, and no per-cell
timing and no widget state are written (both differ on every run and would make every re-run a large diff). A cell
tagged `nbval-skip` is not run either: the hand-in cell, whose output differs on every run and which writes a file. Run
`python tools/build_notebooks.py` afterwards so the learner notebooks follow.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 600  # seconds per cell: notebook 06 trains for a while on full MNIST


def run_solution(path: Path) -> None:
    """Execute the notebook at `path` and write it back with its new outputs."""
    nb = nbformat.read(path, as_version=4)
    metadata = copy.deepcopy(nb.metadata)  # the kernel fills in its own language_info: keep what the source says
    NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        record_timing=False,
        store_widget_state=False,
        skip_cells_with_tag="nbval-skip",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    nb.metadata = metadata
    nbformat.write(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in solutions/")
    args = parser.parse_args(argv)
    for path in args.notebooks or sorted((ROOT / "solutions").glob("*.ipynb")):
        print(f"run_solutions: {path.name}", flush=True)
        run_solution(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
