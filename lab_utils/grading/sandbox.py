"""The sandbox around a grading kernel: a bubblewrap command line, resource limits, and a process-tree kill.

`Sandbox` owns one private directory per learner, `$TMPDIR/lab-grade-<owner>-*` (`owner_tag`): `ipc/ipc-N/` (a
fresh one per kernel start: the kernel's connection file and its IPC sockets) and `disk/`, everything else the
kernel may write: `submission/` (private copies of the learner's notebooks, the kernel's working directory,
all copied before the first kernel starts), `tmp/`, `home/` and `shm/` (its /tmp, $HOME and /dev/shm). When the
grader runs as root, `disk/` is a tmpfs of `Limits.disk` bytes and `Limits.disk_files` inodes and `ipc/` one of
1 MiB, so the learner's writes are bounded in all by the Linux kernel itself (`disk_bounded`). A grader that
dies leaves these (and its cgroups) behind, named after it: `sweep_leftovers` removes them at the next start.
The grader never writes into a directory after a kernel could reach it, so a symlink planted there cannot
redirect the grader's writes.
`Sandbox.command(argv)` wraps a command so that it runs:
- in bubblewrap (`bwrap`), with every namespace unshared (no network, its own PIDs, no IPC with the
  host), all capabilities dropped, and a filesystem made only of the system directories, the Python
  installation and environment, and the grader's `lab_utils`, all read-only, a read-only /dev, plus the
  private `submission/`, /tmp, $HOME and /dev/shm from `disk/`, and the current `ipc-N/` (read-write).
  `solutions/`, the rest of the project, other learners' files, the instructor's home and the host's /etc
  are not there;
- without the lab's answers: `lab_utils/checks`, `lab_utils/reference.py` and `lab_utils/model.py` are
  replaced by the stand-ins of `withheld` (their compiled copies in `__pycache__` hidden too), so no
  judge, reference or reference model is there for a learner's function to call;
- under rlimits (data segment, file size, CPU time, open files) set by a tiny launcher before bwrap
  starts, and inherited by everything inside;
- in a fresh cgroup (pids.max, and a memory limit) when this process may create one (cgroup v1 or a
  delegated cgroup v2), which bounds fork bombs even as root (RLIMIT_NPROC counts per user and does
  not apply to root), and lets `kill()` reach every process, detached or not.

`--die-with-parent` kills the sandbox when the grader dies, and the PID namespace takes every process
in it down with its first one. Without bwrap (`enabled=False`), the same limits apply but the kernel
sees the machine as the grader does; `bwrap_available()` says which.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import lab_utils

BWRAP = "bwrap"
# How grading may run: "auto" sandboxes where bubblewrap works (else warns and runs without), "required"
# refuses to run without it, "off" never sandboxes (only for a learner grading their own notebooks).
SANDBOX_MODES = ("auto", "required", "off")
GiB = 1024**3
PREFIX = "lab-grade-"  # of every sandbox's directory and cgroup: "lab-grade-<owner tag>-..."
IPC_BYTES, IPC_FILES = 1024**2, 1000  # the small tmpfs of the kernels' connection files and sockets
HOME = "/home/learner"  # the sandbox's private $HOME (a tmpfs)
WORKDIR = "/submission"  # where the learner's copies appear inside the sandbox
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
WITHHELD_DIR = Path(__file__).resolve().parent / "withheld"
# Parts of lab_utils that compute exercises' answers -> what the kernel sees instead (see `withheld`).
WITHHELD = {
    "checks": WITHHELD_DIR / "checks",
    "reference.py": WITHHELD_DIR / "module.py",
    "model.py": WITHHELD_DIR / "module.py",
}
# The few host files that dynamic linking and time zones need; /etc/passwd and the rest stay hidden.
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/alternatives")

# Runs in `python -I -S` between the grader and bwrap: joins the cgroups, sets the rlimits, execs.
LAUNCHER = """
import json, os, resource, sys
spec = json.loads(sys.argv[1])
for procs in spec["cgroups"]:
    with open(procs, "w") as f:
        f.write(str(os.getpid()))
for name, value in spec["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (value, value))
os.execv(sys.argv[2], sys.argv[2:])
"""


@dataclass(frozen=True)
class Limits:
    """What one learner's kernel may use. TensorFlow reserves about 2 GiB of address space at import,
    so memory is limited by RLIMIT_DATA (and the cgroup), never RLIMIT_AS, which would break it."""

    memory: int = 4 * GiB  # bytes, RLIMIT_DATA and the cgroup's memory limit
    processes: int = 1024  # tasks (threads count: TensorFlow starts pools sized by the cores), cgroup pids.max
    file_size: int = 256 * 1024**2  # bytes, the largest file the kernel may write (RLIMIT_FSIZE)
    cpu_seconds: int = 3600  # CPU time of each process (RLIMIT_CPU): a backstop, wall-clock limits come first
    open_files: int = 4096  # RLIMIT_NOFILE
    disk: int = GiB  # bytes the kernel may write in all (submission copy, /tmp, $HOME): a tmpfs of this size
    disk_files: int = 10_000  # files and folders it may create there (the tmpfs's inodes)


def _bwrap_works(bwrap: str) -> bool:
    try:
        probe = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "true"]
        return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@cache
def bwrap_available() -> bool:
    """True when bubblewrap is installed and may create namespaces here (probed once per process)."""
    bwrap = shutil.which(BWRAP)
    return bwrap is not None and _bwrap_works(bwrap)


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
        for controller, path in _own_cgroups().items():
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
        pids = [int(p) for p in (directory / "cgroup.procs").read_text().split()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def _remove_cgroup_tree(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir():
            _remove_cgroup_tree(child)
    _kill_members(directory)
    for _ in range(50):  # the kernel frees a cgroup shortly after its last process is reaped
        try:
            directory.rmdir()
            return
        except OSError:
            time.sleep(0.05)


def _own_cgroups() -> dict[str, Path]:
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


def _start_time(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, /proc/<pid>/stat), or None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command's name


def owner_tag() -> str:
    """This process's "<pid>.<start time>": unique on this machine even once the PID is reused (not cached: a
    forked worker is an owner of its own)."""
    return f"{os.getpid()}.{_start_time(os.getpid())}"


def _owner_gone(name: str) -> bool:
    """Whether the grader named in "lab-grade-<pid>.<start time>-..." has exited (not this one, nor a live one)."""
    tag = name.removeprefix(PREFIX).split("-", 1)[0]
    pid, _, started = tag.partition(".")
    if not pid.isdigit() or not started:
        return False  # not one of ours
    return _start_time(int(pid)) != started


@cache
def sweep_leftovers() -> list[str]:
    """Remove what graders that died (SIGKILL, the OOM killer, a power cut of the process) left: their sandboxes'
    tmpfs mounts and directories (the learners' notebook copies) under the temporary directory, and their
    cgroups with any process still in them. Run once per process, before its first sandbox; returns what went."""
    removed = []
    for root in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        if root.lstat().st_uid == os.getuid() and root.is_dir() and not root.is_symlink() and _owner_gone(root.name):
            _remove_root(root)
            if not root.exists():
                removed.append(str(root))
    for path in _own_cgroups().values():
        for directory in path.glob(f"{PREFIX}*"):
            if _owner_gone(directory.name):
                Cgroup(None, (directory,)).remove()
                if not directory.exists():
                    removed.append(str(directory))
    return removed


def _lab_utils_root() -> Path:
    """The directory holding the grader's own `lab_utils` package (the kernel imports that one)."""
    return Path(lab_utils.__file__).resolve().parent.parent


class Sandbox:
    """One learner's sandbox: private directories, the cgroup, and the command line that enters it."""

    def __init__(self, limits: Limits, *, enabled: bool) -> None:
        self.limits, self.enabled = limits, enabled
        sweep_leftovers()
        # Short: IPC socket paths must fit in 107 bytes. The owner's tag lets a later grader remove it.
        self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{owner_tag()}-"))
        self.ipc: Path | None = None  # the current kernel's, see new_ipc_dir
        self.starts = 0
        self.disk = self.root / "disk"  # everything the kernel may write, see disk_bounded
        self.sockets = self.root / "ipc"  # the kernels' ipc-N directories
        self.disk.mkdir()
        self.sockets.mkdir()
        # + the few folders made here
        self.disk_bounded = _mount_tmpfs(self.disk, limits.disk, limits.disk_files + 8)
        self.disk_bounded &= _mount_tmpfs(self.sockets, IPC_BYTES, IPC_FILES)
        names = ("submission", "tmp", "home", "shm")
        self.submission, self.tmp, self.home, self.shm = (self.disk / name for name in names)
        for directory in (self.submission, self.tmp, self.home, self.shm):
            directory.mkdir()
        self.cgroup = Cgroup(limits)

    @property
    def workdir(self) -> str:
        """The kernel's working directory, as the kernel sees it."""
        return WORKDIR if self.enabled else str(self.submission)

    def add_copy(self, name: str, data: bytes) -> None:
        """Copy a learner's file into the submission; only before the first kernel starts (see above)."""
        fd = os.open(self.submission / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)

    def new_ipc_dir(self) -> Path:
        """A fresh directory for the next kernel's connection file and sockets, bound by `command`; the previous
        kernel's goes (it is dead: `Kernel.start` stops it first), so restarts do not fill the 1 MiB tmpfs."""
        if self.ipc is not None:
            shutil.rmtree(self.ipc, ignore_errors=True)  # never follows a link the old kernel planted
        self.starts += 1
        self.ipc = self.sockets / f"ipc-{self.starts}"
        self.ipc.mkdir()
        return self.ipc

    def environment(self) -> dict[str, str]:
        """The kernel's whole environment: nothing of the grader's but what Python needs."""
        return {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": HOME if self.enabled else str(self.home),
            "TMPDIR": "/tmp" if self.enabled else str(self.tmp),
            "USER": "learner",
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(_lab_utils_root()),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "MPLBACKEND": "agg",
            "OMP_NUM_THREADS": "1",  # one learner's kernel should not claim every core of a shared grader
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }

    def command(self, argv: list[str]) -> list[str]:
        """`argv` wrapped in the launcher (limits, cgroup) and, when enabled, in bubblewrap."""
        rlimits = {
            "RLIMIT_DATA": self.limits.memory,
            "RLIMIT_FSIZE": self.limits.file_size,
            "RLIMIT_CPU": self.limits.cpu_seconds,
            "RLIMIT_NOFILE": self.limits.open_files,
            "RLIMIT_CORE": 0,
        }
        if os.geteuid() != 0 and not self.cgroup.dirs:
            # Counts every process of this user, so the allowance comes on top of those running now.
            rlimits["RLIMIT_NPROC"] = _processes_of_this_user() + self.limits.processes
        spec = json.dumps({"cgroups": self.cgroup.procs_files, "rlimits": rlimits})
        inner = self._bwrap(argv) if self.enabled else argv
        return [sys.executable, "-I", "-S", "-c", LAUNCHER, spec, *inner]

    def _bwrap(self, argv: list[str]) -> list[str]:
        bwrap = shutil.which(BWRAP)
        assert bwrap is not None, "the caller checks bwrap_available() first"
        args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        if self.disk_bounded:
            args += [
                "--bind",
                str(self.tmp),
                "/tmp",
                "--bind",
                str(self.home),
                HOME,
                "--bind",
                str(self.shm),
                "/dev/shm",
            ]
        else:  # bubblewrap's own tmpfs, in memory (and the memory cgroup) rather than on the host's disk
            args += ["--tmpfs", "/tmp", "--tmpfs", HOME, "--tmpfs", "/dev/shm"]
        args += ["--remount-ro", "/dev"]  # bubblewrap's /dev is a tmpfs of its own: nothing is written there
        for path in SYSTEM_DIRS:
            if Path(path).is_symlink():
                args += ["--symlink", os.readlink(path), path]
            elif Path(path).is_dir():
                args += ["--ro-bind", path, path]
        for path in ETC_FILES:
            if Path(path).exists():
                args += ["--ro-bind", path, path]
        for path in _python_dirs():
            args += ["--ro-bind", path, path]
        package = _lab_utils_root() / "lab_utils"
        args += ["--ro-bind", str(package), str(package)]
        for name, stand_in in WITHHELD.items():
            args += ["--ro-bind", str(stand_in), str(package / name)]
        if (package / "__pycache__").is_dir():  # compiled copies of the withheld modules
            args += ["--tmpfs", str(package / "__pycache__"), "--remount-ro", str(package / "__pycache__")]
        args += ["--bind", str(self.submission), WORKDIR]
        if self.ipc is not None:
            args += ["--bind", str(self.ipc), str(self.ipc)]
        args += ["--chdir", WORKDIR, "--"]
        return args + argv

    def kill(self, process: subprocess.Popen | None) -> None:
        """End the sandbox's processes: its process group, then whatever is left in its cgroup."""
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.cgroup.kill_all()

    def close(self, process: subprocess.Popen | None) -> None:
        """Kill everything and remove the private directories and the cgroup."""
        self.kill(process)
        self.cgroup.remove()
        _remove_root(self.root)


def _remove_root(root: Path) -> None:
    """Unmount a sandbox's tmpfs (if mounted) and remove its directory."""
    for mounted in (root / "disk", root / "ipc"):
        if os.path.ismount(mounted):
            subprocess.run(["umount", "--lazy", str(mounted)], capture_output=True, timeout=60, check=False)
    shutil.rmtree(root, ignore_errors=True)


def _mount_tmpfs(directory: Path, size: int, inodes: int) -> bool:
    """Mount a tmpfs of `size` bytes and `inodes` inodes on `directory`; False when this process may not mount
    (not root). bubblewrap cannot bound a tmpfs's inodes, so the grader mounts it, and the Linux kernel refuses
    writes beyond it (ENOSPC), without any polling."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    options = f"size={size},nr_inodes={inodes},mode=0700"
    mount = ["mount", "-t", "tmpfs", "-o", options, "lab-grade", str(directory)]
    try:
        return subprocess.run(mount, capture_output=True, timeout=60, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _python_dirs() -> list[str]:
    """The Python installation and environment (sys.base_prefix may sit in the instructor's home)."""
    dirs = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    dirs |= {os.path.realpath(Path(sys.executable).parent.parent)}
    # A directory inside another is already there; binding it again would only add a mount.
    return sorted(d for d in dirs if not any(d != o and d.startswith(o + "/") for o in dirs) and d not in SYSTEM_DIRS)


def _processes_of_this_user() -> int:
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                count += 1
        except OSError:
            continue
    return count
