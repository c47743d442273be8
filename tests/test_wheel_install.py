"""The lab installed as a course installs it, with no checkout: `make hub-env` (the locked packages, `lab_utils` from a
wheel, the lab's JupyterLab settings) into a fresh environment, which then grades exactly as this checkout does,
on its own and as the workers of a Dask cluster.

The environment is made once for the module (about 40 s from a warm uv cache). Its Python runs in a scratch folder
with no PYTHONPATH, so only the installed `lab_utils` can be imported. The Dask cluster (a scheduler and one worker,
on free ports of 127.0.0.1 only) is started from that environment, and every process started is ended by its PID.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dask_cluster import dask_cluster
from grading_class import MY_SOFTMAX, STABLE_SOFTMAX, STABLE_SOFTMAX_NO_KEEPDIMS, write_notebook
from scripts import load_script

from lab_utils.course.cli import main
from lab_utils.grading.notebook import read_code_cells

ROOT = Path(__file__).resolve().parents[1]
SEED = "20261206"
SOLVED = sorted((ROOT / "solutions").glob("*.ipynb"))
# Which cells grading runs, printed as JSON by the environment's Python: {notebook: [cell numbers run]}.
PLAN = """
import json, sys
from pathlib import Path
from lab_utils.checks import exercises_in
from lab_utils.grading.cells import cells_to_run
from lab_utils.grading.notebook import read_code_cells
plans = {}
for path in map(Path, sys.argv[1:]):
    functions = [ex.function for ex in exercises_in(path.stem)]
    plans[path.stem] = [number for number, _ in cells_to_run(read_code_cells(path), path.stem, functions)]
print(json.dumps(plans))
"""


def clean_env() -> dict[str, str]:
    """This process's environment less anything that would put the checkout on an installed Python's path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The interpreter of an environment made by `make hub-env`, outside the checkout."""
    folder = tmp_path_factory.mktemp("wheel-env")
    prefix = folder / "env"
    make = ["make", "--no-print-directory", "hub-env", f"PREFIX={prefix}", f"HUB_WHEELS={folder / 'wheel'}"]
    done = subprocess.run(make, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return prefix / "bin" / "python"


def run_installed(python: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=900)


def test_the_installed_lab_utils_is_the_wheels_not_the_checkouts(installed, tmp_path):
    done = run_installed(installed, ["-c", "import lab_utils; print(lab_utils.__file__)"], tmp_path)
    where = Path(done.stdout.strip())
    assert where.is_relative_to(installed.parent.parent) and not where.is_relative_to(ROOT)


def test_the_environment_holds_the_labs_jupyterlab_settings_in_the_form_each_place_reads(installed):
    prefix = installed.parent.parent
    page_config = json.loads((prefix / "etc" / "jupyter" / "labconfig" / "page_config.json").read_text())
    assert page_config == {"disabledExtensions": {"@jupyterlab/extensionmanager-extension": True}}
    server = json.loads((prefix / "etc" / "jupyter" / "jupyter_server_config.d" / "mnist-lab.json").read_text())
    assert server["LabApp"]["extension_manager"] == "readonly" and "default_url" not in server["LabApp"]
    overrides = json.loads((prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["checkForUpdates"] is False


def test_the_settings_install_keeps_what_other_packages_put_in_the_overrides(tmp_path):
    install = load_script(ROOT / "jupyter" / "install.py", "jupyter_install")
    existing = tmp_path / "overrides.json"
    existing.write_text(json.dumps({"@jupyterlab/apputils-extension:notification": {"doNotDisturbMode": True}}))
    merged = install.merged_overrides(existing)["@jupyterlab/apputils-extension:notification"]
    assert merged == {"doNotDisturbMode": True, "fetchNews": "false", "checkForUpdates": False}


def test_the_installed_grader_runs_the_same_cells_of_the_solved_series_as_the_checkout(installed, tmp_path):
    done = run_installed(installed, ["-c", PLAN, *map(str, SOLVED)], tmp_path)
    assert done.returncode == 0, done.stderr
    here = subprocess.run([sys.executable, "-c", PLAN, *map(str, SOLVED)], capture_output=True, text=True, check=True)
    installed_plans, checkout_plans = json.loads(done.stdout), json.loads(here.stdout)
    assert installed_plans == checkout_plans
    training = [n for n, _, source in read_code_cells(ROOT / "solutions" / "04_training.ipynb") if "train(" in source]
    assert training and not set(training) & set(installed_plans["04_training"])


def test_the_installed_grader_gives_the_solved_series_the_checkouts_points(installed, tmp_path):
    grade = ["-m", "lab_utils.grade", *map(str, SOLVED), "--seed", SEED]
    done = run_installed(installed, [*grade, "--json", str(tmp_path / "installed.json")], tmp_path)
    assert done.returncode == 0, done.stderr
    assert main([*grade[2:], "--json", str(tmp_path / "checkout.json")]) == 0
    installed_report = json.loads((tmp_path / "installed.json").read_text())
    checkout_report = json.loads((tmp_path / "checkout.json").read_text())
    assert _points(installed_report) == _points(checkout_report)
    assert installed_report["score"] == installed_report["max_score"] > 0


def _points(report: dict) -> dict[str, tuple]:
    """Per notebook: its status and notes, and each exercise's result, score and message."""
    return {
        nb["stem"]: (
            nb["status"],
            nb["notes"],
            [(e["exercise"], e["result"], e["score"], e["message"]) for e in nb["exercises"]],
        )
        for nb in report["notebooks"]
    }


@pytest.fixture(scope="module")
def scheduler(installed, tmp_path_factory):
    """The address of a Dask scheduler with one worker, both run by the installed environment on 127.0.0.1."""
    with dask_cluster(str(installed), clean_env(), tmp_path_factory.mktemp("dask-installed"), workers=1) as address:
        yield address


def test_workers_from_the_installed_environment_grade_a_class_as_a_local_run_does(installed, scheduler, tmp_path):
    folder = tmp_path / "class"
    write_notebook(folder / "ada" / "01_softmax.ipynb", "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX)
    write_notebook(folder / "bob" / "01_softmax.ipynb", "import numpy as np", MY_SOFTMAX, STABLE_SOFTMAX_NO_KEEPDIMS)
    assert main([str(folder), "--out", str(tmp_path / "local"), "--workers", "1", "--seed", SEED]) == 0
    on_dask = ["-m", "lab_utils.grade", str(folder), "--out", str(tmp_path / "dask"), "--scheduler", scheduler]
    done = run_installed(installed, [*on_dask, "--seed", SEED], tmp_path)
    assert done.returncode == 0, done.stderr
    local = (tmp_path / "local" / "gradebook.csv").read_bytes()
    assert (tmp_path / "dask" / "gradebook.csv").read_bytes() == local
    assert local.count(b"\n") == 3  # header and 2 learners
