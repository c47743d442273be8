"""The grader's memory does not depend on what a kernel sends (lab_utils.grading.channels): one kernel message of
2 GB (34 frames of 60 MB, each under libzmq's per-frame limit) is sent by a learner's cell while the grader and
every kernel it starts run in a memory cgroup of 1 GiB; the learner graded next is graded in full, and the
grader's own peak memory stays under its stated bound. The cgroup, its limits and every process are the test's.
"""

import json
import os
import signal
import subprocess
import sys

import nbformat
import pytest

from lab_utils.checks import exercises_in
from lab_utils.grading.cgroups import Cgroup
from lab_utils.grading.channels import MAX_MESSAGE
from lab_utils.grading.sandbox import Limits, bwrap_available

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not installed here")

GiB, MiB = 1024**3, 1024**2
GRADER_PEAK_BOUND = 512 * MiB  # the grader's own resident memory, docs/grading.md "What the sandbox guarantees"
SEND_2GB = (
    "kernel = get_ipython().kernel\n"
    "kernel.session.send(kernel.iopub_socket, 'stream', {'name': 'stdout', 'text': 'x'},"
    " parent=kernel.get_parent(), buffers=[memoryview(bytearray(60 * 1024**2))] * 34)"
)
HONEST = (
    "import numpy as np",
    "def my_softmax(z):\n    ez = np.exp(z)\n    return ez / np.sum(ez)",
    "def stable_softmax(z):\n"
    "    z = np.asarray(z, dtype=np.float64)\n"
    "    ez = np.exp(z - np.max(z, axis=-1, keepdims=True))\n"
    "    return ez / np.sum(ez, axis=-1, keepdims=True)",
)
# Joins the cgroups named after the notebooks, grades the flooder then the honest learner, prints what it saw.
GRADER = """
import json, os, sys
flooder, honest, *cgroups = sys.argv[1:]
for procs in cgroups:
    with open(procs, "w") as f:
        f.write(str(os.getpid()))
from lab_utils.grading import GradeOptions, Limits, grade_submission
limits = Limits(memory=768 * 1024**2, processes=256, file_size=1024**2, cpu_seconds=300)
seen = {}
options = GradeOptions(seed=7, timeout=60, sandbox="required", limits=limits)
for learner_id, path in (("flooder", flooder), ("honest", honest)):
    result = grade_submission(learner_id, {"01_softmax": path}, options)
    seen[learner_id] = {"score": result.score, "notes": result.notebooks[0].notes}
# VmHWM, this program's own peak: getrusage's ru_maxrss keeps the peak of the process before exec, which under
# pytest-xdist is a worker that may have loaded TensorFlow.
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
seen["peak"] = int(status["VmHWM"].split()[0]) * 1024
print(json.dumps(seen))
"""


def write_notebook(path, cells):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells]), path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("messages")
    flooder = write_notebook(tmp / "flooder.ipynb", [SEND_2GB])
    honest = write_notebook(tmp / "honest.ipynb", HONEST)
    cgroup = Cgroup(Limits(memory=GiB, processes=1024))
    if not any("memory" in d.parts for d in cgroup.dirs):
        cgroup.remove()
        pytest.skip("no memory cgroup may be created here")
    argv = [sys.executable, "-c", GRADER, str(flooder), str(honest), *cgroup.procs_files]
    grader = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, _ = grader.communicate(timeout=600)
    finally:
        if grader.poll() is None:
            os.kill(grader.pid, signal.SIGKILL)
            grader.wait(timeout=30)
        cgroup.remove()
    assert grader.returncode == 0, "the grader died (the OOM killer, in a 1 GiB cgroup?)"
    return json.loads(out.splitlines()[-1])


def test_a_2gb_kernel_message_is_dropped_and_its_kernel_stopped(graded):
    notes = " ".join(graded["flooder"]["notes"])
    assert f"the kernel kept sending messages over {MAX_MESSAGE // MiB} MB" in notes
    assert graded["flooder"]["score"] == 0


def test_the_learner_graded_after_a_2gb_message_gets_full_marks(graded):
    assert graded["honest"]["score"] == sum(ex.points for ex in exercises_in("01_softmax"))


def test_the_graders_own_memory_stays_under_its_bound_with_a_2gb_message(graded):
    assert graded["peak"] < GRADER_PEAK_BOUND
