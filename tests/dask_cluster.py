"""A real Dask cluster for the tests: a scheduler and its workers, run by a given Python on 127.0.0.1 only, each
process ended by its PID when the test is done (also on failure)."""

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT = 120  # seconds for the scheduler and the workers to be up, TensorFlow imports included


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """End one process we started, by its PID: SIGTERM, then SIGKILL if it has not exited within 20 s."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def dask_cluster(python: str, env: dict[str, str], folder: Path, workers: int) -> Iterator[str]:
    """The address of a scheduler with `workers` one-thread workers, run by `python` with `env` in `folder` (their
    logs there), up before it is given."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**env, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    dask = [python, "-m", "dask"]
    commands = {"scheduler": [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]}
    for i in range(workers):
        worker = [*dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny"]
        commands[f"worker{i}"] = worker + ["--no-dashboard", "--local-directory", str(folder / f"worker{i}")]
    processes = []
    try:
        for name, argv in commands.items():
            log = (folder / f"{name}.log").open("w")
            processes.append(subprocess.Popen(argv, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=log))
        with Client(address, timeout=START_TIMEOUT) as client:
            client.wait_for_workers(workers, timeout=START_TIMEOUT)
        yield address
    finally:
        for process in reversed(processes):  # the workers first, then the scheduler
            stop(process)
