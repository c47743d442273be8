"""Text that came from a learner, made fit to show: on one line, cut to length, without colour codes.

Every message, error and name the grader shows (in a table, a page or a gradebook) passes through here.
"""

from __future__ import annotations

import re

MESSAGE_CHARS = 300  # an error's message is cut to this
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` without colour codes, on one line, cut to `limit` characters."""
    text = " ".join(_ANSI.sub("", str(text)).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
