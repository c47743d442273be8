"""The sandbox around grading kernels (lab_utils.grading.sandbox): what a process inside can see, write,
reach and use. Each test runs a short Python program through `forking.start`, as the kernel is run, both ways a
kernel starts (forked from the fork server, and afresh), and reads what it printed; every test's limits are set
here, and every process is ended by the sandbox.
"""

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import lab_utils
from lab_utils.grading.cgroups import Cgroup
from lab_utils.grading.forking import start
from lab_utils.grading.sandbox import FORKED_IPC, IPC_BYTES, Limits, Sandbox, bwrap_available

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not installed here")

ROOT = Path(lab_utils.__file__).resolve().parents[1]
SMALL = Limits(memory=512 * 1024**2, processes=32, file_size=1024**2, cpu_seconds=30)


@pytest.fixture(params=["forked", "fresh"])
def kernels(request) -> str:
    """How the program starts: forked from the fork server, or afresh through bubblewrap."""
    return request.param


def start_inside(kernels: str, code: str, limits: Limits = SMALL, argv: list[str] = ()) -> tuple[int | None, str]:
    """Run `code` (with `argv`) in a fresh sandbox until it ends; returns its exit status and what it printed."""
    sandbox = Sandbox(limits, enabled=True, forked=kernels == "forked")
    read, write = os.pipe()
    process = None
    try:
        process = start(sandbox, {"code": code, "argv": list(argv)}, (write, write))
        os.close(write)
        write = None
        with os.fdopen(read, "rb") as output:
            printed = output.read().decode()  # until every process of the sandbox has ended
        return process.wait(timeout=120), printed
    finally:
        if write is not None:
            os.close(write)
        sandbox.close(process)


@pytest.fixture
def run_inside(kernels):
    """run_inside(code, limits, argv): the JSON that `code` printed last, in a fresh sandbox (see start_inside)."""

    def run(code: str, limits: Limits = SMALL, argv: list[str] = ()):
        status, printed = start_inside(kernels, code, limits, argv)
        assert status == 0, printed[-2000:]
        return json.loads(printed.splitlines()[-1]), None

    return run


def test_host_files_solutions_and_the_instructors_home_are_invisible(run_inside):
    seen, _ = run_inside(
        "import json, os\n"
        f"paths = ['/etc/passwd', '/etc/shadow', {str(ROOT / 'solutions')!r}, {str(ROOT / 'tests')!r},"
        f" {str(Path.home() / '.bash_history')!r}, {str(ROOT / 'lab_utils' / '__init__.py')!r}]\n"
        "print(json.dumps({p: os.path.exists(p) for p in paths}))"
    )
    assert seen == {
        "/etc/passwd": False,
        "/etc/shadow": False,
        str(ROOT / "solutions"): False,
        str(ROOT / "tests"): False,
        str(Path.home() / ".bash_history"): False,
        str(ROOT / "lab_utils" / "__init__.py"): True,  # the grader's own lab_utils, read-only
    }


def test_lab_utils_and_the_environment_are_read_only(run_inside):
    target = ROOT / "lab_utils" / "__init__.py"
    before = target.read_bytes()
    seen, _ = run_inside(
        "import json, sys\n"
        "def try_write(path):\n"
        "    try:\n"
        "        open(path, 'a').write('# forged')\n"
        "        return 'written'\n"
        "    except OSError as e:\n"
        "        return type(e).__name__\n"
        f"print(json.dumps([try_write({str(target)!r}), try_write(sys.prefix + '/forged.pth')]))"
    )
    assert seen == ["OSError", "OSError"]
    assert target.read_bytes() == before
    assert not (Path(sys.prefix) / "forged.pth").exists()


def test_the_submission_tmp_and_home_are_the_writable_places(run_inside):
    seen, _ = run_inside(
        "import json, os\n"
        "for p in ['/submission/out.txt', '/tmp/out.txt', os.path.expanduser('~/out.txt')]:\n"
        "    open(p, 'w').write('x')\n"
        "print(json.dumps(os.getcwd()))"
    )
    assert seen == "/submission"  # and the writes above did not raise


# Fills each folder named in argv, 1 MiB at a time into files of 4 MiB, until a write there is refused.
FILL = """
import json, os, sys
written, refused = 0, []
for place in sys.argv[1:]:
    try:
        for n in range(10_000):
            with open(os.path.join(place, f"fill{n}"), "wb") as f:
                for _ in range(4):
                    f.write(b"x" * 1024**2)
                    f.flush()
                    written += 1024**2
    except OSError as e:
        refused.append(e.errno)
print(json.dumps([written, refused]))
"""
ENOSPC = 28
PLACES = ["/dev/shm", "/tmp", "/submission", "/home/learner"]
DISK_CAP = Limits(memory=512 * 1024**2, processes=32, file_size=4 * 1024**2, cpu_seconds=60, disk=32 * 1024**2)


def skip_unless_capped(kernels: str) -> None:
    """Started afresh, a kernel's tmpfs are capped only when the grader runs as root (it mounts them)."""
    if kernels == "fresh" and os.geteuid() != 0:
        pytest.skip("the capped tmpfs is mounted only by a grader running as root")


@pytest.mark.parametrize("place", PLACES)
def test_every_writable_place_is_on_the_learners_capped_disk(run_inside, kernels, place):
    skip_unless_capped(kernels)
    (written, refused), _ = run_inside(FILL, DISK_CAP, argv=[place])
    assert refused == [ENOSPC]
    assert written <= DISK_CAP.disk


def test_the_disk_cap_is_one_for_all_places_not_one_each(run_inside, kernels):
    skip_unless_capped(kernels)
    (written, refused), _ = run_inside(FILL, DISK_CAP, argv=PLACES)
    assert refused == [ENOSPC] * len(PLACES)
    assert written <= DISK_CAP.disk


def test_dev_and_the_hidden_compiled_cache_are_not_writable(run_inside):
    cache = ROOT / "lab_utils" / "__pycache__"
    cache.mkdir(exist_ok=True)  # as Python makes it (it does not here with PYTHONDONTWRITEBYTECODE): then hidden
    seen, _ = run_inside(
        "import json, os\n"
        "def try_write(path):\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        return 'written'\n"
        "    except OSError as e:\n"
        "        return e.errno\n"
        f"print(json.dumps([try_write('/dev/fill'), try_write({str(cache / 'fill')!r})]))"
    )
    assert seen == [30, 30]  # EROFS


def test_the_kernels_socket_folder_is_capped_too(kernels):
    skip_unless_capped(kernels)
    if kernels == "forked":
        _, printed = start_inside(kernels, FILL, DISK_CAP, argv=[FORKED_IPC])
    else:
        sandbox = Sandbox(DISK_CAP, enabled=True)
        ipc = sandbox.new_ipc_dir()
        try:
            printed = subprocess.run(
                sandbox.command([sys.executable, "-c", FILL, str(ipc)]),
                env=sandbox.environment(),
                capture_output=True,
                text=True,
                timeout=120,
                start_new_session=True,
            ).stdout
        finally:
            sandbox.close(None)
    written, refused = json.loads(printed.splitlines()[-1])
    assert refused == [ENOSPC] and written <= IPC_BYTES


def test_no_network_even_to_a_listener_on_this_machine(run_inside):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(5)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(_accept(listener)))
    thread.start()
    port = listener.getsockname()[1]
    seen, _ = run_inside(
        "import json, socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
        "    print(json.dumps('connected'))\n"
        "except OSError as e:\n"
        "    print(json.dumps(type(e).__name__))"
    )
    thread.join()
    listener.close()
    assert seen != "connected"
    assert accepted == [None]


def _accept(listener: socket.socket):
    try:
        return listener.accept()
    except OSError:
        return None


def test_the_graders_processes_are_invisible(run_inside):
    seen, _ = run_inside("import json, os\nprint(json.dumps([p for p in os.listdir('/proc') if p.isdigit()]))")
    assert len(seen) <= 3  # bwrap's init, this program, nothing of the host


def test_memory_over_the_limit_raises_memory_error(run_inside):
    seen, _ = run_inside(
        "import json\ntry:\n    b = bytearray(1024**3)\n    print(json.dumps('allocated'))\n"
        "except MemoryError:\n    print(json.dumps('MemoryError'))"
    )
    assert seen == "MemoryError"


def test_file_size_over_the_limit_is_refused(run_inside):
    seen, _ = run_inside(
        "import json\ntry:\n    open('/tmp/big', 'wb').write(b'x' * (2 * 1024**2))\n    print(json.dumps('written'))\n"
        "except OSError as e:\n    print(json.dumps(e.errno))"
    )
    assert seen == 27  # EFBIG


def _pids_cgroup() -> bool:
    cgroup = Cgroup(SMALL)
    try:
        return any("pids" in d.parts for d in cgroup.dirs)
    finally:
        cgroup.remove()


@pytest.mark.skipif(
    not _pids_cgroup() and os.geteuid() == 0,
    reason="no pids cgroup here, and RLIMIT_NPROC does not bind root",
)
def test_a_fork_bomb_is_stopped_by_the_process_limit(run_inside):
    seen, _ = run_inside(
        "import json, os, time\nchildren = 0\ntry:\n    for _ in range(1000):\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n        children += 1\n"
        "except OSError:\n    pass\nprint(json.dumps(children))"
    )
    assert seen < SMALL.processes


def test_cpu_time_over_the_limit_ends_the_process(kernels):
    status, _ = start_inside(kernels, "while True:\n    pass", Limits(cpu_seconds=1))
    assert status != 0  # SIGXCPU, then SIGKILL at the hard limit


def test_the_checks_and_the_reference_maths_cannot_be_imported_inside(run_inside):
    seen, _ = run_inside(
        "import importlib, json\n"
        "found = {}\n"
        "for name in ('lab_utils.checks.gradients', 'lab_utils.checks.core', 'lab_utils.grading.judge'):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "        found[name] = 'imported'\n"
        "    except ImportError:\n"
        "        found[name] = 'ImportError'\n"
        "for name, attr in (('lab_utils.reference', 'softmax'), ('lab_utils.model', 'build_model'),"
        " ('lab_utils.train', 'confusion_matrix')):\n"
        "    try:\n"
        "        getattr(importlib.import_module(name), attr)([[1.0, 2.0]])\n"
        "        found[name] = 'computed'\n"
        "    except Exception as exc:\n"
        "        found[name] = type(exc).__name__\n"
        "print(json.dumps(found))"
    )
    assert seen == {
        "lab_utils.checks.gradients": "ImportError",
        "lab_utils.checks.core": "ImportError",
        "lab_utils.grading.judge": "ImportError",
        "lab_utils.reference": "LabError",
        "lab_utils.model": "LabError",
        "lab_utils.train": "LabError",
    }


def test_no_file_inside_holds_the_reference_maths(run_inside):
    seen, _ = run_inside(
        "import json, pathlib\n"
        f"package = pathlib.Path({str(ROOT / 'lab_utils')!r})\n"
        "texts = [p.read_bytes() for p in package.rglob('*') if p.is_file()]\n"
        "print(json.dumps({'files': len(texts), 'with_backprop': sum(b'def backprop' in t for t in texts),"
        " 'with_judge': sum(b'class SoftmaxCheck' in t for t in texts)}))"
    )
    assert seen["files"] > 10 and seen["with_backprop"] == 0 and seen["with_judge"] == 0


def test_the_notebooks_imports_of_the_checks_still_work_inside_and_only_say_where_checks_run(run_inside):
    seen, _ = run_inside(
        "import json, contextlib, io\n"
        "from lab_utils.checks import check_softmax\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    check_softmax(lambda z: z)\n"
        "print(json.dumps(out.getvalue()))"
    )
    assert seen == "check_softmax runs in JupyterLab, not in the grader\n"
