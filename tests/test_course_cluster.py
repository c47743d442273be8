"""Grading a class on a Dask cluster (lab_utils.course.cluster): the gradebook is the one a local run writes.

The test starts its own cluster: a `dask scheduler` and two `dask worker` processes (one thread each, no dashboard),
listening on free ports of 127.0.0.1 only, with this worktree's `lab_utils` on their path. Every process it starts
is ended by its PID at the end. The class is small (each learner one short notebook) since a kernel costs seconds.
"""

import os
import sys
from pathlib import Path

import pytest
from dask_cluster import dask_cluster, free_port
from grading_class import MY_SOFTMAX, STABLE_SOFTMAX, STABLE_SOFTMAX_NO_KEEPDIMS, write_notebook

from lab_utils.course import cluster
from lab_utils.course.cli import main
from lab_utils.course.cluster import ClusterError, DaskPool

ROOT = Path(__file__).resolve().parents[1]
SEED = "20261127"


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a running 2-worker Dask cluster on 127.0.0.1."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with dask_cluster(sys.executable, env, tmp_path_factory.mktemp("dask"), workers=2) as address:
        yield address


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    write_notebook(folder / "ada" / "01_softmax.ipynb", "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX)
    write_notebook(folder / "bob" / "01_softmax.ipynb", "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX_NO_KEEPDIMS)
    write_notebook(folder / "cy" / "scratch.ipynb", "print('nothing graded here')")
    return folder


def test_the_pool_sees_both_workers_of_the_cluster(scheduler):
    pool = DaskPool(scheduler)
    try:
        assert pool.describe() == {"pool": "dask", "scheduler": scheduler, "workers": 2}
    finally:
        pool.close()


def test_a_cluster_grades_the_class_into_the_same_gradebook_as_a_local_run(scheduler, small_class, tmp_path, capsys):
    assert main([str(small_class), "--out", str(tmp_path / "local"), "--workers", "1", "--seed", SEED]) == 0
    assert main([str(small_class), "--out", str(tmp_path / "dask"), "--scheduler", scheduler, "--seed", SEED]) == 0
    local = (tmp_path / "local" / "gradebook.csv").read_bytes()
    assert (tmp_path / "dask" / "gradebook.csv").read_bytes() == local
    assert local.count(b"\n") == 4  # header and 3 learners
    assert (tmp_path / "dask" / "feedback" / "bob.html").read_bytes() == (
        tmp_path / "local" / "feedback" / "bob.html"
    ).read_bytes()


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    address = f"tcp://127.0.0.1:{free_port()}"  # nobody listens there
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler"):
        DaskPool(address)
    assert main([str(tmp_path), "--out", str(tmp_path / "out"), "--scheduler", address]) == 2
    assert capsys.readouterr().err.count("\n") == 1
