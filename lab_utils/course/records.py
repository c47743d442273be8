"""Each learner's record in the course: who they are, what they handed in and when, and their course score.

The grader's `SubmissionResult` says how each exercise went; a `LearnerRecord` puts it in the course: the name
(from the roster, else from the LMS's file names), the files graded and not graded, when they handed in (the
instructor's CSV of times, else nbgrader's `timestamp.txt`; Canvas' `_late` marker), the score in the LMS's points
with the course file's rules (`scoring`), the seed and when they were graded. The reports, the exports and
`grades.json` all read these records, so each fact is computed once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lab_utils.checks import EXERCISES
from lab_utils.course.classdir import Learner
from lab_utils.course.coursefile import Course
from lab_utils.course.lms import Standing, canvas_attachment_id
from lab_utils.course.roster import Member, Roster
from lab_utils.course.scoring import CourseScore, Handin, course_score
from lab_utils.grading.results import NOT_IMPLEMENTED, SubmissionResult


@dataclass
class LearnerRecord:
    """One learner of the class, graded, in the course's terms (see the module docstring)."""

    result: SubmissionResult
    name: str = ""
    files: dict[str, str] = field(default_factory=dict)  # stem -> file graded, relative to the class folder
    not_graded: list[str] = field(default_factory=list)  # "<file>: why" (earlier attempts, copies, refusals)
    ungraded: list[str] = field(default_factory=list)  # the series' ungraded notebook, listed
    handin: Handin = Handin()
    score: CourseScore | None = None
    on_roster: bool | None = None  # None: no roster given

    @property
    def learner_id(self) -> str:
        return self.result.learner_id

    @property
    def time_known(self) -> bool:
        """Whether the LMS says when the learner handed in: a time, or Canvas' download names (late or not)."""
        return handin_time_known(self.learner_id, self.handin, self.files.values())

    @property
    def starter_only(self) -> bool:
        """True when the learner handed in notebooks but wrote none of their exercises (the starter notebooks)."""
        handed_in = [ex for nb in self.result.notebooks if nb.path for ex in nb.exercises]
        return bool(handed_in) and all(ex.result == NOT_IMPLEMENTED for ex in handed_in)

    @property
    def overrides_text(self) -> str:
        """The learner's overrides in a few words: "build_model: 10 (oral exam); score: 80 (re-marked)"."""
        overrides = self.score.overrides if self.score else []
        return "; ".join(f"{o.exercise or 'score'}: {o.points:g} ({o.reason})" for o in overrides)

    def audit(self) -> dict[str, Any]:
        """What grades.json records for the learner beside the grader's result."""
        score = self.score
        return {
            "name": self.name,
            "submitted_at": _iso(self.handin.at),
            "late_marker": self.handin.late_marker,
            "late": score.late if score else self.handin.late_marker,
            "days_late": score.days_late if score else None,
            "late_penalty_percent": score.penalty_percent if score else 0.0,
            "due": _iso(score.due) if score else None,
            "extension": _iso(score.extension) if score else None,
            "overrides": [vars(o) for o in score.overrides] if score else [],
            "course_score": score.final if score else None,
            "starter_only": self.starter_only,
            "on_roster": self.on_roster,
            "seed": self.result.seed,
            "graded_at": self.result.graded_at,
            "files": self.files,
            "not_graded": self.not_graded,
            "ungraded": self.ungraded,
        }


def handin(learner: Learner, times: dict[str, datetime]) -> Handin:
    """When the learner handed in: the instructor's CSV of times first, else nbgrader's; Canvas' late marker."""
    return Handin(at=times.get(learner.learner_id, learner.submitted_at), late_marker=learner.late_marker)


def handin_time_known(learner_id: str, handin: Handin, relpaths: Iterable[str]) -> bool:
    """Whether a learner's hand-in time is known: a time, Canvas' `_late` marker, or Canvas' download names (whose
    marker's absence means on time); any other download (a plain folder, Moodle's) says nothing."""
    return (
        handin.at is not None
        or handin.late_marker
        or any(canvas_attachment_id(learner_id, relpath) for relpath in relpaths)
    )


def exercise_scores(result: SubmissionResult) -> dict[str, float]:
    """Points earned per exercise function, every exercise of the registry present (0 when not graded)."""
    earned = {r.exercise: r.score for r in result.exercises}
    return {ex.function: earned.get(ex.function, 0) for ex in EXERCISES}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def learner_records(
    learners: list[Learner],
    results: list[SubmissionResult],
    course: Course | None = None,
    roster: Roster | None = None,
    times: dict[str, datetime] | None = None,
) -> list[LearnerRecord]:
    """A record per result, in the results' order; `learners` give the files and names (matched by id)."""
    by_id = {learner.learner_id: learner for learner in learners}
    records = []
    for result in results:
        learner = by_id.get(result.learner_id, Learner(result.learner_id))
        member = roster.find(learner.learner_id, learner.name) if roster else None
        when = handin(learner, times or {})
        earned = exercise_scores(result)
        records.append(
            LearnerRecord(
                result=result,
                name=member.name if member else learner.name,
                files={stem: f.relpath for stem, f in learner.files.items()},
                not_graded=[why for whys in learner.not_graded.values() for why in whys],
                ungraded=list(learner.ungraded),
                handin=when,
                score=course_score(course, learner.learner_id, earned, when) if course else None,
                on_roster=None if roster is None else member is not None,
            )
        )
    return records


def standings(records: list[LearnerRecord]) -> list[Standing]:
    """The records with a course score, as the exports take them."""
    return [Standing(r.learner_id, r.name, r.score) for r in records if r.score is not None]


def class_id(roster: Roster, member: Member) -> str:
    """The id the class folder and the course file know a roster member by: their cell of the column the roster is
    matched on (`Roster.key`: a SIS Login ID for nbgrader's usernames), the LMS's own id when matched on names."""
    return member.learner_id if roster.key in ("id", "name") else getattr(member, roster.key)


def absent(roster: Roster | None, records: list[LearnerRecord]) -> list[Member]:
    """The roster's learners who handed nothing in, in the roster's order (none without a roster), each with
    `learner_id` the id the class and the course file know them by (`class_id`), as the learners who handed in."""
    if roster is None:
        return []
    matched = {roster.find(r.learner_id, r.name) for r in records}
    return [replace(m, learner_id=class_id(roster, m)) for m in roster.members if m not in matched]


def absent_standings(course: Course, roster: Roster | None, records: list[LearnerRecord]) -> list[Standing]:
    """The roster's learners who handed nothing in but have an override: scored like anyone (an oral exam that
    replaces a missing hand-in), from 0 lab points and no late penalty."""
    overridden = {o.learner_id for o in course.overrides}
    return [
        Standing(m.learner_id, m.name, course_score(course, m.learner_id, {}, Handin()))
        for m in absent(roster, records)
        if m.learner_id in overridden
    ]
