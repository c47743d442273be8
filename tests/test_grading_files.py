"""Reading a learner's file (lab_utils.grading.files): only a regular file, never through a link, never oversize;
and a notebook's cells (lab_utils.grading.notebook): cheap, bounded checks first, nbformat's validation never."""

import json
import os
import stat
import subprocess
import sys

import pytest

from lab_utils.grading.files import RefusedFile, read_regular, refusal
from lab_utils.grading.notebook import MAX_DEPTH, MAX_OUTPUTS, NotANotebook, code_cells


def test_a_regular_file_is_read_whole(tmp_path):
    (tmp_path / "a.ipynb").write_bytes(b"{}")
    assert read_regular(tmp_path / "a.ipynb", 10) == b"{}"
    assert refusal(tmp_path / "a.ipynb") is None


def test_a_symbolic_link_is_refused_even_to_a_regular_file(tmp_path):
    (tmp_path / "solution.ipynb").write_bytes(b"{}")
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "solution.ipynb")
    with pytest.raises(RefusedFile, match="a symbolic link"):
        read_regular(tmp_path / "link.ipynb", 10)
    assert refusal(tmp_path / "link.ipynb") == "a symbolic link (only regular files are graded)"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.ipynb")
    with pytest.raises(RefusedFile, match="a FIFO"):
        read_regular(tmp_path / "pipe.ipynb", 10)


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a device needs root")
def test_a_character_device_is_refused(tmp_path):
    os.mknod(tmp_path / "zero.ipynb", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    with pytest.raises(RefusedFile, match="a character device"):
        read_regular(tmp_path / "zero.ipynb", 10)


def test_a_link_to_dev_zero_is_refused(tmp_path):
    (tmp_path / "zero.ipynb").symlink_to("/dev/zero")
    with pytest.raises(RefusedFile, match="a symbolic link"):
        read_regular(tmp_path / "zero.ipynb", 10)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    (tmp_path / "big.ipynb").write_bytes(b"x" * 11)
    with pytest.raises(RefusedFile, match="larger than 11|larger than 10 bytes"):
        read_regular(tmp_path / "big.ipynb", 10)


def test_a_missing_file_is_an_os_error_not_a_refusal(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "nothing.ipynb", 10)


def notebook_bytes(cells, nbformat_version=4):
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": nbformat_version, "nbformat_minor": 5}).encode()


def code_cell(source, outputs=()):
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": list(outputs), "execution_count": None}


def test_a_notebooks_code_cells_are_read_with_list_sources_joined():
    data = notebook_bytes([code_cell(["def f(z):\n", "    return z"]), {"cell_type": "markdown", "source": "# x"}])
    assert code_cells(data) == [(1, "", "def f(z):\n    return z")]


def test_a_notebook_with_more_outputs_than_any_lab_notebook_is_refused_before_validation():
    outputs = [{"output_type": "stream", "text": "x"}] * (MAX_OUTPUTS + 1)  # no "name": nbformat's schema would walk it
    with pytest.raises(NotANotebook, match=f"more than {MAX_OUTPUTS} outputs"):
        code_cells(notebook_bytes([code_cell("x = 1", outputs)]))


def test_json_nested_deeper_than_a_notebook_is_refused_before_it_is_parsed():
    with pytest.raises(NotANotebook, match=f"nested deeper than {MAX_DEPTH} levels"):
        code_cells(b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_brackets_inside_strings_do_not_count_as_nesting():
    source = "x = " + "[" * 1000 + "]" * 1000
    assert code_cells(notebook_bytes([code_cell(source)]))[0][2] == source


def test_a_cell_whose_source_is_not_text_is_refused():
    with pytest.raises(NotANotebook, match="a cell's source is not text"):
        code_cells(notebook_bytes([code_cell(42)]))


def test_a_notebook_older_than_nbformat_4_is_converted():
    import nbformat

    old = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell("x = 3")])])
    ((number, _, source),) = code_cells(nbformat.writes(old, version=3).encode())
    assert (number, source) == (1, "x = 3")


def test_reading_a_notebook_does_not_import_nbformat(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(notebook_bytes([code_cell("x = 1")]))
    script = (
        "import sys; from lab_utils.grading.notebook import read_code_cells\n"
        f"assert read_code_cells({str(path)!r}) == [(1, '', 'x = 1')]\n"
        "print('nbformat' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout == "False\n"
