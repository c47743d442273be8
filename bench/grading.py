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


def grade_once(class_dir: Path, workers: int) -> tuple[float, list]:
    """(wall seconds, results) of grading the whole class from scratch with `workers` local workers."""
    from lab_utils.course.batch import LocalPool, grade_class
    from lab_utils.grading.options import GradeOptions

    with tempfile.TemporaryDirectory(prefix="bench-results-") as out:
        start = time.perf_counter()
        run = grade_class(class_dir, Path(out), LocalPool(workers), GradeOptions(seed=SEED), regrade=True)
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
            result = grade_submission("bench", {"01_softmax": notebook}, GradeOptions(seed=SEED, sandbox=mode))
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
    """Rows: CPU s per submission, submissions/hour/core, wall per class with 1 and 2 workers, and their ratio."""
    learners, repeats = (2, 1) if quick else (4, 3)
    with tempfile.TemporaryDirectory(prefix="bench-class-") as folder:
        class_dir = make_class(Path(folder), learners)
        walls: dict[int, list[float]] = {1: [], 2: []}
        cpus: list[float] = []
        for _ in range(repeats):
            for workers in (1, 2):  # interleaved, so that a busy spell of the machine hits both
                wall, results = grade_once(class_dir, workers)
                walls[workers].append(wall)
                cpus += [r.cpu_seconds for r in results]
                scores = {r.score for r in results}
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    cpu = statistics.median(cpus)
    from lab_utils.checks import series_stems

    how = f"class of {learners} solved {len(series_stems())}-notebook submissions, median of {repeats}"
    return [
        Row("CPU s per submission (grading)", cpu, "s", f"{how}, kernel cgroup + grader; goal <= 10 s"),
        Row("submissions per hour per core", 3600 / cpu, "/h", "3600 / CPU s per submission"),
        Row("wall s per submission, 1 worker", one / learners, "s", how),
        Row("wall s per class, 1 worker", one, "s", how),
        Row("wall s per class, 2 workers", two, "s", how),
        Row("speed-up of 2 workers over 1", speedup(one, two), "x", f"same run; solved score {sorted(scores)}"),
    ]


def command_cpu(class_dir: Path) -> float | None:
    """CPU seconds of the whole `python -m lab_utils.grade CLASS_DIR --out ...` with 1 worker: the grader's start-up,
    imports and shutdown included, with every kernel it starts (a cpuacct cgroup of its own); None without one."""
    from lab_utils.grading.sandbox import Cgroup, Limits

    cgroup = Cgroup(Limits(memory=64 * 1024**3, processes=100_000))
    procs = [p for p in cgroup.procs_files if "cpuacct" in p]
    try:
        if not procs:
            return None
        with tempfile.TemporaryDirectory(prefix="bench-results-") as out:
            argv = [sys.executable, "-m", "lab_utils.grade", str(class_dir), "--out", out, "--workers", "1"]
            argv += ["--seed", str(SEED), "--sandbox", "required"]
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


def command_rows(quick: bool) -> list[Row]:
    """Rows: CPU s per submission of the whole grading command, for a class of 1 and a larger one."""
    rows = []
    for learners in (1, 4) if quick else (1, 30):
        with tempfile.TemporaryDirectory(prefix="bench-class-") as folder:
            cpu = command_cpu(make_class(Path(folder), learners))
        how = f"python -m lab_utils.grade, class of {learners}, 1 worker, start-up and shutdown included (cgroup)"
        rows.append(
            Row(f"CPU s per submission, whole command, {learners} learner(s)", cpu and cpu / learners, "s", how)
        )
    return rows
