"""The widgets in a real browser: JupyterLab serves a notebook, headless Chromium runs it and uses the widgets.

A widget can work in the kernel and still show "Error displaying widget" in JupyterLab (an ipywidgets /
jupyterlab_widgets mismatch, a missing front-end extension): only a browser shows that. This test starts
JupyterLab on a free loopback port with a random token, opens a notebook it wrote, runs all cells, moves a
softmax slider, draws on the digit pad with the mouse and presses Classify. Screenshots go to
artifacts/browser/. Needs Chromium (`apt-get install chromium`) and Playwright's Python package; without
them the test is skipped, except under CI, where it fails.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
INSTALL_HINT = (
    "install Chromium (`apt-get install chromium`) and Playwright's Python package (`pip install playwright`)"
)
SERVER_START_TIMEOUT = 60
KERNEL_TIMEOUT_MS = 120_000  # starting the kernel and importing TensorFlow on a busy 2-core machine
UI_TIMEOUT_MS = 20_000
SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
PROBABILITY = re.compile(r"p = (\d\.\d{3})")
CELLS = [
    "from lab_utils.config import LabConfig\n"
    "from lab_utils.train import train\n"
    "from lab_utils.widgets import LiveCurves, draw_digit_pad, softmax_explorer",
    "softmax_explorer()",
    "curves = LiveCurves()\n"
    # 10 epochs of the embedded data (a few seconds) recognise a cleanly drawn 7 (p ~0.96 in a trial).
    "model = train(LabConfig(epochs=10), callbacks=[curves]).model\n"
    "print('live curves:', curves.live, len(curves.history['loss']))",
    "draw_digit_pad(model)",
]


def chromium_path() -> str:
    """Debian's Chromium; skips the test where it (or Playwright) is missing, fails under CI."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        message = f"the browser test needs Chromium and Playwright: {INSTALL_HINT}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_notebook(folder: Path) -> str:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nbformat.write(notebook, folder / "widgets_in_browser.ipynb")
    return "widgets_in_browser.ipynb"


def start_jupyterlab(root: Path, port: int, token: str) -> subprocess.Popen:
    """JupyterLab on 127.0.0.1:`port`, its settings and workspaces kept inside `root`.

    The settings turn off the news and update pop-ups, which would otherwise cover the page.
    """
    home = root / "jupyter-home"
    for plugin, settings in SETTINGS.items():
        path = home / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(home),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root / 'notebooks'}",
    ]
    log = (root / "jupyterlab.log").open("w")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_serving(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def start_kernel(base_url: str, token: str, notebook: str) -> None:
    """Start the notebook's kernel through the REST API: JupyterLab then connects to it without asking which."""
    body = json.dumps({"path": notebook, "type": "notebook", "name": notebook, "kernel": {"name": "python3"}})
    request = urllib.request.Request(
        f"{base_url}/api/sessions?token={token}",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).close()


def stop_jupyterlab(server: subprocess.Popen, base_url: str, token: str) -> None:
    """Ask the server to shut down (it stops its kernels), then make sure the process group is gone."""
    try:
        request = urllib.request.Request(f"{base_url}/api/shutdown?token={token}", method="POST")
        urllib.request.urlopen(request, timeout=5).close()
        server.wait(timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        pass
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module")
def notebook_page(tmp_path_factory):
    """A JupyterLab page showing the test notebook with every cell run; the server stops afterwards."""
    executable = chromium_path()
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path_factory.mktemp("jupyterlab")
    (root / "notebooks").mkdir()
    name = write_notebook(root / "notebooks")
    port, token = free_port(), secrets.token_hex(16)
    base_url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = start_jupyterlab(root, port, token)
    try:
        wait_until_serving(server, f"{base_url}/api/status?token={token}", root / "jupyterlab.log")
        start_kernel(base_url, token, name)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch_persistent_context(
                str(root / "chromium-profile"),
                executable_path=executable,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1280, "height": 1400},
            )
            page = browser.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            try:
                page.goto(f"{base_url}/lab/tree/{name}?token={token}")
                # The status bar names the kernel only once the notebook is attached to it; running
                # cells before that makes JupyterLab ask which kernel to start instead.
                idle = page.get_by_role("contentinfo").get_by_role("button", name=re.compile(r"\(ipykernel\) \| Idle$"))
                expect(idle).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
                page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
                page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
                expect(page.locator(".lab-digit-pad canvas")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
                expect(idle).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
                yield page
            finally:
                # The whole notebook as the tests left it: the first thing to look at when one fails.
                page.screenshot(path=ARTIFACTS / "notebook.png", full_page=True)
                print(f"\nnotebook screenshot: {ARTIFACTS / 'notebook.png'}")
                browser.close()
    finally:
        stop_jupyterlab(server, base_url, token)


def shown_probabilities(widget) -> list[float]:
    texts = widget.locator(".lab-proba-value").all_inner_texts()
    return [float(match.group(1)) for match in map(PROBABILITY.search, texts) if match]


def test_no_widget_fails_to_display(notebook_page):
    from playwright.sync_api import expect

    expect(notebook_page.get_by_text("Error displaying widget")).to_have_count(0)
    expect(notebook_page.get_by_text("Error rendering output")).to_have_count(0)


def test_live_curves_draw_in_the_browser(notebook_page):
    from playwright.sync_api import expect

    cell = notebook_page.locator(".jp-CodeCell", has_text="live curves:")
    expect(cell.get_by_text("live curves: True 10")).to_be_visible()
    expect(cell.locator(".jp-OutputArea-output img")).to_have_count(1)
    path = ARTIFACTS / "live_curves.png"
    cell.locator(".jp-OutputArea").screenshot(path=path)
    print(f"live curves screenshot: {path}")


def test_softmax_sliders_move_the_probability_bars(notebook_page):
    from playwright.sync_api import expect

    explorer = notebook_page.locator(".lab-softmax")
    expect(explorer.locator(".widget-slider")).to_have_count(4)
    expect(explorer.locator(".widget-hprogress")).to_have_count(4)
    before = shown_probabilities(explorer)
    assert len(before) == 4 and sum(before) == pytest.approx(1.0, abs=0.005)

    handle = explorer.locator(".noUi-handle").last
    box = handle.bounding_box()
    notebook_page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    notebook_page.mouse.down()
    notebook_page.mouse.move(box["x"] + 150, box["y"] + box["height"] / 2, steps=10)
    notebook_page.mouse.up()

    expect(explorer.locator(".lab-proba-value").last).not_to_have_text(f"p = {before[-1]:.3f}")
    after = shown_probabilities(explorer)
    assert after[-1] > before[-1]
    assert sum(after) == pytest.approx(1.0, abs=0.005)
    path = ARTIFACTS / "softmax_explorer.png"
    explorer.screenshot(path=path)
    print(f"softmax explorer screenshot: {path}")


def test_digit_pad_recognises_a_digit_drawn_with_the_mouse(notebook_page):
    from playwright.sync_api import expect

    pad = notebook_page.locator(".lab-digit-pad")
    canvas = pad.locator("canvas").first
    box = canvas.bounding_box()
    mouse = notebook_page.mouse
    # A "7": the top bar, then the diagonal down to the bottom.
    mouse.move(box["x"] + 70, box["y"] + 60)
    mouse.down()
    mouse.move(box["x"] + 200, box["y"] + 60, steps=12)
    mouse.move(box["x"] + 120, box["y"] + 230, steps=15)
    mouse.up()
    # The strokes travel to the kernel and back as drawing commands: wait until the page shows them.
    notebook_page.wait_for_function(
        """canvas => {
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 200) return true;
            return false;
        }""",
        arg=canvas.element_handle(),
    )
    pad.get_by_role("button", name="Classify").click()

    expect(pad.get_by_text("prediction:")).to_be_visible()
    shown = shown_probabilities(pad)
    assert len(shown) == 10 and sum(shown) == pytest.approx(1.0, abs=0.01)
    assert re.search(r"prediction:\s*7\b", pad.inner_text()), pad.inner_text()
    path = ARTIFACTS / "digit_pad.png"
    pad.screenshot(path=path)
    print(f"digit pad screenshot: {path}")
