"""The sandbox around grading kernels (lab_utils.grading.sandbox): what a process inside can see, write,
reach and use. Each test runs a short Python program through `Sandbox.command`, as the kernel is run,
and reads what it printed; every test's limits are set here, and every process is ended by the sandbox.
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
from lab_utils.grading.sandbox import IPC_BYTES, Cgroup, Limits, Sandbox, bwrap_available

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap is not installed here")

ROOT = Path(lab_utils.__file__).resolve().parents[1]
SMALL = Limits(memory=512 * 1024**2, processes=32, file_size=1024**2, cpu_seconds=30)


def run_inside(code: str, limits: Limits = SMALL, argv: list[str] = ()) -> tuple[dict, Sandbox]:
    """Run `code` (with `argv`) in a fresh sandbox; returns the JSON it printed last, and the (closed) sandbox."""
    sandbox = Sandbox(limits, enabled=True)
    try:
        done = subprocess.run(
            sandbox.command([sys.executable, "-c", code, *argv]),
            env=sandbox.environment(),
            capture_output=True,
            text=True,
            timeout=120,
            start_new_session=True,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.splitlines()[-1]), sandbox
    finally:
        sandbox.close(None)


def test_host_files_solutions_and_the_instructors_home_are_invisible():
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


def test_lab_utils_and_the_environment_are_read_only():
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


def test_the_submission_tmp_and_home_are_the_writable_places():
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
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="the capped tmpfs is mounted only by a grader running as root"
)


@needs_root
@pytest.mark.parametrize("place", PLACES)
def test_every_writable_place_is_on_the_learners_capped_disk(place):
    (written, refused), _ = run_inside(FILL, DISK_CAP, argv=[place])
    assert refused == [ENOSPC]
    assert written <= DISK_CAP.disk


@needs_root
def test_the_disk_cap_is_one_for_all_places_not_one_each():
    (written, refused), _ = run_inside(FILL, DISK_CAP, argv=PLACES)
    assert refused == [ENOSPC] * len(PLACES)
    assert written <= DISK_CAP.disk


def test_dev_and_the_hidden_compiled_cache_are_not_writable():
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


@needs_root
def test_the_kernels_socket_folder_is_capped_too():
    sandbox = Sandbox(DISK_CAP, enabled=True)
    ipc = sandbox.new_ipc_dir()
    try:
        done = subprocess.run(
            sandbox.command([sys.executable, "-c", FILL, str(ipc)]),
            env=sandbox.environment(),
            capture_output=True,
            text=True,
            timeout=120,
            start_new_session=True,
        )
    finally:
        sandbox.close(None)
    written, refused = json.loads(done.stdout.splitlines()[-1])
    assert refused == [ENOSPC] and written <= IPC_BYTES


def test_no_network_even_to_a_listener_on_this_machine():
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


def test_the_graders_processes_are_invisible():
    seen, _ = run_inside("import json, os\nprint(json.dumps([p for p in os.listdir('/proc') if p.isdigit()]))")
    assert len(seen) <= 3  # bwrap's init, this program, nothing of the host


def test_memory_over_the_limit_raises_memory_error():
    seen, _ = run_inside(
        "import json\ntry:\n    b = bytearray(1024**3)\n    print(json.dumps('allocated'))\n"
        "except MemoryError:\n    print(json.dumps('MemoryError'))"
    )
    assert seen == "MemoryError"


def test_file_size_over_the_limit_is_refused():
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
def test_a_fork_bomb_is_stopped_by_the_process_limit():
    seen, _ = run_inside(
        "import json, os, time\nchildren = 0\ntry:\n    for _ in range(1000):\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n        children += 1\n"
        "except OSError:\n    pass\nprint(json.dumps(children))"
    )
    assert seen < SMALL.processes


def test_cpu_time_over_the_limit_ends_the_process():
    sandbox = Sandbox(Limits(cpu_seconds=1), enabled=True)
    try:
        done = subprocess.run(
            sandbox.command([sys.executable, "-c", "while True:\n    pass"]),
            env=sandbox.environment(),
            capture_output=True,
            timeout=120,
            start_new_session=True,
        )
    finally:
        sandbox.close(None)
    assert done.returncode != 0  # SIGXCPU, then SIGKILL at the hard limit


def test_the_checks_and_the_reference_maths_cannot_be_imported_inside():
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


def test_no_file_inside_holds_the_reference_maths():
    seen, _ = run_inside(
        "import json, pathlib\n"
        f"package = pathlib.Path({str(ROOT / 'lab_utils')!r})\n"
        "texts = [p.read_bytes() for p in package.rglob('*') if p.is_file()]\n"
        "print(json.dumps({'files': len(texts), 'with_backprop': sum(b'def backprop' in t for t in texts),"
        " 'with_judge': sum(b'class SoftmaxCheck' in t for t in texts)}))"
    )
    assert seen["files"] > 10 and seen["with_backprop"] == 0 and seen["with_judge"] == 0


def test_the_notebooks_imports_of_the_checks_still_work_inside_and_only_say_where_checks_run():
    seen, _ = run_inside(
        "import json, contextlib, io\n"
        "from lab_utils.checks import check_softmax\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    check_softmax(lambda z: z)\n"
        "print(json.dumps(out.getvalue()))"
    )
    assert seen == "check_softmax runs in JupyterLab, not in the grader\n"
