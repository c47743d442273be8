"""What a learner reads when a check fails, for the tests that assert its words."""

import pytest

from lab_utils.checks import CheckFailure


def failure_text(check, fn, *args) -> str:
    """The failure's message of `check(fn, *args)` as one line of text (a phrase may be broken across its lines),
    without the learner's own line of code ("  at Cell In[5], line 3, ...")."""
    with pytest.raises(CheckFailure) as failure:
        check(fn, *args)
    lines = [line for line in str(failure.value).splitlines() if not line.startswith("  at ")]
    return " ".join(" ".join(lines).split())
