"""What a class grading writes into RESULTS_DIR: the gradebook, the full JSON, the exports, the pages.

- `gradebook.csv`: one row per learner sorted by id; `learner_id`, one column per exercise (its function, in registry
  order, the points earned), `score`, `max_score`, `status` (`graded`, or what went wrong in a few words); with
  the learners' records also `name`, `submitted_at`, `late`, `late_penalty_percent`, `overrides`, and with a course
  file `course_score` (the score in the LMS's points after the course's rules).
- `grades.json`: everything: the run (seed, options, pool, timings, the lab's version with its git commit), the
  registry, every learner's result, and their record (name, submission time, late flag and penalty, overrides,
  seed, when graded).
- `canvas.csv`, `moodle.csv`: with a course file, the exports an LMS imports (`lms`).
- `feedback/<learner_id>.html` and `report.html`: the pages (`pages`); a page's file name comes from the id by
  `names.file_stem`, never the id raw.

Every CSV cell is spreadsheet-safe (`spreadsheet.write_csv`).
"""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from lab_utils.checks import EXERCISES
from lab_utils.course.classdir import natural_key
from lab_utils.course.coursefile import Course
from lab_utils.course.lms import not_on_roster, write_exports
from lab_utils.course.names import file_stem
from lab_utils.course.pages import feedback_html, report_html
from lab_utils.course.records import LearnerRecord, exercise_scores, standings
from lab_utils.course.roster import Roster
from lab_utils.course.scoring import LAB_POINTS, format_points
from lab_utils.course.spreadsheet import write_csv
from lab_utils.grading.results import SubmissionResult

TEXT = {"encoding": "utf-8", "errors": "backslashreplace"}  # a folder name need not be UTF-8 (os.fsdecode)
MAX_SCORE = LAB_POINTS


def lab_version() -> str:
    """The lab's package version, with the git commit of its checkout when there is one ("0.1.0+g1a2b3c4")."""
    version = metadata.version("lab-utils")
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{commit}" if commit else version


def write_all(
    results: list[SubmissionResult],
    info: dict[str, Any],
    out: Path,
    records: list[LearnerRecord] | None = None,
    course: Course | None = None,
    roster: Roster | None = None,
) -> list[str]:
    """Write the gradebook, grades.json, the exports (with `course`), the feedback pages and the report into `out`;
    returns the exports' file names."""
    out.mkdir(parents=True, exist_ok=True)
    results = sorted(results, key=lambda r: natural_key(r.learner_id))
    by_id = {r.learner_id: r for r in records or []}
    ordered = [by_id[r.learner_id] for r in results] if records is not None else None
    info = {**info, "lab_version": lab_version()}
    write_gradebook(results, out / "gradebook.csv", ordered)
    off_roster = [s.learner_id for s in not_on_roster(roster, standings(ordered))] if ordered and roster else []
    exports = []
    if course is not None and ordered is not None:
        exports = info["exports"] = write_exports(course, roster, standings(ordered), out)
        info["not_on_roster"] = off_roster
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
    (out / "feedback").mkdir(exist_ok=True)
    for result in results:
        page = feedback_html(result, by_id.get(result.learner_id))
        (out / "feedback" / f"{file_stem(result.learner_id)}.html").write_text(page, **TEXT)
    (out / "report.html").write_text(report_html(results, info, ordered, off_roster), **TEXT)
    return exports


def write_gradebook(results: list[SubmissionResult], path: Path, records: list[LearnerRecord] | None = None) -> None:
    """gradebook.csv: see the module docstring; points written as `10` or `7.5`, never `10.0`; spreadsheet-safe."""
    header = ["learner_id", *(ex.function for ex in EXERCISES), "score", "max_score", "status"]
    if records is not None:
        header += ["name", "submitted_at", "late", "late_penalty_percent", "overrides", "course_score"]
    rows = []
    for i, result in enumerate(results):
        scores = exercise_scores(result)
        row = [result.learner_id, *scores.values(), sum(scores.values()), MAX_SCORE, result.status]
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
