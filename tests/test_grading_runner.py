"""The grading kernel (lab_utils.grading.runner): cells run with time limits in a sandboxed kernel, and only
what grading needs comes back. One kernel serves the module; a test that loses it starts a new one.
"""

import os
import signal
from pathlib import Path

import pytest

from lab_utils.grading.channels import MAX_DROPPED, MAX_MESSAGE
from lab_utils.grading.runner import Kernel
from lab_utils.grading.sandbox import Limits, Sandbox, bwrap_available
from lab_utils.observe.wire import MIME

LIMITS = Limits(memory=1024**3, processes=64, file_size=1024**2, cpu_seconds=120)
SHORT = 3  # seconds: the time limit of cells that are meant to overrun it
# A cell's own message on iopub, with binary buffers: each buffer is a frame of one message.
SEND_BUFFERS = (
    "kernel = get_ipython().kernel\n"
    "def send(buffers):\n"
    "    kernel.session.send(kernel.iopub_socket, 'stream', {'name': 'stdout', 'text': 'x'},"
    " parent=kernel.get_parent(), buffers=buffers)"
)


@pytest.fixture(scope="module")
def kernel():
    kernel = Kernel(Sandbox(LIMITS, enabled=bwrap_available()))
    kernel.start()
    yield kernel
    kernel.close()


@pytest.fixture
def live(kernel):
    if not kernel.alive():
        kernel.start()
    return kernel


def test_a_cell_that_runs_reports_ok(live):
    assert live.run("x = 1 + 1", 30).status == "ok"
    assert live.run("assert x == 2", 30).status == "ok"  # the namespace persists between cells


def test_a_cell_that_raises_reports_its_error_on_one_line(live):
    run = live.run("raise ValueError('bad\\ninput ' + 'x' * 1000)", 30)
    assert run.status == "error"
    assert run.error.startswith("ValueError: bad input xxx") and "\n" not in run.error
    assert len(run.error) <= 300


def test_only_the_graders_mime_output_is_kept(live):
    code = (
        "from IPython.display import display\n"
        "print('noise ' * 1000)\n"
        f"display({{{MIME!r}: 'first'}}, raw=True)\n"
        f"display({{{MIME!r}: 'answer', 'text/plain': 'ignored'}}, raw=True)"
    )
    run = live.run(code, 30)
    assert run.payload == "answer"
    assert run.output_bytes >= 6000  # counted, not kept


def test_a_cell_over_its_time_limit_is_interrupted_and_the_kernel_goes_on(live):
    run = live.run("import time\nwhile True:\n    time.sleep(0.01)", SHORT)
    assert run.status == "timeout"
    assert live.run("y = 3", 30).status == "ok"


def test_a_cell_that_ignores_the_interrupt_is_reported_dead_and_its_kernel_killed(live):
    run = live.run("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", SHORT)
    assert (run.status, run.reason) == ("dead", "the cell ignored the interrupt; the kernel was killed")
    assert not live.alive()


def test_one_output_message_over_the_limit_is_dropped_unread_and_the_kernel_goes_on(live):
    run = live.run(f"print('x' * {MAX_MESSAGE + 1024})", 30)
    assert (run.status, run.dropped, run.output_bytes) == ("ok", 1, 0)
    assert live.run("z = 4", 30).status == "ok"


def test_the_limit_counts_every_frame_of_a_message_not_one_frame(live):
    frames = MAX_MESSAGE // 3 + 1  # each frame well under the limit, the three together over it
    run = live.run(f"{SEND_BUFFERS}\nsend([memoryview(bytearray({frames}))] * 3)", 30)
    assert (run.status, run.dropped) == ("ok", 1)


def test_a_kernel_that_keeps_sending_messages_over_the_limit_is_stopped(live):
    frame = 60 * 1024**2
    run = live.run(f"{SEND_BUFFERS}\nsend([memoryview(bytearray({frame}))] * {MAX_DROPPED // frame + 2})", 60)
    assert run.status == "dead"
    assert run.reason.startswith(f"the kernel kept sending messages over {MAX_MESSAGE // 1024**2} MB")
    assert not live.alive()


def test_a_kernel_that_kills_itself_is_reported_dead(live):
    run = live.run("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", 30)
    assert run.status == "dead"


def test_close_ends_every_process_of_the_kernel(tmp_path):
    kernel = Kernel(Sandbox(LIMITS, enabled=bwrap_available()))
    kernel.start()
    marker = tmp_path / "started"
    # A detached grandchild in its own session: only the sandbox's PID namespace or cgroup reaches it.
    code = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True)\n"
        "import os; print(os.getpid())"
    )
    assert kernel.run(code, 30).status == "ok"
    pid = kernel.process.pid
    cgroups = list(kernel.sandbox.cgroup.dirs)
    kernel.close()
    assert not _running(pid)
    assert not kernel.sandbox.root.exists()
    assert not any(d.exists() for d in cgroups)
    assert not marker.exists()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIG_DFL)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"


def test_a_restart_replaces_the_previous_kernels_socket_folder(live):
    before = live.sandbox.ipc
    live.start()
    assert not before.exists()
    assert live.sandbox.ipc.is_dir() and live.run("w = 5", 30).status == "ok"
