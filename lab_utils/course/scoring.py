"""A learner's score in the course: the lab's points turned into the LMS's, with the course's rules applied.

The order is fixed (issue 19): each exercise's lab points, with exercise overrides in place of what the grader
gave; their sum scaled from the lab's points (`LAB_POINTS`) to the assignment's points; the late penalty; then a
whole-score override, which is final. Nothing is rounded here: the exports round to two decimals when they write.

When a learner handed in is decided by the LMS, never by the learner (see `classdir`): a known time (nbgrader's
`timestamp.txt`, the instructor's CSV of times), or only Canvas' `_late` marker. A late day is a started day: one
minute late is one day. An extension replaces the due date; with an extension and no known time, no penalty
applies (Canvas' `_late` compares with Canvas' own due date, which the extension moved).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lab_utils.checks import EXERCISES
from lab_utils.course.coursefile import Course, Override

LAB_POINTS = sum(ex.points for ex in EXERCISES)


@dataclass(frozen=True)
class Handin:
    """When a learner handed in, as the LMS says: a time when known, and Canvas' late marker."""

    at: datetime | None = None
    late_marker: bool = False


@dataclass
class CourseScore:
    """A learner's score in the assignment's points, and every step that made it, for the pages and the audit."""

    out_of: float  # the assignment's points in the LMS
    exercise_points: dict[str, float]  # exercise -> lab points after exercise overrides
    lab_points: float
    scaled: float
    late: bool
    days_late: int | None  # started days after the due date; None when late with no known time
    penalty_percent: float
    after_penalty: float
    final: float
    due: datetime | None
    extension: datetime | None
    overrides: list[Override] = field(default_factory=list)

    @property
    def whole_override(self) -> Override | None:
        """The override that set the final score, if any (the last one of the course file)."""
        return next((o for o in reversed(self.overrides) if o.exercise is None), None)

    def exercise_override(self, function: str) -> Override | None:
        """The override that set this exercise's lab points, if any."""
        return next((o for o in reversed(self.overrides) if o.exercise == function), None)


def days_late(at: datetime, due: datetime) -> int:
    """Started days after `due`: 0 when on time, 1 from one second late to 24 hours late, and so on."""
    return max(0, math.ceil((at - due) / timedelta(days=1)))


def late_penalty(course: Course, learner_id: str, handin: Handin) -> tuple[bool, int | None, float]:
    """(late, started days late or None when unknown, percent off) under the course's late policy."""
    due = course.due_for(learner_id)
    policy = course.late
    if handin.at is not None and due is not None:
        days = days_late(handin.at, due)
        if days == 0:
            return False, 0, 0.0
        if policy.max_days is not None and days > policy.max_days:
            return True, days, 100.0
        return True, days, min(100.0, days * policy.percent_per_day)
    if handin.late_marker and learner_id not in course.extensions:
        return True, None, policy.percent_if_unknown
    return False, None, 0.0


def course_score(course: Course, learner_id: str, earned: dict[str, float], handin: Handin) -> CourseScore:
    """The learner's score in the course's points, from `earned` (exercise -> lab points the grader gave)."""
    mine = [o for o in course.overrides if o.learner_id == learner_id]
    points = {ex.function: earned.get(ex.function, 0.0) for ex in EXERCISES}
    for override in mine:
        if override.exercise is not None:
            points[override.exercise] = override.points
    lab_points = sum(points.values())
    scaled = lab_points / LAB_POINTS * course.points
    late, days, percent = late_penalty(course, learner_id, handin)
    after = scaled * (1 - percent / 100)
    return CourseScore(
        out_of=course.points,
        exercise_points=points,
        lab_points=lab_points,
        scaled=scaled,
        late=late,
        days_late=days,
        penalty_percent=percent,
        after_penalty=after,
        final=next((o.points for o in reversed(mine) if o.exercise is None), after),
        due=course.due_for(learner_id),
        extension=course.extensions.get(learner_id),
        overrides=mine,
    )


def format_points(value: float) -> str:
    """Points as the exports write them: rounded to two decimals, without trailing zeros ("72.5", "80", "66.67")."""
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
