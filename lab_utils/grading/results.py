"""What grading produces, as plain dataclasses: one exercise, one notebook, one learner's submission.

Every part of `lab_utils.grading` speaks these: the judge fills `ExerciseResult`s, the runner a
`NotebookResult` per notebook, `grade_submission` a `SubmissionResult` per learner; the batch writes them
to `grades.json` (`to_dict`), Dask ships them between processes, and the reports read them back
(`from_dict`). Scores are the grader's own: points come from the registry, never from a kernel.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PASSED, FAILED, NOT_IMPLEMENTED, MISSING, ERROR, TIMEOUT = (
    "passed",
    "failed",
    "not implemented",
    "missing",
    "error",
    "timeout",
)
GRADED = "graded"  # a notebook's status when it ran and every exercise was judged


@dataclass
class ExerciseResult:
    """The grade of one exercise: `score` is `points` when it passed, else 0; `hint` is the hint that fired."""

    exercise: str
    notebook: str
    points: float
    score: float
    result: str
    message: str
    hint: str | None = None


@dataclass
class NotebookResult:
    """One notebook of a submission: `status` is GRADED or a few words on what went wrong."""

    notebook: str  # the registry's stem, e.g. "01_softmax"
    path: str | None  # the file graded, None when the learner handed none in
    status: str = GRADED
    exercises: list[ExerciseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(r.score for r in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(r.points for r in self.exercises)


@dataclass
class SubmissionResult:
    """Everything one learner handed in, graded: one `NotebookResult` per notebook of the series."""

    student: str
    notebooks: list[NotebookResult] = field(default_factory=list)
    seed: int = 0
    sandbox: bool = False
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    # What was wrong with the files handed in, found before grading (a hand-in file refused, or not matching
    # its manifest): part of the status, so never graded silently.
    problems: list[str] = field(default_factory=list)

    @property
    def exercises(self) -> list[ExerciseResult]:
        return [r for nb in self.notebooks for r in nb.exercises]

    @property
    def score(self) -> float:
        return sum(nb.score for nb in self.notebooks)

    @property
    def max_score(self) -> float:
        return sum(nb.max_score for nb in self.notebooks)

    @property
    def status(self) -> str:
        """GRADED when every notebook was and the files had no problem, else the problems joined:
        "hand-in file ...: 01_softmax.ipynb does not match the manifest ...; 02_model missing; ..."."""
        problems = [f"{nb.notebook} {nb.status}" for nb in self.notebooks if nb.status != GRADED]
        return "; ".join(self.problems + problems) or GRADED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(score=self.score, max_score=self.max_score, status=self.status)
        for nb, nb_data in zip(self.notebooks, data["notebooks"], strict=True):
            nb_data.update(score=nb.score, max_score=nb.max_score)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        notebooks = [
            NotebookResult(
                notebook=nb["notebook"],
                path=nb["path"],
                status=nb["status"],
                exercises=[ExerciseResult(**ex) for ex in nb["exercises"]],
                notes=list(nb["notes"]),
                seconds=nb["seconds"],
            )
            for nb in data["notebooks"]
        ]
        fields = ("student", "seed", "sandbox", "seconds", "cpu_seconds")
        return cls(notebooks=notebooks, problems=list(data.get("problems", [])), **{k: data[k] for k in fields})
