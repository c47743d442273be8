"""`python -m lab_utils.handin [NOTEBOOK_DIR] [--learner ID] [--out DIR]`: the hand-in from a terminal.

Pre-checks the series' notebooks in NOTEBOOK_DIR (default: notebooks) and writes the hand-in file, then prints
the table and the receipt. Open notebooks cannot be saved from here: save them in JupyterLab first.
Exits 0 when the file was written, 2 on unusable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lab_utils.handin.precheck import HandInError, make_handin
from lab_utils.handin.receipt import handin_text
from lab_utils.handin.save import save_open_notebooks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lab_utils.handin",
        description="Pre-check the lab's notebooks with the instructor's grader and write the file to hand in.",
    )
    parser.add_argument("folder", nargs="?", default="notebooks", type=Path, metavar="NOTEBOOK_DIR")
    parser.add_argument("--learner", metavar="ID", help="your id in the file's name (default: your login name)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="where to write the file (NOTEBOOK_DIR/handed-in)")
    args = parser.parse_args(argv)
    saved = save_open_notebooks([])
    print(saved)
    try:
        made = make_handin(args.folder, args.learner, args.out)
    except (HandInError, OSError) as e:
        print(f"handin: error: {e}", file=sys.stderr)
        return 2
    made.saved = saved
    print(handin_text(made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
