"""Text that came from a learner, made fit to show: without control characters or escape sequences, on one line,
cut to length.

Every message, error and name the grader shows (in a table, a page, a gradebook, a terminal) passes through here.
A learner's text may carry terminal escape sequences (ECMA-48): an OSC window title or hyperlink, cursor movement,
erase-line, the alternate screen, which would rewrite the instructor's terminal and the rows of a table on it.
`for_terminal` removes every escape sequence and control character (C0 and C1, DEL) but the newline, and the
Unicode bidirectional overrides that reorder what a reader sees; the lab's own colours are added after, by the
lab, never taken from learner text.
"""

from __future__ import annotations

import re

MESSAGE_CHARS = 300  # an error's message is cut to this
_SEQUENCES = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)"  # OSC, DCS, SOS, PM, APC strings
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI: cursor movement, erase, colours, modes (the alternate screen)
    r"|\x1b[ -/]*[0-~]?",  # the other escapes (ESC 7, ESC c ...)
    re.DOTALL,
)
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def for_terminal(text: str) -> str:
    """`text` without escape sequences and control characters (tabs become spaces; newlines stay)."""
    return _CONTROLS.sub("", _SEQUENCES.sub("", str(text).replace("\t", " ")))


def one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` made fit to show (`for_terminal`), on one line, cut to `limit` characters."""
    text = " ".join(for_terminal(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
