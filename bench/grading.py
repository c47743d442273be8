"""Measurements of grading: one notebook in and out of the sandbox, and a class: CPU seconds per submission,
submissions per hour per core, 2 workers against 1.

A synthetic class is made of copies of the solved notebooks (one folder per learner, every graded notebook) and
graded with `lab_utils.course.batch.grade_class`, as `python -m lab_utils.grade CLASS_DIR --out ...` does. CPU time
per submission is the grader's own count (`SubmissionResult.cpu_seconds`: the sandbox's cgroup, so every process
of the kernel, plus the grader's thread); `getrusage` cannot see the kernels, which are not this process's waited
children. The 1-worker class is the baseline the 2-worker class is compared with, both graded in the same run,
each several times; the medians are compared.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import BenchError, Row, speedup
from bench.runs import SOLUTIONS

SEED = 1234  # every run grades the same inputs


def make_class(folder: Path, learners: int) -> Path:
    """`learners` folders, each holding a copy of every solved notebook that the registry grades."""
    from lab_utils.checks import series_stems

    solved = [SOLUTIONS / f"{stem}.ipynb" for stem in series_stems()]
    missing = [p.name for p in solved if not p.exists()]
    if missing:
        raise BenchError(f"solved notebooks missing: {', '.join(missing)}")
    for i in range(learners):
        (folder / f"learner{i:03d}").mkdir(parents=True)
        for path in solved:
            shutil.copy(path, folder / f"learner{i:03d}" / path.name)
    return folder


def grade_once(class_dir: Path, workers: int, fork: bool = True) -> tuple[float, list]:
    """(wall seconds, results) of grading the whole class from scratch with `workers` local workers, each kernel
    forked from the warm server (`fork`) or started afresh."""
    from lab_utils.course.batch import LocalPool, grade_class
    from lab_utils.grading.options import GradeOptions

    options = GradeOptions(seed=SEED, sandbox="required", fork=fork)
    with tempfile.TemporaryDirectory(prefix="bench-results-") as out:
        start = time.perf_counter()
        run = grade_class(class_dir, Path(out), LocalPool(workers), options, regrade=True)
        return time.perf_counter() - start, run.results


def notebook_rows(quick: bool) -> list[Row]:
    """Rows: wall seconds to grade solved 01_softmax alone, sandboxed and not (the baseline, in the same run).

    The grader before the sandbox took about 11 s for this notebook on this machine (one kernel per notebook,
    every cell run, judged inside the kernel); the goal is to be no slower than that.
    """
    from lab_utils.grading import GradeOptions, grade_submission

    notebook = SOLUTIONS / "01_softmax.ipynb"
    walls: dict[str, list[float]] = {"off": [], "required": []}
    for _ in range(1 if quick else 3):
        for mode in walls:  # interleaved, so that a busy spell of the machine hits both
            start = time.perf_counter()
            options = GradeOptions(seed=SEED, sandbox=mode, fork=False)  # the sandbox's cost alone: fresh kernels
            result = grade_submission("bench", {"01_softmax": notebook}, options)
            walls[mode].append(time.perf_counter() - start)
            if result.score != result.max_score:
                raise BenchError(f"solved 01_softmax scored {result.score}/{result.max_score} with sandbox={mode}")
    plain, boxed = statistics.median(walls["off"]), statistics.median(walls["required"])
    how = f"solved 01_softmax, median of {len(walls['off'])}"
    return [
        Row("wall s, grade 01_softmax without sandbox", plain, "s", f"{how}; baseline"),
        Row("wall s, grade 01_softmax in the sandbox", boxed, "s", f"{how}; goal <= 11 s (the grader before it)"),
        Row("sandbox overhead, 01_softmax", boxed / plain, "x", "sandboxed / unsandboxed wall time, same run"),
    ]


def grading_rows(quick: bool) -> list[Row]:
    """Rows: CPU s per submission with forked kernels and fresh ones (the baseline, same run), submissions/hour/core,
    wall per class with 1 and 2 workers, and their ratio. The fork server's start-up is not in these (see
    `command_rows`): a learner's count is its cgroup's and the grader thread's."""
    learners, repeats = (2, 1) if quick else (4, 3)
    with tempfile.TemporaryDirectory(prefix="bench-class-") as folder:
        class_dir = make_class(Path(folder), learners)
        walls: dict[int, list[float]] = {1: [], 2: []}
        cpus: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(repeats):
            for workers, fork in ((1, True), (2, True), (1, False)):  # interleaved: a busy spell hits each
                wall, results = grade_once(class_dir, workers, fork)
                if fork:
                    walls[workers].append(wall)
                cpus[fork] += [r.cpu_seconds for r in results]
                scores = {r.score for r in results}
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    forked, fresh = statistics.median(cpus[True]), statistics.median(cpus[False])
    from lab_utils.checks import series_stems

    how = f"class of {learners} solved {len(series_stems())}-notebook submissions, median of {repeats}"
    return [
        Row("CPU s per submission, forked kernel", forked, "s", f"{how}, learner's cgroup + grader; start-up excluded"),
        Row("CPU s per submission, fresh kernel", fresh, "s", f"{how}; baseline, same run"),
        Row("CPU saved by forking", speedup(fresh, forked), "x", "fresh / forked, same run"),
        Row("submissions per hour per core", 3600 / forked, "/h", "3600 / CPU s per submission, forked"),
        Row("wall s per submission, 1 worker", one / learners, "s", f"{how}, forked"),
        Row("wall s per class, 1 worker", one, "s", f"{how}, forked"),
        Row("wall s per class, 2 workers", two, "s", f"{how}, forked"),
        Row("speed-up of 2 workers over 1", speedup(one, two), "x", f"same run; goal >= 1.7; scores {sorted(scores)}"),
    ]


def notebook_cpu_rows(quick: bool) -> list[Row]:
    """Rows: CPU s to grade each solved notebook alone, forked and fresh (start-up excluded, as above)."""
    from lab_utils.checks import series_stems
    from lab_utils.grading import GradeOptions, grade_submission

    repeats = 1 if quick else 3
    rows = []
    for stem in series_stems():
        cpus: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(repeats + 1):  # the first, not counted, starts the fork server
            for fork in (True, False):
                options = GradeOptions(seed=SEED, sandbox="required", fork=fork)
                cpus[fork].append(grade_submission("bench", {stem: SOLUTIONS / f"{stem}.ipynb"}, options).cpu_seconds)
        forked, fresh = (statistics.median(cpus[fork][1:]) for fork in (True, False))
        rows.append(
            Row(f"CPU s, {stem} alone, forked kernel", forked, "s", f"fresh kernel: {fresh:.2f} s; median of {repeats}")
        )
    return rows


def command_cpu(class_dir: Path, fork: bool = True) -> float | None:
    """CPU seconds of the whole `python -m lab_utils.grade CLASS_DIR --out ...` with 1 worker: the grader's start-up,
    imports and shutdown and the fork server's included, with every kernel it starts (a cpuacct cgroup of its own,
    in which the grader makes the others); None without one."""
    from lab_utils.grading.cgroups import Cgroup
    from lab_utils.grading.sandbox import Limits

    cgroup = Cgroup(Limits(memory=64 * 1024**3, processes=100_000))
    procs = [p for p in cgroup.procs_files if "cpuacct" in p]
    try:
        if not procs:
            return None
        with tempfile.TemporaryDirectory(prefix="bench-results-") as out:
            argv = [sys.executable, "-m", "lab_utils.grade", str(class_dir), "--out", out, "--workers", "1"]
            argv += ["--seed", str(SEED), "--sandbox", "required"] + ([] if fork else ["--fresh-kernels"])
            done = subprocess.run(argv, capture_output=True, timeout=7200, preexec_fn=lambda: _join(procs))
        if done.returncode != 0:
            raise BenchError(f"grading the class failed: {done.stderr.decode()[-500:]}")
        return cgroup.cpu_seconds()
    finally:
        cgroup.remove()


def _join(procs: list[str]) -> None:
    for path in procs:
        with open(path, "w") as f:
            f.write(str(os.getpid()))


# Other graders on the same five solved notebooks, each in a throwaway environment: quoted, not run by the bench.
OTHER_GRADERS = (
    ("nbgrader autograde", 42.0, "41-43 CPU s; issue 31, measured 2026-12-05 on this 2-core machine type"),
    ("otter-grader", 51.0, "50-52 CPU s; issue 31, measured 2026-12-05 on this 2-core machine type"),
)


def command_rows(quick: bool) -> list[Row]:
    """Rows: CPU s per submission of the whole grading command (every start-up included), forked and fresh, for a
    class of 1 and a larger one; and the other graders' figures beside them."""
    rows = []
    for learners in (1, 4) if quick else (1, 30):
        with tempfile.TemporaryDirectory(prefix="bench-class-") as folder:
            class_dir = make_class(Path(folder), learners)
            for fork, kernels in ((True, "forked"), (False, "fresh")):
                cpu = command_cpu(class_dir, fork)
                how = f"python -m lab_utils.grade, class of {learners}, 1 worker, all start-ups included (cgroup)"
                name = f"CPU s per submission, whole command, {learners} learner(s), {kernels}"
                goal = "; goal <= 2" if fork and learners == 30 else "; goal <= 5" if fork and learners == 1 else ""
                rows.append(Row(name, cpu and cpu / learners, "s", how + goal))
    rows += [Row(f"CPU s per submission, {name}", cpu, "s", how) for name, cpu, how in OTHER_GRADERS]
    return rows
