"""Time from opening a notebook in JupyterLab to its first check's result, measured in headless Chromium.

What a learner waits for each time they open a notebook or restart its kernel: the page loads, the kernel
starts, Run All Cells runs the setup cell and every cell down to the first check, which in a learner notebook
says "not implemented yet". JupyterLab starts as `make lab` starts it, through the browser test's own helpers
(tests/browser_lab.py), serving a scratch copy of a checkout's learner notebooks. Each notebook is opened
`repeats` times, each time in a fresh kernel: the first opening may still read TensorFlow from disk, the
fastest of the others is the warm figure. A baseline checkout (main's, say) is timed the same way, with its own
lab_utils first on the kernels' PYTHONPATH: the "before" of a change.

Each opening is also split in two: from opening the page until its kernel is idle (JupyterLab loading itself and
starting a kernel: the same for every notebook, and not the lab's to change), and from Run All to the first check
(the notebook's own cells: its imports and set-up). The goal of at most 3 s is for the second part.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from bench.report import Row

ROOT = Path(__file__).resolve().parents[1]
EXERCISE_START = "### START CODE HERE ###"
NOT_IMPLEMENTED = "not implemented yet"
TIMEOUT_MS = 15 * 60_000  # notebook 05 trains in its setup cell; a loaded 2-core machine is slow
GOAL = "; goal <= 3 s warm"
HOW = (
    "JupyterLab + headless Chromium, from opening the page to Run All's first check",
    "the same, from Run All (kernel idle) to the first check",
)


def first_check(path: Path) -> str | None:
    """The first line of the check cell right after a notebook's first exercise cell (None: no exercise)."""
    code = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    index = next((i for i, source in enumerate(code) if EXERCISE_START in source), None)
    return None if index is None else code[index + 1].strip().splitlines()[0]


def seconds_to_first_check(checkout: Path, names: list[str], repeats: int) -> dict[str, list[tuple[float, float]]]:
    """For each learner notebook of `checkout` named in `names`, each opening's (seconds from opening the page to
    the first check, seconds of those from Run All to the first check), first opening first."""
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_lab import CHROMIUM_ARGS, LabServer, NotebookPage, chromium_path
    from playwright.sync_api import expect, sync_playwright

    timings: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-first-check-") as scratch:
        served = Path(scratch) / "notebooks"
        shutil.copytree(checkout / "notebooks", served)
        server = LabServer(served, Path(scratch) / "state", environment={"PYTHONPATH": str(checkout)})
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                for name in names:
                    check = first_check(served / f"{name}.ipynb")
                    if check is None:
                        continue
                    timings[name] = []
                    for _ in range(repeats):
                        page = browser.new_page(viewport={"width": 1280, "height": 1000})
                        start = time.perf_counter()
                        notebook = NotebookPage(
                            page,
                            server,
                            f"{server.url}/lab/workspaces/bench-{name}/tree/{name}.ipynb?token={server.token}&reset",
                        )
                        run_all = time.perf_counter()
                        notebook.click_run_all()
                        output = notebook.cell_with(check).locator(".jp-OutputArea-output")
                        expect(output).to_contain_text(NOT_IMPLEMENTED, timeout=TIMEOUT_MS)
                        end = time.perf_counter()
                        timings[name].append((end - start, end - run_all))
                        page.close()
                        server.stop_kernels()
                browser.close()
        finally:
            server.stop()
    return timings


def rows(names: list[str] | None, repeats: int, baseline: Path | None) -> list[Row]:
    """Two rows per notebook and checkout, warm seconds: opening the page to the first check, and of that, Run All
    to the first check (the part the goal is for); every opening in the note."""
    names = names or sorted(path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    checkouts = [("", ROOT)] + ([(f", before ({baseline})", baseline)] if baseline else [])
    found = []
    for label, checkout in checkouts:
        for name, openings in seconds_to_first_check(checkout, names, repeats).items():
            for part, what, goal in ((0, "time to first check", ""), (1, "Run All to first check", GOAL)):
                seconds = [opening[part] for opening in openings]
                warm = min(seconds[1:]) if len(seconds) > 1 else seconds[0]
                listed = ", ".join(f"{s:.1f}" for s in seconds)
                found.append(Row(f"{what}, {name}{label}", warm, "s", f"{HOW[part]}; openings {listed} s{goal}"))
    return found
