"""A cgroup per sandbox: the pids and memory limits, CPU accounting, and killing every process in it.

Cgroup v1 only (v2's controllers must be delegated, which containers rarely do): one directory under each
controller this process may write, named `lab-grade-<owner tag>-...` so that `sandbox.sweep_leftovers` can
remove those of a grader that died. Without a writable controller a `Cgroup` has no directories, and the
rlimits of the sandbox are what bounds a kernel.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lab_utils.grading.sandbox import Limits

PREFIX = "lab-grade-"  # of every sandbox's directory and cgroup: "lab-grade-<owner tag>-..."


class Cgroup:
    """A cgroup for one sandbox under each writable controller (pids, memory), or none when not allowed."""

    def __init__(self, limits: Limits | None, dirs: tuple[Path, ...] = ()) -> None:
        """A new cgroup with `limits`; or, with limits None, the existing cgroup `dirs` (to remove it)."""
        self.dirs: list[Path] = list(dirs)
        if limits is None:
            return
        name = f"{PREFIX}{owner_tag()}-{time.monotonic_ns()}"
        settings = {
            "pids": {"pids.max": limits.processes},
            "memory": {"memory.limit_in_bytes": limits.memory},
            "cpuacct": {},  # accounting only: the CPU seconds of every process, reaped or not
        }
        for controller, path in own_cgroups().items():
            if controller not in settings:
                continue
            try:
                directory = path / name
                directory.mkdir()
            except OSError:
                continue  # not delegated to us: the rlimits still apply
            self.dirs.append(directory)
            for key, value in settings[controller].items():
                (directory / key).write_text(str(value))

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def cpu_seconds(self) -> float:
        """CPU time used by the cgroup's processes so far (0 without a cpuacct cgroup)."""
        for directory in self.dirs:
            if (directory / "cpuacct.usage").exists():
                return int((directory / "cpuacct.usage").read_text()) / 1e9
        return 0.0

    def kill_all(self) -> None:
        """SIGKILL every process in the cgroups, until none is left (a fork bomb keeps forking meanwhile)."""
        for directory in self.dirs:
            _kill_members(directory)

    def remove(self) -> None:
        """Kill every process and remove the cgroups, with any cgroup nested in them (a grader run inside this
        one's cgroup, by a test or the bench, that died before removing its own)."""
        for directory in self.dirs:
            _remove_cgroup_tree(directory)
        self.dirs = []


def _kill_members(directory: Path) -> None:
    for _ in range(100):
        try:
            pids = [int(p) for p in (directory / "cgroup.procs").read_text().split()]
        except FileNotFoundError:  # removed meanwhile (another grader's sweep of a dead grader's cgroups)
            break
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def _remove_cgroup_tree(directory: Path) -> None:
    try:
        children = [child for child in directory.iterdir() if child.is_dir()]
    except FileNotFoundError:  # removed meanwhile, as above
        return
    for child in children:
        _remove_cgroup_tree(child)
    _kill_members(directory)
    for _ in range(50):  # the kernel frees a cgroup shortly after its last process is reaped
        try:
            directory.rmdir()
            return
        except OSError:
            time.sleep(0.05)


def own_cgroups() -> dict[str, Path]:
    """The cgroup v1 directory of this process for each mounted controller (v2 is not used: its
    controllers must be delegated, which containers rarely do)."""
    found = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            directory = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
            if controller and directory.is_dir():
                found[controller] = directory
    return found


def start_time(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, /proc/<pid>/stat), or None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command's name


def owner_tag() -> str:
    """This process's "<pid>.<start time>": unique on this machine even once the PID is reused (not cached: a
    forked worker is an owner of its own)."""
    return f"{os.getpid()}.{start_time(os.getpid())}"
