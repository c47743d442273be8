"""Learner ids made into file names: the one mapping from an id (a folder name, an LMS id) to a file in RESULTS_DIR.

An id is whatever a learner or an LMS named a folder: `../x`, a classmate's id with different case, a JSON fragment,
250 characters. The file name of a learner's page is derived from the id so that it stays in its folder, cannot be
another learner's, and fits any file system (at most 80 characters, ASCII, no case-only differences):
- an id that is already a plain, short, lowercase name (`s12`, `4021`, `jane_doe`) is kept as it is, unless
  Windows keeps it for a device (`con`, `nul`, `com1`);
- any other id becomes its plain part followed by `~` and 20 hex digits of its SHA-256 (`ada~6b1d...`); `~` never
  appears in a kept id, so the two kinds never meet, and two different ids meet only if SHA-256 does.
The id itself stays as data (the gradebook, grades.json, the page's text).
"""

from __future__ import annotations

import hashlib
import re

PLAIN = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
WINDOWS_DEVICES = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])")  # names Windows keeps for devices
_UNSAFE = re.compile(r"[^a-z0-9_-]+")
HASH_DIGITS = 20


def file_stem(learner_id: str) -> str:
    """The file name (without extension) of learner `learner_id`'s files: see the module docstring."""
    if PLAIN.fullmatch(learner_id) and not WINDOWS_DEVICES.fullmatch(learner_id):
        return learner_id
    plain = _UNSAFE.sub("_", learner_id.lower()).strip("_-")[:40]
    digest = hashlib.sha256(learner_id.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_DIGITS]
    return f"{plain}~{digest}"
