"""Two learners forked from one fork server at the same time (lab_utils.grading.forking) share nothing: learner A
leaves secrets where a classmate might look (a file in /tmp, one in /dev/shm, an abstract socket) and waits; learner
B, started while A runs, tries to read, write and signal A and the server they were both forked from; then A checks
that its secrets are intact. Every process is ended by its sandbox; the limits are set here.
"""

import json
import os
import select
import time
from pathlib import Path

import pytest

from lab_utils.grading.forking import fork_server, start
from lab_utils.grading.sandbox import Limits, Sandbox, bwrap_available

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not installed here")

LIMITS = Limits(memory=2 * 1024**3, processes=64, file_size=1024**2, cpu_seconds=60, disk=16 * 1024**2)
SECRET = "ada's secret"

# Learner A: leaves its secrets, says where it is, waits for the test's go (a file the test writes into A's own /tmp
# through /proc/<pid>/root), then reports whether its secrets are still as it left them.
LEARNER_A = f"""
import json, os, socket, time, numpy as np
for path in ("/tmp/secret", "/dev/shm/secret", "/submission/secret"):
    open(path, "w").write({SECRET!r})
listener = socket.socket(socket.AF_UNIX)
listener.bind("\\0lab-isolation")
listener.listen()
print(json.dumps({{"ready": True, "random": np.random.random()}}), flush=True)
deadline = time.monotonic() + 120
while not os.path.exists("/tmp/go") and time.monotonic() < deadline:
    time.sleep(0.05)
intact = [open(p).read() == {SECRET!r} for p in ("/tmp/secret", "/dev/shm/secret", "/submission/secret")]
print(json.dumps({{"intact": intact}}))
"""

# Learner B: everything a classmate could try against A and the server, each attempt's outcome by name.
LEARNER_B = """
import json, os, signal, socket, numpy as np
seen = {"random": np.random.random()}
def attempt(name, action):
    try:
        seen[name] = action()
    except Exception as e:
        seen[name] = type(e).__name__
attempt("pids", lambda: sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
attempt("files", lambda: [os.path.exists(p) for p in ("/tmp/secret", "/dev/shm/secret", "/submission/secret")])
for path in ("/tmp/secret", "/dev/shm/secret", "/submission/secret"):
    open(path, "w").write("overwritten by a classmate")
def connect():
    s = socket.socket(socket.AF_UNIX)
    s.connect("\\0lab-isolation")
    return "connected"
attempt("abstract_socket", connect)
def bind():
    s = socket.socket(socket.AF_UNIX)
    s.bind("\\0lab-isolation")
    return "bound"
attempt("same_abstract_name", bind)
attempt("init_memory", lambda: len(open("/proc/1/mem", "rb").read(1)))
def others_memory():
    found = []
    for pid in range(3, 4 * 1024**2, 997):
        if os.path.exists(f"/proc/{pid}/mem") and pid != os.getpid():
            found.append(pid)
    return found
attempt("other_processes", others_memory)
attempt("kill_everyone", lambda: os.kill(-1, signal.SIGKILL) or "sent")
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
seen["capabilities"] = [int(status[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")]
seen["no_new_privs"] = int(status["NoNewPrivs"])
print(json.dumps(seen))
"""


def _lines(fd: int, count: int, seconds: float) -> list[dict]:
    """The first `count` JSON lines printed on `fd`, within `seconds`."""
    buffer, lines, deadline = b"", [], time.monotonic() + seconds
    while len(lines) < count and time.monotonic() < deadline:
        if select.select([fd], [], [], 1)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
            *done, buffer = buffer.split(b"\n")
            lines += [json.loads(line) for line in done if line.strip()]
    return lines


@pytest.fixture(scope="module")
def two_learners():
    """Learner A running while learner B does its worst; what each printed, and whether A outlived B."""
    if not fork_server().usable():
        pytest.skip(f"no fork server here: {fork_server().error}")
    a_sandbox, b_sandbox = Sandbox(LIMITS, enabled=True, forked=True), Sandbox(LIMITS, enabled=True, forked=True)
    a_read, a_write = os.pipe()
    b_read, b_write = os.pipe()
    a = b = None
    try:
        a = start(a_sandbox, {"code": LEARNER_A, "argv": []}, (a_write, a_write))
        os.close(a_write)
        ready = _lines(a_read, 1, 60)
        b = start(b_sandbox, {"code": LEARNER_B, "argv": []}, (b_write, b_write))
        os.close(b_write)
        attempts = _lines(b_read, 1, 120)
        b_status = b.wait(timeout=60)
        a_alive = a.poll() is None
        # A's own /tmp, reached from outside as the grader reaches its sockets.
        a_pids = [p for d in a_sandbox.cgroup.dirs for p in (d / "cgroup.procs").read_text().split()]
        for pid in a_pids:
            Path(f"/proc/{pid}/root/tmp/go").touch()
        verdict = _lines(a_read, 1, 60)
        yield {"ready": ready, "attempts": attempts, "b_status": b_status, "a_alive": a_alive, "verdict": verdict}
    finally:
        for fd in (a_read, b_read):
            os.close(fd)
        a_sandbox.close(a)
        b_sandbox.close(b)


def test_the_classmate_ran_and_the_learner_outlived_it(two_learners):
    assert two_learners["ready"] and two_learners["ready"][0]["ready"]
    assert len(two_learners["attempts"]) == 1 and two_learners["b_status"] == 0
    assert two_learners["a_alive"]


def test_a_learner_sees_only_its_own_init_and_itself_in_proc(two_learners):
    assert two_learners["attempts"][0]["pids"] == [1, 2]
    assert two_learners["attempts"][0]["other_processes"] == []


def test_a_classmates_files_are_not_there_and_writing_the_same_paths_changes_nothing_of_theirs(two_learners):
    assert two_learners["attempts"][0]["files"] == [False, False, False]
    assert two_learners["verdict"] == [{"intact": [True, True, True]}]


def test_a_classmates_abstract_socket_cannot_be_reached_and_its_name_is_free(two_learners):
    assert two_learners["attempts"][0]["abstract_socket"] == "ConnectionRefusedError"
    assert two_learners["attempts"][0]["same_abstract_name"] == "bound"


def test_the_memory_of_the_forked_init_cannot_be_read(two_learners):
    assert two_learners["attempts"][0]["init_memory"] == "PermissionError"


def test_signalling_every_process_it_can_reaches_no_classmate(two_learners):
    assert two_learners["attempts"][0]["kill_everyone"] == "ProcessLookupError"  # no process to signal
    assert two_learners["a_alive"]


def test_no_capability_is_left_and_none_can_be_regained(two_learners):
    assert two_learners["attempts"][0]["capabilities"] == [0, 0, 0, 0, 0]
    assert two_learners["attempts"][0]["no_new_privs"] == 1


def test_each_forked_learner_draws_its_own_random_numbers(two_learners):
    assert two_learners["ready"][0]["random"] != two_learners["attempts"][0]["random"]
