"""A learner without make (Windows: `py tools/make.py lab`) gets from a fresh clone to JupyterLab serving.

Run here on Linux with this Python: the script is the same on every platform; what differs on Windows (the
venv's Scripts folder, no os.exec) is chosen by os.name. The lock's Windows wheels are checked in
tests/test_setup.py, the one-line refusal of old Pythons there too.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser_lab import free_port

ROOT = Path(__file__).resolve().parents[1]
SET_UP_TIMEOUT = 900  # seconds: uv installs the lab's packages from its cache, TensorFlow included


def learner_environment() -> dict[str, str]:
    """A learner's shell: no venv of the tests active."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "MPLBACKEND")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix))
    return env


def base_python() -> str:
    """The interpreter this test's venv was made from: a learner's Python, not a venv's."""
    return os.path.join(sys.base_prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}")


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("fresh") / "mnist-lab"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(where)], check=True, timeout=300)
    return where


def status(port: int, token: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5) as response:
            return json.loads(response.read())
    except (OSError, urllib.error.URLError):
        return None


@pytest.mark.slow
def test_the_set_up_script_takes_a_fresh_clone_to_jupyterlab_serving(clone):
    port, token = free_port(), secrets.token_hex(16)
    flags = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    flags.append(f"--IdentityProvider.token={token}")
    log = clone.parent / "lab.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [base_python(), "tools/make.py", "lab", *flags],
            cwd=clone,
            env=learner_environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline, answer = time.monotonic() + SET_UP_TIMEOUT, None
        while answer is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(2)
            answer = status(port, token)
        assert answer is not None and "started" in answer, log.read_text()[-3000:]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/shutdown?token={token}", method="POST")
        urllib.request.urlopen(request, timeout=10).close()
        # The script stays attached until JupyterLab stops, and says how it stopped.
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert (clone / ".venv" / ".installed-lab").is_file()


@pytest.mark.slow
def test_a_second_run_of_the_set_up_installs_nothing(clone):
    if not (clone / ".venv" / ".installed-lab").is_file():
        subprocess.run([base_python(), "tools/make.py", "install", "lab"], cwd=clone, check=True, timeout=900)
    again = subprocess.run(
        [base_python(), "tools/make.py", "install", "lab"],
        cwd=clone,
        env=learner_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
