"""The course's side of grading: a class folder in, a gradebook and reports out.

`lab_utils.grading` grades one learner's submission; this package runs it for a class and turns the results
into what a course needs:
- `classdir`: who handed in what, in the layouts an LMS downloads (`layouts`: the LMS's file names);
- `batch`: a class graded in parallel, resumable from its journal (`cluster`: the same on a Dask cluster);
- `coursefile`, `scoring`: the course file (due date, late policy, extensions, overrides) and its rules;
- `roster`, `lms`: the LMS's roster exports in, `canvas.csv` and `moodle.csv` out; `lms_feedback`: the feedback
  pages zipped as each LMS takes them back;
- `check`: the course check, every mismatch of class folder, roster and course file, before grading;
- `records`: each learner's result put in the course (name, files, hand-in time, course score);
- `reports`, `pages`, `class_report`: the gradebook and `grades.json`; a feedback page per learner, the class report;
- `cli`: the command `python -m lab_utils.grade`, for a learner's notebooks or a whole class.
"""
