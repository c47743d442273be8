"""The hand-in file's format, defined once: its name, its `manifest.json`, and how a manifest is read back.

A hand-in file is a zip named `mnist-lab-<learner>-<UTC timestamp>.zip` holding the series' notebooks, flat,
and `manifest.json`:

    {"format": "mnist-lab-handin", "format_version": 1, "lab_version": "0.1.0", "learner": "ada",
     "created_at": "2026-11-29T10:15:00Z",
     "files": [{"name": "01_softmax.ipynb", "size": 12345, "sha256": "..."}, ...],
     "precheck": {"score": 135, "max_score": 135, "seed": 123456, "sandbox": true}}

The learner's side (`lab_utils.handin.precheck`) writes it; the course's side (`lab_utils.course.handin_file`)
reads it. Everything in a manifest is the learner's claim: the grader checks the files against it, and may
show its time and pre-check score, never use them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from lab_utils.errors import LabError
from lab_utils.grading.notebook import NotANotebook, check_json_shape

MANIFEST_NAME = "manifest.json"
FORMAT = "mnist-lab-handin"
FORMAT_VERSION = 1
FILE_PREFIX = "mnist-lab-"
MAX_MANIFEST_BYTES = 64 * 1024  # a manifest lists a handful of files
MAX_MANIFEST_DEPTH = 8  # it nests three levels; more is not a manifest (60,000 `[` would overflow the parser)
MAX_MANIFEST_CONTAINERS = 1000
LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ManifestError(LabError, ValueError):
    """A manifest that is not one of this format (unreadable, missing fields, wrong types)."""


@dataclass(frozen=True)
class FileEntry:
    """One file of a hand-in as the manifest lists it."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a hand-in file says about itself: untrusted, to be checked against its members."""

    lab_version: str
    learner: str
    created_at: str
    files: tuple[FileEntry, ...]
    precheck: dict[str, Any]


def lab_version() -> str:
    """The installed lab's version, "unknown" when it runs from a source tree that was never installed."""
    try:
        return version("lab-utils")
    except PackageNotFoundError:
        return "unknown"


def timestamp(when: datetime) -> str:
    """`when` in UTC as it appears in a hand-in file's name: 20261129T101500Z."""
    return when.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def file_name(learner: str, when: datetime) -> str:
    """The hand-in file's name: mnist-lab-<learner>-<UTC timestamp>.zip."""
    return f"{FILE_PREFIX}{learner}-{timestamp(when)}.zip"


def entry(name: str, data: bytes) -> FileEntry:
    """The manifest's entry for a file called `name` holding `data`."""
    return FileEntry(name, len(data), hashlib.sha256(data).hexdigest())


def manifest_bytes(learner: str, when: datetime, files: dict[str, bytes], precheck: dict[str, Any]) -> bytes:
    """The manifest.json of a hand-in of `files` (name -> bytes), made at `when`, with the pre-check's summary."""
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lab_version": lab_version(),
        "learner": learner,
        "created_at": when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": [vars(entry(name, content)) for name, content in files.items()],
        "precheck": precheck,
    }
    return (json.dumps(data, indent=2) + "\n").encode()


def read_manifest(data: bytes) -> Manifest:
    """The manifest in `data`; ManifestError, with one line saying why, when it is not one of this format."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{MANIFEST_NAME} is larger than {MAX_MANIFEST_BYTES // 1024} KB")
    try:
        check_json_shape(data, max_depth=MAX_MANIFEST_DEPTH, max_containers=MAX_MANIFEST_CONTAINERS)
    except NotANotebook as e:
        raise ManifestError(f"{MANIFEST_NAME} is not a manifest: {e}") from None
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ManifestError(f"{MANIFEST_NAME} is not JSON ({type(e).__name__})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ManifestError(f'{MANIFEST_NAME} is not a hand-in manifest (no "format": "{FORMAT}")')
    if raw.get("format_version") != FORMAT_VERSION:
        raise ManifestError(f"{MANIFEST_NAME} has format_version {raw.get('format_version')!r}, not {FORMAT_VERSION}")
    files = raw.get("files")
    if not isinstance(files, list) or not all(_is_entry(f) for f in files):
        raise ManifestError(f'{MANIFEST_NAME}: "files" must list objects with a name, a size and a sha256')
    precheck = raw.get("precheck")
    return Manifest(
        lab_version=str(raw.get("lab_version", "")),
        learner=str(raw.get("learner", "")),
        created_at=str(raw.get("created_at", "")),
        files=tuple(FileEntry(f["name"], f["size"], f["sha256"]) for f in files),
        precheck=precheck if isinstance(precheck, dict) else {},
    )


def _is_entry(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("name"), str)
        and isinstance(value.get("size"), int)
        and isinstance(value.get("sha256"), str)
        and bool(_SHA256.match(value["sha256"]))
    )
