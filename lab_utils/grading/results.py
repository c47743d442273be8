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
# A notebook's or a learner's status: one word that programs read (the journal, `--only`, the pages, the report);
# what went wrong is said for people in `NotebookResult.reason` and `SubmissionResult.summary`.
GRADED = "graded"  # it ran and every exercise was judged
REFUSED = "refused"  # the file handed in was not fit to read (a link, a device, too big), or the whole hand-in
UNREADABLE = "unreadable"  # the file is not a notebook, or the learner's files could not be read at all
GRADING_FAILED = "failed"  # the grader itself could not grade it (a worker died, a grader bug): graded again next run
FLAGGED = "flagged"  # a learner graded, whose hand-in file had problems (a refused zip, a manifest mismatch)
NOTEBOOK_STATUSES = (GRADED, MISSING, TIMEOUT, REFUSED, UNREADABLE, GRADING_FAILED)
# A learner's status is the first of these that one of their notebooks has (GRADING_FAILED wins).
_LEARNER_ORDER = (GRADING_FAILED, REFUSED, UNREADABLE, TIMEOUT, MISSING)


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
    """One notebook of a submission: its `status` (one of NOTEBOOK_STATUSES) and, when not GRADED, the `reason`."""

    notebook: str  # the registry's stem, e.g. "01_softmax"
    path: str | None  # the file graded, None when the learner handed none in
    status: str = GRADED
    exercises: list[ExerciseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reason: str = ""  # what went wrong, for people, when not GRADED: "not a Jupyter notebook (...)"

    @property
    def score(self) -> float:
        return sum(r.score for r in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(r.points for r in self.exercises)

    @property
    def described(self) -> str:
        """The status for people: "unreadable: not a Jupyter notebook", "missing", "graded"."""
        return f"{self.status}: {self.reason}" if self.reason else self.status


@dataclass
class SubmissionResult:
    """Everything one learner handed in, graded: one `NotebookResult` per notebook of the series."""

    learner_id: str
    notebooks: list[NotebookResult] = field(default_factory=list)
    seed: int = 0
    sandbox: bool = False  # whether the kernel ran in the sandbox
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    # What was wrong with the files handed in, found before grading (a hand-in file refused, or not matching
    # its manifest): part of the status, so never graded silently.
    problems: list[str] = field(default_factory=list)
    graded_at: str = ""  # ISO time the class grader recorded it; "" for a single submission

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
        """The learner's status word: the worst of the notebooks' (see _LEARNER_ORDER), but FLAGGED rather than
        GRADED or MISSING when the hand-in files had problems (a refused zip leaves its notebooks missing)."""
        statuses = {nb.status for nb in self.notebooks}
        worst = next((status for status in _LEARNER_ORDER if status in statuses), GRADED)
        return FLAGGED if worst in (GRADED, MISSING) and self.problems else worst

    @property
    def summary(self) -> str:
        """What was not graded and why, for people ("" when all was): the hand-in files' problems, then each
        notebook's: "hand-in file ...: does not match the manifest ...; 02_model missing; ..."."""
        problems = [f"{nb.notebook} {nb.described}" for nb in self.notebooks if nb.status != GRADED]
        said = {nb.described for nb in self.notebooks}
        if len(self.notebooks) > 1 and len(said) == 1 and GRADED not in said:
            problems = [f"every notebook {said.pop()}"]  # a failed learner: the reason once, not per notebook
        return "; ".join(self.problems + problems)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(score=self.score, max_score=self.max_score, status=self.status, summary=self.summary)
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
                reason=nb["reason"],
                exercises=[ExerciseResult(**ex) for ex in nb["exercises"]],
                notes=list(nb["notes"]),
                seconds=nb["seconds"],
            )
            for nb in data["notebooks"]
        ]
        fields = ("learner_id", "seed", "sandbox", "seconds", "cpu_seconds")
        graded_at = data.get("graded_at", "")
        graded_at = graded_at if isinstance(graded_at, str) else ""
        problems = list(data.get("problems", []))
        return cls(notebooks=notebooks, graded_at=graded_at, problems=problems, **{k: data[k] for k in fields})


class InvalidResult(ValueError):
    """A result that does not match the registry: not the grader's, or forged on its way."""


RESULTS = (PASSED, FAILED, NOT_IMPLEMENTED, MISSING, ERROR, TIMEOUT)


def validated(data: Any, learner_id: str) -> SubmissionResult:
    """`data` (a worker's or the journal's `to_dict()`) as a result, checked against the registry: the learner
    `learner_id`, each notebook of the series at most once, each exercise of its notebook with the registry's points,
    a score between 0 and those points and only when passed, text where text belongs. InvalidResult otherwise."""
    try:
        result = SubmissionResult.from_dict(data)
    except (KeyError, TypeError, AttributeError) as e:
        raise InvalidResult(f"not a result ({type(e).__name__}: {e})") from None
    if result.learner_id != learner_id:
        raise InvalidResult(f"it is for learner {result.learner_id!r}, not {learner_id!r}")
    if not all(isinstance(problem, str) for problem in result.problems):
        raise InvalidResult("its problems are not text")
    seen: set[str] = set()
    for nb in result.notebooks:
        _check_notebook(nb, seen)
    return result


def _check_notebook(nb: NotebookResult, seen: set[str]) -> None:
    from lab_utils.checks import EXERCISES

    registry = {ex.function: ex for ex in EXERCISES if ex.notebook == nb.notebook}
    if not registry or nb.notebook in seen:
        raise InvalidResult(f"notebook {nb.notebook!r} is not in the series, or appears twice")
    seen.add(nb.notebook)
    if nb.status not in NOTEBOOK_STATUSES:
        raise InvalidResult(
            f"notebook {nb.notebook}: status {nb.status!r} is not one of {', '.join(NOTEBOOK_STATUSES)}"
        )
    texts = [nb.reason, *nb.notes, *(t for ex in nb.exercises for t in (ex.message, ex.hint or ""))]
    if not all(isinstance(t, str) for t in texts) or not isinstance(nb.path, str | None):
        raise InvalidResult(f"notebook {nb.notebook}: a status, note, message or path is not text")
    if sorted(ex.exercise for ex in nb.exercises) != sorted(registry):
        raise InvalidResult(f"notebook {nb.notebook}: its exercises are not the registry's")
    for ex in nb.exercises:
        points = registry[ex.exercise].points
        number = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (ex.points, ex.score))
        if not number or ex.points != points or not 0 <= ex.score <= points or ex.result not in RESULTS:
            raise InvalidResult(f"exercise {ex.exercise}: points, score or result do not match the registry")
        if ex.score and ex.result != PASSED:
            raise InvalidResult(f"exercise {ex.exercise}: points for a result that is not passed")
