"""The project's set-up files agree with each other: conda users get what pip users get."""

import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def pyproject_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["dev"]


def conda_pip_section() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    return next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))


def conda_pip_requirements() -> list[str]:
    return [req for req in conda_pip_section() if not req.startswith("-e")]


def test_environment_yml_lists_the_same_packages_and_versions_as_pyproject():
    assert sorted(conda_pip_requirements()) == sorted(pyproject_requirements())


def test_environment_yml_installs_the_lab_package_itself():
    assert "-e ." in conda_pip_section()


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
