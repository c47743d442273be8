"""The grader's end of a kernel's sockets, read with a size limit on the whole message, not on one frame.

libzmq's own limit (`ZMQ_MAXMSGSIZE`) is per frame, and libzmq queues a multipart message whole before
handing it over: a kernel that sends one message of 34 frames of 60 MB made the grader hold 2 GB. So the
grader does not use libzmq for a kernel's channels. Each `Channel` is a plain Unix socket connected to one of
the kernel's `ipc://` endpoints, speaking ZeroMQ's wire protocol (ZMTP 3.0, NULL mechanism, as a SUB or a
DEALER socket: all the grader needs), and parsed frame by frame into one bounded buffer:
- a message whose frames add up to more than `MAX_MESSAGE` bytes is read through and thrown away as it
  arrives, never held, and counted in `dropped`;
- a channel that has thrown away more than `MAX_DROPPED` bytes (a kernel that keeps sending) is closed:
  `ChannelClosed`, after which the kernel is stopped.
So the grader holds at most `MAX_MESSAGE` + `CHUNK` bytes per channel, whatever the kernel sends. Signing,
serialising and parsing the Jupyter messages themselves stay jupyter_client's `Session`.
"""

from __future__ import annotations

import select
import socket
import struct
import time
from collections.abc import Callable

MAX_MESSAGE = 16 * 1024**2  # bytes in all frames of one message: a larger one is dropped
MAX_DROPPED = 256 * 1024**2  # bytes of dropped messages after which the channel (and the kernel) is stopped
CHUNK = 1024**2  # bytes read from the socket at a time
SEND_TIMEOUT = 10  # seconds: a kernel that stops reading its socket cannot hold the grader longer
MAX_COMMAND = 4096  # bytes: ZMTP commands (READY) are small
_MORE, _LONG, _COMMAND = 1, 2, 4
# ZMTP 3.0 greeting: signature, version 3.0, the NULL mechanism, not a server, filler (64 bytes in all).
GREETING = b"\xff" + bytes(8) + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\0") + b"\0" + bytes(31)
SUBSCRIBE_ALL = b"\x01"  # a SUB socket's subscription to every topic, as ZMTP 3.0 sends it


class ChannelClosed(Exception):
    """The channel is gone: the kernel closed it or broke the protocol."""


class Flooded(ChannelClosed):
    """The kernel kept sending messages over `MAX_MESSAGE`: more than `MAX_DROPPED` bytes of them."""


def _frame(body: bytes, flags: int) -> bytes:
    if len(body) > 255:
        return struct.pack(">BQ", flags | _LONG, len(body)) + body
    return struct.pack(">BB", flags, len(body)) + body


def _ready(socket_type: str) -> bytes:
    value = socket_type.encode()
    body = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", len(value)) + value
    return _frame(body, _COMMAND)


class Channel:
    """One connection to a kernel's socket at `path` (an `ipc://` endpoint without its scheme), as `socket_type`
    ("SUB" or "DEALER"); `send` a message's frames, `recv` the next whole message under the limits above."""

    def __init__(self, path: str, socket_type: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(SEND_TIMEOUT)
            self.sock.connect(path)  # OSError until the kernel has bound it: the caller retries
            self.sock.sendall(GREETING + _ready(socket_type))
            if socket_type == "SUB":
                self.sock.sendall(_frame(SUBSCRIBE_ALL, 0))
        except OSError:
            self.sock.close()
            raise
        self.buf = bytearray()  # received bytes not yet parsed
        self.greeted = False
        self.frames: list[bytes] = []  # the current message's frames so far
        self.total = 0  # bytes in the current message's frames so far
        self.skip = 0  # bytes of the current frame still to throw away
        self.skip_ends_message = False
        self.dropped = 0  # messages over MAX_MESSAGE thrown away
        self.dropped_bytes = 0

    def send(self, frames: list[bytes]) -> None:
        """Send one message; ChannelClosed when the kernel does not take it within SEND_TIMEOUT."""
        data = b"".join(_frame(f, _MORE if i < len(frames) - 1 else 0) for i, f in enumerate(frames))
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ChannelClosed(f"the kernel stopped reading its messages ({type(e).__name__})") from None

    def recv(self, timeout: float) -> list[bytes] | None:
        """The next whole message within `timeout` seconds (its frames), or None; ChannelClosed when gone."""
        deadline = time.monotonic() + timeout
        while True:
            message = self._next_message()
            if message is not None:
                return message
            left = deadline - time.monotonic()
            if left <= 0 or not self._fill(left):
                return None

    def close(self) -> None:
        self.sock.close()
        self.buf = bytearray()
        self.frames = []

    def _fill(self, timeout: float) -> bool:
        """Read what the socket has (at most CHUNK bytes, and no more of a dropped frame); False on a timeout."""
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return False
        try:
            data = self.sock.recv(min(self.skip, CHUNK) if self.skip else CHUNK)
        except OSError as e:
            raise ChannelClosed(f"the kernel's socket failed ({type(e).__name__})") from None
        if not data:
            raise ChannelClosed("the kernel closed its socket")
        self.buf += data
        return True

    def _next_message(self) -> list[bytes] | None:
        """Parse what is buffered: a whole message within MAX_MESSAGE, or None when more bytes are needed."""
        if not self.greeted and not self._read_greeting():
            return None
        while True:
            if self.skip:
                taken = min(self.skip, len(self.buf))
                del self.buf[:taken]
                self.skip -= taken
                if self.skip:
                    return None
                if self.skip_ends_message:
                    self._end_message()
                continue
            header = self._frame_header()
            if header is None:
                return None
            flags, size, length = header
            if flags & _COMMAND:  # READY, or anything else ZMTP may add: not a message
                if size > MAX_COMMAND:
                    raise ChannelClosed("the kernel broke ZeroMQ's protocol (an oversized command)")
                if len(self.buf) < length + size:
                    return None
                del self.buf[: length + size]
                continue
            if self.total + size > MAX_MESSAGE:  # this message is dropped: the rest of it is read and thrown away
                self._drop(size)
                del self.buf[:length]
                self.frames, self.total = [], MAX_MESSAGE + 1
                self.skip, self.skip_ends_message = size, not flags & _MORE
                if not size and self.skip_ends_message:
                    self._end_message()
                continue
            if len(self.buf) < length + size:
                return None
            self.frames.append(bytes(self.buf[length : length + size]))
            del self.buf[: length + size]
            self.total += size
            if not flags & _MORE:
                message = self.frames
                self.frames, self.total = [], 0
                return message

    def _read_greeting(self) -> bool:
        if len(self.buf) < len(GREETING):
            return False
        greeting = bytes(self.buf[: len(GREETING)])
        del self.buf[: len(GREETING)]
        if greeting[0] != 0xFF or not greeting[9] & 1 or greeting[10] < 3 or greeting[12:32].rstrip(b"\0") != b"NULL":
            raise ChannelClosed("the kernel's socket does not speak ZeroMQ's protocol")
        self.greeted = True
        return True

    def _frame_header(self) -> tuple[int, int, int] | None:
        """(flags, body size, header length) of the next frame, or None when its header is not all here."""
        if not self.buf:
            return None
        flags = self.buf[0]
        if flags & _LONG:
            if len(self.buf) < 9:
                return None
            return flags, struct.unpack_from(">Q", self.buf, 1)[0], 9
        if len(self.buf) < 2:
            return None
        return flags, self.buf[1], 2

    def _drop(self, size: int) -> None:
        if self.total <= MAX_MESSAGE:  # the first frame over the limit: count what was already taken of it
            self.dropped_bytes += self.total
        self.dropped_bytes += size
        if self.dropped_bytes > MAX_DROPPED:
            raise Flooded(
                f"the kernel kept sending messages over {MAX_MESSAGE // 1024**2} MB"
                f" ({self.dropped_bytes // 1024**2} MB dropped)"
            )

    def _end_message(self) -> None:
        self.dropped += 1
        self.frames, self.total, self.skip_ends_message = [], 0, False


def connect(path: str, socket_type: str, timeout: float, alive: Callable[[], bool]) -> Channel:
    """A Channel to `path`, retried until the kernel has bound it; OSError after `timeout` seconds or once `alive()`
    is False (the kernel exited)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Channel(path, socket_type)
        except OSError:
            if time.monotonic() > deadline or not alive():
                raise
            time.sleep(0.05)
