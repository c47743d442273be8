"""The learners' feedback pages as each LMS takes them back in bulk: one zip per LMS, each file named as its upload
reads names, so that every page lands on its learner's submission.

- **Moodle**, "Upload multiple feedback files in a zip" (mod/assign/feedback/file/importziplib.php,
  `is_valid_filename_for_import`): every part of a file's path is split on `_` into at most five pieces; the first
  part whose second piece is a participant id of the assignment and whose third and fourth name a plugin gives the
  learner, and what follows becomes the feedback file's name. `feedback-moodle.zip` holds
  `<full name>_<participant id>_assignfeedback_file/feedback.html` (Moodle 4.1's folder naming, without the trailing
  `_`), the name with its `_` made spaces as Moodle's own download does. Written for learners graded from Moodle's
  download (their files are named `..._<participant id>_assignsubmission_...`).
- **Canvas**, "Re-Upload Submissions" (app/models/assignment.rb, `generate_comments_from_files` and
  `infer_comment_context_from_filename`): a file's name is split on `_`; its first two all-digit pieces are the
  learner's user id and the id of one of the files of their submission, else the file is ignored. Each learner's
  files become one submission comment. `feedback-canvas.zip` holds `<name>_<user id>_<attachment id>_feedback.html`
  with an attachment id from the learner's graded file's download name. Canvas shows the attached page under the
  display name of that file (the learner's own file name). Written for learners graded from Canvas' download.

A learner whose ids are not in their download's names (a plain folder, nbgrader, Canvas' anonymous download) gets
no entry; the pages are in `feedback/` for them.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lab_utils.course.layouts import MOODLE_FLAT, MOODLE_FOLDERS, parse_name
from lab_utils.course.lms import canvas_attachment_id
from lab_utils.course.records import LearnerRecord

MOODLE_ZIP, CANVAS_ZIP = "feedback-moodle.zip", "feedback-canvas.zip"
PAGE = "feedback.html"
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # every entry's time: the zip's bytes depend on the pages only


def moodle_entry(record: LearnerRecord) -> str | None:
    """The learner's page's path in Moodle's feedback zip; None when their files are not Moodle's download."""
    participant = record.learner_id
    if not any(_moodle_participant(path) == participant for path in record.files.values()):
        return None
    name = re.sub(r"[_/\\\x00-\x1f]+", " ", record.name).strip()[:80] or "learner"
    return f"{name}_{participant}_assignfeedback_file/{PAGE}"


def _moodle_participant(relpath: str) -> str | None:
    """The participant id of Moodle's download name that starts `relpath` (its folder, or its flat file's name), read
    by Moodle's anchored pattern: a learner's own file name after it (`x_4023_assignsubmission_file_...` in a Canvas
    download) is never read."""
    first = relpath.split("/", 1)[0]
    lms = parse_name(MOODLE_FOLDERS, first) or parse_name(MOODLE_FLAT, first)
    return lms.learner_id if lms else None


def canvas_entry(record: LearnerRecord) -> str | None:
    """The learner's page's name in Canvas' re-upload zip; None when their files are not Canvas' download."""
    attachment = next(
        (a for stem in sorted(record.files) if (a := canvas_attachment_id(record.learner_id, record.files[stem]))),
        None,
    )
    if attachment is None:
        return None
    name = re.sub(r"[^a-z]", "", record.name.lower())[:40] or "learner"  # no `_` and no digits: Canvas reads those
    return f"{name}_{record.learner_id}_{attachment}_{PAGE}"


def write_feedback_zips(records: list[LearnerRecord], pages: dict[str, str], out: Path) -> list[str]:
    """Write the zips for the learners each LMS can match (`pages`: learner_id -> HTML); returns their file names."""
    written = []
    for zip_name, entry in ((MOODLE_ZIP, moodle_entry), (CANVAS_ZIP, canvas_entry)):
        (out / zip_name).unlink(missing_ok=True)  # from an earlier run
        entries = {name: pages[r.learner_id] for r in records if (name := entry(r)) and r.learner_id in pages}
        if not entries:
            continue
        with zipfile.ZipFile(out / zip_name, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, _ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entries[name].encode("utf-8", "backslashreplace"))
        written.append(zip_name)
    return written
