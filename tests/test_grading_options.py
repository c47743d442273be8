"""How a learner is graded (lab_utils.grading.options): one declaration, checked when it is made."""

import pytest

from lab_utils.grading.options import DEFAULT_TIMEOUT, GradeError, GradeOptions
from lab_utils.grading.sandbox import SANDBOX_MODES


def test_an_unknown_sandbox_mode_is_refused_in_one_line_naming_the_modes():
    with pytest.raises(GradeError) as refused:
        GradeOptions(seed=1, sandbox="docker")
    assert str(refused.value) == f"sandbox must be one of {', '.join(SANDBOX_MODES)}, not 'docker'"


def test_options_left_out_take_the_graders_defaults():
    options = GradeOptions(seed=1)
    assert (options.timeout, options.sandbox, options.limits) == (DEFAULT_TIMEOUT, "auto", None)
