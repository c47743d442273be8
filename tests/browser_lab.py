"""What the browser tests need to drive the lab in JupyterLab: the server, as `make lab` starts it, and a
notebook page with the actions a learner takes (Run All Cells, typing into a cell, running it).

JupyterLab runs on a free 127.0.0.1 port with a random token, from `jupyter/lab.py` (the command and the
settings `make lab` uses), serving a scratch copy of the notebooks; every process it starts is ended by PID.
The fixtures `playwright_driver`, `lab_server`, `lab_browser` and `solved_in_lab` (tests/conftest.py makes them
everyone's) are made once per test run: one JupyterLab and one Chromium for all browser tests, and each solved notebook
run once (Run All Cells) for every test that reads it, whichever module the test is in.
Screenshots go to artifacts/browser/, and with LAB_SCREENSHOTS=DIR the README's ones are also copied to DIR
as small palette PNGs (`make screenshots`). `axe_violations(page, selector)` runs axe-core (through
axe-playwright-python) on part of a page, for the accessibility tests.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from scripts import load_script

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "install Chromium (`apt-get install chromium`) and Playwright's Python package (`pip install playwright`)"
)
SERVER_START_TIMEOUT = 60
KERNEL_TIMEOUT_MS = 180_000  # starting a kernel and importing TensorFlow on a busy 2-core machine
UI_TIMEOUT_MS = 20_000
RUN_ALL_TIMEOUT_MS = 20 * 60_000  # 06_going_further trains several networks; a busy 2-core machine is slow
SOLVED = sorted(path.stem for path in (REPO / "solutions").glob("*.ipynb"))
# The kernels get the environment a learner's would: without the quiet settings tests/conftest.py adds.
TEST_ONLY_VARIABLES = ("TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND")
LEARNER_ENVIRONMENT = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}
SCREENSHOT_COLOURS = 256  # a palette PNG: a third of the size of a full-colour one, no visible banding


def load_launcher():
    """jupyter/lab.py, the module `make lab` runs, imported from its path (it is a script, not a package)."""
    return load_script(REPO / "jupyter" / "lab.py", "lab_launcher")


def chromium_path() -> str:
    """Debian's Chromium; skips the test where it (or Playwright) is missing, fails under CI and `make screenshots`."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        message = f"the browser test needs Chromium and Playwright: {INSTALL_HINT}"
        if os.environ.get("CI") or os.environ.get("LAB_SCREENSHOTS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """JupyterLab serving `notebooks` on 127.0.0.1, started by jupyter/lab.py's command and environment."""

    def __init__(self, notebooks: Path, state: Path, environment: dict[str, str] | None = None) -> None:
        """`environment`: variables added to the learner's for the server and its kernels (say PYTHONPATH)."""
        launcher = load_launcher()
        self.notebooks = notebooks
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = state / "jupyterlab.log"
        state.mkdir(parents=True, exist_ok=True)
        flags = [
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                launcher.command(notebooks, flags),
                env=launcher.environment(state, base={**LEARNER_ENVIRONMENT, **(environment or {})}),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_serving()

    def api(self, path: str, method: str = "GET", timeout: float = 30) -> object:
        request = urllib.request.Request(f"{self.url}/api/{path}?token={self.token}", method=method)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def stop_kernels(self) -> None:
        """End every session's kernel: each notebook test starts from a machine with no kernel running."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then make sure its process group is gone."""
        try:
            self.api("shutdown", method="POST", timeout=5)
            self.process.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                self.api("status", timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n{self.log.read_text()[-3000:]}")


class NotebookPage:
    """The JupyterLab page at `url`, showing a notebook, once its kernel has started and is idle."""

    def __init__(self, page, server: LabServer, url: str) -> None:
        self.page, self.server = page, server
        self.requests: list[str] = []  # every URL the page asked for, to prove the lab works offline
        page.on("request", lambda request: self.requests.append(request.url))
        page.goto(url)
        self.wait_for_kernel_idle()

    def foreign_requests(self) -> list[str]:
        """The URLs the page asked for from anywhere but its own JupyterLab server."""
        return [url for url in self.requests if not url.startswith((self.server.url, "data:", "blob:"))]

    @property
    def kernel_status(self):
        """The status bar's kernel item, e.g. "Python 3 (ipykernel) | Idle"."""
        return self.page.get_by_role("contentinfo").get_by_role("button", name=re.compile(r"\(ipykernel\) \| "))

    def wait_for_kernel_idle(self, timeout: float = KERNEL_TIMEOUT_MS) -> None:
        # The status bar names the kernel only once the notebook is attached to it; running cells
        # before that makes JupyterLab ask which kernel to start instead.
        from playwright.sync_api import expect

        expect(self.kernel_status).to_have_accessible_name(re.compile(r"\| Idle$"), timeout=timeout)

    def run_all(self, timeout: float) -> None:
        """Run → Run All Cells, then wait until no cell is queued or running and the kernel is idle."""
        last = self.last_execution_count()
        self.click_run_all()
        self.wait_until_done(last, timeout)

    def click_run_all(self) -> None:
        """Run → Run All Cells, without waiting for the cells."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()

    def last_execution_count(self) -> int:
        return max((count for count in self.execution_counts() if count is not None), default=0)

    def wait_until_done(self, last: int, timeout: float) -> None:
        """Wait until a cell ran after execution count `last`, none is queued or running ([*]), the kernel is idle."""
        self.page.wait_for_function(
            """last => {
                const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
                const counts = prompts.map(p => parseInt((p.textContent.match(/\\[(\\d+)\\]/) || [])[1] || '0'));
                return prompts.every(p => !p.textContent.includes('*')) && Math.max(0, ...counts) > last;
            }""",
            arg=last,
            timeout=timeout,
            polling=500,
        )
        self.wait_for_kernel_idle(timeout)

    def cell_with(self, text: str):
        """The code cell whose source contains `text`."""
        return self.page.locator(".jp-Notebook .jp-CodeCell", has=self.page.locator(".jp-InputArea", has_text=text))

    def execution_counts(self) -> list[int | None]:
        """Each code cell's execution count, None for a cell that has not run."""
        prompts = self.page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").all_text_contents()
        counts = [re.search(r"\[(\d+)\]", prompt) for prompt in prompts]
        return [int(match.group(1)) if match else None for match in counts]

    def replace_source(self, cell, source: str) -> None:
        """Select the cell's whole text and put `source` there, as a learner typing (or pasting) would.

        The text is inserted as one edit: typed key by key, the editor would add its own indentation.
        """
        cell.locator(".cm-content").click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(source)

    def insert_cell_below(self, cell, source: str):
        """A new code cell right after `cell`, holding `source` (typed in, not run); returns it.

        Selects `cell` with a click on its prompt, then the toolbar's "Insert a cell below" button. The new cell is
        found by its index: JupyterLab renders only the cells near the view, so counting cells proves nothing.
        """
        from playwright.sync_api import expect

        cell.locator(".jp-InputArea-prompt").click()
        expect(cell).to_have_class(re.compile(r"\bjp-mod-active\b"))
        index = int(cell.get_attribute("data-windowed-list-index"))
        self.page.locator('.jp-NotebookPanel-toolbar [data-command="notebook:insert-cell-below"]').click()
        new = self.page.locator(f'.jp-Notebook .jp-Cell[data-windowed-list-index="{index + 1}"]')
        expect(new).to_have_class(re.compile(r"\bjp-mod-active\b"))
        self.replace_source(new, source)
        return new

    def run_cell(self, cell, timeout: float = KERNEL_TIMEOUT_MS) -> None:
        """Run one cell the way a learner does: click into it, Ctrl+Enter, wait until it has run."""
        last = self.last_execution_count()
        cell.locator(".cm-content").click()
        self.page.keyboard.press("Control+Enter")
        self.wait_until_done(last, timeout)

    def screenshot_cells(self, name: str, first, last) -> Path:
        """Save a PNG of the cells from `first` to `last` (locators), as the notebook shows them."""
        first.evaluate("cell => cell.scrollIntoView({block: 'start'})")
        top, bottom = first.bounding_box(), last.bounding_box()
        clip = dict(x=top["x"], y=top["y"], width=top["width"], height=bottom["y"] + bottom["height"] - top["y"] + 8)
        path = ARTIFACTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=path, clip=clip)
        print(f"\nscreenshot: {path}")
        return path

    def screenshot(self, name: str, target=None) -> Path:
        """Save a PNG of `target` (a locator; default: the page) to artifacts/browser/ and say where."""
        path = ARTIFACTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        (target or self.page).screenshot(path=path)
        print(f"\nscreenshot: {path}")
        return path


def publish_screenshot(path: Path, name: str) -> None:
    """With LAB_SCREENSHOTS=DIR (`make screenshots`), also save `path` as DIR/`name`.png, reduced to a palette."""
    folder = os.environ.get("LAB_SCREENSHOTS")
    if not folder:
        return
    from PIL import Image

    target = Path(folder) if Path(folder).is_absolute() else REPO / folder
    target.mkdir(parents=True, exist_ok=True)
    image = Image.open(path).convert("RGB").quantize(SCREENSHOT_COLOURS, method=Image.Quantize.MEDIANCUT)
    image.save(target / f"{name}.png", optimize=True)


def axe_violations(page, selector: str | None = None, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's violations of `impacts` on the page, or only in the nodes matching `selector` (a CSS selector).

    Each violation is axe's own dict (id, impact, help, nodes, ...), its nodes limited to `selector`.
    An empty `impacts` means every violation, whatever its impact.
    """
    from axe_playwright_python.sync_playwright import Axe

    context = {"include": [[selector]]} if selector else None
    violations = Axe().run(page, context=context).response["violations"]
    return [violation for violation in violations if not impacts or violation["impact"] in impacts]


def describe_violations(violations: list[dict]) -> str:
    """One line per violation and node: rule id, impact, the node's selector and axe's summary, for a test's message."""
    return "\n".join(
        f"{violation['id']} ({violation['impact']}): {' '.join(node['target'])}: {violation['help']}"
        for violation in violations
        for node in violation["nodes"]
    )


# ---------------------------------------------------------------- the fixtures, made once per test run


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """JupyterLab as `make lab` starts it, serving scratch copies: learner notebooks, and solved ones in solutions/."""
    chromium_path()
    root = tmp_path_factory.mktemp("lab")
    served = root / "notebooks"
    (served / "solutions").mkdir(parents=True)
    for path in (REPO / "notebooks").glob("*.ipynb"):
        shutil.copy(path, served)
    for name in SOLVED:
        notebook = nbformat.read(REPO / "solutions" / f"{name}.ipynb", as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, served / "solutions" / f"{name}.ipynb")
    server = LabServer(served, root / "state")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright_driver():
    """Playwright, started once per test run: its sync API runs one at a time in a process."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def lab_browser(lab_server, playwright_driver):
    """Headless Chromium (a persistent context, as a learner's browser keeps its settings), for `lab_server`."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(lab_server.log.parent / "chromium-profile"),
        executable_path=chromium_path(),
        args=CHROMIUM_ARGS,
        headless=True,
        viewport={"width": 1280, "height": 1000},
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    yield context
    context.close()


def open_notebook(server: LabServer, browser, path: str) -> NotebookPage:
    """`path` open in a JupyterLab workspace of its own, so that no other notebook is reopened with it."""
    workspace = re.sub(r"\W", "-", path)
    return NotebookPage(
        browser.new_page(), server, f"{server.url}/lab/workspaces/{workspace}/tree/{path}?token={server.token}&reset"
    )


def close_notebook(server: LabServer, notebook: NotebookPage) -> None:
    notebook.page.close()
    server.stop_kernels()


@pytest.fixture(scope="session", params=SOLVED)
def solved_in_lab(request, lab_server, lab_browser):
    """A solved notebook (outputs removed) after Run All Cells, with its name; run once for all the tests reading it.

    pytest runs the tests of one notebook together (it orders the tests by a session fixture's parameter), so only
    one solved notebook's kernel runs at a time. The tests share the page: each changes only the widget (or the
    field of it) that no later test reads as the notebook left it.
    """
    notebook = open_notebook(lab_server, lab_browser, f"solutions/{request.param}.ipynb")
    notebook.name = request.param
    notebook.run_all(RUN_ALL_TIMEOUT_MS)
    notebook.screenshot(f"solved-{request.param}")
    yield notebook
    close_notebook(lab_server, notebook)
