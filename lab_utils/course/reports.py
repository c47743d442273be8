"""What a class grading writes into RESULTS_DIR: the gradebook, the full JSON, the exports, the pages.

- `gradebook.csv`: one row per learner sorted by id; `learner_id`, one column per exercise (its function, in registry
  order, the points earned), `score`, `max_score`, `status` (one word: `graded`, `missing`, `refused`, `unreadable`,
  `timeout`, `failed`, `flagged`: `results`), `problems` (what went wrong, for people); with
  the learners' records also `name`, `submitted_at`, `late`, `late_penalty_percent`, `overrides`, and with a course
  file `course_score` (the score in the LMS's points after the course's rules).
- `grades.json`: everything: the run (seed, options, pool, timings, the lab's version with its git commit), the
  registry, every learner's result, and their record (name, submission time, late flag and penalty, overrides,
  seed, when graded).
- `canvas.csv`, `moodle.csv`: with a course file, the exports an LMS imports (`lms`); never when the course check
  (`check`) found an error (a stale one from an earlier run is removed).
- `feedback-moodle.zip`, `feedback-canvas.zip`: the feedback pages as each LMS takes them back in bulk
  (`lms_feedback`).
- `feedback/<learner_id>.html` and `report.html`: the pages (`pages`, `class_report`); a page's file name comes from
  the id by `names.file_stem`, never the id raw.

Every CSV cell is spreadsheet-safe (`spreadsheet.write_csv`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lab_utils.checks import EXERCISES
from lab_utils.course.check import ERROR, Finding
from lab_utils.course.class_report import report_html
from lab_utils.course.classdir import natural_key
from lab_utils.course.coursefile import Course
from lab_utils.course.lms import not_on_roster, write_exports
from lab_utils.course.lms_feedback import write_feedback_zips
from lab_utils.course.names import file_stem
from lab_utils.course.pages import feedback_html
from lab_utils.course.records import LearnerRecord, absent, absent_standings, exercise_scores, standings
from lab_utils.course.roster import Roster
from lab_utils.course.scoring import LAB_POINTS, format_points
from lab_utils.course.spreadsheet import write_csv
from lab_utils.grading.results import SubmissionResult

TEXT = {"encoding": "utf-8", "errors": "backslashreplace"}  # a folder name need not be UTF-8 (os.fsdecode)
MAX_SCORE = LAB_POINTS


def write_all(
    results: list[SubmissionResult],
    info: dict[str, Any],
    out: Path,
    records: list[LearnerRecord] | None = None,
    course: Course | None = None,
    roster: Roster | None = None,
    findings: list[Finding] | None = None,
) -> list[str]:
    """Write the gradebook, grades.json, the exports (with `course`, and no ERROR among the course check's
    `findings`), the feedback pages and zips, and the report into `out`; returns the exports' file names."""
    out.mkdir(parents=True, exist_ok=True)
    results = sorted(results, key=lambda r: natural_key(r.learner_id))
    by_id = {r.learner_id: r for r in records or []}
    ordered = [by_id[r.learner_id] for r in results] if records is not None else None
    findings = findings or []
    info = {**info, "course_check": [vars(f) for f in findings]}
    write_gradebook(results, out / "gradebook.csv", ordered)
    off_roster = [s.learner_id for s in not_on_roster(roster, standings(ordered))] if ordered and roster else []
    nobody = absent(roster, ordered or [])
    exports = []
    for stale in ("canvas.csv", "moodle.csv"):
        (out / stale).unlink(missing_ok=True)  # from an earlier run: never left beside grades it does not hold
    if course is not None and ordered is not None and not any(f.level == ERROR for f in findings):
        scored = standings(ordered) + absent_standings(course, roster, ordered)
        exports = info["exports"] = write_exports(course, roster, scored, out)
    info["not_on_roster"] = off_roster
    info["absent"] = [m.learner_id or m.name for m in nobody]
    (out / "feedback").mkdir(exist_ok=True)
    pages = {r.learner_id: feedback_html(r, by_id.get(r.learner_id)) for r in results}
    for learner_id, page in pages.items():
        (out / "feedback" / f"{file_stem(learner_id)}.html").write_text(page, **TEXT)
    info["feedback_zips"] = write_feedback_zips(ordered, pages, out) if ordered is not None else []
    payload = {
        "run": info,
        "exercises": [{"function": e.function, "notebook": e.notebook, "points": e.points} for e in EXERCISES],
        "learners": [
            {
                **r.to_dict(),
                "feedback": f"feedback/{file_stem(r.learner_id)}.html",
                **({"record": by_id[r.learner_id].audit()} if r.learner_id in by_id else {}),
            }
            for r in results
        ],
    }
    (out / "grades.json").write_text(json.dumps(payload, indent=1) + "\n")
    report = report_html(results, info, ordered, off_roster, absent=nobody, course=course, findings=findings)
    (out / "report.html").write_text(report, **TEXT)
    return exports


def write_gradebook(results: list[SubmissionResult], path: Path, records: list[LearnerRecord] | None = None) -> None:
    """gradebook.csv: see the module docstring; points written as `10` or `7.5`, never `10.0`; spreadsheet-safe."""
    header = ["learner_id", *(ex.function for ex in EXERCISES), "score", "max_score", "status", "problems"]
    if records is not None:
        header += ["name", "submitted_at", "late", "late_penalty_percent", "overrides", "course_score"]
    rows = []
    for i, result in enumerate(results):
        scores = exercise_scores(result)
        row = [result.learner_id, *scores.values(), sum(scores.values()), MAX_SCORE, result.status, result.summary]
        if records is not None:
            row += _record_cells(records[i])
        rows.append(row)
    write_csv(path, header, rows)


def _record_cells(record: LearnerRecord) -> list[Any]:
    score = record.score
    return [
        record.name,
        record.handin.at.isoformat() if record.handin.at else "",
        "yes" if (score.late if score else record.handin.late_marker) else "no",
        score.penalty_percent if score else 0,
        record.overrides_text,
        format_points(score.final) if score else "",
    ]
