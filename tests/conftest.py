"""Shared fixtures and the suite's tiers.

Fixtures: the embedded data set (loaded once), full MNIST where present, and the browser tests' JupyterLab,
Chromium and solved-notebook runs (tests/browser_lab.py), each made once per test run.

Tiers: a test is marked `slow` when it starts a kernel, a browser, a sandbox or a hub; `make check` runs the
others (`pytest -m "not slow"`), `make test` all of them. The marks are given here, by module and by fixture, not
in each test file; a test left unmarked that starts one of those programs fails with a line saying so, so the
quick tier stays quick.

Under pytest-xdist (`-n`), each module is one group, run on one worker, so its shared fixtures (a class graded
once, the learner notebooks run once) are made once; the browser modules are one group, sharing one JupyterLab,
one Chromium and the solved notebooks' runs. `pytest_xdist_make_scheduler` below hands the groups out, the longest
first, so that the shorter ones fill the other core meanwhile and none of the long ones starts last. (Not
xdist's `xdist_group` mark: with pytest 9.2 and pytest-xdist 3.8 it no longer groups anything.)
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
from browser_lab import lab_browser, lab_server, playwright_driver, solved_in_lab  # noqa: F401 (fixtures)

from lab_utils.data import KERAS_CACHE, load_mnist

FULL_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist.npz"

# Modules each of whose tests starts a kernel, a browser, a sandbox or a hub (or reads a fixture that does).
SLOW_MODULES = frozenset(
    {
        "test_checks_new_exercise",
        "test_course_batch",
        "test_course_cli",
        "test_course_cluster",
        "test_course_handin_class",
        "test_course_hostile",
        "test_course_pages_a11y",
        "test_course_running",
        "test_grade",
        "test_grading_answers",
        "test_grading_hostile",
        "test_grading_isolation",
        "test_grading_leftovers",
        "test_grading_messages",
        "test_grading_runner",
        "test_grading_sandbox",
        "test_handin",
        "test_hub",
        "test_observe_lean_kernel",
        "test_wheel_install",
    }
)
# Modules that build the lab where a learner on their own runs it (Binder, Colab, Windows without make): their
# slow tests install a whole environment each, so they form a tier of their own, `make test-platforms`, which CI
# runs after `make test`.
PLATFORM_MODULES = frozenset({"test_binder", "test_colab", "test_windows_setup"})
# Fixtures that start one: a test using any of them (directly or through another fixture) is slow, in any module.
# A single test elsewhere that starts one itself carries `@pytest.mark.slow`.
SLOW_FIXTURES = frozenset({"lab_server", "first_check_errors"})
# What such a test starts, as its command line names it.
SLOW_PROGRAMS = re.compile(r"ipykernel|bwrap|playwright|-m jupyterlab|jupyterhub|configurable-http-proxy")
# The modules whose tests run in JupyterLab (the `lab_server` fixture): one group, handed out first.
BROWSER_MODULES = frozenset({"test_browser", "test_browser_a11y", "test_browser_handin"})
BROWSER_GROUP = "browser"
# The longest-running modules after it (measured, 2026-12-06), handed out next in this order, so that none of them
# starts last; the rest follow as collected.
LONGEST_FIRST = (
    "test_binder",
    "test_colab",
    "test_hub",
    "test_wheel_install",
    "test_course_hostile",
    "test_train",
    "test_course_batch",
    "test_notebooks",
    "test_course_cluster",
    "test_lazy_imports",
    "test_grade",
    "test_widgets",
    "test_course_running",
    "test_course_cli",
    "test_grading_runner",
    "test_checks_protocol",
    "test_handin",
)


# ---------------------------------------------------------------- data


@pytest.fixture(scope="session")
def mnist_5k():
    """The embedded data set, loaded once for the whole run."""
    return load_mnist("mnist-5k")


@pytest.fixture(scope="session")
def full_mnist_path():
    """Path of full MNIST: the workspace's copy (../shared/data/mnist.npz) or the Keras cache.

    Tests needing it skip where neither exists; CI has both (.ci/run fills the cache).
    """
    for path in (FULL_MNIST, KERAS_CACHE):
        if path.is_file():
            return path
    pytest.skip(f"full MNIST is neither at {FULL_MNIST} nor in the Keras cache {KERAS_CACHE}")


# ---------------------------------------------------------------- tiers and groups


def is_slow(item: pytest.Item) -> bool:
    """Whether the test starts a kernel, a browser, a sandbox or a hub (by its module or its fixtures)."""
    return item.path.stem in SLOW_MODULES or not SLOW_FIXTURES.isdisjoint(item.fixturenames)


def group_of(nodeid: str) -> str:
    """The xdist group of the test with this id: the browser tests' one, or its module's (its file's stem)."""
    stem = Path(nodeid.split("::")[0]).stem
    return BROWSER_GROUP if stem in BROWSER_MODULES else stem


def pytest_itemcollected(item: pytest.Item) -> None:
    if is_slow(item):
        item.add_marker(pytest.mark.slow)
    if item.path.stem in PLATFORM_MODULES and item.get_closest_marker("slow"):
        item.add_marker(pytest.mark.platforms)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser group first, then LONGEST_FIRST's modules, then the rest as collected.

    The groups are handed to the workers in this order. A stable sort, after pytest's own ordering by fixture
    parameters, so the tests of one solved notebook stay together.
    """
    rank = {group: index for index, group in enumerate((BROWSER_GROUP, *LONGEST_FIRST))}
    items.sort(key=lambda item: rank.get(group_of(item.nodeid), len(rank)))


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """For `--dist loadscope` (pyproject.toml): xdist's scheduling by scope, with `group_of` as the scope."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)


# ---------------------------------------------------------------- the quick tier's guard

# A test of the quick tier that starts a slow program: the command lines seen, by test id.
_started_unmarked: dict[str, list[str]] = {}
_current: list[pytest.Item] = []
_popen_init = subprocess.Popen.__init__


def _popen_init_watched(self, args, *rest, **kwargs):
    command = args if isinstance(args, str) else " ".join(map(str, args))
    if _current and not _current[0].get_closest_marker("slow") and SLOW_PROGRAMS.search(command):
        _started_unmarked.setdefault(_current[0].nodeid, []).append(command[:200])
    return _popen_init(self, args, *rest, **kwargs)


subprocess.Popen.__init__ = _popen_init_watched


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    _current[:] = [item]
    try:
        return (yield)
    finally:
        _current.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    started = _started_unmarked.pop(item.nodeid, None) if call.when == "teardown" else None
    if started and report.passed:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} is in the quick tier (`make check`) but started {started[0]!r}: "
            "give its module or fixture to SLOW_MODULES or SLOW_FIXTURES in tests/conftest.py, "
            "or the test @pytest.mark.slow"
        )
    return report
