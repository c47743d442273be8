"""Hostile submissions graded end to end (lab_utils.grading.grade_submission), in the sandbox.

A batch of four learners is graded once for the module, in this order: two forgers (forged checks, lying
objects, forged grader output through IPython hooks and an input transformer, or through a fake
`lab_utils.grading` package, a patched `importlib.reload` and the old result MIME type), an escaper
(leaks, writes and deletes outside, symlinks planted for the grader, network, a detached process, a fork
bomb, memory, an output flood, killing its parent) and an honest learner, graded last, after the others
did their worst. Each test reads one fact off that batch: 0 undeserved points, nothing written outside
the submission, no process left behind, the honest learner graded. The limits are the test's own
(small), and every process is ended by the sandbox.
"""

import json
import socket
import threading
import uuid
from pathlib import Path

import nbformat
import pytest

import lab_utils
from lab_utils.checks import exercises_in
from lab_utils.grading import GradeOptions, Limits, grade_submission
from lab_utils.grading.results import PASSED
from lab_utils.grading.sandbox import bwrap_available
from lab_utils.observe.wire import MIME

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not installed here")

ROOT = Path(lab_utils.__file__).resolve().parents[1]
LIMITS = Limits(memory=1024**3, processes=64, file_size=16 * 1024**2, cpu_seconds=300)
TIMEOUT = 20  # seconds per cell
SOFTMAX_POINTS = sum(ex.points for ex in exercises_in("01_softmax"))

HONEST = (
    "import numpy as np",
    "def my_softmax(z):\n    ez = np.exp(z)\n    return ez / np.sum(ez)",
    "def stable_softmax(z):\n"
    "    z = np.asarray(z, dtype=np.float64)\n"
    "    ez = np.exp(z - np.max(z, axis=-1, keepdims=True))\n"
    "    return ez / np.sum(ez, axis=-1, keepdims=True)",
)

# The uniform distribution, claimed for every case of the grading cell it reads the cases from.
FORGE = f"""
import ast
import numpy as np
from IPython import get_ipython
from IPython.display import display
from lab_utils.observe import wire

def forged_answer(raw):
    if not raw.startswith("__import__('lab_utils.observe.kernel_side'"):  # only the grader's cells
        return None
    payload = wire.decode(ast.literal_eval(raw[raw.index("globals(), ") + 11 : raw.rindex(")")]))
    obs = []
    for label, args, probe in payload["cases"]:
        z = np.asarray(args[0], dtype=float)
        value = np.full(z.shape, 1.0 / z.shape[-1])
        claim = {{"status": "returned", "type": "numpy.ndarray", "value": value, "is_array": True}}
        obs.append({{**claim, "mutated": False}})
    return wire.encode({{"observations": obs}})

def hook(result):
    text = forged_answer(result.info.raw_cell)
    if text:
        display({{{MIME!r}: text}}, raw=True)
        raise KeyboardInterrupt

def transformer(lines):
    text = forged_answer("".join(lines))
    return [f"display({{{{{MIME!r}: {{text!r}}}}}}, raw=True)\\n"] if text else lines

get_ipython().events.register("post_run_cell", hook)
get_ipython().input_transformers_post.append(transformer)
"""
FAKE_PACKAGE = f"""
import importlib, os, sys
import lab_utils
importlib.reload = lambda module: module
os.makedirs("/tmp/fake/observe", exist_ok=True)
open("/tmp/fake/observe/__init__.py", "w").write("")
open("/tmp/fake/observe/kernel_side.py", "w").write(
    "from IPython.display import display\\n"
    "def observe_all(namespace, payload):\\n"
    "    display({{{MIME!r}: '{{\\"observations\\": [], \\"bonus\\": 10000}}'}}, raw=True)\\n"
)
lab_utils.__path__.insert(0, "/tmp/fake")
for name in [m for m in sys.modules if m.startswith("lab_utils.observe")]:
    del sys.modules[name]
from IPython.display import display
display({{"application/vnd.lab-grade+json": {{"exercises": [{{"function": "bonus", "points": 10000}}]}}}}, raw=True)
"""
FORGED_CHECKS = """
import builtins, inspect
import numpy
import lab_utils.observe.kernel_side as kernel_side
numpy.allclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
builtins.sum = lambda *a, **k: 1.0
# the kernel has no judge to patch (lab_utils.checks is withheld): its observations claim a success instead
claim = {"status": "returned", "type": "numpy.ndarray", "value": numpy.ones(3), "is_array": True, "mutated": False}
kernel_side.observe_case = lambda observer, fn, case: claim

class Liar(numpy.ndarray):
    def __eq__(self, other):
        return True
    def __array__(self, *args, **kwargs):
        for frame in inspect.stack():
            if "expected" in frame.frame.f_locals:
                return numpy.asarray(frame.frame.f_locals["expected"])
        return numpy.ones(3)

def my_softmax(z):
    return numpy.ones_like(numpy.asarray(z, dtype=float)).view(Liar)

def stable_softmax(z):
    return numpy.ones_like(numpy.asarray(z, dtype=float)).view(Liar)
"""
FORGERS = {
    "hooks": ("import numpy as np", FORGED_CHECKS, FORGE),
    "fake_package": ("import numpy as np", FORGED_CHECKS, FAKE_PACKAGE),
}


def escaper(other: Path, sentinel: Path, port: int, marker: str) -> tuple[str, ...]:
    """Cells that try every way out; stable_softmax raises with what they found, my_softmax returns a leak."""
    lab_file = ROOT / "lab_utils" / "checks" / "softmax.py"
    probes = f"""
import os, socket, subprocess, sys
PROBE = {{}}
def attempt(key, action):
    try:
        PROBE[key] = str(action())[:12]
    except BaseException as e:
        PROBE[key] = type(e).__name__[:12]
attempt("passwd", lambda: open("/etc/passwd").read())
attempt("solutions", lambda: os.listdir({str(ROOT / "solutions")!r}))
attempt("other", lambda: open({str(other)!r}).read())
attempt("write_lab", lambda: open({str(lab_file)!r}, "a").write("forged"))
attempt("delete", lambda: os.remove({str(other)!r}))
attempt("outside", lambda: open({str(sentinel)!r}, "w").write("forged"))
attempt("net", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2) and "connected")
attempt("procs", lambda: len([p for p in os.listdir("/proc") if p.isdigit()]))

def plant():
    # Symlinks to a host file where the grader might write later: its connection file, the submission copies.
    connection = sys.argv[sys.argv.index("-f") + 1]
    os.remove(connection)
    os.symlink({str(sentinel)!r}, connection)
    os.symlink({str(sentinel)!r}, os.path.join(os.path.dirname(connection), "kernel-2.json"))
    for name in ("01_softmax.ipynb", "02_model.ipynb"):
        if os.path.lexists(name):
            os.remove(name)
        os.symlink({str(sentinel)!r}, name)
    return "planted"
attempt("plant", plant)
"""
    daemon = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)  # {marker}'], start_new_session=True)"
    )
    fork_bomb = (
        "import os, time\nchildren = 0\ntry:\n    for _ in range(10_000):\n        if os.fork() == 0:\n"
        "            time.sleep(600)\n            os._exit(0)\n        children += 1\nexcept OSError:\n    pass\n"
        "print('forked', children)"
    )
    return (
        "import json, os, signal\nimport numpy as np",
        probes,
        "os.kill(os.getppid(), signal.SIGKILL)\nos.killpg(0, signal.SIGKILL)",  # the kernel is restarted
        daemon,
        fork_bomb,
        f"hog = bytearray({2 * LIMITS.memory})",
        "import sys\nfor _ in range(50):\n    sys.stdout.write('x' * 1_000_000)",
        "def stable_softmax(z):\n    raise RuntimeError(json.dumps(PROBE, separators=(',', ':')))",
        "def my_softmax(z):\n    return np.frombuffer(open('/etc/passwd', 'rb').read(), dtype=np.uint8)",
    )


def write_notebook(path: Path, cells) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells]), path)
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(1)
    connections, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connections.append(listener.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    marker = f"lab-hostile-{uuid.uuid4().hex}"
    honest = write_notebook(tmp / "honest.ipynb", HONEST)
    sentinel = tmp / "sentinel.txt"
    notebooks = {
        **{f"forger_{how}": write_notebook(tmp / f"{how}.ipynb", cells) for how, cells in FORGERS.items()},
        "escaper": write_notebook(tmp / "escaper.ipynb", escaper(honest, sentinel, listener.getsockname()[1], marker)),
        "honest": honest,
    }
    before = {"class": snapshot(tmp), "lab_utils": snapshot(ROOT / "lab_utils")}
    results = {
        learner_id: grade_submission(
            learner_id,
            {"01_softmax": path},
            GradeOptions(seed=12345, timeout=TIMEOUT, sandbox="required", limits=LIMITS),
        )
        for learner_id, path in notebooks.items()
    }
    stop.set()
    thread.join()
    listener.close()
    after = {"class": snapshot(tmp), "lab_utils": snapshot(ROOT / "lab_utils")}
    yield {"results": results, "before": before, "after": after, "connections": connections, "marker": marker}
    for connection, _ in connections:
        connection.close()


@pytest.mark.parametrize("how", FORGERS)
def test_forged_checks_lying_objects_and_forged_output_score_zero(batch, how):
    forger = batch["results"][f"forger_{how}"]
    assert forger.notebooks[0].notes == []  # every forgery was in place: no cell of it failed
    assert [r.exercise for r in forger.exercises] == [ex.function for ex in exercises_in("01_softmax")]
    assert forger.score == 0 and forger.max_score == SOFTMAX_POINTS
    assert all(r.result != PASSED for r in forger.exercises)


def test_escape_attempts_score_zero(batch):
    assert batch["results"]["escaper"].score == 0


def test_the_sandbox_hid_the_host_and_refused_writes_deletes_and_network(batch):
    stable = next(r for r in batch["results"]["escaper"].exercises if r.exercise == "stable_softmax")
    # The message is wrapped for reading: its report is the JSON object after the exception's name.
    report = " ".join(stable.message.split()).split("RuntimeError: ", 1)[1]
    found, _ = json.JSONDecoder().raw_decode(report)
    assert found["passwd"] == found["solutions"] == found["other"] == "FileNotFoundE"[:12]
    assert found["write_lab"] in ("OSError", "PermissionErr")
    assert found["delete"] == found["outside"] == "FileNotFoundE"[:12]
    assert found["net"] != "connected"
    assert found["plant"] == "planted"  # and yet nothing was written through them (see the next test)
    assert int(found["procs"]) <= 3  # bwrap's init and the kernel: no process of the grader's


def test_nothing_was_written_or_deleted_outside_the_submission(batch):
    assert batch["after"] == batch["before"]


def test_no_connection_reached_the_listener(batch):
    assert batch["connections"] == []


def test_no_process_is_left_behind(batch):
    left = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and batch["marker"] in (entry / "cmdline").read_text():
                left.append(int(entry.name))
        except OSError:
            continue
    assert left == []


def test_the_escapers_notebook_notes_say_what_happened(batch):
    notes = " ".join(nb_note for nb in batch["results"]["escaper"].notebooks for nb_note in nb.notes)
    assert "lost the kernel" in notes  # killing its own process group
    assert "MemoryError" in notes


def test_the_honest_learner_graded_after_them_gets_full_marks(batch):
    honest = batch["results"]["honest"]
    assert [r.result for r in honest.exercises] == [PASSED, PASSED]
    assert honest.score == SOFTMAX_POINTS
    assert honest.sandbox is True and honest.seed == 12345
