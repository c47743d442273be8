"""Specification of the benchmark's pure parts: statistics, the table, full MNIST, a notebook's first check."""

import json

import pytest

from bench import report
from bench.__main__ import main
from bench.first_check import first_check
from bench.report import BenchError, Row


def test_median_after_warmup_drops_the_first_epoch():
    assert report.median_after_warmup([9.0, 1.0, 3.0, 2.0]) == 2.0


def test_median_after_warmup_needs_an_epoch_after_the_warmup():
    with pytest.raises(BenchError, match="more than 1 epoch"):
        report.median_after_warmup([5.0])


def test_speedup_is_baseline_over_time():
    assert report.speedup(6.0, 1.5) == 4.0


def test_speedup_rejects_zero_times():
    with pytest.raises(BenchError, match="positive"):
        report.speedup(6.0, 0.0)


def test_markdown_table_has_a_header_and_one_line_per_row():
    table = report.markdown_table([Row("speed-up", 3.14159, "x", "goal 2x"), Row("accuracy", 98.5432, "%")])
    lines = table.splitlines()
    assert lines[0] == "| measure | value | how |"
    assert lines[2] == "| speed-up | 3.1x | goal 2x |"
    assert lines[3] == "| accuracy | 98.54 % |  |"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [(1.234, "s", "1.23 s"), (123.4, "s", "123 s"), (1536.0, "MiB", "1,536 MiB"), (None, "s", "n/a")],
)
def test_format_value_by_unit(value, unit, shown):
    assert report.format_value(value, unit) == shown


def test_write_json_keeps_rows_and_context(tmp_path):
    path = tmp_path / "out" / "latest.json"
    report.write_json([Row("speed-up", 2.5, "x")], {"quick": True}, path)
    saved = json.loads(path.read_text())
    assert saved["context"] == {"quick": True}
    assert saved["rows"] == [{"measure": "speed-up", "value": 2.5, "unit": "x", "note": ""}]


def test_find_mnist_returns_an_existing_explicit_path(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"")
    assert report.find_mnist(path) == path


def test_find_mnist_names_the_missing_explicit_path(tmp_path):
    with pytest.raises(BenchError, match="full MNIST not found at .*nowhere.npz"):
        report.find_mnist(tmp_path / "nowhere.npz")


def test_find_mnist_says_where_it_looked_when_nothing_is_there(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "KERAS_CACHE", tmp_path / "cache.npz")
    monkeypatch.setattr(report, "WORKSPACE_MNIST", tmp_path / "shared.npz")
    with pytest.raises(BenchError, match="--data-path"):
        report.find_mnist(None)


def test_bench_exits_with_one_line_when_full_mnist_is_absent(tmp_path, capsys):
    assert main(["--data-path", str(tmp_path / "missing.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bench: full MNIST not found at")
    assert len(err.splitlines()) == 1


def notebook_file(tmp_path, *sources):
    """A notebook of code cells with these sources, written to tmp_path."""
    import nbformat

    path = tmp_path / "01_probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def test_first_check_is_the_check_cell_right_after_the_first_exercise(tmp_path):
    exercise = "def f(x):\n    ### START CODE HERE ###\n    raise NotImplementedError\n    ### END CODE HERE ###"
    path = notebook_file(tmp_path, "import numpy as np", "check_other(g)", exercise, "check_f(f)\n# then", exercise)
    assert first_check(path) == "check_f(f)"


def test_a_notebook_without_an_exercise_has_no_first_check(tmp_path):
    assert first_check(notebook_file(tmp_path, "import numpy as np", "print(1)")) is None


def test_bench_refuses_an_unknown_section(capsys):
    with pytest.raises(SystemExit):
        main(["--only", "everything"])
    assert "--only" in capsys.readouterr().err
