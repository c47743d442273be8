"""A learner's hand-in file (the zip `handin()` writes), read as hostile input and checked against its manifest.

`read_handin` reads the zip into memory with the standard library's `zipfile`, member by member under caps,
never extracting anything: nothing is written anywhere, so nothing can land outside the learner's private copy.
A zip it cannot trust is refused whole (`HandInRefused`, whose message is the learner's status line): not a zip,
damaged, too large, too many members, a member with an absolute path or `..`, a link or device, a duplicate name,
an encrypted member, sizes or a compression ratio of a zip bomb, or members that share bytes (an overlapping zip
bomb: each member's local header and data must lie before the next one's). Folder entries are skipped, and a zip
of one folder (a learner zipping `mnist_lab/`) is read as if its files were at the top.
One learner's hand-in files together are bounded too (`Allowance`): how many are read, and how many members and
uncompressed bytes they hold in all, so that 250 small zips cost no more than one large one.
A zip it can read gives the series' notebooks
and the `problems` to report: a file whose hash differs from the manifest (changed after the hand-in was made),
a file the manifest lists that is missing, a file that is not a notebook of the series, no manifest at all.
The manifest's own claims (its time, its pre-check score) are the learner's: kept for showing, never used.
"""

from __future__ import annotations

import hashlib
import io
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lab_utils.errors import LabError
from lab_utils.grading.files import RefusedFile, read_regular
from lab_utils.grading.notebook import MAX_NOTEBOOK_BYTES
from lab_utils.grading.text import one_line
from lab_utils.handin.manifest import MANIFEST_NAME, Manifest, ManifestError, read_manifest

MAX_ZIP_BYTES = 64 * 1024**2  # the zip file itself
MAX_MEMBERS = 32  # the series' notebooks and a manifest are six
MAX_MEMBER_BYTES = MAX_NOTEBOOK_BYTES  # uncompressed, one member
MAX_TOTAL_BYTES = 128 * 1024**2  # uncompressed, all members
MAX_RATIO = 100  # uncompressed / compressed, for members over RATIO_FLOOR: notebooks compress 3-10x
RATIO_FLOOR = 1024**2
MAX_HANDINS = 8  # hand-in files read for one learner; more are refused unread
MAX_LEARNER_MEMBERS = 64  # members of all of one learner's hand-in files
MAX_LEARNER_BYTES = MAX_TOTAL_BYTES  # uncompressed, all of one learner's hand-in files
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name's and the extra field's lengths


class HandInRefused(LabError):
    """The hand-in file cannot be trusted or read; the message says why, on one line."""


@dataclass
class Allowance:
    """What one learner's hand-in files may still hold: files read, members, uncompressed bytes."""

    files: int = MAX_HANDINS
    members: int = MAX_LEARNER_MEMBERS
    size: int = MAX_LEARNER_BYTES

    def take_file(self) -> None:
        """Count one more hand-in file read; HandInRefused when the learner has had their share."""
        if self.files <= 0:
            raise HandInRefused(f"was not read: a learner's first {MAX_HANDINS} hand-in files are read, no more")
        self.files -= 1

    def take(self, members: int, size: int) -> None:
        """Count a zip's members and uncompressed bytes; HandInRefused when they pass the learner's share."""
        if members > self.members or size > self.size:
            raise HandInRefused(
                f"was not read: a learner's hand-in files may hold {MAX_LEARNER_MEMBERS} members and "
                f"{MAX_LEARNER_BYTES // 1024**2} MB in all, and this one would pass that"
            )
        self.members -= members
        self.size -= size


@dataclass
class HandInFile:
    """What a readable hand-in file holds: the series' notebooks by file name, and what does not match."""

    notebooks: dict[str, bytes] = field(default_factory=dict)  # "01_softmax.ipynb" -> bytes
    problems: list[str] = field(default_factory=list)
    manifest: Manifest | None = None


def is_handin(path: Path) -> bool:
    """Whether `path` is named as a hand-in file is (any .zip: a learner may have renamed it)."""
    return path.suffix.lower() == ".zip"


def read_handin(path: Path, series: list[str], allowance: Allowance | None = None) -> HandInFile:
    """The hand-in file at `path`, its members checked against its manifest; `series`: the notebooks' stems;
    `allowance`: what the learner's hand-in files may still hold (one file's worth when None).

    Raises HandInRefused for a file that is not a trustworthy zip, OSError never (it becomes a refusal).
    """
    allowance = allowance or Allowance()
    allowance.take_file()
    data = _read_regular_file(path)
    members = _members(zipfile_of(data), data, allowance)
    handin = HandInFile()
    data = members.pop(MANIFEST_NAME, None)
    if data is None:
        handin.problems.append(f"no {MANIFEST_NAME}: its files cannot be checked (not made by handin()?)")
    else:
        try:
            handin.manifest = read_manifest(data)
        except ManifestError as e:
            handin.problems.append(str(e))
    if handin.manifest is not None:
        handin.problems += mismatches(handin.manifest, members)
    names = {f"{stem}.ipynb" for stem in series}
    for name, content in members.items():
        if name in names:
            handin.notebooks[name] = content
        else:
            handin.problems.append(f"{shown(name)} is not a notebook of the series: not graded")
    return handin


def mismatches(manifest: Manifest, members: dict[str, bytes]) -> list[str]:
    """The ways `members` (name -> bytes, the manifest excluded) differ from what `manifest` lists."""
    listed = {entry.name: entry for entry in manifest.files}
    found = []
    for name, entry in listed.items():
        if name not in members:
            found.append(f"{shown(name)} is listed in the manifest but missing from the hand-in file")
        elif hashlib.sha256(members[name]).hexdigest() != entry.sha256 or len(members[name]) != entry.size:
            found.append(
                f"{shown(name)} does not match the manifest's SHA-256: it was changed after the hand-in was made"
            )
    found += [f"{shown(name)} is not listed in the manifest" for name in members if name not in listed]
    return found


def shown(name: str) -> str:
    """A member's name as the learner's status may show it: one line, no control sequence, cut to 80 characters."""
    return one_line(name, 80)


def _read_regular_file(path: Path) -> bytes:
    """The bytes of `path` if it is a regular file (never through a link) of a sane size."""
    try:
        return read_regular(path, MAX_ZIP_BYTES)
    except RefusedFile as e:
        raise HandInRefused(f"was not read: {e}") from None


def zipfile_of(data: bytes) -> zipfile.ZipFile:
    """`data` opened as a zip; HandInRefused when it is not one."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise HandInRefused("is not a zip file") from None


def _members(zf: zipfile.ZipFile, data: bytes, allowance: Allowance) -> dict[str, bytes]:
    """Every file member's bytes by name (one enclosing folder taken off), after every entry passed `_refusal`
    and the zip passed `_overlap` and the learner's `allowance`; HandInRefused otherwise."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise HandInRefused(f"has {len(infos)} members, more than {MAX_MEMBERS}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        if reason := _refusal(info, seen):
            raise HandInRefused(f"member {info.filename[:80]!r} {reason}")
        seen.add(info.filename)
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise HandInRefused(f"unpacks to more than {MAX_TOTAL_BYTES // 1024**2} MB (a zip bomb?)")
    if reason := _overlap(infos, data, zf.start_dir):
        raise HandInRefused(reason)
    files = [info for info in infos if not info.is_dir()]
    allowance.take(len(files), total)
    return _unfolded({info.filename: _read_member(zf, info) for info in files})


def _unfolded(members: dict[str, bytes]) -> dict[str, bytes]:
    """`members` with their one enclosing folder taken off when all lie directly in the same one."""
    tops = {name.split("/")[0] for name in members if name.count("/") == 1}
    if len(tops) != 1 or any(name.count("/") != 1 for name in members):
        return members
    top = f"{tops.pop()}/"
    return {name.removeprefix(top): data for name, data in members.items()}


def _overlap(infos: list[zipfile.ZipInfo], data: bytes, end: int) -> str | None:
    """Why the members' bytes are not laid out one after the other (a member's local header and compressed data
    reaching into the next member or the central directory: an overlapping zip bomb), or None."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for info, following in zip(ordered, [*ordered[1:], None], strict=True):
        header = data[info.header_offset : info.header_offset + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            return f"member {info.filename[:80]!r} has no local header where its entry says (damaged?)"
        name_length, extra_length = _LOCAL_HEADER.unpack(header)[1:]
        stop = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length + info.compress_size
        limit = following.header_offset if following is not None else end
        if stop > limit:
            return "has members that share bytes (an overlapping zip bomb)"
    return None


def _refusal(info: zipfile.ZipInfo, seen: set[str]) -> str | None:
    """Why the member `info` makes the zip untrustworthy, or None."""
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if not name or "\0" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if ".." in parts:
        return "has '..' in its path"
    mode = info.external_attr >> 16
    unix_type = stat.S_IFMT(mode) if info.create_system == 3 else 0
    if info.is_dir():
        return None if info.file_size == 0 and unix_type in (0, stat.S_IFDIR) else "is a folder holding data"
    if unix_type and not stat.S_ISREG(mode):
        return "is not a regular file (a link or a device)"
    if name in seen or name.lower() in {s.lower() for s in seen}:
        return "appears twice"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type not in _METHODS:
        return "uses an unsupported compression method"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"unpacks to more than {MAX_MEMBER_BYTES // 1024**2} MB"
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return f"is compressed more than {MAX_RATIO} times (a zip bomb?)"
    return None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, never more than its declared size (a lying header is refused)."""
    try:
        with zf.open(info) as member:
            data = member.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise HandInRefused(f"member {info.filename[:80]!r} cannot be read: damaged ({one_line(e, 80)})") from None
    if len(data) != info.file_size:
        raise HandInRefused(f"member {info.filename[:80]!r} is not the size its entry says")
    return data
