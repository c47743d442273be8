"""Write the learner notebooks in notebooks/ from the solved notebooks in solutions/.

`solutions/NN_name.ipynb` is the one source of each notebook. In its exercise
cells the solution lines sit between `### BEGIN SOLUTION` and `### END SOLUTION`,
inside a `### START CODE HERE ###` / `### END CODE HERE ###` region. This tool
replaces each solution block by a stub that raises NotImplementedError (the
checks report it as "not implemented yet"), strips outputs and execution counts,
keeps cell ids, and records in the notebook metadata where the file came from
and a hash of what it wrote.

    python tools/build_notebooks.py            # write notebooks/ (`make notebooks`)
    python tools/build_notebooks.py --check    # exit 1 if a committed learner notebook is stale
    python tools/build_notebooks.py --force    # overwrite learner notebooks even if edited

With the lab's own solutions/ it also writes what the grader knows of them into the package,
`lab_utils/grading/masters.json` (see `lab_utils.grading.cells`), so that an installed lab grades as a
checkout does; `--check` compares it too.

Safety rules, because a leaked solution or a lost afternoon of learner work
cannot be undone:
- any line that looks like a solution marker but is not a well-formed one
  (`# SOLUTIONN`, `### BEGIN SOLUTON`), an unbalanced or nested block, or a block
  outside a START/END CODE HERE region stops the build with an error;
- a learner notebook whose cells no longer match the hash stored when it was
  written (the learner edited it) is never overwritten without `--force`.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # lab_utils from this checkout, installed or not

from lab_utils.grading import cells  # noqa: E402

PACKAGE_MASTERS = ROOT / "lab_utils" / "grading" / cells.MASTERS
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
START_CODE = "### START CODE HERE ###"
END_CODE = "### END CODE HERE ###"
STUB = 'raise NotImplementedError("Replace this line with your code")'
METADATA_KEY = "lab_generated"
NBFORMAT_MINOR = 5
# Cell tags that only steer nbval on the solved notebooks; learners never need them.
TEST_ONLY_TAGS = ("nbval-ignore-output", "nbval-skip", "nbval-raises-exception", "raises-exception")
WORD = re.compile(r"[A-Za-z]+")


COLAB_CELL_ID = "colab-setup"
# The lab's packages Colab's kernel never imports: its front end is Colab's own, and the hand-in does not save
# through ipylab there.
COLAB_FRONT_END_ONLY = ("jupyterlab", "ipylab")
COLAB_IMPORT_NAMES = {"tensorflow-cpu": "tensorflow", "pillow": "PIL"}  # the lab's packages imported by another name
# Where Colab runs: Linux x86-64, Python 3.12 (pins for it are taken from the lock's export).
COLAB_MARKERS = {"sys_platform": "linux", "platform_machine": "x86_64", "python_version": "3.12"}
COLAB_MARKERS.update(python_full_version="3.12.0", platform_system="Linux", os_name="posix")
COLAB_SETUP = """\
# Sets the lab up in Google Colab (elsewhere this cell does nothing): the lab's code at its release, and only
# what Colab lacks, leaving Colab's own TensorFlow, Keras and widgets as they are.
import sys

if "google.colab" in sys.modules:
    import importlib.util
    import os
    import subprocess

    from google.colab import output

    LAB = os.path.abspath("mnist-lab")
    if not os.path.isdir(LAB):
        subprocess.run(
            ["git", "clone", "--quiet", "--depth=1", {tag}, {url}, LAB],
            check=True,
        )
    if LAB not in sys.path:
        sys.path.insert(0, LAB)
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [LAB, os.environ.get("PYTHONPATH")]))
    lab_packages = {{{packages}
    }}
    missing = [pin for module, pin in lab_packages.items() if importlib.util.find_spec(module) is None]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *missing], check=True)
    output.enable_custom_widget_manager()"""


class MarkerError(Exception):
    """A solution marker is misspelt, unbalanced or misplaced: the build must stop."""


class EditedNotebookError(Exception):
    """A learner notebook was edited since it was generated: it is not overwritten without --force."""


def _looks_like_solution_word(word: str) -> bool:
    """True for SOLUTION and its misspellings (SOLUTON, SOLUTIONN, SOLN...): anything close enough to leak."""
    word = word.upper()
    if len(word) < 4:
        return False
    return word.startswith("SOLN") or difflib.SequenceMatcher(None, word, "SOLUTION").ratio() >= 0.8


def _looks_like_marker(line: str) -> bool:
    """True for any line that mentions a solution or a CODE HERE region in any spelling."""
    if any(_looks_like_solution_word(w) for w in WORD.findall(line)):
        return True
    return re.search(r"code\W*here", line, re.IGNORECASE) is not None


def _is_boundary_line(line: str) -> bool:
    """True for a markdown line shaped like a solution marker ("### BEGIN SOLUTION"), not for prose about one."""
    text = line.strip()
    return (
        text.startswith("#")
        and re.search(r"\b(begin|end)\b", text, re.IGNORECASE) is not None
        and any(_looks_like_solution_word(w) for w in WORD.findall(text))
    )


def strip_solutions(source: str, where: str) -> str:
    """The cell source with every solution block replaced by the stub, at the block's indentation.

    Raises MarkerError naming `where` and the line for any marker that is not well formed.
    """
    out: list[str] = []
    in_code = in_solution = False
    region_has_solution = False
    block_lines = 0
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        at = f"{where}, line {number}"
        if text == START_CODE:
            if in_code:
                raise MarkerError(f"{at}: '{START_CODE}' inside another START/END CODE HERE region")
            in_code, region_has_solution = True, False
        elif text == END_CODE:
            if not in_code or in_solution:
                raise MarkerError(f"{at}: '{END_CODE}' without an open region, or before '{END_SOLUTION}'")
            if not region_has_solution:
                raise MarkerError(f"{at}: the CODE HERE region holds no '{BEGIN_SOLUTION}' block")
            in_code = False
        elif text == BEGIN_SOLUTION:
            if not in_code or in_solution:
                raise MarkerError(f"{at}: '{BEGIN_SOLUTION}' outside a CODE HERE region, or inside another block")
            in_solution, region_has_solution, block_lines = True, True, 0
            out.append(line[: len(line) - len(line.lstrip())] + STUB)
            continue
        elif text == END_SOLUTION:
            if not in_solution:
                raise MarkerError(f"{at}: '{END_SOLUTION}' without a '{BEGIN_SOLUTION}'")
            if block_lines == 0:
                raise MarkerError(f"{at}: empty solution block")
            in_solution = False
            continue
        elif _looks_like_marker(line):
            raise MarkerError(f"{at}: malformed solution marker {text!r}; use exactly '{BEGIN_SOLUTION}' etc.")
        if in_solution:
            block_lines += 1
        else:
            out.append(line)
    if in_solution or in_code:
        open_marker = BEGIN_SOLUTION if in_solution else START_CODE
        raise MarkerError(f"{where}: '{open_marker}' is never closed")
    return "\n".join(out)


def learner_version(solution: nbformat.NotebookNode, source_name: str) -> nbformat.NotebookNode:
    """The learner notebook for a solved one: Colab's set-up cell first, stubs for solutions, no outputs,
    provenance in metadata."""
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = NBFORMAT_MINOR
    nb.cells.append(colab_setup_cell())
    for index, cell in enumerate(solution.cells):
        where = f"{source_name} cell {index + 1} ({cell.cell_type})"
        if "id" not in cell:
            raise MarkerError(f"{where}: has no cell id; open and save the notebook with nbformat >= 4.5")
        new = copy.deepcopy(cell)
        new.metadata = _learner_cell_metadata(cell.metadata)
        if cell.cell_type == "code":
            new.source = strip_solutions(cell.source, where)
            new.outputs = []
            new.execution_count = None
        else:
            # Prose may say "solution"; a line that names a block boundary is a marker in the wrong place.
            marker = next((line for line in cell.source.splitlines() if _is_boundary_line(line)), None)
            if marker is not None:
                raise MarkerError(f"{where}: solution marker {marker.strip()!r} outside a code cell")
        nb.cells.append(new)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        METADATA_KEY: {
            "source": f"solutions/{source_name}",
            "note": f"Generated by tools/build_notebooks.py from solutions/{source_name}; "
            "edit that file and run `make notebooks`.",
        },
    }
    nb.metadata[METADATA_KEY]["cells_sha256"] = cells_hash(nb)
    return nb


def colab_setup_cell(root: Path = ROOT) -> nbformat.NotebookNode:
    """The cell that sets the lab up in Google Colab, where a notebook opens alone, without the lab beside it.

    Outside Colab it does nothing. In Colab it clones the lab at its release tag (v<version>, from pyproject.toml's
    Source URL) into the working folder, puts it on the path (of this kernel and, through PYTHONPATH, of the
    hand-in's grader kernels), pip-installs without dependencies, at the locked version, only the lab's packages
    that cannot be imported (ipycanvas: Colab's own TensorFlow, Keras, NumPy and ipywidgets stay as they are), and
    enables Colab's custom widget manager, which third-party widgets such as ipycanvas need.
    """
    from packaging.requirements import Requirement

    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # The lock's pins for Colab's platform, as exported for Binder (Linux x86-64 too).
    exported = (root / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [Requirement(line) for line in exported if line and not line.startswith(("#", " "))]
    locked = {p.name: f"{p.name}{p.specifier}" for p in pins if p.marker is None or p.marker.evaluate(COLAB_MARKERS)}
    imports = {}
    for dependency in map(Requirement, project["dependencies"]):
        if dependency.name not in COLAB_FRONT_END_ONLY and (
            dependency.marker is None or dependency.marker.evaluate(COLAB_MARKERS)
        ):
            imports[COLAB_IMPORT_NAMES.get(dependency.name, dependency.name)] = locked[dependency.name]
    packages = "".join(f"\n        {json.dumps(module)}: {json.dumps(pin)}," for module, pin in sorted(imports.items()))
    source = COLAB_SETUP.format(
        tag=json.dumps(f"--branch=v{project['version']}"), url=json.dumps(project["urls"]["Source"]), packages=packages
    )
    cell = nbformat.v4.new_code_cell(source)
    cell.id = COLAB_CELL_ID
    return cell


def _learner_cell_metadata(metadata: dict) -> dict:
    kept = {k: copy.deepcopy(v) for k, v in metadata.items() if k not in ("execution", "tags")}
    tags = [t for t in metadata.get("tags", []) if t not in TEST_ONLY_TAGS]
    if tags:
        kept["tags"] = tags
    return kept


def cells_hash(nb: nbformat.NotebookNode) -> str:
    """SHA-256 of what a learner writes: the type and source of every cell, in order.

    Outputs, execution counts and metadata are left out, so running a notebook
    does not count as editing it.
    """
    content = [[cell.cell_type, cell.source] for cell in nb.cells]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def dumps(nb: nbformat.NotebookNode) -> str:
    """The notebook as the exact text written to disk (nbformat's layout, one trailing newline)."""
    return nbformat.writes(nb, version=4) + "\n"


def is_unedited(path: Path) -> bool:
    """True if the learner notebook at `path` still has the cells this tool wrote there."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # an unreadable notebook is still a learner's file: protect it
        return False
    stored = nb.metadata.get(METADATA_KEY, {}).get("cells_sha256")
    return stored is not None and stored == cells_hash(nb)


def build(solutions: Path, notebooks: Path, force: bool = False, check: bool = False) -> list[str]:
    """Write (or with `check`, compare) every learner notebook; returns the names that changed or differ.

    Raises MarkerError for a bad marker (before anything is written) and
    EditedNotebookError for an edited learner notebook (unless `force`).
    """
    sources = sorted(solutions.glob("*.ipynb"))
    if not sources:
        raise MarkerError(f"no notebooks in {solutions}")
    wanted = {path.name: dumps(learner_version(nbformat.read(path, as_version=4), path.name)) for path in sources}
    changed = []
    for name, text in wanted.items():
        target = notebooks / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        changed.append(name)
        if check:
            continue
        if current is not None and not force and not is_unedited(target):
            raise EditedNotebookError(
                f"{target} was edited since it was generated; not overwriting it (use --force to replace it)"
            )
        notebooks.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    if check:
        # A learner notebook whose solved source was deleted or renamed is stale too.
        changed += sorted(p.name for p in notebooks.glob("*.ipynb") if p.name not in wanted)
    return changed


def build_masters(solutions: Path, target: Path, check: bool = False) -> list[str]:
    """Write (or with `check`, compare) the grader's record of the masters in `solutions` (`cells.master_record`
    per notebook) at `target`; returns [target's name] if it changed or differs, else []."""
    record = {}
    for path in sorted(solutions.glob("*.ipynb")):
        master = nbformat.read(path, as_version=4)
        learner = learner_version(master, path.name)
        record[path.stem] = cells.master_record(
            [(c.id, c.source) for c in master.cells if c.cell_type == "code"],
            {c.id: c.source for c in learner.cells if c.cell_type == "code"},
        )
    generated = "generated by tools/build_notebooks.py from solutions/ and notebooks/: do not edit"
    text = json.dumps({"generated": generated, "notebooks": record}, indent=1, ensure_ascii=False) + "\n"
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return []
    if not check:
        target.write_text(text, encoding="utf-8")
    return [target.name]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the learner notebooks from the solved ones.")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions", help="solved notebooks (the source)")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help="where learner notebooks go")
    parser.add_argument(
        "--masters", type=Path, help=f"the grader's record of the masters (with the lab's solutions: {PACKAGE_MASTERS})"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if a learner notebook is stale")
    mode.add_argument("--force", action="store_true", help="overwrite learner notebooks even if edited")
    args = parser.parse_args(argv)
    try:
        changed = build(args.solutions, args.notebooks, force=args.force, check=args.check)
        # The package's record describes the lab's own solutions only, never a folder given for a trial.
        masters = args.masters or (PACKAGE_MASTERS if args.solutions.resolve() == ROOT / "solutions" else None)
        if masters is not None:
            changed += build_masters(args.solutions, masters, check=args.check)
    except (MarkerError, EditedNotebookError) as error:
        print(f"build_notebooks: error: {error}", file=sys.stderr)
        return 1
    if args.check:
        if changed:
            print(f"build_notebooks: out of date: {', '.join(changed)} (run `make notebooks`)", file=sys.stderr)
            return 1
        print("build_notebooks: learner notebooks are up to date")
        return 0
    print(f"build_notebooks: wrote {len(changed)} file(s){': ' + ', '.join(changed) if changed else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
