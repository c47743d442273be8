"""Reading a learner's file (lab_utils.grading.files): only a regular file, never through a link, never oversize."""

import os
import stat

import pytest

from lab_utils.grading.files import RefusedFile, read_regular, refusal


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
