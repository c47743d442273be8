"""Grading a class on a Dask distributed cluster that already runs: `--scheduler tcp://HOST:PORT`.

Each learner's grading is one task, `batch.grade_task`, sent with the learner's notebooks as bytes: the workers need
the lab installed (and bubblewrap, for the sandbox) but no access to the class folder. Results come back as the
same plain dicts a local run produces, so the gradebook is identical. A worker that dies while grading a learner is
retried by the scheduler; when it keeps dying (Dask's `KilledWorker`), that learner's grading is recorded as failed
and the others go on. Only a bounded number of learners is in flight, so the client never holds a whole class of
notebooks in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from lab_utils.course.batch import Task, grade_task, outcome_to_result
from lab_utils.course.classdir import Learner
from lab_utils.errors import LabError
from lab_utils.grading.options import GradeOptions
from lab_utils.grading.results import SubmissionResult

CONNECT_TIMEOUT = 30  # seconds to reach the scheduler before giving up with a one-line error
IN_FLIGHT_PER_WORKER = 2  # enough to keep every worker busy while the next task's bytes travel


class ClusterError(LabError):
    """The Dask scheduler cannot be reached or has no worker."""


class DaskPool:
    """Grades learners as tasks on the Dask cluster whose scheduler listens at `address`."""

    def __init__(self, address: str | None = None, client: Any = None) -> None:
        """Connect to the scheduler at `address`, or use a `distributed.Client` made elsewhere (e.g. by Dask
        Gateway's `cluster.get_client()`, whose connection needs the gateway's TLS settings)."""
        from distributed import Client

        self.address = address if client is None else client.scheduler.address
        self.owns_client = client is None
        try:
            self.client = client if client is not None else Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as e:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {e}") from None
        self.workers = len(self.client.scheduler_info()["workers"])
        if not self.workers:
            self.close()
            raise ClusterError(
                f"the Dask scheduler at {self.address} has no worker: start some with `dask worker {self.address}`"
            )

    def describe(self) -> dict[str, Any]:
        return {"pool": "dask", "scheduler": self.address, "workers": self.workers}

    def run(self, learners: Iterable[Learner], options: GradeOptions) -> Iterator[tuple[Learner, SubmissionResult]]:
        from distributed import as_completed

        waiting = iter(learners)
        running: dict[str, Learner] = {}
        futures = as_completed()

        def submit(learner: Learner) -> None:
            future = self.client.submit(grade_task, Task.of(learner), options, pure=False)
            running[future.key] = learner
            futures.add(future)

        for learner in islice(waiting, IN_FLIGHT_PER_WORKER * self.workers):
            submit(learner)
        for future in futures:
            learner = running.pop(future.key)
            try:
                outcome: dict[str, Any] | BaseException = future.result()
            except Exception as e:  # noqa: BLE001 - a learner whose task failed gets a failed grading, not a crash
                outcome = e
            future.release()
            for following in islice(waiting, 1):
                submit(following)
            yield learner, outcome_to_result(learner.learner_id, outcome)

    def close(self) -> None:
        if self.owns_client:
            self.client.close()
