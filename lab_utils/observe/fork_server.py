"""The fork server: a warm parent, inside the class's sandbox, from which each learner's kernel is forked.

Importing TensorFlow, Keras and IPython is most of what grading a learner costs (about 3 CPU s of every kernel).
The grader starts this process once (`lab_utils.grading.forking`), in bubblewrap with the view every learner
shares: the system, the Python environment and `lab_utils` read-only, the answers withheld, no network. It
imports those libraries once, single-threaded, freezes its objects for the garbage collector, and makes itself
non-dumpable; it never imports the checks, the reference or a model, and runs no learner code.

For each request on its control socket (JSON, with the learner's staged notebooks as a directory descriptor and
the output descriptors), it forks the learner's own process tree:
- the learner process: a new session; its own mount, PID, network, IPC and UTS namespaces (so no abstract socket,
  SysV object, process or file of another learner or of this server is reachable); one tmpfs of the learner's
  size and inode caps holding /submission (the notebooks copied in from the staged directory), /tmp, $HOME and
  /dev/shm; and its own 1 MiB tmpfs at /run/ipc for the kernel's connection file and sockets, which the grader
  reaches through /proc/<pid>/root. It then reports to the grader over a socket whose credentials carry its PID,
  and waits there until the grader has put it in the learner's cgroups (memory, pids, CPU accounting);
- the learner's init (PID 1 of the new PID namespace): mounts a /proc of that namespace, sets the rlimits, drops
  every capability (bounding, ambient, effective, permitted, inheritable), sets no_new_privs, closes every
  descriptor but the outputs, and reaps orphans for as long as the kernel lives;
- the kernel (PID 2), dumpable again so that it behaves like any process, with the sandbox's environment, the
  random generators seeded afresh, and `/submission` as its working directory: an IPython kernel on the
  connection file, or (for tests) a Python program.
Each dies with its parent (PR_SET_PDEATHSIG), so nothing outlives the learner process, this server, or the grader.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import signal
import socket
import sys
import traceback
from pathlib import Path

DISK = "/run/learner"  # the learner's tmpfs; submission, tmp, home and shm are bound from it
IPC = "/run/ipc"  # the kernel's connection file and sockets
IPC_SIZE = "size=1048576,nr_inodes=1000"
WORKDIR, HOME = "/submission", "/home/learner"
LEARNER_FOLDERS = (("submission", WORKDIR), ("tmp", "/tmp"), ("home", HOME), ("shm", "/dev/shm"))  # in DISK -> at
HOST = "/run/host"  # where the common view stays visible while the learner's folders are mounted
PRELOADED = ("lab_utils.observe.lean_kernel", "numpy", "tensorflow", "keras", "ipykernel.kernelapp")
MAX_REQUEST = 1024**2

# From the Linux headers (sched.h, mount.h, prctl.h, capability.h): Python 3.11 has no os.unshare or mount.
NAMESPACES = 0x20000 | 0x20000000 | 0x40000000 | 0x8000000 | 0x4000000  # CLONE_NEW: NS, PID, NET, IPC, UTS
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 4, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CAPABILITY_VERSION_3 = 0x20080522
PROC_COVERED = ("sys", "sysrq-trigger", "irq", "bus")  # read-only in the learner's /proc, as bubblewrap leaves them

_libc = ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda s: None if s is None else s.encode()  # noqa: E731
    _call(_libc.mount(encode(source), target.encode(), encode(fstype), flags, encode(data)), f"mount {target}")


def _prctl(option: int, value: int, arg: int = 0) -> None:
    _call(_libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(arg), 0, 0), f"prctl {option}")


def _die_with_parent(parent: int) -> None:
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _drop_capabilities() -> None:
    """No capability left in any set, none to regain: the bounding set emptied, no_new_privs."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: two words each, all zero
    _call(_libc.capset(header, data), "capset")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def _learner_disk(request: dict, staged: int) -> None:
    """The learner's own namespaces and tmpfs, the staged notebooks copied in (see the module docstring)."""
    _call(_libc.unshare(NAMESPACES), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("lab-grade", DISK, "tmpfs", MS_NOSUID | MS_NODEV, f"size={request['disk']},nr_inodes={request['inodes']}")
    _mount("/", HOST, None, MS_BIND | MS_REC)  # the common view as it is, for what the learner's folders cover
    for name, target in LEARNER_FOLDERS:
        os.mkdir(f"{DISK}/{name}", 0o700)
        _mount(f"{DISK}/{name}", target, None, MS_BIND)
    for path in request["covered"]:  # a Python environment or lab_utils under /tmp (a CI checkout, a test's venv)
        os.makedirs(path, exist_ok=True)
        _mount(f"{HOST}{path}", path, None, MS_BIND | MS_REC)  # read-only, as bound in the common view
    _call(_libc.umount2(HOST.encode(), MNT_DETACH), f"umount {HOST}")
    for name in os.listdir(staged):  # written by the grader, never reachable by a kernel
        source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=staged)
        with open(source, "rb") as f, open(f"{WORKDIR}/{name}", "xb") as copy:
            copy.write(f.read())
    os.close(staged)
    _mount("lab-grade", IPC, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, IPC_SIZE)
    if "kernel" in request:
        with open(f"{IPC}/kernel.json", "x") as f:
            json.dump({**request["kernel"], "ip": f"{IPC}/k"}, f)


def _init(request: dict, outputs: tuple[int, int]) -> None:
    """PID 1 of the learner's namespace: /proc, limits, no capabilities; forks the kernel and reaps until it ends."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in PROC_COVERED:
        if os.path.exists(f"/proc/{name}"):
            _mount(f"/proc/{name}", f"/proc/{name}", None, MS_BIND | MS_REC)
            _mount(None, f"/proc/{name}", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name, value in request["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    _drop_capabilities()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd, target in ((devnull, 0), (outputs[0], 1), (outputs[1], 2)):
        os.dup2(fd, target)
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    kernel = os.fork()
    if kernel == 0:
        _die_with_parent(1)
        _run(request)
    while True:  # the init of a PID namespace adopts every orphan: reap them all, end with the kernel
        pid, status = os.wait()
        if pid == kernel:
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _run(request: dict) -> None:
    """The kernel, or a test's program, in a process that looks freshly started."""
    _prctl(PR_SET_DUMPABLE, 1)
    os.chdir(WORKDIR)
    os.environ.clear()
    os.environ.update(request["environment"])
    sys.modules["numpy"].random.seed()  # a fresh process's generators differ: the server's state is shared
    code = 0
    try:
        if "kernel" in request:
            from ipykernel.kernelapp import IPKernelApp

            sys.argv = ["ipykernel_launcher", "-f", f"{IPC}/kernel.json", "--HistoryManager.enabled=False"]
            IPKernelApp.launch_instance(argv=sys.argv[1:])
        else:
            sys.argv = ["-c", *request["argv"]]
            exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__"})
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _learner(request: dict, fds: list[int], server: int) -> None:
    """The forked learner process (see the module docstring); never returns."""
    handshake_fd, staged, *outputs = fds
    os.setsid()
    _die_with_parent(server)
    handshake = socket.socket(fileno=handshake_fd)
    _learner_disk(request, staged)
    handshake.sendall(b"r")  # the grader reads this process's PID from the message's credentials
    if handshake.recv(1) != b"g":  # "go": in the learner's cgroups now
        os._exit(1)
    init = os.fork()
    if init == 0:
        handshake.close()
        _die_with_parent(os.getppid())
        _init(request, (outputs[0], outputs[1]))
    for fd in outputs:
        os.close(fd)
    status = os.waitstatus_to_exitcode(os.waitpid(init, 0)[1]) & 0xFF
    handshake.sendall(bytes([status]))  # the grader cannot wait for a process that is not its child
    os._exit(status)


def _serve(control: socket.socket) -> None:
    while True:
        message, fds, _, _ = socket.recv_fds(control, MAX_REQUEST, 4)
        if not message:
            return  # the grader closed the socket: it is done
        try:
            request = json.loads(message)
            child = os.fork()
        except (ValueError, OSError) as e:
            control.send(json.dumps({"error": str(e)}).encode())
        else:
            if child == 0:
                control.close()
                try:
                    _learner(request, fds, os.getppid())
                except BaseException:
                    traceback.print_exc()
                os._exit(70)
            control.send(json.dumps({"pid": child}).encode())
        for fd in fds:
            os.close(fd)
        _reap()


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    _prctl(PR_SET_DUMPABLE, 0)  # no process of the same user may read this one's memory or descriptors
    for module in PRELOADED:
        __import__(module)
    __import__("lab_utils.observe.kernel_side")
    gc.collect()
    gc.freeze()  # the imported objects stay out of every child's garbage collections (and their pages shared)
    control.send(json.dumps({"threads": len(os.listdir("/proc/self/task"))}).encode())
    _serve(control)


if __name__ == "__main__":
    main()
