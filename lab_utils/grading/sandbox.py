"""The sandbox around a grading kernel: a bubblewrap command line, resource limits, and a process-tree kill.

`Sandbox` owns one private directory per learner, `$TMPDIR/lab-grade-<owner>-*` (`owner_tag`): `ipc/ipc-N/` (a
fresh one per kernel start: the kernel's connection file and its IPC sockets) and `disk/`, everything else the
kernel may write: `submission/` (private copies of the learner's notebooks, the kernel's working directory,
all copied before the first kernel starts), `tmp/`, `home/` and `shm/` (its /tmp, $HOME and /dev/shm). When the
grader runs as root, `disk/` is a tmpfs of `Limits.disk` bytes and `Limits.disk_files` inodes and `ipc/` one of
1 MiB, so the learner's writes are bounded in all by the Linux kernel itself (`disk_bounded`). A grader that
dies leaves these (and its cgroups) behind, named after it: `sweep_leftovers` removes them at the next start.
The grader never writes into a directory after a kernel could reach it, so a symlink planted there cannot
redirect the grader's writes. A `forked` sandbox keeps only `submission/` here, the copies its forked process
takes in: that process mounts its own capped folders, whoever runs the grader (`lab_utils.observe.fork_server`).
`Sandbox.command(argv)` wraps a command so that it runs afresh:
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

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import lab_utils
from lab_utils.grading.cgroups import PREFIX, Cgroup, own_cgroups, owner_tag, start_time
from lab_utils.observe.fork_server import DISK as FORKED_DISK
from lab_utils.observe.fork_server import (  # the sandbox's private $HOME, the learner's copies
    HOME,
    LEARNER_FOLDERS,
    WORKDIR,
)
from lab_utils.observe.fork_server import HOST as FORKED_HOST
from lab_utils.observe.fork_server import IPC as FORKED_IPC

BWRAP = "bwrap"
# How grading may run: "auto" sandboxes where bubblewrap works (else warns and runs without), "required"
# refuses to run without it, "off" never sandboxes (only for a learner grading their own notebooks).
SANDBOX_MODES = ("auto", "required", "off")
GiB = 1024**3
IPC_BYTES, IPC_FILES = 1024**2, 1000  # the small tmpfs of the kernels' connection files and sockets
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


class Process(Protocol):
    """A process started in a sandbox: a `subprocess.Popen`, or a `forking.ForkedProcess`."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int | None: ...


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


def _owner_gone(name: str) -> bool:
    """Whether the grader named in "lab-grade-<pid>.<start time>-..." has exited (not this one, nor a live one)."""
    tag = name.removeprefix(PREFIX).split("-", 1)[0]
    pid, _, started = tag.partition(".")
    if not pid.isdigit() or not started:
        return False  # not one of ours
    return start_time(int(pid)) != started


_SWEEPING = threading.Lock()


@cache
def sweep_leftovers() -> list[str]:
    """Remove what graders that died (SIGKILL, the OOM killer, a power cut of the process) left: their sandboxes'
    tmpfs mounts and directories (the learners' notebook copies) under the temporary directory, and their
    cgroups with any process still in them. Run once per process, before its first sandbox (its threads wait for the
    first sweep: two at once would remove the same folders under each other); returns what went."""
    removed = []
    with _SWEEPING:
        for root in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):  # another grader starting now may sweep it first
                if (
                    root.lstat().st_uid == os.getuid()
                    and root.is_dir()
                    and not root.is_symlink()
                    and _owner_gone(root.name)
                ):
                    _remove_root(root)
                    if not root.exists():
                        removed.append(str(root))
        for path in own_cgroups().values():
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
    """One learner's sandbox: private directories, the cgroup, and how a process is started in it: forked from the
    fork server (`forked`, see `forking`), or started afresh through `command`."""

    def __init__(self, limits: Limits, *, enabled: bool, forked: bool = False) -> None:
        self.limits, self.enabled, self.forked = limits, enabled, enabled and forked
        sweep_leftovers()
        # Short: IPC socket paths must fit in 107 bytes. The owner's tag lets a later grader remove it.
        self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{owner_tag()}-"))
        self.ipc: Path | None = None  # the current kernel's, see new_ipc_dir
        self.starts = 0
        self.disk = self.root / "disk"  # everything the kernel may write, see disk_bounded
        self.sockets = self.root / "ipc"  # the kernels' ipc-N directories
        names = ("submission", "tmp", "home", "shm")
        self.submission, self.tmp, self.home, self.shm = (self.disk / name for name in names)
        self.disk.mkdir()
        if self.forked:  # each forked process mounts its own capped folders: here only the copies it takes in
            self.disk_bounded = True
            self.submission.mkdir()
        else:  # + the few folders made here
            self.sockets.mkdir()
            self.disk_bounded = _mount_tmpfs(self.disk, limits.disk, limits.disk_files + 8)
            self.disk_bounded &= _mount_tmpfs(self.sockets, IPC_BYTES, IPC_FILES)
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
        return sandboxed_environment() if self.enabled else _environment(str(self.home), str(self.tmp))

    def start(self, run: dict[str, Any], outputs: tuple[int, int] | None = None) -> Process:
        """Start `run` afresh in the sandbox (`forking.start` forks it where `forked`): {"kernel": connection info
        without "ip"} (an IPython kernel) or {"code": ..., "argv": [...]} (a Python program, for tests); `outputs`
        are its stdout and stderr (default: discarded)."""
        if "kernel" in run:
            ipc = self.new_ipc_dir()
            (ipc / "kernel.json").write_text(json.dumps({**run["kernel"], "ip": str(ipc / "k")}))
            argv = [sys.executable, "-m", "ipykernel_launcher", "-f", str(ipc / "kernel.json")]
            argv.append("--HistoryManager.enabled=False")
        else:
            argv = [sys.executable, "-c", run["code"], *run["argv"]]
        stdout, stderr = outputs or (subprocess.DEVNULL, subprocess.DEVNULL)
        return subprocess.Popen(
            self.command(argv),
            env=self.environment(),
            cwd=str(self.submission),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # its own process group, killed as one
        )

    def kernel_address(self, process: Process) -> str:
        """Where the kernel started by `start` has its sockets ("<address>-<port>"), as the grader reaches them."""
        if self.forked:  # the forked process's own tmpfs, seen through its mount namespace
            return f"/proc/{process.pid}/root{FORKED_IPC}/k"
        assert self.ipc is not None
        return str(self.ipc / "k")

    def rlimits(self) -> dict[str, int]:
        """The resource limits of every process in the sandbox, by `resource` name."""
        return _rlimits(self.limits, self.cgroup)

    def fork_request(self) -> dict[str, Any]:
        """What the fork server needs of this sandbox to set up a forked process (see `forking`)."""
        disk = {"disk": self.limits.disk, "inodes": self.limits.disk_files + 8, "covered": _covered_by_learner()}
        return {**disk, "rlimits": self.rlimits(), "environment": self.environment()}

    def command(self, argv: list[str]) -> list[str]:
        """`argv` wrapped in the launcher (limits, cgroup) and, when enabled, in bubblewrap."""
        inner = self._bwrap(argv) if self.enabled else argv
        return _launcher(inner, self.cgroup, self.rlimits())

    def _bwrap(self, argv: list[str]) -> list[str]:
        args = _bwrap_base() + ["--cap-drop", "ALL"]
        if self.disk_bounded:
            args += ["--bind", str(self.tmp), "/tmp", "--bind", str(self.home), HOME]
            args += ["--bind", str(self.shm), "/dev/shm"]
        else:  # bubblewrap's own tmpfs, in memory (and the memory cgroup) rather than on the host's disk
            args += ["--tmpfs", "/tmp", "--tmpfs", HOME, "--tmpfs", "/dev/shm"]
        args += common_view()
        args += ["--bind", str(self.submission), WORKDIR]
        if self.ipc is not None:
            args += ["--bind", str(self.ipc), str(self.ipc)]
        args += ["--chdir", WORKDIR, "--"]
        return args + argv

    def kill(self, process: Process | None) -> None:
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

    def close(self, process: Process | None) -> None:
        """Kill everything and remove the private directories and the cgroup."""
        self.kill(process)
        self.cgroup.remove()
        _remove_root(self.root)


def sandboxed_environment() -> dict[str, str]:
    """The environment of every process in bubblewrap (see `Sandbox.environment`)."""
    return _environment(HOME, "/tmp")


def _environment(home: str, tmp: str) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "USER": "learner",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(_lab_utils_root()),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MPLBACKEND": "agg",
        "OMP_NUM_THREADS": "1",  # one learner's kernel should not claim every core of a shared grader
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def _rlimits(limits: Limits, cgroup: Cgroup) -> dict[str, int]:
    rlimits = {
        "RLIMIT_DATA": limits.memory,
        "RLIMIT_FSIZE": limits.file_size,
        "RLIMIT_CPU": limits.cpu_seconds,
        "RLIMIT_NOFILE": limits.open_files,
        "RLIMIT_CORE": 0,
    }
    if os.geteuid() != 0 and not cgroup.dirs:
        # Counts every process of this user, so the allowance comes on top of those running now.
        rlimits["RLIMIT_NPROC"] = _processes_of_this_user() + limits.processes
    return rlimits


def _launcher(argv: list[str], cgroup: Cgroup, rlimits: dict[str, int]) -> list[str]:
    spec = json.dumps({"cgroups": cgroup.procs_files, "rlimits": rlimits})
    return [sys.executable, "-I", "-S", "-c", LAUNCHER, spec, *argv]


def _bwrap_base() -> list[str]:
    bwrap = shutil.which(BWRAP)
    assert bwrap is not None, "the caller checks bwrap_available() first"
    return [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev"]


def common_view() -> list[str]:
    """bubblewrap's arguments for what every learner sees alike: the system, the Python installation and
    environment and the grader's `lab_utils`, all read-only, with the answers withheld, and a read-only /dev."""
    args = ["--remount-ro", "/dev"]  # bubblewrap's /dev is a tmpfs of its own: nothing is written there
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
    return args


def _covered_by_learner() -> list[str]:
    """The read-only folders of `common_view` that lie under a folder of the learner's own (a checkout or an
    environment under /tmp): a forked process binds them again over its own folder."""
    bound = [*_python_dirs(), str(_lab_utils_root() / "lab_utils")]
    folders = [target for _, target in LEARNER_FOLDERS]
    return [path for path in bound if any(path.startswith(folder + "/") for folder in folders)]


def server_command(argv: list[str], cgroup: Cgroup, capabilities: tuple[str, ...]) -> list[str]:
    """`argv` as the fork server: in bubblewrap with `common_view`, the mount points of every forked process's
    own folders, a /tmp and $HOME of its own, and `capabilities` in a user namespace of its own; in `cgroup`."""
    args = _bwrap_base() + ["--unshare-user"]
    for capability in capabilities:
        args += ["--cap-add", capability]
    args += ["--tmpfs", "/tmp", "--tmpfs", HOME, "--dir", WORKDIR]
    args += ["--dir", FORKED_DISK, "--dir", FORKED_IPC, "--dir", FORKED_HOST]
    args += common_view() + ["--chdir", "/", "--"]
    return _launcher(args + argv, cgroup, {"RLIMIT_CORE": 0})


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
