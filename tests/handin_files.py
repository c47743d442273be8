"""Hand-in files for the grader's tests: one made by the real writer, and hostile ones built member by member."""

import copy
import stat
import struct
import warnings
import zipfile
import zlib
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from grading_class import MY_SOFTMAX, STABLE_SOFTMAX

from lab_utils.handin import manifest
from lab_utils.handin.precheck import write_zip

WHEN = datetime(2026, 11, 29, 10, 15, tzinfo=timezone.utc)


def softmax_notebook(*sources: str) -> bytes:
    """01_softmax as a learner saves it: both exercises solved unless other `sources` are given."""
    sources = sources or ("import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX)
    cells = [nbformat.v4.new_code_cell(s, id=f"cell-{i}") for i, s in enumerate(sources)]  # the same bytes each time
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells)).encode()


def genuine(path: Path, files: dict[str, bytes] | None = None, score: float = 25) -> Path:
    """A hand-in file as handin() writes it, holding `files` (default: a solved 01_softmax)."""
    files = {"01_softmax.ipynb": softmax_notebook()} if files is None else files
    precheck = {"score": score, "max_score": 135, "seed": 7, "sandbox": True}
    return write_zip(path, files, manifest.manifest_bytes("ada", WHEN, files, precheck), WHEN)


def rewritten(source: Path, target: Path, replace: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> Path:
    """A copy of the zip `source` with members replaced or dropped, its manifest untouched."""
    with zipfile.ZipFile(source) as zf:
        members = {name: zf.read(name) for name in zf.namelist() if name not in drop}
    members.update(replace or {})
    return raw_zip(target, members)


def raw_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip holding exactly `members`, with no manifest unless one is given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def special_member(path: Path, name: str, file_type: int, target: bytes = b"/etc/passwd") -> Path:
    """A genuine hand-in with one more member whose Unix mode is `file_type` (stat.S_IFLNK, S_IFCHR...)."""
    genuine(path)
    info = zipfile.ZipInfo(name, date_time=WHEN.timetuple()[:6])
    info.create_system = 3  # Unix: the mode in external_attr counts
    info.external_attr = (file_type | 0o777) << 16
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(info, target)
    return path


def symlink_member(path: Path) -> Path:
    return special_member(path, "01_softmax.ipynb.link", stat.S_IFLNK)


def duplicate_member(path: Path) -> Path:
    genuine(path)
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as zf:
        warnings.simplefilter("ignore")  # zipfile warns "Duplicate name": that is the point
        zf.writestr("01_softmax.ipynb", softmax_notebook("x = 1"))
    return path


def zip_bomb(path: Path, megabytes: int = 30) -> Path:
    """A zip of a few tens of KB whose one notebook unpacks to `megabytes` MB of zeros."""
    return raw_zip(path, {"01_softmax.ipynb": bytes(megabytes * 1024**2)})


def overlapping_zip(path: Path, copies: int = 2) -> Path:
    """A zip whose central directory lists one member's bytes `copies` times under different names (the simplest
    overlapping-member bomb: every entry unpacks the same compressed data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("01_softmax.ipynb", softmax_notebook())
        first = zf.getinfo("01_softmax.ipynb")
        for number in range(1, copies):
            twin = copy.copy(first)
            twin.filename = twin.orig_filename = f"copy{number}.ipynb"
            zf.filelist.append(twin)
    return path


def damaged_zip(path: Path, count: int = 40) -> Path:
    """A genuine hand-in with `count` bytes of its notebook's deflate data overwritten (a damaged upload)."""
    genuine(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("01_softmax.ipynb")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    data[start : start + count] = bytes(range(count))
    path.write_bytes(bytes(data))
    return path


def quoted_overlap_bomb(path: Path, names: list[str], kernel: bytes) -> Path:
    """Fifield's overlapping zip bomb ("A better zip bomb", 2019, full overlap with quoted local headers): one
    compressed `kernel` shared by every member, each member's data quoting the next member's local header in a
    stored DEFLATE block, so that every name, size and CRC is consistent and each member unpacks to the kernel."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data, content = compressor.compress(kernel) + compressor.flush(), kernel
    headers: list[bytes] = []
    for name in reversed(names):
        header = (
            struct.pack(
                "<4s5H3L2H",
                b"PK\x03\x04",
                20,
                0,
                8,
                0,
                0x21,
                zlib.crc32(content),
                len(data),
                len(content),
                len(name),
                0,
            )
            + name.encode()
        )
        headers.insert(0, header)
        quote = b"\x00" + struct.pack("<2H", len(header), 0xFFFF ^ len(header))  # a stored, non-final block
        data, content = quote + header + data, header + content
    body = headers[0] + data[len(headers[0]) + 5 :]  # the first header is not quoted by anyone
    offsets, offset = [], 0
    for header in headers:
        offsets.append(offset)
        offset += len(header) + 5  # the next header follows this one's quote
    central = b""
    for name, at, (crc, compressed, size) in zip(names, offsets, _member_sizes(body, offsets), strict=True):
        central += (
            struct.pack(
                "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, compressed, size, len(name), 0, 0, 0, 0, 0, at
            )
            + name.encode()
        )
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(names), len(names), len(central), len(body), 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body + central + end)
    return path


def _member_sizes(body: bytes, offsets: list[int]) -> list[tuple[int, int, int]]:
    """(CRC, compressed size, size) of each member, read back from its local header."""
    return [struct.unpack("<3L", body[at + 14 : at + 26]) for at in offsets]
