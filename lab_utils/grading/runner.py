"""The grading kernel: one IPython kernel per learner, started in its `Sandbox` (forked from the fork server where it
can be, see `forking`), that runs code with time limits.

The grader talks to the kernel over IPC sockets in a folder of that kernel's own (a fresh `ipc-N/` of the sandbox,
or a forked kernel's own tmpfs; the sandbox has no network), through `channels`: every message is bounded as a
whole (16 MB in all its frames; a larger one is dropped unread, and a kernel that keeps sending is stopped), so the
grader's memory does not depend on what a kernel sends. `Kernel.run(code, timeout)` executes one cell and keeps
only what grading needs: whether it raised (one line), and the last output of the grader's own MIME type, which the
judge decodes and validates (nothing else a cell prints is kept, so an output flood costs the grader nothing). A
cell that outlives its time limit is interrupted; one that ignores the interrupt has its kernel killed at once;
both it and one that kills its kernel report "dead", and the caller restarts the kernel. The kernel's process
tree, cgroup and private directories go with `close()`.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from jupyter_client.session import Session, new_id_bytes

from lab_utils.grading import forking
from lab_utils.grading.channels import Channel, ChannelClosed, Flooded, connect
from lab_utils.grading.sandbox import Process, Sandbox
from lab_utils.grading.text import one_line
from lab_utils.observe.wire import MIME

STARTUP_TIMEOUT = 120  # seconds for a kernel to answer its first request (a loaded machine is slow)
INTERRUPT_GRACE = 5  # seconds an interrupted cell gets to stop before the kernel counts as hung
CHANNELS = {"shell": "DEALER", "control": "DEALER", "iopub": "SUB"}  # stdin and heartbeat are not used
# The kernel's connection file but its address and key: each kernel has a folder of its own, so the ports (which
# for IPC only name the socket files) can be the same every time.
CONNECTION = {"transport": "ipc", "signature_scheme": "hmac-sha256", "kernel_name": ""}
CONNECTION |= {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}


class KernelStartError(Exception):
    """The kernel did not start or did not answer: the set-up failed."""


class _Malformed(Exception):
    """A message that jupyter_client's Session cannot read (the kernel holds the signing key: it may be garbage)."""


@dataclass
class CellRun:
    """What one cell did: status "ok" | "error" | "timeout" | "dead"; `error` is "Type: message"."""

    status: str
    error: str | None = None
    payload: str | None = None  # the last output of type MIME, undecoded
    output_bytes: int = 0
    reason: str = ""  # for "dead": why
    dropped: int = 0  # messages over MAX_MESSAGE that were thrown away unread


class Kernel:
    """A sandboxed IPython kernel; `start()` before `run()`, `close()` when the learner is graded."""

    def __init__(self, sandbox: Sandbox, startup_timeout: float = STARTUP_TIMEOUT) -> None:
        self.sandbox = sandbox
        self.startup_timeout = startup_timeout
        self.process: Process | None = None
        self.session: Session | None = None
        self.channels: dict[str, Channel] = {}
        self.starts = 0

    def start(self, timeout: float | None = None) -> None:
        """Start (or restart) the kernel; KernelStartError when it does not answer in `timeout` seconds (default:
        `startup_timeout`)."""
        timeout = self.startup_timeout if timeout is None else timeout
        self.stop()
        self.starts += 1
        key = new_id_bytes()  # not a secret from the kernel, which reads it: it only signs the messages
        try:
            self.process = forking.start(self.sandbox, {"kernel": {**CONNECTION, "key": key.decode()}})
        except (OSError, forking.ForkServerError) as e:
            raise KernelStartError(f"the grading kernel could not be started ({one_line(e)})") from None
        address = self.sandbox.kernel_address(self.process)
        self.session = Session(key=key, signature_scheme=CONNECTION["signature_scheme"])
        deadline = time.monotonic() + timeout
        while True:  # a connection made as the kernel starts may be closed by it: connect again, as libzmq would
            try:
                for name, kind in CHANNELS.items():
                    path = f"{address}-{CONNECTION[name + '_port']}"
                    self.channels[name] = connect(path, kind, max(deadline - time.monotonic(), 0), self.alive)
                self._wait_for_ready(deadline)
                return
            except (OSError, ChannelClosed, _Malformed) as e:
                self._close_channels()
                if not self.alive():
                    raise KernelStartError("the grading kernel exited as it started") from None
                if time.monotonic() > deadline:
                    raise KernelStartError(f"the grading kernel did not answer in {timeout:.0f} s ({e})") from None
                time.sleep(0.1)

    def _wait_for_ready(self, deadline: float) -> None:
        """Until the kernel answers a kernel_info_request and its iopub messages arrive (a subscription that is not
        yet in place loses them)."""
        while True:
            if not self.alive():
                raise ChannelClosed("the kernel exited")
            if time.monotonic() > deadline:
                raise ChannelClosed("no answer")
            request = self._send("shell", "kernel_info_request", {})
            if self._reply("shell", request, min(2, max(deadline - time.monotonic(), 0.01))) is not None:
                with contextlib.suppress(_Malformed):
                    if self._recv("iopub", 1) is not None:
                        self._discard_iopub()
                        return

    def _discard_iopub(self) -> None:
        with contextlib.suppress(_Malformed):
            while self._recv("iopub", 0.05) is not None:
                pass

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _send(self, channel: str, kind: str, content: dict) -> str:
        """Send a request; returns its msg_id."""
        assert self.session is not None, "start() first"
        message = self.session.msg(kind, content)
        self.channels[channel].send(self.session.serialize(message))
        return message["header"]["msg_id"]

    def _recv(self, channel: str, timeout: float) -> dict | None:
        """The next message on `channel` within `timeout` seconds, or None; _Malformed for one Session cannot read."""
        assert self.session is not None, "start() first"
        frames = self.channels[channel].recv(timeout)
        if frames is None:
            return None
        try:
            _, parts = self.session.feed_identities(frames)
            return self.session.deserialize(parts)
        except Exception:  # ValueError, a bad signature, JSON, a missing key: the kernel's, not the grader's
            raise _Malformed from None

    def _reply(self, channel: str, msg_id: str, timeout: float) -> dict | None:
        """The reply to `msg_id` on `channel` within `timeout` seconds, or None (other messages are skipped)."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(_Malformed):
            while time.monotonic() < deadline:
                reply = self._recv(channel, max(deadline - time.monotonic(), 0.01))
                if reply is not None and reply["parent_header"].get("msg_id") == msg_id:
                    return reply
        return None

    def run(self, code: str, timeout: float) -> CellRun:
        """Execute `code` as one cell, waiting at most `timeout` seconds before interrupting it."""
        if not self.channels:
            return CellRun(status="dead", reason="the kernel is not running")
        content = {"code": code, "silent": False, "store_history": False, "user_expressions": {}}
        content |= {"allow_stdin": False, "stop_on_error": False}
        dropped = self.channels["iopub"].dropped
        result = CellRun(status="ok")
        try:
            msg_id = self._send("shell", "execute_request", content)
            interrupted = self._follow(msg_id, timeout, result)
            if isinstance(interrupted, CellRun):
                return interrupted
            result.dropped = self.channels["iopub"].dropped - dropped
            self._read_replies(msg_id, interrupted)
        except ChannelClosed as e:  # a flood is stopped here; any other closed channel is a kernel that died
            self.sandbox.kill(self.process)
            reason = f"{one_line(e)}; it was stopped" if isinstance(e, Flooded) else "the kernel died"
            return CellRun(status="dead", reason=reason, output_bytes=result.output_bytes)
        except _Malformed:
            return CellRun(status="dead", reason="the kernel sent a malformed message")
        if interrupted:
            result.status = "timeout"
        elif result.error is not None:
            result.status = "error"
        return result

    def _read_replies(self, msg_id: str, interrupted: bool) -> None:
        """Read the cell's execute_reply (its content is in the iopub messages) and, when interrupted, the interrupt's
        reply; a kernel gone once the cell is over is found by the next cell, one that floods is stopped now."""
        try:
            self._reply("shell", msg_id, 1)
            if interrupted:
                self._reply("control", self.interrupt_id, INTERRUPT_GRACE)
        except Flooded:
            raise
        except ChannelClosed:
            pass

    def _follow(self, msg_id: str, timeout: float, result: CellRun) -> bool | CellRun:
        """Read the cell's iopub messages into `result` until it is idle: whether it had to be interrupted, or the
        CellRun of a dead kernel."""
        deadline = time.monotonic() + timeout
        interrupted = False
        while True:
            if not self.alive():
                return CellRun(status="dead", reason="the kernel died", output_bytes=result.output_bytes)
            if time.monotonic() > deadline:
                if interrupted:  # SIGINT ignored or caught: the kernel is killed, not left running
                    self.sandbox.kill(self.process)
                    reason = "the cell ignored the interrupt; the kernel was killed"
                    return CellRun(status="dead", reason=reason, output_bytes=result.output_bytes)
                # The reply, read after the cell, says the kernel has sent its SIGINT: a cell that ended on its own
                # just as it was interrupted must not have the late signal land in the next cell.
                self.interrupt_id = self._send("control", "interrupt_request", {})
                interrupted, deadline = True, time.monotonic() + INTERRUPT_GRACE
            msg = self._recv("iopub", 0.1)
            if msg is None:
                continue
            try:
                if self._read(msg, msg_id, result):
                    return interrupted
            except Exception:
                raise _Malformed from None

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
            if isinstance(text, str):
                result.payload = text
        return False

    def stop(self) -> None:
        """Kill the kernel and everything it started; the sandbox's directories stay for a restart."""
        self._close_channels()
        self.sandbox.kill(self.process)
        self.process = None

    def _close_channels(self) -> None:
        for channel in self.channels.values():
            channel.close()
        self.channels = {}

    def close(self) -> None:
        """Stop the kernel and remove the sandbox."""
        self.stop()
        self.sandbox.close(None)
