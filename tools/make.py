"""The lab's set-up and commands on every platform: `python tools/make.py COMMAND` (on Windows `py tools/make.py`).

    lab         install .venv from uv.lock (the lab's packages only) and open JupyterLab
    test        install the grader's and the tests' packages too, then lint, unit tests, every notebook under nbval
    check       the quick loop: lint and the unit tests not marked slow
    lint, test-unit, test-notebooks   one part of `test`
    test-platforms  the tests that install the lab as Binder, Colab and Windows would (CI runs them too)
    handin      pre-check your notebooks and write the file to hand in (--learner ID names it)
    train       train the configured model without a notebook (further flags go to the trainer: --help)
    install     only install: `install lab` or `install test`
    lock        refresh uv.lock, uv's own pin (requirements-uv.txt) and Binder's requirements (binder/)
    test-latest the whole suite in .venv-latest with the newest releases pyproject.toml's ranges allow
    python-ok   say nothing if this Python can run the lab, else the one line saying which can (exit 1)

The Makefile's targets call this script, so `make lab` and `python tools/make.py lab` do the same thing; Windows
has no make. uv installs the lock; it lives in a venv of its own (.venv-uv, pinned with hashes in
requirements-uv.txt) since `uv sync` makes .venv exactly the lock. .venv is re-synced only when pyproject.toml,
uv.lock or uv itself changed since the last sync (the stamp files .venv/.installed-lab and .installed-test).

Before anything is installed an unsupported Python gets one line naming the versions that work, not a resolver's
traceback. So this file must parse on any Python, 2.7 included: no f-strings, annotations, keyword-only
arguments or pathlib at module level; what runs after the version check may use anything.
"""

import operator
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = ".venv"
UV_VENV = ".venv-uv"
LATEST_VENV = ".venv-latest"
UV_VERSION = "0.13.9"
STAMPS = {"lab": os.path.join(VENV, ".installed-lab"), "test": os.path.join(VENV, ".installed-test")}
# What each install adds to the lab's own packages: `test` is a superset of `lab`, so it counts as one.
INSTALL_FLAGS = {"lab": [], "test": ["--extra", "grading", "--group", "test"]}

# The test commands, in one place: each is the arguments of .venv's python.
LINT = [["-m", "ruff", "check", "."], ["-m", "ruff", "format", "--check", "."]]
# On every core (pytest-xdist): tests/conftest.py groups the tests and hands out the longest groups first; the
# quick tier is every test that starts no kernel, browser, sandbox or hub (the `slow` mark); nbval runs one
# notebook per worker, its cells in order in one kernel.
UNIT_TESTS = ["-m", "pytest", "-n", "auto", "-m", "not platforms", "tests", "--durations=10"]
PLATFORM_TESTS = ["-m", "pytest", "-n", "auto", "-m", "platforms", "tests", "--durations=10"]
QUICK_TESTS = ["-m", "pytest", "-n", "auto", "-m", "not slow", "tests"]
NOTEBOOK_TESTS = ["-m", "pytest", "-n", "auto", "--dist", "loadfile", "--nbval", "--nbval-current-env"]
NOTEBOOK_TESTS += ["--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "solutions"]
# Notebook 06 runs its full experiments for a learner; the suites run its shortened ones.
TEST_ENVIRONMENT = {"LAB_FULL_RUN": "0"}
SUITES = {
    "test": LINT + [UNIT_TESTS, NOTEBOOK_TESTS],
    "check": LINT + [QUICK_TESTS],
    "lint": LINT,
    "test-unit": [UNIT_TESTS],
    "test-notebooks": [NOTEBOOK_TESTS],
    "test-platforms": [PLATFORM_TESTS],
}

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
OPERATORS["!="] = operator.ne


def requires_python(pyproject_text):
    """The `requires-python` string of a pyproject.toml's text, e.g. ">=3.10,<3.14"."""
    match = re.search(r'^requires-python\s*=\s*"([^"]+)"', pyproject_text, re.MULTILINE)
    if match is None:
        raise ValueError("pyproject.toml has no requires-python")
    return match.group(1)


def python_problem(version, requires):
    """None if `version` (a tuple such as (3, 11, 7)) satisfies `requires`, else the one-line message.

    `requires` holds comma-separated clauses of an operator and a release number (">=3.10, <3.14").
    """
    for clause in requires.split(","):
        match = re.match(r"\s*(>=|<=|==|!=|>|<)\s*([0-9.]+)\s*$", clause)
        if match is None:
            raise ValueError("unsupported requires-python clause: " + clause)
        bound = tuple(int(part) for part in match.group(2).split("."))
        if not OPERATORS[match.group(1)](tuple(version[: len(bound)]), bound):
            return (
                "Python {0} is not supported: the lab needs Python {1}. Install one, then run e.g. "
                "`make lab PYTHON=python3.12` (on Windows `py -3.12 tools/make.py lab`)."
            ).format(".".join(str(part) for part in version[:3]), requires.replace(" ", ""))
    return None


def this_python_problem():
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        return python_problem(tuple(sys.version_info[:3]), requires_python(f.read()))


def venv_program(venv, name):
    """A program in a venv: Scripts\\NAME.exe on Windows, bin/NAME elsewhere."""
    if os.name == "nt":
        return os.path.join(ROOT, venv, "Scripts", name + ".exe")
    return os.path.join(ROOT, venv, "bin", name)


def run(argv, env=None):
    """Run a command with the terminal attached (as jupyter/lab.py runs JupyterLab) and return its exit status."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lab_jupyter", os.path.join(ROOT, "jupyter", "lab.py"))
    lab_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab_module)
    return lab_module.serve(argv, dict(os.environ) if env is None else env)


def must(argv, env=None):
    status = run(argv, env)
    if status != 0:
        raise SystemExit(status)


def newer(target, sources):
    """True if `target` is missing or older than any of `sources` (paths under the repository), as make decides."""
    target = os.path.join(ROOT, target)
    if not os.path.exists(target):
        return True
    built = os.path.getmtime(target)
    return any(os.path.getmtime(os.path.join(ROOT, source)) > built for source in sources)


def touch(*paths):
    for path in paths:
        with open(os.path.join(ROOT, path), "a"):
            os.utime(os.path.join(ROOT, path), None)


def install_uv():
    """uv at the version of requirements-uv.txt, in .venv-uv, checked against its hashes; returns its path."""
    uv = venv_program(UV_VENV, "uv")
    if newer(uv, ["requirements-uv.txt"]):
        python = venv_program(UV_VENV, "python")
        if not os.path.exists(python):
            must([sys.executable, "-m", "venv", UV_VENV])
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--require-hashes"]
        must(pip + ["-r", "requirements-uv.txt"])
        touch(uv)
    return uv


def install(kind):
    """Sync .venv with the lock for `kind` ("lab" or "test") unless it is up to date; returns its python."""
    uv = install_uv()
    if newer(STAMPS[kind], [uv, "pyproject.toml", "uv.lock"]):
        # The interpreter .venv is built from, by path, so that uv neither looks elsewhere nor downloads one.
        # --compile-bytecode as pip does: where .pyc files cannot be written later (the grader's read-only
        # sandbox, PYTHONDONTWRITEBYTECODE), every import of TensorFlow would compile it from source.
        sync = [uv, "sync", "--locked", "--no-python-downloads", "--compile-bytecode", "--python", sys.executable]
        must(sync + INSTALL_FLAGS[kind], dict(os.environ, UV_PROJECT_ENVIRONMENT=VENV))
        touch(*(STAMPS.values() if kind == "test" else [STAMPS[kind]]))
    return venv_program(VENV, "python")


def run_all(python, commands, env=None):
    """Run every command with `python`, also after one fails (a lint failure must not hide what tests say)."""
    statuses = [run([python] + arguments, env) for arguments in commands]
    return next((status for status in statuses if status != 0), 0)


def lab(args):
    return run([install("lab"), os.path.join("jupyter", "lab.py")] + args)


def suite(name):
    """The command that runs the suite `name` of SUITES in .venv (installed for the tests); its arguments go to
    each pytest run (`py tools/make.py check -k softmax`)."""

    def command(args):
        commands = [c + args if "pytest" in c else c for c in SUITES[name]]
        return run_all(install("test"), commands, dict(os.environ, **TEST_ENVIRONMENT))

    return command


def handin(args):
    return run([install("lab"), "-m", "lab_utils.handin", "notebooks"] + args)


def train(args):
    return run([install("lab"), "-m", "lab_utils.train"] + args)


def install_only(args):
    if args not in (["lab"], ["test"], ["uv"]):
        raise SystemExit("usage: tools/make.py install lab|test|uv")
    install_uv() if args == ["uv"] else install(args[0])
    return 0


def lock(args):
    """Refresh uv.lock (--upgrade: every pin to the newest release allowed), uv's pin, and Binder's file."""
    uv = install_uv()
    must([uv, "lock", "--no-python-downloads"] + args)
    import subprocess

    pin_uv = [uv, "pip", "compile", "--quiet", "--universal", "--generate-hashes", "--python-version", "3.10"]
    pin_uv += ["--output-file", "requirements-uv.txt", "-"]
    subprocess.run(pin_uv, cwd=ROOT, check=True, input="uv=={0}\n".format(UV_VERSION).encode())
    must([uv] + BINDER_EXPORT)
    return 0


# Binder (repo2docker) pip-installs this file over its own base environment, whose `notebook` must match the
# lock's JupyterLab: the `binder` group pins one that does.
BINDER_EXPORT = ["export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-project", "--group", "binder"]
BINDER_EXPORT += ["--output-file", "binder/requirements.txt"]


def test_latest(args):
    uv = install_uv()
    must([uv, "venv", "--allow-existing", "--no-python-downloads", "--python", sys.executable, LATEST_VENV])
    upgrade = [uv, "pip", "install", "--python", LATEST_VENV, "--upgrade", "--compile-bytecode"]
    must(upgrade + ["--editable", ".[grading]", "--group", "test"])
    return run_all(venv_program(LATEST_VENV, "python"), SUITES["test"], dict(os.environ, **TEST_ENVIRONMENT))


COMMANDS = {"lab": lab, "handin": handin, "train": train, "install": install_only, "lock": lock}
COMMANDS["test-latest"] = test_latest
COMMANDS.update((name, suite(name)) for name in SUITES)


def main(argv):
    problem = this_python_problem()
    if len(argv) == 2 and argv[1] == "python-ok":
        if problem:
            sys.stderr.write(problem + "\n")
        return 1 if problem else 0
    if len(argv) < 2 or argv[1] not in COMMANDS:
        sys.stderr.write("usage: python tools/make.py {" + ",".join(sorted(COMMANDS)) + ",python-ok} [ARGS]\n")
        return 2
    if problem:
        sys.stderr.write(problem + "\n")
        return 1
    os.chdir(ROOT)
    return COMMANDS[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
