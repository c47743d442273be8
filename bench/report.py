"""Pure parts of the benchmark: statistics, where full MNIST is, and the markdown table."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from lab_utils.data import KERAS_CACHE

# The workspace keeps full MNIST next to the repository (never committed).
WORKSPACE_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"


class BenchError(Exception):
    """A condition that stops the benchmark, with a one-line message for the person running it."""


@dataclass
class Row:
    """One line of the results table: what was measured, its value and unit, and how it was measured."""

    measure: str
    value: float | None
    unit: str
    note: str = ""


def median_after_warmup(seconds: list[float], warmup: int = 1) -> float:
    """Median of per-epoch `seconds` without the first `warmup` epochs (tracing and graph building)."""
    kept = seconds[warmup:]
    if not kept:
        raise BenchError(f"need more than {warmup} epoch(s) to take a median after the warm-up, got {len(seconds)}")
    return statistics.median(kept)


def speedup(baseline_seconds: float, seconds: float) -> float:
    """How many times faster `seconds` is than `baseline_seconds` (2.0 means half the time)."""
    if baseline_seconds <= 0 or seconds <= 0:
        raise BenchError(f"times must be positive, got {baseline_seconds} and {seconds}")
    return baseline_seconds / seconds


def find_mnist(data_path: str | Path | None) -> Path:
    """The full MNIST file to use: `data_path` if given, else the Keras cache, else the workspace copy."""
    if data_path is not None:
        path = Path(data_path).expanduser()
        if not path.is_file():
            raise BenchError(f"full MNIST not found at {path}: pass the path of Keras' mnist.npz with --data-path")
        return path
    for path in (KERAS_CACHE, WORKSPACE_MNIST):
        if path.is_file():
            return path
    raise BenchError(
        f"full MNIST not found (no --data-path, nothing at {KERAS_CACHE} or {WORKSPACE_MNIST}): "
        "the benchmark needs the 60,000/10,000 digits; pass --data-path /path/to/mnist.npz"
    )


def format_value(value: float | None, unit: str) -> str:
    """A figure as the table shows it: percentages with two decimals, ratios and times with fewer digits."""
    if value is None:
        return "n/a"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "x":
        return f"{value:.1f}x"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    return f"{value:.2f} {unit}" if value < 10 else f"{value:,.0f} {unit}"


def markdown_table(rows: list[Row]) -> str:
    """The rows as a GitHub markdown table with the columns measure, value, how."""
    lines = ["| measure | value | how |", "|---|---:|---|"]
    lines += [f"| {r.measure} | {format_value(r.value, r.unit)} | {r.note} |" for r in rows]
    return "\n".join(lines)


def write_json(rows: list[Row], context: dict, path: Path) -> None:
    """Write the rows and the run's context (machine, versions, options) to `path` as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"context": context, "rows": [asdict(r) for r in rows]}, indent=2) + "\n")
