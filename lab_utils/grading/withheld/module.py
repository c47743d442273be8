"""Stands in for a module of the lab that computes exercises' answers, in the grader's sandbox only.

Any name imports (so `from lab_utils.model import predict_proba` at the top of `lab_utils.train` still
works), and calling it raises: while grading, the learner's functions run on their own code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from lab_utils.errors import LabError


def __getattr__(name: str) -> Callable[..., NoReturn]:
    if name.startswith("__"):
        raise AttributeError(name)

    def withheld(*args: object, **kwargs: object) -> NoReturn:
        raise LabError(f"{__name__}.{name} is not available while grading: your functions run on your own code")

    withheld.__name__ = name
    return withheld
