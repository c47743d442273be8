"""`python -m bench`: run every measurement once, print the markdown table, write the JSON."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from bench.report import BenchError, Row, markdown_table, median_after_warmup, speedup, write_json

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
SECTIONS = ("speed", "memory", "notebooks", "grading", "first-check")
FIRST_CHECK_REPEATS = 3  # the first opening may read TensorFlow from disk; the fastest later one is "warm"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--data-path", help="Keras-layout mnist.npz (default: the Keras cache, then ../shared/data)")
    parser.add_argument("--quick", action="store_true", help="few epochs, notebook 06 shortened, no nbval run")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON file to write (default: {RESULTS})")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this part (may be repeated)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout (of main, say) whose notebooks' time to first check is measured too, as 'before'",
    )
    parser.add_argument(
        "--notebooks", nargs="+", metavar="NAME", help="time to first check: only these notebooks, e.g. 01_softmax"
    )
    return parser


def _speed_rows(data, quick: bool) -> list[Row]:
    from bench import speed

    lab_epochs, default_epochs = (3, 3) if quick else (10, 5)
    lab = speed.lab_path(data, lab_epochs)
    plain = speed.keras_defaults(data, default_epochs)
    lab_s, plain_s = median_after_warmup(lab.seconds), median_after_warmup(plain.seconds)
    same = min(lab_epochs, default_epochs)
    how = "median of epochs 2-{}, batch 32, 54,000 digits + 6,000 validation"
    return [
        Row("s/epoch, Keras defaults (model.fit)", plain_s, "s", how.format(default_epochs)),
        Row("s/epoch, lab training path", lab_s, "s", how.format(lab_epochs)),
        Row("speed-up of the lab path", speedup(plain_s, lab_s), "x", "Keras defaults / lab path, goal >= 2x"),
        Row("CPU s/epoch, Keras defaults", median_after_warmup(plain.cpu_seconds), "s", "all threads, same epochs"),
        Row("CPU s/epoch, lab training path", median_after_warmup(lab.cpu_seconds), "s", "all threads, same epochs"),
        Row(
            "speed-up of the lab path in CPU time",
            speedup(median_after_warmup(plain.cpu_seconds), median_after_warmup(lab.cpu_seconds)),
            "x",
            "less sensitive to other jobs on the cores",
        ),
        Row(f"test accuracy after {same} epochs, Keras defaults", 100 * plain.test_accuracy[same - 1], "%"),
        Row(f"test accuracy after {same} epochs, lab path", 100 * lab.test_accuracy[same - 1], "%"),
        Row(f"test accuracy, default model, {lab_epochs} epochs", 100 * lab.test_accuracy[-1], "%", "784-25-15-10"),
        Row(f"training time, default model, {lab_epochs} epochs", sum(lab.seconds), "s", "lab path"),
    ]


def _notebook_rows(data_path: Path, quick: bool) -> list[Row]:
    from bench import runs

    rows = []
    with runs.environment(LAB_MNIST_PATH=str(data_path), LAB_FULL_RUN="0" if quick else "1"):
        seconds, nb = runs.execute_notebook(runs.GOING_FURTHER)
    accuracy, train_seconds = runs.best_configuration(nb)
    kind = "shortened" if quick else "full"
    rows.append(Row("test accuracy, notebook 06 best configuration", accuracy, "%", f"{kind} run, goal >= 98.5 %"))
    rows.append(Row("training time, notebook 06 best configuration", train_seconds, "s", "goal <= 60 s"))
    rows.append(Row(f"wall time, notebook 06 ({kind})", seconds, "s", "nbclient, fresh kernel"))
    total = 0.0
    with runs.environment(LAB_MNIST_PATH=str(data_path), LAB_FULL_RUN="0"):
        for path in runs.solved_notebooks():
            try:
                seconds, _ = runs.execute_notebook(path)
            except Exception as e:  # a broken notebook is a result to report, not a reason to lose the others
                rows.append(Row(f"wall time, {path.name}", None, "s", f"FAILED: {type(e).__name__}"))
                continue
            total += seconds
            rows.append(Row(f"wall time, {path.name}", seconds, "s", "nbclient, fresh kernel, as nbval runs it"))
        rows.append(Row("wall time, every solved notebook", total, "s", "sum of the above"))
        if not quick:
            seconds, summary = runs.nbval_suite()
            rows.append(
                Row("wall time, make test's notebook part", seconds, "s", f"pytest --nbval solutions: {summary}")
            )
    return rows


def _grading_rows(quick: bool) -> list[Row]:
    from bench import grading

    rows = grading.notebook_rows(quick) + grading.notebook_cpu_rows(quick)
    return rows + grading.grading_rows(quick) + grading.command_rows(quick)


def _memory_rows(data_path: Path) -> list[Row]:
    from bench import runs

    epochs = 1  # peak memory is reached in the first epoch: the data, the model and TensorFlow itself
    peak, seconds = runs.train_command_peak_memory(data_path, epochs)
    command = f"python -m lab_utils.train --dataset mnist --epochs {epochs}"
    return [
        Row("peak memory, headless train command", peak, "MiB", f"{command}, ru_maxrss"),
        Row("wall time, headless train command", seconds, "s", f"{command}, start-up included"),
    ]


def _first_check_rows(args: argparse.Namespace) -> list[Row]:
    from bench import first_check

    return first_check.rows(args.notebooks, FIRST_CHECK_REPEATS, args.baseline)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sections = args.only or SECTIONS
    start = time.perf_counter()
    try:
        from bench.report import find_mnist

        rows = []
        if {"speed", "memory", "notebooks"} & set(sections):
            data_path = find_mnist(args.data_path)
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            from lab_utils.data import load_mnist

            if "speed" in sections:
                rows += _speed_rows(load_mnist("mnist", data_path), args.quick)
            if "memory" in sections:
                rows += _memory_rows(data_path)
            if "notebooks" in sections:
                rows += _notebook_rows(data_path, args.quick)
        if "grading" in sections:
            rows += _grading_rows(args.quick)
        if "first-check" in sections:
            rows += _first_check_rows(args)
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    context = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}",
        "load_average_1_5_15": os.getloadavg(),
        "quick": args.quick,
        "sections": list(sections),
        "bench_seconds": round(time.perf_counter() - start, 1),
    }
    print(markdown_table(rows))
    write_json(rows, context, args.output)
    print(f"\nwritten to {args.output}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
