"""The grader's bounded reader of a kernel's sockets (lab_utils.grading.channels), against a fake kernel: a Unix
socket listener started by the test that writes ZeroMQ's wire format byte for byte, from a thread that the test
joins. Whole messages arrive intact, a message over the limit is dropped as a whole and the next one arrives,
and whatever bytes come, the reader returns messages or says the channel is closed: nothing else.
"""

import socket
import struct
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab_utils.grading.channels import MAX_DROPPED, MAX_MESSAGE, ChannelClosed, Flooded, connect

PEER_GREETING = b"\xff" + bytes(8) + b"\x7f" + b"\x03\x01" + b"NULL".ljust(20, b"\0") + b"\0" + bytes(31)
READY = b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB"


def frames(*parts: bytes) -> bytes:
    """One message in ZMTP: each part a frame, all but the last flagged MORE, long sizes over 255 bytes."""
    out = b""
    for i, part in enumerate(parts):
        more = 1 if i < len(parts) - 1 else 0
        out += struct.pack(">BQ", more | 2, len(part)) if len(part) > 255 else struct.pack(">BB", more, len(part))
        out += part
    return out


class FakeKernel:
    """Listens at `path`; once the reader has connected and greeted, sends `data` (bytes, or a list of chunks) and
    ends the stream (unless `close` is False)."""

    def __init__(self, path: Path, data, close: bool = True) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(1)
        self.data, self.close = data, close
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self) -> None:
        self.peer = peer = self.listener.accept()[0]
        try:
            received = b""
            while len(received) < len(PEER_GREETING):  # the reader's greeting, read so that no reset cuts it off
                received += peer.recv(4096)
            for chunk in self.data if isinstance(self.data, list) else [self.data]:
                peer.sendall(chunk)
            if self.close:
                peer.shutdown(socket.SHUT_WR)  # the end of the stream, as a kernel that exits
        except OSError:
            pass  # the reader stopped reading: what it does then is the test's question

    def join(self) -> None:
        self.thread.join(timeout=60)
        self.peer.close()
        self.listener.close()


def read_all(path: Path, data, limit: int = 50) -> tuple[list, str | None, int]:
    """(messages, the ChannelClosed subclass name or None, messages dropped) of reading `data` to its end."""
    kernel = FakeKernel(path, data)
    channel = connect(str(path), "SUB", 10, lambda: True)
    messages, closed = [], None
    try:
        for _ in range(limit):
            message = channel.recv(10)
            if message is None:
                break
            messages.append(message)
    except ChannelClosed as e:
        closed = type(e).__name__
    finally:
        dropped = channel.dropped
        channel.close()
        kernel.join()
    return messages, closed, dropped


@pytest.fixture
def path(tmp_path):
    return tmp_path / "k-1"


def test_whole_messages_arrive_intact_with_empty_and_long_frames(path):
    sent = [[b"topic", b"", b"x" * 300], [b"y" * 70_000]]
    messages, closed, dropped = read_all(path, PEER_GREETING + READY + b"".join(frames(*m) for m in sent))
    assert messages == sent
    assert (closed, dropped) == ("ChannelClosed", 0)  # the fake kernel closed its end


def test_a_message_over_the_limit_in_many_small_frames_is_dropped_whole_and_the_next_arrives(path):
    small = b"z" * (MAX_MESSAGE // 4 + 1)
    data = [PEER_GREETING + READY, frames(small, small, small, small), frames(b"after")]
    messages, _, dropped = read_all(path, data)
    assert messages == [[b"after"]]
    assert dropped == 1


def test_a_kernel_that_keeps_sending_messages_over_the_limit_is_closed_as_a_flood(path):
    big = b"w" * (MAX_MESSAGE + 1)
    data = [PEER_GREETING + READY] + [frames(big)] * (MAX_DROPPED // len(big) + 2)
    messages, closed, _ = read_all(path, data)
    assert (messages, closed) == ([], "Flooded")
    assert issubclass(Flooded, ChannelClosed)


def test_a_peer_that_does_not_speak_zeromq_is_refused(path):
    messages, closed, _ = read_all(path, b"HTTP/1.1 200 OK\r\n" * 8)
    assert (messages, closed) == ([], "ChannelClosed")


def test_a_kernel_that_sends_nothing_yields_no_message_within_the_timeout(path):
    kernel = FakeKernel(path, PEER_GREETING + READY, close=False)
    channel = connect(str(path), "DEALER", 10, lambda: True)
    try:
        assert channel.recv(0.2) is None
    finally:
        channel.close()
        kernel.join()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tail=st.binary(max_size=4096))
def test_any_bytes_give_messages_or_a_closed_channel_never_another_error(tmp_path, tail):
    path = tmp_path / f"k-{abs(hash(tail))}"
    messages, closed, _ = read_all(path, PEER_GREETING + READY + tail)
    assert closed in ("ChannelClosed", "Flooded", None)
    assert sum(len(frame) for message in messages for frame in message) <= len(tail)
