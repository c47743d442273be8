"""Binder (repo2docker) builds the lab from binder/: the locked packages, the lab, its settings, and it works.

binder/requirements.txt is uv.lock exported (`make lock`); repo2docker pip-installs it over its own base
environment, so the lab's pins must also agree with that environment's (a `notebook` for the locked JupyterLab).
The slow tests build what repo2docker would build, without Docker: a venv of runtime.txt's Python with the base
environment's top-level packages at repo2docker's pins, then binder/requirements.txt with pip, then postBuild.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pythons import pip, venv, venv_env
from scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
REPO2DOCKER = "jupyter-repo2docker==2026.4.0"
# Conda packages of repo2docker's base environment whose PyPI name differs (a conda metapackage).
PYPI_NAMES = {"jupyterhub-singleuser": "jupyterhub"}


def make_script():
    return load_script(ROOT / "tools" / "make.py", "lab_make")


def runtime_python() -> str:
    """The X.Y of binder/runtime.txt ("python-3.12")."""
    return re.fullmatch(r"python-(\d+\.\d+)\s*", (BINDER / "runtime.txt").read_text()).group(1)


def test_binder_requirements_are_the_lock_exported(tmp_path):
    make = make_script()
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "binder").mkdir()
    subprocess.run([make.venv_program(make.UV_VENV, "uv"), *make.BINDER_EXPORT], cwd=tmp_path, check=True, timeout=120)
    exported = (tmp_path / "binder" / "requirements.txt").read_text()
    assert (BINDER / "requirements.txt").read_text() == exported, "binder/requirements.txt is stale: run `make lock`"


def test_binder_python_is_one_the_lab_supports():
    make = make_script()
    requires = make.requires_python((ROOT / "pyproject.toml").read_text())
    assert make.python_problem((*map(int, runtime_python().split(".")), 0), requires) is None


def test_postbuild_is_executable():
    assert (BINDER / "postBuild").stat().st_mode & 0o111


@pytest.fixture(scope="module")
def repo2docker(tmp_path_factory) -> Path:
    """repo2docker, pip-installed into a throwaway venv of this Python; returns the venv's python."""
    where = tmp_path_factory.mktemp("repo2docker") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    python = where / "bin" / "python"
    done = pip(python, "install", REPO2DOCKER, timeout=600)
    assert done.returncode == 0, done.stderr
    return python


@pytest.mark.slow
def test_repo2docker_builds_with_pip_from_binder_not_conda_from_environment_yml(repo2docker):
    done = subprocess.run(
        [str(repo2docker.parent / "repo2docker"), "--no-build", "--debug", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dockerfile = done.stdout + done.stderr
    assert done.returncode == 0, dockerfile[-2000:]
    assert f"Building conda environment for python={runtime_python()}" in dockerfile
    assert 'RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile
    assert "environment.yml" not in dockerfile.replace("environment.lock", "")


def base_pins(repo2docker: Path, python: str) -> list[str]:
    """repo2docker's base environment for `python` as pip requirements: its top-level packages at their locked
    versions (environment.py-X.Y.yml names them, environment.py-X.Y-linux-64.lock pins them)."""
    conda = repo2docker.parent.parent.glob("lib/python*/site-packages/repo2docker/buildpacks/conda")
    conda = next(conda)
    names = re.findall(r"^- ([A-Za-z0-9_.-]+)==", (conda / f"environment.py-{python}.yml").read_text(), re.MULTILINE)
    lock = (conda / f"environment.py-{python}-linux-64.lock").read_text()
    pins = []
    for name in names:
        version = re.search(rf"/{re.escape(name)}-([0-9][^-]*)-[^-/]+\.(?:conda|tar\.bz2)#", lock).group(1)
        pins.append(f"{PYPI_NAMES.get(name, name)}=={version}")
    return pins


@pytest.fixture(scope="module")
def binder_env(repo2docker, tmp_path_factory) -> tuple[Path, Path]:
    """What repo2docker builds from binder/, less Docker and conda: (the env's python, the repository's copy)."""
    python = venv(tmp_path_factory.mktemp("binder") / "venv", runtime_python())
    for step in (base_pins(repo2docker, runtime_python()), ["-r", str(BINDER / "requirements.txt")]):
        done = pip(python, "install", *step, timeout=1800)
        assert done.returncode == 0, done.stderr[-3000:]
    repo = tmp_path_factory.mktemp("binder-repo") / "repo"
    shutil.copytree(
        ROOT, repo, ignore=shutil.ignore_patterns(".venv*", ".git", "state", "results", "__pycache__", ".*cache")
    )
    done = subprocess.run(
        ["./binder/postBuild"], cwd=repo, env=venv_env(python), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return python, repo


@pytest.mark.slow
def test_binder_packages_agree_with_repo2dockers_base_environment(binder_env):
    python, _ = binder_env
    done = pip(python, "check")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_postbuild_installs_the_lab_and_its_jupyterlab_settings(binder_env):
    python, repo = binder_env
    where = subprocess.run(
        [str(python), "-c", "import lab_utils; print(lab_utils.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "site-packages" in where.stdout
    listed = subprocess.run(
        [str(python), "-m", "jupyter", "labextension", "list"], capture_output=True, text=True, env=venv_env(python)
    )
    disabled = json.loads((ROOT / "jupyter" / "settings" / "page_config.json").read_text())["disabledExtensions"]
    section = (listed.stdout + listed.stderr).partition("Disabled extensions:")[2]
    assert disabled and all(f"{name} (all plugins)" in section for name in disabled)


@pytest.mark.slow
def test_solved_notebooks_01_to_03_pass_nbval_on_binder(binder_env):
    python, repo = binder_env
    done = pip(python, "install", "pytest", "nbval", timeout=600)
    assert done.returncode == 0, done.stderr
    notebooks = [f"solutions/{stem}.ipynb" for stem in ("01_softmax", "02_model", "03_gradients")]
    nbval = [
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",  # the project's own options are pytest-xdist's, which a Binder environment does not have
    ]
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", *nbval, *notebooks],
        cwd=repo,
        env=venv_env(python),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-4000:]


def test_the_readme_launches_the_release_on_binder_at_the_first_notebook():
    pyproject = (ROOT / "pyproject.toml").read_text()
    github = re.search(r'^Source = "https://github.com/([^"]+)"', pyproject, re.MULTILINE).group(1)
    version = re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE).group(1)
    link = f"https://mybinder.org/v2/gh/{github}/v{version}?urlpath=lab/tree/notebooks/01_softmax.ipynb"
    assert f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]({link})" in (ROOT / "README.md").read_text()
