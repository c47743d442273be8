"""A grader that dies leaves nothing behind (lab_utils.grading.sandbox.sweep_leftovers): a grader is killed with
SIGKILL while a learner's cell runs; its kernel goes with it, and the next grader to start removes the tmpfs
mounts, the copies of the learner's notebook and the cgroups it left. Both graders run in a temporary folder of
the test's own (TMPDIR), so no other grader's files on this machine are touched.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from lab_utils.grading.cgroups import PREFIX, own_cgroups
from lab_utils.grading.sandbox import bwrap_available, sweep_leftovers

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not installed here")

# Grades one notebook whose cell says it started (a file in the sandbox's /tmp), then sleeps; argv[2]: "forked" or
# "fresh", how its kernel starts.
GRADER = """
import sys
from lab_utils.grading import GradeOptions, Limits, grade_submission
limits = Limits(memory=1024**3, processes=64, file_size=1024**2, cpu_seconds=300, disk=64 * 1024**2)
options = GradeOptions(seed=1, timeout=600, sandbox="required", limits=limits, fork=sys.argv[2] == "forked")
grade_submission("ada", {"01_softmax": sys.argv[1]}, options)
"""
KERNEL_STARTS = ["forked", "fresh"]
SLEEPER = "open('/tmp/started', 'w').close()\nimport time\ntime.sleep(600)\ndef my_softmax(z):\n    return z"
SWEEP = "import json\nfrom lab_utils.grading.sandbox import sweep_leftovers\nprint(json.dumps(sweep_leftovers()))"


@pytest.fixture
def short_tmpdir():
    """A temporary folder with a short path (the kernel's IPC socket paths must fit in 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="lg-"))
    yield folder
    subprocess.run([sys.executable, "-c", SWEEP], env={**os.environ, "TMPDIR": str(folder)}, timeout=120, check=False)
    for leftover in folder.iterdir():
        subprocess.run(["umount", "--lazy", str(leftover / "disk")], capture_output=True, check=False)
        subprocess.run(["umount", "--lazy", str(leftover / "ipc")], capture_output=True, check=False)
    subprocess.run(["rm", "-rf", str(folder)], check=False)


def _mounts_under(folder: Path) -> list[str]:
    return [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines() if str(folder) in line]


def _cgroups_of(pid: int) -> list[Path]:
    return [d for path in own_cgroups().values() for d in path.glob(f"{PREFIX}{pid}.*")]


def _learner_started(grader: int) -> bool:
    """Whether a process in the cgroups of `grader` has the file the learner's cell writes in its /tmp."""
    pids = {pid for d in _cgroups_of(grader) for pid in (d / "cgroup.procs").read_text().split()}
    return any(Path(f"/proc/{pid}/root/tmp/started").exists() for pid in pids)


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def grading_a_sleeper(folder: Path, tmpdir: Path, kernels: str):
    """A grader (its Popen) of a learner whose cell has started sleeping, in TMPDIR `tmpdir`; killed by its PID at the
    end if the test has not killed it."""
    notebook = folder / "01_softmax.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SLEEPER)]), notebook)
    argv = [sys.executable, "-c", GRADER, str(notebook), kernels]
    grader = subprocess.Popen(argv, env={**os.environ, "TMPDIR": str(tmpdir)}, start_new_session=True)
    try:
        assert _wait_for(lambda: _learner_started(grader.pid), 120), "the learner's cell never ran"
        yield grader
    finally:
        if grader.poll() is None:
            os.kill(grader.pid, signal.SIGKILL)
            grader.wait(timeout=30)


def sweep_in(tmpdir: Path) -> list[str]:
    """What a grader starting now in TMPDIR `tmpdir` sweeps."""
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    return json.loads(subprocess.run([sys.executable, "-c", SWEEP], env=env, capture_output=True, timeout=120).stdout)


@pytest.mark.parametrize("kernels", KERNEL_STARTS)
def test_a_grader_killed_mid_run_leaves_nothing_after_the_next_start(short_tmpdir, tmp_path, kernels):
    with grading_a_sleeper(tmp_path, short_tmpdir, kernels) as grader:
        left = {"dirs": list(short_tmpdir.iterdir()), "mounts": _mounts_under(short_tmpdir)}
        left["cgroups"] = _cgroups_of(grader.pid)
        cgroup_procs = [d / "cgroup.procs" for d in left["cgroups"]]
        os.kill(grader.pid, signal.SIGKILL)
        grader.wait(timeout=30)
    # The kernel died with its grader (--die-with-parent, its PID namespace); its files are still there.
    assert _wait_for(lambda: all(not p.read_text().split() for p in cgroup_procs), 30)
    assert left["dirs"]
    assert left["mounts"] or kernels == "forked"  # a forked kernel's tmpfs are in its own mount namespace
    assert all(d.exists() for d in left["dirs"])

    swept = sweep_in(short_tmpdir)

    # (and any other dead grader's leftovers on this machine: cgroups are not per TMPDIR)
    assert set(map(str, left["dirs"] + left["cgroups"])) <= set(swept)
    assert list(short_tmpdir.iterdir()) == []
    assert _mounts_under(short_tmpdir) == []
    assert _cgroups_of(grader.pid) == []


@pytest.mark.parametrize("kernels", KERNEL_STARTS)
def test_the_next_start_leaves_a_live_graders_sandbox_alone(short_tmpdir, tmp_path, kernels):
    with grading_a_sleeper(tmp_path, short_tmpdir, kernels) as grader:
        swept = sweep_in(short_tmpdir)
        assert not [path for path in swept if f"{PREFIX}{grader.pid}." in path]
        assert _learner_started(grader.pid)
        assert _cgroups_of(grader.pid)


def test_a_dead_graders_cgroup_goes_with_the_cgroups_nested_in_it():
    controllers = own_cgroups()
    if not controllers:
        pytest.skip("no cgroup may be created here")
    # PID 1 never started at this time: the owner of this name is gone. Inside it, a grader run in its cgroup left
    # its own cgroup too (as a grader killed inside the bench's or a test's cgroup does).
    made = []
    for path in controllers.values():
        try:
            (path / f"{PREFIX}1.999999999-1" / f"{PREFIX}4321-1").mkdir(parents=True)
        except OSError:
            continue
        made.append(path / f"{PREFIX}1.999999999-1")
    if not made:
        pytest.skip("no cgroup may be created here")

    swept = sweep_leftovers.__wrapped__()

    assert sorted(map(str, made)) == sorted(p for p in swept if f"{PREFIX}1.999999999-1" in p)
    assert not any(d.exists() for d in made)


def test_two_threads_starting_at_once_sweep_a_dead_graders_leftovers_without_error(short_tmpdir):
    # As LocalPool's workers do: each thread's first sandbox sweeps. A dead grader left a folder and a cgroup.
    leftover = short_tmpdir / f"{PREFIX}1.999999999-abc"
    (leftover / "disk").mkdir(parents=True)
    cgroups = []
    for path in own_cgroups().values():
        with contextlib.suppress(OSError):
            (path / f"{PREFIX}1.999999999-2").mkdir()
            cgroups.append(path / f"{PREFIX}1.999999999-2")
    code = (
        "import json, threading\nfrom lab_utils.grading.sandbox import sweep_leftovers\n"
        "errors = []\n"
        "def sweep():\n    try:\n        sweep_leftovers.__wrapped__()\n    except Exception as e:\n"
        "        errors.append(repr(e))\n"
        "threads = [threading.Thread(target=sweep) for _ in range(2)]\n"
        "[t.start() for t in threads]\n[t.join() for t in threads]\nprint(json.dumps(errors))"
    )
    env = {**os.environ, "TMPDIR": str(short_tmpdir)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout) == []
    assert not leftover.exists()
    assert not any(d.exists() for d in cgroups)


def test_the_grading_command_leaves_no_folder_of_its_fork_server(short_tmpdir, tmp_path):
    notebook = tmp_path / "01_softmax.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def my_softmax(z):\n    return z")]), notebook
    )
    env = {**os.environ, "TMPDIR": str(short_tmpdir)}
    argv = [sys.executable, "-m", "lab_utils.grade", str(notebook), "--sandbox", "required", "--seed", "1"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(short_tmpdir.iterdir()) == []
