"""The grader's command line, `python -m lab_utils.grade`, for a learner's notebooks or a whole class.

    python -m lab_utils.grade NOTEBOOK [NOTEBOOK ...] [--json PATH]
    python -m lab_utils.grade CLASS_DIR --out RESULTS_DIR [--workers N] [--scheduler tcp://HOST:PORT] [--regrade]
        [--course course.toml] [--only ID [ID ...]]
    python -m lab_utils.grade CLASS_DIR --course course.toml --check

Both take `--timeout S` (per cell), `--seed N` (reproduce a grading: the seed is printed and recorded) and
`--sandbox auto|required|off` and `--fresh-kernels` (see `lab_utils.grading.forking`). Notebooks print a table per
notebook; a class writes RESULTS_DIR (see `lab_utils.course.reports`) with a progress bar and ETA on a terminal,
quiet otherwise. With a course file, the course check (`lab_utils.course.check`) runs first and prints each finding
on stderr; `--check` runs only it.
Unusable input gets one line on stderr and exit status 2; an error of the course check exits 1 (the grading is
written, the exports are not); a finished grading exits 0, whatever the scores.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from lab_utils.checks import series_stems
from lab_utils.course.batch import ClassRun, LocalPool, grade_class, refuse_unknown
from lab_utils.course.check import ERROR, Finding, check_course, roster_match
from lab_utils.course.classdir import Learner, read_class, stem_of
from lab_utils.course.coursefile import Course, load_course, read_submission_times
from lab_utils.course.handin_file import HandInRefused, is_handin, read_handin
from lab_utils.course.records import learner_records
from lab_utils.course.roster import Roster, read_roster
from lab_utils.errors import LabError
from lab_utils.grading.notebook import read_code_cells
from lab_utils.grading.options import DEFAULT_TIMEOUT, GradeOptions
from lab_utils.grading.results import GRADED, NotebookResult
from lab_utils.grading.sandbox import SANDBOX_MODES
from lab_utils.grading.text import for_terminal, one_line

MESSAGE_WIDTH = 80  # characters of a table's message column before a message wraps onto the next line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lab_utils.grade",
        description="Grade learner notebooks, or a class folder (one folder per learner, or Canvas' flat download).",
    )
    parser.add_argument("paths", nargs="+", metavar="NOTEBOOK | CLASS_DIR", help="notebooks, or one class folder")
    parser.add_argument("--out", type=Path, metavar="RESULTS_DIR", help="grade CLASS_DIR and write the results here")
    parser.add_argument("--json", metavar="PATH", help="notebooks: also write the grades as JSON to PATH")
    parser.add_argument("--workers", type=int, metavar="N", help="learners graded at once (default: the cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="grade on this Dask cluster, e.g. tcp://host:8786")
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="S", help="time limit per cell, in seconds"
    )
    parser.add_argument("--seed", type=int, metavar="N", help="seed of the random test inputs (default: a new one)")
    parser.add_argument("--regrade", action="store_true", help="grade again learners whose files did not change")
    parser.add_argument("--course", type=Path, metavar="TOML", help="the course file (due date, late policy, ...)")
    parser.add_argument("--only", nargs="+", metavar="ID", default=[], help="grade only these learners again")
    parser.add_argument("--sandbox", choices=SANDBOX_MODES, default="auto", help="bubblewrap sandbox")
    parser.add_argument(
        "--fresh-kernels", action="store_true", help="start every kernel afresh, not forked from a warm one (slower)"
    )
    parser.add_argument(
        "--check", action="store_true", help="only check the class folder, roster and course file; grade nothing"
    )
    return parser


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.timeout < 1:
        parser.error("--timeout must be at least 1 second")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.seed is not None and not 0 <= args.seed < 2**32:
        parser.error("--seed must be between 0 and 4294967295")
    if args.check:
        if len(args.paths) != 1 or args.course is None:
            parser.error("--check checks a class against its course file: give CLASS_DIR --course course.toml")
        return
    if args.out is None:
        if len(args.paths) == 1 and Path(args.paths[0]).is_dir():
            parser.error(f"{args.paths[0]} is a folder: to grade a class, give --out RESULTS_DIR")
        if args.workers or args.scheduler or args.regrade or args.course or args.only:
            parser.error(
                "--workers, --scheduler, --regrade, --course and --only grade a class: give CLASS_DIR --out RESULTS_DIR"
            )
    else:
        if len(args.paths) != 1:
            parser.error("--out grades one class folder: give exactly one CLASS_DIR")
        if args.json:
            parser.error("--json is for notebooks; a class writes RESULTS_DIR/grades.json")
        if args.workers and args.scheduler:
            parser.error("--workers is for this machine; with --scheduler the cluster's workers grade")


def main(argv: list[str] | None = None) -> int:
    """The command line; returns 0 when grading finished, 2 on unusable input."""
    parser = _parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    seed = secrets.randbits(32) if args.seed is None else args.seed
    options = GradeOptions(seed=seed, timeout=args.timeout, sandbox=args.sandbox, fork=not args.fresh_kernels)
    try:
        if args.check:
            return _check_only(Path(args.paths[0]), load_course(args.course))
        if args.out is not None:
            return _grade_class(args, options)
        return _grade_notebooks(args, options)
    except (LabError, OSError) as e:
        print(f"grade: error: {one_line(e, 500)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grade: interrupted; run the same command again to resume where it stopped", file=sys.stderr)
        return 130


# --- a class ------------------------------------------------------------------------------------------------


def _grade_class(args: argparse.Namespace, options: GradeOptions) -> int:
    class_dir = Path(args.paths[0])
    _check_out(class_dir, args.out)
    course = load_course(args.course) if args.course else None  # refused before any learner is graded
    if args.scheduler:
        from lab_utils.course.cluster import DaskPool

        pool = DaskPool(args.scheduler)
    else:
        pool = LocalPool(args.workers or os.cpu_count() or 1)
    try:
        with _progress() as progress:
            run = grade_and_report(class_dir, args.out, pool, options, args.regrade, progress, course, args.only)
    finally:
        if args.scheduler:
            pool.close()
    problems = sum(r.status != GRADED for r in run.results)
    exports = "".join(f", {name}" for name in run.info.get("exports", []))
    seed = f"seed {options.seed}; " if run.info["graded"] else ""  # a seed nobody was graded with reproduces nothing
    print(
        f"graded {run.info['graded']} learner(s), {run.info['reused']} unchanged since the last run; "
        f"{problems} not fully graded; {seed}results in {args.out}{exports}"
    )
    if errors := sum(f.level == ERROR for f in run.findings):
        print(f"grade: {errors} error(s) in the course check above: no export written", file=sys.stderr)
        return 1
    return 0


def _check_only(class_dir: Path, course: Course) -> int:
    """`--check`: the course check's findings, one line each; 1 when one is an error."""
    roster = read_roster(course.roster) if course.roster else None
    times = read_submission_times(course.submission_times) if course.submission_times else None
    learners = read_class(class_dir, course.zone).learners
    roster = _keyed(roster, learners, course)
    findings = course_findings(learners, course, roster, times)
    if not findings:
        print("course check: no mismatch between the class folder, the roster and the course file")
    errors = sum(f.level == ERROR for f in findings)
    if errors:
        print(f"course check: {errors} error(s), {len(findings) - errors} warning(s)", file=sys.stderr)
    elif findings:
        print(f"course check: {len(findings)} warning(s), no error")
    return 1 if errors else 0


def course_findings(
    learners: list[Learner], course: Course, roster: Roster | None, times: dict[str, datetime] | None
) -> list[Finding]:
    """The course check (`check.check_course`), each finding printed on stderr, after the key the roster is matched on
    (`check.roster_match`, printed on stdout)."""
    if roster is not None:
        print(f"course check: {roster_match(learners, roster)}")
    findings = check_course(learners, course, roster, times)
    for finding in findings:
        print(f"grade: {for_terminal(finding.line)}", file=sys.stderr)
    return findings


def _keyed(roster: Roster | None, learners: list[Learner], course: Course | None) -> Roster | None:
    """The roster matched on the course file's `roster_key`, else on the column that holds the learners' ids."""
    if roster is None:
        return None
    return roster.keyed([learner.learner_id for learner in learners], course.roster_key if course else None)


def _check_out(class_dir: Path, out: Path) -> None:
    """Refuse, in one line, a RESULTS_DIR that is a file or lies inside the class folder (it would be a learner)."""
    if out.exists() and not out.is_dir():
        raise LabError(f"--out {out}: is a file; give a folder for the results")
    if class_dir.is_dir() and out.resolve().is_relative_to(class_dir.resolve()):
        raise LabError(f"--out {out}: is inside the class folder {class_dir}, where it would be read as a learner")


def grade_and_report(
    class_dir: Path,
    out: Path,
    pool: Any,
    options: GradeOptions,
    regrade: bool = False,
    progress: Any = None,
    course: Course | None = None,
    only: Sequence[str] = (),
) -> ClassRun:
    """Grade the class with `pool` (LocalPool, DaskPool) and write RESULTS_DIR: the command, callable from Python.

    With `course`, the course file's roster and submission times are read first, so that a bad file stops the
    run before any grading, and the course check (`run.findings`) is printed before grading and reported; with an
    error among them, no export is written.
    """
    from lab_utils.course import reports

    roster = read_roster(course.roster) if course and course.roster else None
    times = read_submission_times(course.submission_times) if course and course.submission_times else None
    folder = read_class(class_dir, course.zone if course else None)
    refuse_unknown(only, folder.learners, class_dir)
    roster = _keyed(roster, folder.learners, course)
    findings = course_findings(folder.learners, course, roster, times) if course else []
    run = grade_class(class_dir, out, pool, options, regrade, progress, only, folder)
    run.findings = findings
    if roster is not None:
        run.info["roster_match"] = roster_match(folder.learners, roster)
    records = learner_records(run.learners, run.results, course, roster, times)
    run.info["exports"] = reports.write_all(run.results, run.info, out, records, course, roster, findings)
    return run


class _progress:
    """A rich progress bar with ETA on stderr when it is a terminal; nothing otherwise."""

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[last]}", markup=False),  # a learner's id is not rich markup
            console=Console(stderr=True),
        )
        self.bar.start()
        self.task = self.bar.add_task("grading", total=None, last="")
        return self.update

    def update(self, done: int, total: int, learner_id: str) -> None:
        self.bar.update(self.task, completed=done, total=total, last=one_line(learner_id, 40))

    def __exit__(self, *exc: object) -> None:
        if hasattr(self, "bar"):
            self.bar.stop()


# --- notebooks ----------------------------------------------------------------------------------------------


def _grade_notebooks(args: argparse.Namespace, options: GradeOptions) -> int:
    with tempfile.TemporaryDirectory(prefix="lab-handin-") as private:
        shown, problems = _unpack_handins([Path(p) for p in args.paths], Path(private))
        print("".join(f"{for_terminal(problem)}\n" for problem in problems), end="")
        return _grade_paths(args, options, shown, problems)


def _unpack_handins(paths: list[Path], private: Path) -> tuple[dict[Path, str], list[str]]:
    """The notebooks to grade, each with the name to show (a hand-in file's notebooks written to `private`, shown
    as "<zip>/<notebook>"), and what is wrong with the hand-in files."""
    notebooks: dict[Path, str] = {}
    problems: list[str] = []
    for number, path in enumerate(paths):
        if not is_handin(path):
            notebooks[path] = str(path)
            continue
        try:
            handin = read_handin(path, series_stems())
        except HandInRefused as e:
            raise LabError(f"{path}: hand-in file refused: it {e}") from None
        problems += [f"hand-in file {path}: {problem}" for problem in handin.problems]
        folder = private / str(number)  # one folder per hand-in file: names are the series' and may repeat
        folder.mkdir()
        for name, data in handin.notebooks.items():
            (folder / name).write_bytes(data)
            notebooks[folder / name] = f"{path}/{name}"
    return notebooks, problems


def _grade_paths(args: argparse.Namespace, options: GradeOptions, shown: dict[Path, str], problems: list[str]) -> int:
    paths = list(shown)
    for path in paths:  # refuse bad input before spending minutes on the good notebooks
        _check_notebook(path)
    from lab_utils.grading import grade_submission  # imports the runner: after the quick checks above

    # Notebooks of different stems share one submission (one kernel); two files of one stem need two.
    submissions: list[dict[str, Path]] = []
    for path in paths:
        stem = stem_of(path)
        if stem is None:  # its table says that it holds no exercise of the lab
            continue
        target = next((s for s in submissions if stem not in s), None)
        if target is None:
            submissions.append(target := {})
        target[stem] = path
    graded: dict[Path, NotebookResult] = {}
    for files in submissions:
        result = grade_submission("learner", {stem: files.get(stem) for stem in series_stems()}, options)
        graded.update({files[nb.notebook]: nb for nb in result.notebooks if nb.notebook in files})
    tables = [format_table(graded[p], shown[p]) if p in graded else _no_exercise(Path(shown[p])) for p in paths]
    print("\n\n".join(tables))
    score = sum(nb.score for nb in graded.values())
    max_score = sum(nb.max_score for nb in graded.values())
    if len(paths) > 1:
        print(f"\ngrand total: {score:g}/{max_score:g} points")
    print(f"seed {options.seed} (--seed {options.seed} grades with the same inputs)")
    if args.json:
        report = {
            "notebooks": [_notebook_json(graded[p], Path(shown[p])) for p in paths if p in graded],
            "score": score,
            "max_score": max_score,
            "seed": options.seed,
            "problems": problems,
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _notebook_json(nb: NotebookResult, path: Path) -> dict[str, Any]:
    """As the JSON has always had it: `notebook` is the path graded; the series stem is `stem`."""
    return {**asdict(nb), "notebook": str(path), "stem": nb.notebook, "score": nb.score, "max_score": nb.max_score}


def _check_notebook(path: Path) -> None:
    if not path.exists():
        raise LabError(f"{path}: no such file")
    if path.is_dir():
        raise LabError(f"{path}: is a folder, not a notebook (to grade a class: {path} --out RESULTS_DIR)")
    try:
        read_code_cells(path)
    except ValueError as e:
        raise LabError(f"{path}: {e}") from None


def _no_exercise(path: Path) -> str:
    return f"{path}\n  (no exercise of the lab found in this notebook)"


def _wrap(text: str, width: int) -> list[str]:
    """The message's own lines, each cut into pieces of at most `width` characters at spaces."""
    import textwrap

    lines = []
    for line in text.strip().splitlines() or [""]:
        indent = line[: len(line) - len(line.lstrip())]
        lines += textwrap.wrap(line, width, subsequent_indent=indent + "  ", break_long_words=False) or [""]
    return lines


def format_table(nb: NotebookResult, title: str) -> str:
    """One notebook's grade as a table (exercise, points, result, message), its notes and a total line.

    Every text in it is made fit for a terminal (`text.for_terminal`): a learner's message cannot move the cursor,
    retitle the window or hide rows. A multi-line message keeps its lines, aligned under the message column. The
    total line says when the notebook had problems (a cell that crashed or timed out, a missing file), so a full
    score never hides them.
    """
    rows = [("exercise", "points", "result", "message")]
    rows += [(one_line(r.exercise, 40), f"{r.score:g}/{r.points:g}", r.result, r.message) for r in nb.exercises]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [one_line(title, 500)]
    for row in rows:
        left = "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  "
        message = _wrap(for_terminal(row[3]), MESSAGE_WIDTH)
        lines.append(left + message[0])
        lines += [" " * len(left) + more for more in message[1:]]
    if not nb.exercises:
        lines.append("  (no exercise of the lab found in this notebook)")
    lines += [f"  note: {one_line(note)}" for note in nb.notes]
    total = f"  total: {nb.score:g}/{nb.max_score:g} points"
    if nb.status != GRADED:
        total += f"  [{one_line(nb.described)}]"
    elif nb.notes:
        total += f"  [{len(nb.notes)} problem(s) while running the notebook: see the notes above]"
    lines.append(total)
    return "\n".join(line.rstrip() for line in lines)
