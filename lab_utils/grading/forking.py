"""The grader's side of the fork server: start it once per process, fork each learner's kernel from it.

`ForkServer.fork(run, sandbox)` sends one request to `lab_utils.observe.fork_server` (see there for what each
forked process does) and returns a `ForkedProcess`, once the learner's process has joined the sandbox's cgroups:
the learner process reports over a socket of its own, and its PID, as this process sees it, comes from that
message's credentials (SCM_CREDENTIALS), which the Linux kernel fills in and translates between PID namespaces.

One server serves every learner of this process (the threads of `LocalPool`, a Dask worker's threads), one
request at a time; it is started on first use, from a thread that lives as long as the process (bubblewrap's
--die-with-parent follows the thread that started it), and started again if it has died. It runs in bubblewrap
with the class's common view (`Sandbox.common_view`), in a user namespace where it holds CAP_SYS_ADMIN and
CAP_SETPCAP only, which every forked process drops before any learner code runs, and in cgroups of its own.
Where it cannot start (bubblewrap that may not create a user namespace with capabilities, such as a setuid
install), `ForkServerError` says why and grading starts each kernel afresh instead.
"""

from __future__ import annotations

import array
import atexit
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import Any

from lab_utils.errors import LabError
from lab_utils.grading.cgroups import PREFIX, Cgroup, owner_tag
from lab_utils.grading.sandbox import Limits, Process, Sandbox, sandboxed_environment, server_command

SERVER_MODULE = "lab_utils.observe.fork_server"
START_TIMEOUT = 180  # seconds for the server's imports on a loaded machine
FORK_TIMEOUT = 60  # seconds for one learner's process to set itself up and report
CAPABILITIES = ("CAP_SYS_ADMIN", "CAP_SETPCAP")  # to unshare and mount, and to empty the bounding set


class ForkServerError(LabError):
    """The fork server could not start or fork: kernels are started afresh instead."""


class ForkedProcess:
    """A learner's forked process tree, by the PID of its learner process here; `poll` and `wait` as on Popen. Its
    exit status comes over the socket it reported on (it is not this process's child); -9 when it was killed."""

    def __init__(self, pid: int, handshake: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._handshake = handshake

    def poll(self) -> int | None:
        return self.wait(0)

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit status once it has ended; None while it runs (and after `timeout` seconds, TimeoutExpired)."""
        if self.returncode is None and select.select([self._handshake], [], [], timeout)[0]:
            try:
                status = self._handshake.recv(1)
            except OSError:
                status = b""
            self.returncode = status[0] if status else -9
            self._handshake.close()
        if self.returncode is None and timeout:
            raise subprocess.TimeoutExpired(str(self.pid), timeout)
        return self.returncode

    def __del__(self) -> None:
        self._handshake.close()


class ForkServer:
    """The process's fork server (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.cgroup: Cgroup | None = None
        self.root: Path | None = None
        self.log: Path | None = None
        self.error: str | None = None  # why the server could not start, when it could not

    def fork(self, run: dict[str, Any], sandbox: Sandbox, outputs: tuple[int, int] | None = None) -> ForkedProcess:
        """A learner's process tree running `run` ({"kernel": connection info} or {"code": ..., "argv": [...]})
        in `sandbox`'s limits, cgroups and staged submission; `outputs`: its stdout and stderr (default /dev/null)."""
        request = {**run, **sandbox.fork_request()}
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self._start()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            ours.settimeout(FORK_TIMEOUT)
            staged = os.open(sandbox.submission, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                fds = [theirs.fileno(), staged, *(outputs or (devnull, devnull))]
                reply = self._ask(json.dumps(request).encode(), fds)
            finally:
                theirs.close()
                os.close(staged)
                os.close(devnull)
        try:
            pid = _sender_pid(ours)
            for procs in sandbox.cgroup.procs_files:
                Path(procs).write_text(str(pid))
            ours.sendall(b"g")
        except (OSError, ValueError) as e:
            ours.close()
            raise ForkServerError(f"the learner's process did not start ({reply.get('error', e)})") from None
        return ForkedProcess(pid, ours)

    def _ask(self, message: bytes, fds: list[int]) -> dict[str, Any]:
        assert self.control is not None
        try:
            socket.send_fds(self.control, [message], fds)
            return json.loads(self.control.recv(4096) or b"{}")
        except (OSError, ValueError) as e:
            raise ForkServerError(f"the fork server did not answer ({e})") from None

    def usable(self) -> bool:
        """Whether kernels can be forked here: the server is running, or starts now. When it cannot, says why in one
        line, once, and is not tried again."""
        with self.lock:
            if self.process is None and self.error is None:
                try:
                    self._start()
                except ForkServerError as e:
                    self.error = str(e)
                    print(f"grade: warning: {e}; each kernel is started afresh", file=sys.stderr)
            return self.error is None

    def _start(self) -> None:
        """Start the server (from a thread that lives as long as this process) and wait for its imports. Its cgroup
        has the default limits; it has no rlimits, which no forked process could raise again: each sets its own."""
        self.close()
        self.cgroup = Cgroup(Limits())
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{owner_tag()}-server-"))  # swept if this grader dies
        self.log = self.root / "log"
        argv = [sys.executable, "-m", SERVER_MODULE, str(theirs.fileno())]
        command = server_command(argv, self.cgroup, CAPABILITIES)
        started: list[subprocess.Popen | BaseException] = []
        ready = threading.Event()

        def keep() -> None:
            try:
                with open(self.log, "wb") as log:
                    process = subprocess.Popen(
                        command,
                        env=sandboxed_environment(),
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=log,
                        pass_fds=[theirs.fileno()],
                        start_new_session=True,
                    )
                started.append(process)
            except OSError as e:
                started.append(e)
                return
            finally:
                ready.set()
            process.wait()

        threading.Thread(target=keep, name="fork-server", daemon=True).start()
        ready.wait()
        theirs.close()
        if isinstance(started[0], BaseException):
            raise ForkServerError(f"the fork server could not start ({started[0]})")
        self.process, self.control = started[0], ours
        ours.settimeout(START_TIMEOUT)
        try:
            hello = json.loads(ours.recv(4096) or b"{}")
        except (OSError, ValueError):
            hello = {}
        ours.settimeout(FORK_TIMEOUT)
        if hello.get("threads") != 1:
            why = "it is not single-threaded" if hello else self._last_words()
            self.close()
            raise ForkServerError(f"the fork server did not start: {why}")

    def _last_words(self) -> str:
        lines = self.log.read_text(errors="replace").strip().splitlines() if self.log else []
        return lines[-1] if lines else "it exited"

    def close(self) -> None:
        """Stop the server (its forked processes die with it) and remove its cgroups."""
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None:
            try:
                os.killpg(self.process.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait()
            self.process = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = self.log = None


def _sender_pid(handshake: socket.socket) -> int:
    """The PID (in this process's namespace) of the process that sent the next message on `handshake`."""
    size = struct.calcsize("3i")
    message, ancillary, _, _ = handshake.recvmsg(1, socket.CMSG_SPACE(size))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and message == b"r":
            pid = array.array("i", data[:size])[0]
            if pid > 0:
                return pid
    raise ValueError("it exited before reporting")


def start(sandbox: Sandbox, run: dict[str, Any], outputs: tuple[int, int] | None = None) -> Process:
    """Start `run` in `sandbox` (see `Sandbox.start`): forked from this process's fork server when the sandbox is
    `forked`, else afresh."""
    if sandbox.forked:
        return fork_server().fork(run, sandbox, outputs)
    return sandbox.start(run, outputs)


@cache
def fork_server() -> ForkServer:
    """This process's fork server (started on its first fork); stopped, its cgroup and folder removed, at exit."""
    server = ForkServer()
    atexit.register(server.close)
    return server
