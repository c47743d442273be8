"""The project's set-up files agree with each other.

uv.lock pins, with a hashed file, everything `make lab` and `make test` install on each supported platform
and Python, within the ranges pyproject.toml states; the learner's install holds no test tool; conda users
get what `make lab` gets; an unsupported Python gets one line naming the versions that work, from the set-up
script (tools/make.py) that the Makefile calls and Windows runs directly; the lock installs from wheels on Windows.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import pythons
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())

# Marker values of each platform learners use, and the wheel platform tags that install there.
PLATFORMS = {
    "Linux x86-64": (
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"},
        re.compile(r"^(manylinux\w*_x86_64|any)$"),
    ),
    "Linux aarch64": (
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64", "os_name": "posix"},
        re.compile(r"^(manylinux\w*_aarch64|any)$"),
    ),
    "macOS arm64": (
        {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64", "os_name": "posix"},
        re.compile(r"^(macosx_\d+_\d+_(arm64|universal2)|any)$"),
    ),
    "Windows x86-64": (
        {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"},
        re.compile(r"^(win_amd64|any)$"),
    ),
}
# Every CPython minor release requires-python admits, at its first and a late patch release.
PYTHONS = [
    f"3.{minor}.{patch}"
    for minor in range(8, 20)
    for patch in (0, 99)
    if f"3.{minor}.{patch}" in SpecifierSet(PROJECT["requires-python"])
]
# Tools only the tests use: none of them may reach a learner's laptop (nor mlxtend and what it pulled in).
TEST_ONLY = {"pytest", "nbval", "hypothesis", "scipy", "scikit-learn", "ruff", "playwright", "mlxtend", "pandas"}


def marker_env(platform: str, python: str) -> dict[str, str]:
    return {**PLATFORMS[platform][0], "python_full_version": python, "python_version": python.rsplit(".", 1)[0]}


def applies(marker: str | None, env: dict[str, str]) -> bool:
    return marker is None or Marker(marker).evaluate(env)


def locked(name: str, version: str | None = None) -> dict:
    """The lock's entry of a package (of one version, where the lock holds several)."""
    (package,) = [p for p in LOCK["package"] if p["name"] == name and version in (None, p["version"])]
    return package


def install_set(env: dict[str, str], extras=(), groups=()) -> dict[str, dict]:
    """Name -> lock entry of every package installed in `env` for the project with `extras` and `groups`."""
    root = locked(canonicalize_name(PROJECT["name"]))
    edges = list(root.get("dependencies", []))
    edges += [dep for extra in extras for dep in root["optional-dependencies"][extra]]
    edges += [dep for group in groups for dep in root["dev-dependencies"][group]]
    installed: dict[str, dict] = {}
    while edges:
        edge = edges.pop()
        if not applies(edge.get("marker"), env):
            continue
        package = locked(edge["name"], edge.get("version"))
        new_extras = set(edge.get("extra", [])) - installed.get(package["name"], {}).get("_extras", set())
        if package["name"] in installed and not new_extras:
            continue
        installed[package["name"]] = {**package, "_extras": installed.get(package["name"], {}).get("_extras", set())}
        installed[package["name"]]["_extras"] |= new_extras
        edges += package.get("dependencies", [])
        edges += [dep for extra in new_extras for dep in package.get("optional-dependencies", {}).get(extra, [])]
    return installed


def installable_files(package: dict, platform: str, python: str) -> list[dict]:
    """The package's locked files that install on `platform` under CPython `python`."""
    tag_pattern = PLATFORMS[platform][1]
    cp = "cp" + "".join(python.split(".")[:2])
    files = [package["sdist"]] if "sdist" in package else []
    for wheel in package.get("wheels", []):
        tags = parse_wheel_filename(wheel["url"].rsplit("/", 1)[1])[3]
        if any(
            tag_pattern.match(tag.platform)
            and (tag.interpreter in ("py3", cp) or (tag.abi == "abi3" and tag.interpreter <= cp))
            and tag.abi in ("none", "abi3", cp)
            for tag in tags
        ):
            files.append(wheel)
    return files


CASES = [(platform, python) for platform in PLATFORMS for python in PYTHONS]


def declared_requirements() -> list[Requirement]:
    groups = PYPROJECT["dependency-groups"]
    extras = PROJECT["optional-dependencies"]
    return [Requirement(r) for r in PROJECT["dependencies"] + sum(extras.values(), []) + sum(groups.values(), [])]


@pytest.mark.parametrize(("platform", "python"), CASES)
def test_every_declared_requirement_is_locked_within_its_range(platform, python):
    env = marker_env(platform, python)
    installed = install_set(env, extras=PROJECT["optional-dependencies"], groups=PYPROJECT["dependency-groups"])
    for req in declared_requirements():
        if req.marker is None or req.marker.evaluate(env):
            package = installed.get(canonicalize_name(req.name))
            assert package is not None, f"{req} is not in uv.lock for {platform}, Python {python}: run `make lock`"
            assert package["version"] in req.specifier, f"uv.lock pins {req.name} {package['version']}, not {req}"


@pytest.mark.parametrize(("platform", "python"), CASES)
def test_everything_installed_has_a_hashed_file_for_the_platform(platform, python):
    env = marker_env(platform, python)
    installed = install_set(env, extras=PROJECT["optional-dependencies"], groups=PYPROJECT["dependency-groups"])
    for name, package in installed.items():
        files = installable_files(package, platform, python)
        assert files, f"uv.lock has no file of {name} {package['version']} for {platform}, Python {python}"
        assert all(f["hash"].startswith("sha256:") for f in files), f"{name} is locked without a hash"


def test_the_lock_was_made_from_the_current_pyproject():
    metadata = locked(canonicalize_name(PROJECT["name"]))["metadata"]
    in_lock = metadata["requires-dist"] + sum(metadata["requires-dev"].values(), [])
    locked_ranges = {(r["name"], str(SpecifierSet(r.get("specifier", "")))) for r in in_lock}
    declared_ranges = {(canonicalize_name(r.name), str(r.specifier)) for r in declared_requirements()}
    assert locked_ranges == declared_ranges, "uv.lock is older than pyproject.toml: run `make lock`"
    assert SpecifierSet(LOCK["requires-python"]) == SpecifierSet(PROJECT["requires-python"])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_learner_install_has_no_test_tool(platform):
    for python in PYTHONS:
        learner = set(install_set(marker_env(platform, python)))
        assert not learner & TEST_ONLY, f"`make lab` would install {sorted(learner & TEST_ONLY)}"


@pytest.mark.parametrize("platform", ["Linux x86-64", "Windows x86-64"])
def test_the_learner_gets_the_cpu_only_tensorflow_where_pypi_has_it(platform):
    learner = install_set(marker_env(platform, PYTHONS[0]))
    assert "tensorflow-cpu" in learner and "tensorflow" not in learner


def test_uv_itself_is_pinned_with_hashes():
    text = (ROOT / "requirements-uv.txt").read_text()
    assert re.search(r"^uv==[\d.]+ ", text, re.MULTILINE)
    assert text.count("--hash=sha256:") >= len(PLATFORMS)


def conda_pip_section() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    return next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))


def test_environment_yml_installs_what_make_lab_installs():
    assert sorted(r for r in conda_pip_section() if not r.startswith("-e")) == sorted(PROJECT["dependencies"])


def test_environment_yml_installs_the_lab_package_itself():
    assert "-e ." in conda_pip_section()


def test_environment_yml_python_is_supported():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(dep for dep in env["dependencies"] if isinstance(dep, str) and dep.startswith("python="))
    assert python.split("=")[1] + ".0" in SpecifierSet(PROJECT["requires-python"])


def run_make_script(root: Path, *args: str, python: str = sys.executable) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, str(root / "tools" / "make.py"), *args], capture_output=True, text=True, timeout=60, cwd=root
    )


def unsupported_copy(tmp_path: Path) -> Path:
    """A copy of the set-up files whose pyproject.toml admits no Python that exists."""
    for name in ("Makefile", "pyproject.toml", "uv.lock", "requirements-uv.txt", "tools/make.py", "jupyter/lab.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text((ROOT / name).read_text())
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(re.sub(r'requires-python = "[^"]+"', 'requires-python = ">=3.99"', pyproject.read_text()))
    return tmp_path


REFUSAL = (
    "Python {running} is not supported: the lab needs Python {needs}. Install one, then run e.g. "
    "`make lab PYTHON=python3.12` (on Windows `py -3.12 tools/make.py lab`).\n"
)


def test_a_supported_python_passes_the_check_silently():
    result = run_make_script(ROOT, "python-ok")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_an_unsupported_python_gets_one_line_naming_the_versions_that_work(tmp_path):
    result = run_make_script(unsupported_copy(tmp_path), "lab")
    running = ".".join(map(str, sys.version_info[:3]))
    assert result.returncode == 1
    assert result.stderr == REFUSAL.format(running=running, needs=">=3.99")
    assert not (tmp_path / ".venv-uv").exists() and not (tmp_path / ".venv").exists()


@pytest.mark.parametrize("old", ["2.7", "3.6", "3.9"])
def test_an_old_python_running_the_set_up_script_gets_the_one_line_refusal(old):
    python = pythons.python(old)
    version = subprocess.run(
        [str(python), "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for command in ("lab", "test", "handin"):
        result = run_make_script(ROOT, command, python=str(python))
        assert result.returncode == 1
        assert result.stderr == REFUSAL.format(running=version, needs=PROJECT["requires-python"]), result.stderr
        assert result.stdout == ""


def test_the_set_up_script_names_its_commands_when_given_none():
    result = run_make_script(ROOT)
    assert result.returncode == 2
    assert all(command in result.stderr for command in ("lab", "test", "check", "handin", "train"))


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_make_lab_on_an_unsupported_python_stops_with_that_line_before_installing(tmp_path):
    unsupported_copy(tmp_path)
    # A make of its own, not a sub-make of `make test` (which would announce its directory).
    env = {key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    for target in ("lab", "test"):
        result = subprocess.run(
            ["make", target, f"PYTHON={sys.executable}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert result.stderr.count("\n") == 1 and "is not supported: the lab needs Python >=3.99" in result.stderr
        assert result.stdout == "" and not (tmp_path / ".venv-uv").exists() and not (tmp_path / ".venv").exists()


def test_the_makefile_sets_up_through_the_set_up_script():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "check", "handin", "train", "lock"):
        recipe = re.search(rf"^(?:[\w .-]* )?{target}(?: [\w .-]*)?:.*\n\t(.*)$", makefile, re.MULTILINE)
        assert recipe is not None and "$(SETUP)" in recipe.group(1), f"make {target} does not call tools/make.py"


def test_the_locked_learner_packages_resolve_to_windows_wheels(tmp_path):
    """Windows has no compiler a learner would have: every locked package of `make lab` and of the grader must
    install there from a wheel, for each Python requires-python admits."""
    requirements = tmp_path / "requirements.txt"
    uv = str(ROOT / ".venv-uv" / "bin" / "uv")
    export = [uv, "export", "--frozen", "--no-hashes", "--no-emit-project", "--extra", "grading", "--no-dev"]
    subprocess.run([*export, "--output-file", str(requirements)], cwd=ROOT, check=True, capture_output=True)
    for python in sorted({version.rsplit(".", 1)[0] for version in PYTHONS}):
        result = subprocess.run(
            [uv, "pip", "compile", "--quiet", "--python-platform", "x86_64-pc-windows-msvc", "--python-version", python]
            + ["--only-binary", ":all:", "--no-deps", str(requirements)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"Python {python} on Windows: {result.stderr}"
        assert re.search(r"^tensorflow-cpu==", result.stdout, re.MULTILINE)
