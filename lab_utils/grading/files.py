"""Reading a file a learner handed in: only a regular file, never through a link, never more than a size limit.

Every part of the grader that reads a learner's file (the class folder's discovery and digest, the copy sent to a
worker, the submission's private copy, the notebook reader) reads it here. A learner controls the type of what they
hand in: a symbolic link to `solutions/` or to a classmate's notebook would be graded as theirs, a link to a host
file would be copied into the sandbox and shown back, a FIFO would block the grader for ever, and `/dev/zero` would
fill its memory. So a file is opened with `O_NOFOLLOW | O_NONBLOCK`, its type and size are checked on the open file
descriptor (`fstat`, no race with a swap), and at most `limit` bytes are read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

KINDS = {  # what a learner reads when their file is refused
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a folder",
}


class RefusedFile(ValueError):
    """A learner's file that is not read: not a regular file, or too large. The message says why, in a few words."""


def kind(mode: int) -> str:
    """What a file of `mode` (from lstat or fstat) is, in a learner's words: "a regular file", "a symbolic link"..."""
    return "a regular file" if stat.S_ISREG(mode) else KINDS.get(stat.S_IFMT(mode), "not a regular file")


def refusal(path: Path) -> str | None:
    """Why `path` would be refused ("a symbolic link (only regular files are graded)"), None for a regular file.

    Looks at the entry itself (`lstat`): a link is refused whatever it points to."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    return None if stat.S_ISREG(mode) else f"{kind(mode)} (only regular files are graded)"


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them; RefusedFile otherwise (see the module), and
    OSError when it cannot be opened at all (gone, no permission)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        if os.path.islink(path):  # O_NOFOLLOW on a link: ELOOP, whose own message says nothing to a learner
            raise RefusedFile("a symbolic link (only regular files are graded)") from None
        raise  # gone or unreadable: a problem of the class folder, not of the learner's file
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(f"{kind(info.st_mode)} (only regular files are graded)")
        if info.st_size > limit:
            raise RefusedFile(f"larger than {_size(limit)}")
        data = f.read(limit + 1)  # the file may have grown since fstat
    if len(data) > limit:
        raise RefusedFile(f"larger than {_size(limit)}")
    return data


def _size(limit: int) -> str:
    return f"{limit / 1024**2:g} MB" if limit >= 1024**2 else f"{limit} bytes"
