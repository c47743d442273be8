"""Grading learners' notebooks: in a sandboxed kernel per learner, judged outside it.

- `sandbox`: the bubblewrap command line, resource limits, cgroup; `runner`: the kernel and its cells;
- `cells`: which cells a graded function may depend on; `kernel_side`: the code run in the kernel;
- `judge`: cases from the run's seed and the verdicts; `submission`: `grade_submission`;
- `results`: what grading produces.
"""

from lab_utils.grading.sandbox import Limits
from lab_utils.grading.submission import GradeError, grade_submission

__all__ = ["GradeError", "Limits", "grade_submission"]
