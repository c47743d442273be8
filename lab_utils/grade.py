"""Headless grading of a learner's notebook: `python -m lab_utils.grade NOTEBOOK [NOTEBOOK ...]`.

Each notebook runs in a fresh kernel, top to bottom, with a time limit per cell; a cell that errors or
times out is noted and the next one runs, as after `Run All` with errors allowed. Then the lab's own
checks (the registry `lab_utils.checks.EXERCISES`) are called on the learner's functions in that
kernel, one grading cell per exercise, each under the same time limit. The notebook's check cells are
never trusted: cells made only of `check_*(...)` calls are skipped (they bind no names, so later cells
cannot depend on them, and running them would only double the grading time), any other edited check
cell runs like learner code, and the grader reloads `lab_utils.checks` before grading, so a learner who
replaced a check by `pass`, a fake "passed" print or a monkeypatch gets the grade the real check gives.
This guards against edited cells, not against a learner set on cheating (their code shares the kernel).

Which exercises a notebook is graded on: those whose registry `notebook` is the file's stem, or a prefix
of it (JupyterLab's copies are named `01_softmax-Copy1.ipynb`); for any other name, the registry
exercises whose function the notebook defines with `def`, so a renamed notebook is still graded.

A cell that ignores the interrupt sent at its time limit (a loop that catches `KeyboardInterrupt`), or
kills its kernel, gets a fresh kernel: the cells that had completed are run again in it, and grading
goes on. The learner's notebook file is only read, never written.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import pkgutil
import re
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lab_utils.errors import LabError

if TYPE_CHECKING:
    from nbformat import NotebookNode

DEFAULT_TIMEOUT = 300  # seconds per cell: generous, since the training cells of notebooks 03 to 05 must fit
SETUP_TIMEOUT = 180  # the grading set-up imports TensorFlow and may build a model, whatever --timeout says
PROBE_TIMEOUT = 5  # after a time-out, how long an interrupted kernel gets to become responsive again
MIME = "application/vnd.lab-grade+json"  # how the kernel hands results to the grader
_TIMED_OUT = "LabCellTimeout"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

PASSED, FAILED, NOT_IMPLEMENTED, MISSING, ERROR, TIMEOUT = (
    "passed",
    "failed",
    "not implemented",
    "missing",
    "error",
    "timeout",
)


class GradeError(LabError):
    """A notebook cannot be graded at all: missing, not a notebook, or the lab's checks do not load."""


@dataclass
class ExerciseResult:
    """The grade of one exercise: `score` is `points` when the check passed, else 0."""

    exercise: str
    points: float
    score: float
    result: str
    message: str


@dataclass
class NotebookGrade:
    """Every exercise of one notebook, with notes on the cells that errored, timed out or lost the kernel."""

    notebook: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(r.score for r in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(r.points for r in self.exercises)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [asdict(r) for r in self.exercises],
            "notes": list(self.notes),
        }


# --- selection (pure; runs in the kernel) -------------------------------------------------------


def defined_functions(code: str) -> set[str]:
    """Names of the functions defined with `def` (at any depth) in `code`, read without running it."""
    return set(re.findall(r"^\s*(?:async\s+)?def\s+(\w+)\s*\(", code, flags=re.MULTILINE))


def select_exercises(stem: str, defined: set[str], registry: tuple) -> list:
    """The registry entries a notebook named `stem` is graded on (see the module docstring)."""
    by_stem = [ex for ex in registry if stem.startswith(ex.notebook)]
    return by_stem or [ex for ex in registry if ex.function in defined]


def is_check_call_cell(source: str) -> bool:
    """True when every statement of the cell is a bare `check_*(...)` call (so skipping it binds nothing)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython magics and the like: run the cell rather than guess
        return False

    def is_check_call(stmt: ast.stmt) -> bool:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return False
        func = stmt.value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name.startswith("check_")

    return bool(body) and all(is_check_call(stmt) for stmt in body)


# --- the kernel side ------------------------------------------------------------------------------


def _emit(payload: dict[str, Any]) -> None:
    from IPython.display import display

    display({MIME: payload}, raw=True)


def _fresh_checks() -> ModuleType:
    """`lab_utils.checks` re-read from its files, undoing any monkeypatching done by the notebook.

    Its submodules are reloaded first, `core` before the checks that import from it, then the package.
    """
    import lab_utils.checks

    names = sorted(m.name for m in pkgutil.iter_modules(lab_utils.checks.__path__))
    for name in sorted(names, key=lambda n: n != "core"):
        importlib.reload(importlib.import_module(f"lab_utils.checks.{name}"))
    return importlib.reload(lab_utils.checks)


class KernelSession:
    """Runs inside the learner's kernel: loads a fresh copy of the checks and grades one function per call."""

    def __init__(self, namespace: dict[str, Any], stem: str, defined: list[str]) -> None:
        self.checks = _fresh_checks()
        self.namespace = namespace
        self.exercises = {ex.function: ex for ex in select_exercises(stem, set(defined), self.checks.EXERCISES)}
        self.model = None
        if any(ex.needs_model for ex in self.exercises.values()):
            # An untrained reference model is enough: predict_digit is compared with the model's own logits.
            from lab_utils.config import LabConfig
            from lab_utils.model import build_model

            self.model = build_model(LabConfig())
        _emit({"exercises": [{"function": f, "points": ex.points} for f, ex in self.exercises.items()]})

    def grade(self, function: str) -> None:
        """Call the check of `function` on the learner's object of that name; emit the outcome."""
        ex = self.exercises[function]
        fn = self.namespace.get(function)
        if fn is None:
            outcome = (MISSING, f"function {function} is not defined (did the cell run?)")
        elif not callable(fn):
            outcome = (MISSING, f"{function} is not a function (it is a {type(fn).__name__})")
        else:
            outcome = self._run_check(ex, fn)
        _emit({"result": outcome[0], "message": outcome[1]})

    def _run_check(self, ex: Any, fn: Any) -> tuple[str, str]:
        try:
            ex.check(fn, self.model) if ex.needs_model else ex.check(fn)
        except self.checks.NotImplementedYet as e:
            return NOT_IMPLEMENTED, str(e)
        except self.checks.CheckFailure as e:
            return FAILED, str(e)
        except (Exception, SystemExit) as e:  # a learner's exit() must not end the grading
            return ERROR, f"{type(e).__name__}: {e}"
        return PASSED, "correct"


# --- the host side --------------------------------------------------------------------------------


def load_notebook(path: str | Path) -> NotebookNode:
    """The notebook at `path`, read as nbformat 4; a GradeError with a one-line reason otherwise."""
    import nbformat  # here and below, not at the top: the kernel imports this module, nbformat costs seconds

    path = Path(path)
    if not path.exists():
        raise GradeError(f"{path}: no such file")
    if path.is_dir():
        raise GradeError(f"{path}: is a directory, not a notebook")
    try:
        # nbformat.read already refuses what JupyterLab could not open; stricter schema validation would
        # refuse notebooks that run fine.
        nb = nbformat.read(path, as_version=4)
        if not all(isinstance(c, dict) and "cell_type" in c and "source" in c for c in nb.cells):
            raise ValueError("a cell has no type or no source")
    except Exception as e:  # JSON, Unicode, schema and OS errors all mean the same to the learner
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GradeError(f"{path}: not a Jupyter notebook ({reason[:200]})") from None
    return nb


class _Kernel:
    """The kernel of one notebook: runs cells with a time limit, and is replaced when it hangs or dies."""

    def __init__(self, cwd: Path) -> None:
        import nbformat

        self.nb = nbformat.v4.new_notebook()  # copies of the cells run here; the learner's notebook is only read
        self.cwd = cwd
        self.stack: ExitStack | None = None
        self.client: Any = None
        self.timed_out = False

    def start(self) -> None:
        from nbclient import NotebookClient

        self.close()
        self.client = NotebookClient(
            self.nb,
            kernel_name="python3",  # this environment's kernel, whatever the learner's metadata names
            allow_errors=True,
            interrupt_on_timeout=True,
            # Reply at once after interrupting, so that a cell that ignores the interrupt cannot hang us.
            error_on_timeout={"ename": _TIMED_OUT, "evalue": "", "traceback": []},
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(self.cwd)}},
            on_cell_executed=self._on_executed,
        )
        self.stack = ExitStack()
        try:
            self.stack.enter_context(self.client.setup_kernel(stderr=subprocess.DEVNULL))
        except Exception as e:
            raise GradeError(f"could not start a Python kernel: {type(e).__name__}: {e}") from None

    def close(self) -> None:
        if self.stack is not None:
            self.stack.close()
            self.stack = None

    def _on_executed(self, cell: Any, cell_index: int, execute_reply: dict) -> None:
        self.timed_out = execute_reply.get("content", {}).get("ename") == _TIMED_OUT

    def run(self, source: str, timeout: int) -> tuple[str, NotebookNode]:
        """Execute `source`; returns ("ok" | "timeout" | "restarted", the executed cell)."""
        import nbformat

        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        if self._execute(cell, timeout) == "dead":
            self.start()
            return "restarted", cell
        if not self.timed_out:
            return "ok", cell
        probe = nbformat.v4.new_code_cell("pass")
        self.nb.cells.append(probe)
        if self._execute(probe, PROBE_TIMEOUT) == "dead" or self.timed_out:
            self.start()
            return "restarted", cell
        return "timeout", cell

    def _execute(self, cell: NotebookNode, timeout: int) -> str:
        from nbclient.exceptions import DeadKernelError

        assert self.client is not None
        self.client.timeout = timeout
        self.timed_out = False
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        except DeadKernelError:
            return "dead"
        return "done"


def _marker(cell: NotebookNode) -> dict[str, Any] | None:
    found = [o["data"][MIME] for o in cell.get("outputs", []) if MIME in o.get("data", {})]
    return found[-1] if found else None


def _error_of(cell: NotebookNode) -> str | None:
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return f"{errors[-1]['ename']}: {errors[-1]['evalue']}" if errors else None


def _one_line(text: str) -> str:
    return " ".join(_ANSI.sub("", str(text)).split())


class _Grader:
    """Grades one notebook: run its cells, set up the checks in the kernel, grade each exercise."""

    def __init__(self, path: Path, timeout: int) -> None:
        self.path, self.timeout = path, timeout
        self.nb = load_notebook(path)
        self.kernel = _Kernel(path.parent.resolve())
        self.completed: list[str] = []  # cells that ran to the end, replayed after a kernel restart
        self.grade = NotebookGrade(notebook=str(path))

    def run(self) -> NotebookGrade:
        cells = [(i, c.source) for i, c in enumerate(self.nb.cells) if c.cell_type == "code" and c.source.strip()]
        code = "\n".join(source for _, source in cells)
        self.setup_source = (
            "import importlib as __lab_importlib, lab_utils.grade as __lab_grade\n"
            "__lab_grade = __lab_importlib.reload(__lab_grade)\n"
            f"__lab_session = __lab_grade.KernelSession(globals(), {self.path.stem!r}, "
            f"{sorted(defined_functions(code))!r})"
        )
        self.kernel.start()
        try:
            for number, source in cells:
                if not is_check_call_cell(source):
                    self._run_learner_cell(number + 1, source)
            exercises = self._setup()
            for ex in exercises:
                self.grade.exercises.append(self._grade_one(ex["function"], ex["points"]))
        finally:
            self.kernel.close()
        return self.grade

    def _run_learner_cell(self, number: int, source: str) -> None:
        status, cell = self.kernel.run(source, self.timeout)
        if status == "ok":
            self.completed.append(source)
            if error := _error_of(cell):
                self.grade.notes.append(f"cell {number} raised {_one_line(error)}")
        elif status == "timeout":
            self.grade.notes.append(f"cell {number} timed out after {self.timeout} s and was interrupted")
        else:
            self.grade.notes.append(f"cell {number} hung or killed the kernel; it was restarted")
            self._replay()

    def _replay(self) -> None:
        """Bring a fresh kernel back to the state before the cell that lost the old one."""
        for source in list(self.completed):
            if self.kernel.run(source, self.timeout)[0] != "ok":
                self.completed.remove(source)

    def _setup(self) -> list[dict[str, Any]]:
        _, cell = self.kernel.run(self.setup_source, max(self.timeout, SETUP_TIMEOUT))
        marker = _marker(cell)
        if marker is None:
            reason = _error_of(cell) or "no answer from the kernel"
            raise GradeError(f"{self.path}: could not load the lab's checks in the kernel ({_one_line(reason)})")
        return marker["exercises"]

    def _grade_one(self, function: str, points: float) -> ExerciseResult:
        status, cell = self.kernel.run(f"__lab_session.grade({function!r})", self.timeout)
        marker = _marker(cell)
        if status == "ok" and marker is not None:
            result, message = marker["result"], _ANSI.sub("", marker["message"]).strip()
        elif status == "ok":  # e.g. the learner's function raised KeyboardInterrupt itself
            result, message = ERROR, _error_of(cell) or "the check gave no result"
        else:
            result = TIMEOUT
            message = f"the check of {function} ran for more than {self.timeout} s (an infinite loop?) and was stopped"
        if status == "restarted":
            self.grade.notes.append(f"the check of {function} hung the kernel; it was restarted and the cells re-run")
            self._replay()
            self._setup()
        return ExerciseResult(function, points, points if result == PASSED else 0, result, message)


def grade_notebook(path: str | Path, timeout: int = DEFAULT_TIMEOUT) -> NotebookGrade:
    """Execute the notebook at `path` in a fresh kernel and grade its exercises (see the module docstring)."""
    return _Grader(Path(path), timeout).run()


def format_table(grade: NotebookGrade) -> str:
    """The grade as a plain-text table (exercise, points, result, message) and a total line."""
    rows = [("exercise", "points", "result", "message")]
    rows += [(r.exercise, f"{r.score:g}/{r.points:g}", r.result, _one_line(r.message)) for r in grade.exercises]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [grade.notebook]
    for row in rows:
        lines.append(
            "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[3]
        )
    if not grade.exercises:
        lines.append("  (no exercise of the lab found in this notebook)")
    lines += [f"  note: {note}" for note in grade.notes]
    lines.append(f"  total: {grade.score:g}/{grade.max_score:g} points")
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns 0 when grading finished, whatever the score, 2 on unusable input."""
    parser = argparse.ArgumentParser(prog="python -m lab_utils.grade", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="learner notebook(s) to grade")
    parser.add_argument("--json", metavar="PATH", help="also write the grades as JSON to PATH")
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="SECONDS", help="time limit per cell and per check"
    )
    args = parser.parse_args(argv)
    if args.timeout < 1:
        parser.error("--timeout must be at least 1 second")
    try:
        for path in args.notebooks:  # refuse bad input before spending minutes on the good notebooks
            load_notebook(path)
        grades = [grade_notebook(path, args.timeout) for path in args.notebooks]
    except GradeError as e:
        print(f"grade: error: {e}", file=sys.stderr)
        return 2
    print("\n\n".join(format_table(g) for g in grades))
    score, max_score = sum(g.score for g in grades), sum(g.max_score for g in grades)
    if len(grades) > 1:
        print(f"\ngrand total: {score:g}/{max_score:g} points")
    if args.json:
        report = {"notebooks": [g.to_dict() for g in grades], "score": score, "max_score": max_score}
        try:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        except OSError as e:
            print(f"grade: error: cannot write {args.json}: {e.strerror}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
