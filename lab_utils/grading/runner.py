"""The grading kernel: one IPython kernel per learner, started in its `Sandbox`, that runs code with time limits.

The grader talks to the kernel with jupyter_client over IPC sockets in a fresh `ipc-N/` directory of the sandbox
(the sandbox has no network). `Kernel.run(code, timeout)` executes one cell and keeps only what grading
needs: whether it raised (one line), and the last output of the grader's own MIME type, which the judge
decodes and validates (nothing else a cell prints is kept, so an output flood costs the grader nothing;
each message is capped in size by the sockets themselves). A cell that outlives its time limit is
interrupted; one that ignores the interrupt has its kernel killed at once; both it and one that kills its
kernel report "dead", and the caller restarts the kernel. The kernel's process tree, cgroup and private
directories go with `close()`.
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import zmq
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from lab_utils.grading.sandbox import Sandbox
from lab_utils.grading.text import one_line
from lab_utils.observe.wire import MIME

MAX_MESSAGE = 64 * 1024**2  # bytes: a larger message from the kernel drops its connection
MAX_KEPT = 16 * 1024**2  # bytes: a larger output of type MIME is not kept
STARTUP_TIMEOUT = 120  # seconds for a kernel to answer its first request (a loaded machine is slow)
INTERRUPT_GRACE = 5  # seconds an interrupted cell gets to stop before the kernel counts as hung


class KernelStartError(Exception):
    """The kernel did not start or did not answer: the set-up failed."""


class _CappedContext(zmq.Context):
    """A ZeroMQ context whose sockets refuse messages over MAX_MESSAGE (an output flood in one message)."""

    def socket(self, *args: Any, **kwargs: Any) -> zmq.Socket:
        sock = super().socket(*args, **kwargs)
        sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        return sock


@dataclass
class CellRun:
    """What one cell did: status "ok" | "error" | "timeout" | "dead"; `error` is "Type: message"."""

    status: str
    error: str | None = None
    payload: str | None = None  # the last output of type MIME, undecoded
    output_bytes: int = 0
    reason: str = ""  # for "dead": why


class Kernel:
    """A sandboxed IPython kernel; `start()` before `run()`, `close()` when the learner is graded."""

    def __init__(self, sandbox: Sandbox, startup_timeout: float = STARTUP_TIMEOUT) -> None:
        self.sandbox = sandbox
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.client: BlockingKernelClient | None = None
        self.starts = 0

    def start(self, timeout: float | None = None) -> None:
        """Start (or restart) the kernel; KernelStartError when it does not answer in `timeout` seconds (default:
        `startup_timeout`)."""
        timeout = self.startup_timeout if timeout is None else timeout
        self.stop()
        self.starts += 1
        ipc = self.sandbox.new_ipc_dir()
        connection = str(ipc / "kernel.json")
        write_connection_file(connection, transport="ipc", ip=str(ipc / "k"))
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", connection, "--HistoryManager.enabled=False"]
        self.process = subprocess.Popen(
            self.sandbox.command(argv),
            env=self.sandbox.environment(),
            cwd=str(self.sandbox.submission),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, killed as one
        )
        self.client = BlockingKernelClient(context=_CappedContext())
        self.client.load_connection_file(connection)
        self.client.start_channels(hb=False)  # liveness is the process itself, not a racy heartbeat
        # A message over MAX_MESSAGE drops the iopub connection for good: watch for it, not for a silent hang.
        self.dropped = self.client.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise KernelStartError("the grading kernel exited as it started")
            try:
                self.client.wait_for_ready(timeout=2)
                return
            except Exception:  # no answer yet (RuntimeError), or a malformed one
                if time.monotonic() > deadline:
                    raise KernelStartError(f"the grading kernel did not answer in {timeout:.0f} s") from None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def run(self, code: str, timeout: float) -> CellRun:
        """Execute `code` as one cell, waiting at most `timeout` seconds before interrupting it."""
        assert self.client is not None, "start() first"
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        result = CellRun(status="ok")
        deadline = time.monotonic() + timeout
        interrupted = False
        while True:
            if not self.alive():
                return CellRun(status="dead", reason="the kernel died", output_bytes=result.output_bytes)
            if self.dropped.poll(0):
                reason = f"the cell sent more than {MAX_MESSAGE // 1024**2} MB of output in one message"
                return CellRun(status="dead", reason=reason, output_bytes=result.output_bytes)
            if time.monotonic() > deadline:
                if interrupted:  # SIGINT ignored or caught: the kernel is killed, not left running
                    self.sandbox.kill(self.process)
                    reason = "the cell ignored the interrupt; the kernel was killed"
                    return CellRun(status="dead", reason=reason, output_bytes=result.output_bytes)
                self._interrupt()
                interrupted, deadline = True, time.monotonic() + INTERRUPT_GRACE
            try:
                msg = self.client.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                continue
            except Exception:  # the kernel holds the signing key: a signed message may still be garbage
                return CellRun(status="dead", reason="the kernel sent a malformed message")
            try:
                if self._read(msg, msg_id, result):
                    break
            except Exception:
                return CellRun(status="dead", reason="the kernel sent a malformed message")
        self._drain_shell(msg_id)
        if interrupted:
            self._await_interrupt_reply()
            result.status = "timeout"
        elif result.error is not None:
            result.status = "error"
        return result

    def _read(self, msg: dict, msg_id: str, result: CellRun) -> bool:
        """Keep what grading needs of one iopub message of the cell; True when the cell is done."""
        if msg["parent_header"].get("msg_id") != msg_id:
            return False
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            return content["execution_state"] == "idle"
        if kind == "stream":
            result.output_bytes += len(str(content.get("text", "")))
        elif kind == "error":
            result.error = one_line(f"{content.get('ename', '')}: {content.get('evalue', '')}")
        elif kind in ("display_data", "execute_result"):
            data = content["data"]
            text = data.get(MIME)
            result.output_bytes += sum(len(str(v)) for v in data.values())
            if isinstance(text, str) and len(text) <= MAX_KEPT:
                result.payload = text
        return False

    def _interrupt(self) -> None:
        assert self.client is not None
        request = self.client.session.msg("interrupt_request", {})
        self.interrupt_id = request["header"]["msg_id"]
        self.client.control_channel.send(request)

    def _await_interrupt_reply(self) -> None:
        """Wait until the kernel has sent its SIGINT: a cell that ended on its own just as it was interrupted must
        not have the late signal land in the next cell (a grading call would lose its answer)."""
        assert self.client is not None
        deadline = time.monotonic() + INTERRUPT_GRACE
        with contextlib.suppress(Exception):  # queue.Empty, or a malformed reply: the grace is over either way
            while time.monotonic() < deadline:
                reply = self.client.control_channel.get_msg(timeout=max(deadline - time.monotonic(), 0.01))
                if reply["parent_header"].get("msg_id") == self.interrupt_id:
                    return

    def _drain_shell(self, msg_id: str) -> None:
        """Read the cell's execute_reply off the shell channel (its content is in the iopub messages)."""
        assert self.client is not None
        with contextlib.suppress(Exception):  # queue.Empty, or a malformed reply: the iopub messages said it all
            while self.client.get_shell_msg(timeout=1)["parent_header"].get("msg_id") != msg_id:
                pass

    def stop(self) -> None:
        """Kill the kernel and everything it started; the sandbox's directories stay for a restart."""
        if self.client is not None:
            self.dropped.close(linger=0)
            self.client.stop_channels()
            self.client.context.destroy(linger=0)
            self.client = None
        self.sandbox.kill(self.process)
        self.process = None

    def close(self) -> None:
        """Stop the kernel and remove the sandbox."""
        self.stop()
        self.sandbox.close(None)
