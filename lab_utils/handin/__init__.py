"""Handing in the lab: `handin()` saves, pre-checks the whole series and writes one verifiable file.

- this module: `handin()`, the call at the end of the series' last notebook;
- `precheck`: `make_handin` (the pre-check with the instructor's grader, the zip);
- `save`: saving JupyterLab's open notebooks from the kernel (ipylab), and what to do in Google Colab instead;
- `receipt`: the table, total and receipt the learner reads, in a notebook or a terminal;
- `manifest`: the hand-in file's format, which the course's grader (`lab_utils.course.handin_file`) reads;
- `__main__`: `python -m lab_utils.handin [NOTEBOOK_DIR] [--learner ID] [--out DIR]`.

`handin()` loads the rest on first use, so that the course's side can read the manifest format alone.
"""

from __future__ import annotations

import html
from pathlib import Path

__all__ = ["handin"]


def handin(folder: str | Path = ".", learner: str | None = None, out: str | Path | None = None) -> None:
    """Save your open notebooks, pre-check the whole series, and write the file to upload to your course.

    Run it in the last notebook's "Hand in your work" cell (or any notebook of the lab). `folder`: where your
    notebooks are (the current notebook's folder); `learner`: your id in the file's name (your login name);
    `out`: where the file goes (`folder`/handed-in). In Google Colab, until the notebooks are uploaded to the
    runtime, it says how to do that instead.
    """
    from IPython.display import HTML, display

    from lab_utils.checks import series_stems
    from lab_utils.handin.precheck import make_handin
    from lab_utils.handin.receipt import handin_html
    from lab_utils.handin.save import COLAB_STEPS, in_colab, save_open_notebooks

    folder = Path(folder)
    if in_colab() and not any((folder / f"{stem}.ipynb").is_file() for stem in series_stems()):
        display(HTML(f"<p>{html.escape(COLAB_STEPS.format(folder=folder.resolve()))}</p>"))
        return
    saved = save_open_notebooks(folder / f"{stem}.ipynb" for stem in series_stems())
    made = make_handin(folder, learner, None if out is None else Path(out))
    made.saved = saved
    display(HTML(handin_html(made)))
