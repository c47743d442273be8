"""The lab on a real JupyterHub, as a course runs it (docs/hub.md): two learners follow the nbgitpuller link at once.

The test sets up, on 127.0.0.1 only:
- the lab's environment, installed by `make hub-env` into a folder every user can read;
- JupyterHub from that environment (the locked version) with PAM log-in and the local-process spawner, each learner's
  server `jupyterhub-singleuser` from the environment, behind configurable-http-proxy from npm (pinned; installed
  once into ~/.cache/mnist-lab-tests);
- two PAM users made with `useradd`, homes private (HOME_MODE 0700, as docs/hub.md says to set);
- the learners' repository: the branch the link names, made by `make course-branch` from this checkout's HEAD
  (no solutions/), served by `git daemon`; beside it the worked examples' repository, holding the solved 01 with
  its outputs cleared, as docs/hub.md says to hand one out.

Two learners in headless Chromium log in through the link at the same time; each gets the notebooks in
~/mnist-lab and 01_softmax open, and Run All shows its first check's answer. Then one runs `handin()` in a cell of
its own (the table and the zip appear) while the other follows the worked example's link and runs all of the solved
01 (every cell runs, its widgets show). An upstream commit is then re-pulled by following the link again.
Everything started is stopped by its PID and the users are removed, also on failure. It needs root (useradd, a hub
that spawns as other users), Node.js 20 or later with npm, git, ps and runuser: elsewhere it is skipped without
them, and under CI it fails instead. Times (spawn, link to first check, the solved 01's run) are printed:
`pytest tests/test_hub.py -s`.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from browser_lab import CHROMIUM_ARGS, chromium_path
from test_browser import STDERR, WIDGET_VIEW, stored_outputs

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "hub"
# The environment's base interpreter must be one the learners can run: a system Python, not one in root's home.
SYSTEM_PYTHON = Path("/usr/bin/python3")
CHP_VERSION = "5.3.0"  # configurable-http-proxy, from npm
CHP_NODE = 20  # the oldest Node.js major version it runs on (its package.json's engines)
CHP_HOME = Path.home() / ".cache" / "mnist-lab-tests" / f"configurable-http-proxy-{CHP_VERSION}"
BRANCH = "course-v-test"  # the link names the branch `make course-branch` made from the release the env was built from
WORKED = "mnist-lab-solved"  # the worked examples' repository, and the folder its link pulls into
WORKED_NOTEBOOK = "01_softmax"
WORKED_SOURCE = ROOT / "solutions" / f"{WORKED_NOTEBOOK}.ipynb"
IDENTITY = {"NAME": "Instructor", "EMAIL": "instructor@example.org"}
START_CODE = "### START CODE HERE ###"
HANDIN = "# my own cell: handing in from the hub\nfrom lab_utils.handin import handin\n\nhandin()"
UPSTREAM_LINE = "Announcement from the course: exercise 3 has a new hint."
HUB_TIMEOUT = 60  # seconds for the hub to answer
SPAWN_TIMEOUT_MS = 180_000  # log-in to the learner's server answering, with a busy 2-core machine
KERNEL_TIMEOUT_MS = 240_000  # two kernels importing TensorFlow at once
HANDIN_TIMEOUT_MS = 600_000  # the grader's kernel and every notebook of the series
RUN_ALL_TIMEOUT_MS = 600_000  # the solved 01, beside a hand-in grading the whole series
WIDGET_ERRORS = ("Error displaying widget", "Error rendering output")


def needs(condition: bool, message: str) -> None:
    """Skip without `condition` on a developer's machine; fail under CI, where it must run."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"the hub test cannot run: {message}")
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False, **kwargs)
    assert done.returncode == 0, f"{' '.join(argv)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


def stop(pid: int) -> None:
    """End one process by its PID: SIGTERM, then SIGKILL after 20 s."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                return
        except ChildProcessError:  # not our child: poll for it
            if not Path(f"/proc/{pid}").exists():
                return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def processes_of(user: str) -> list[int]:
    done = subprocess.run(["ps", "-o", "pid=", "-u", user], capture_output=True, text=True, check=False)
    return [int(pid) for pid in done.stdout.split()]


def node_major() -> int:
    """The major version of the `node` on PATH, 0 without one."""
    if not shutil.which("node"):
        return 0
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout
    match = re.match(r"v(\d+)\.", version)
    return int(match.group(1)) if match else 0


def configurable_http_proxy() -> Path:
    """The proxy's command, installed once from npm at CHP_VERSION."""
    command = CHP_HOME / "node_modules" / ".bin" / "configurable-http-proxy"
    if not command.exists():
        run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(CHP_HOME),
                f"configurable-http-proxy@{CHP_VERSION}",
            ]
        )
    return command


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder`: its size and modification time."""
    found = {}
    for directory, _, files in os.walk(folder):
        for name in files:
            path = Path(directory, name)
            stat = path.lstat()
            found[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return found


@dataclass
class Hub:
    base: Path  # everything the test made, readable by the learners
    env: Path
    url: str
    link: str  # the nbgitpuller link, from /hub/
    repo: Path  # the bare repository git daemon serves
    worked_link: str  # the worked examples' nbgitpuller link, from /hub/
    learners: dict[str, str]  # name -> password
    env_before: dict[str, tuple[int, int]] = field(default_factory=dict)


def first_check() -> str:
    """The first line of 01_softmax's first check cell, as the learner notebook has it."""
    nb = nbformat.read(ROOT / "notebooks" / "01_softmax.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    return code[next(i for i, source in enumerate(code) if START_CODE in source) + 1].strip().splitlines()[0]


def hub_config(base: Path, env: Path, ports: dict[str, int], learners: list[str]) -> str:
    return f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {ports["hub"]}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {ports["api"]}
c.JupyterHub.db_url = "sqlite:///{base}/hub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{base}/hub/cookie_secret"
c.ConfigurableHTTPProxy.command = ["{configurable_http_proxy()}"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
c.ConfigurableHTTPProxy.pid_file = "{base}/hub/proxy.pid"
c.Authenticator.allowed_users = {set(learners)!r}
c.Spawner.cmd = ["{env}/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {SPAWN_TIMEOUT_MS // 1000}
c.Spawner.http_timeout = {SPAWN_TIMEOUT_MS // 1000}
"""


def serve_repository(base: Path) -> tuple[Path, subprocess.Popen, str]:
    """The learners' repository, made by `make course-branch` from this checkout's HEAD, served by `git daemon`
    with every repository made later in the same folder. Returns it, the daemon and the daemon's URL."""
    repo = base / "git" / "mnist-lab.git"
    run(["git", "init", "--quiet", "--bare", str(repo)])
    identity = {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER") for what, value in IDENTITY.items()}
    course = ["make", "--no-print-directory", "course-branch", "TAG=HEAD", f"COURSE_BRANCH={BRANCH}"]
    run([*course, f"LEARNER_REPO={repo}"], cwd=ROOT, env={**os.environ, **identity})
    port = free_port()
    daemon = subprocess.Popen(
        ["git", "daemon", "--export-all", "--reuseaddr", f"--base-path={base / 'git'}", "--listen=127.0.0.1",
         f"--port={port}", str(base / "git")],
        stdout=subprocess.DEVNULL, stderr=(base / "git-daemon.log").open("w"),
    )  # fmt: skip
    return repo, daemon, f"git://127.0.0.1:{port}"


def git_pull_link(repo_url: str, branch: str, target: str, opens: str) -> str:
    """An nbgitpuller link, from /hub/: `repo_url`'s `branch` into ~/`target`, then JupyterLab opens `opens`."""
    query = {"repo": repo_url, "branch": branch, "targetpath": target, "urlpath": f"lab/tree/{target}/{opens}"}
    return f"/hub/user-redirect/git-pull?{urllib.parse.urlencode(query)}"


def publish_worked_example(base: Path, daemon_url: str) -> str:
    """The worked examples' repository, as docs/hub.md makes it: the solved notebook, its outputs cleared
    (`jupyter nbconvert --clear-output`), committed and pushed to a bare repository `git daemon` serves. Returns its
    nbgitpuller link."""
    repo, work = base / "git" / f"{WORKED}.git", base / "worked"
    run(["git", "init", "--quiet", "--bare", str(repo)])
    run(["git", "init", "--quiet", "--initial-branch=main", str(work)])
    notebook = work / WORKED_SOURCE.name
    shutil.copy(WORKED_SOURCE, notebook)
    run([sys.executable, "-m", "jupyter", "nbconvert", "--clear-output", str(notebook)])
    author = ["-c", f"user.name={IDENTITY['NAME']}", "-c", f"user.email={IDENTITY['EMAIL']}"]
    run(["git", "-C", str(work), "add", notebook.name])
    run(["git", "-C", str(work), *author, "commit", "--quiet", "-m", "Worked example: the solved 01"])
    run(["git", "-C", str(work), "push", "--quiet", str(repo), "main"])
    return git_pull_link(f"{daemon_url}/{WORKED}.git", "main", WORKED, notebook.name)


def wait_for_hub(url: str, process: subprocess.Popen, log: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + HUB_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/hub/api/", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterHub did not answer within {HUB_TIMEOUT} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def hub():
    needs(hasattr(os, "geteuid") and os.geteuid() == 0, "it makes PAM users and spawns as them: run it as root")
    commands = ("useradd", "userdel", "chpasswd", "runuser", "ps", "git")
    missing = [command for command in commands if not shutil.which(command)]
    needs(not missing, f"missing commands: {', '.join(missing)} (Debian: passwd, util-linux, procps, git)")
    needs(SYSTEM_PYTHON.exists(), f"the environment needs a Python every user can run: {SYSTEM_PYTHON}")
    needs(node_major() >= CHP_NODE and shutil.which("npm") is not None, f"npm and Node.js {CHP_NODE} or later")
    chromium_path()
    base = Path(tempfile.mkdtemp(prefix="mnist-lab-hub-"))
    base.chmod(0o755)
    learners = {f"hub{secrets.token_hex(3)}{n}": secrets.token_urlsafe(12) for n in ("ada", "bob")}
    started: list[int] = []
    made: list[str] = []
    try:
        env = base / "env"
        make = ["make", "--no-print-directory", "hub-env", f"PREFIX={env}", f"HUB_WHEELS={base / 'wheel'}"]
        run([*make, f"HUB_PYTHON={SYSTEM_PYTHON}"], cwd=ROOT)
        for name, password in learners.items():
            run(["useradd", "--create-home", "--key", "HOME_MODE=0700", "--shell", "/bin/bash", name])
            made.append(name)
            run(["chpasswd"], input=f"{name}:{password}\n")
        repo, daemon, url = serve_repository(base)
        started.append(daemon.pid)
        worked_link = publish_worked_example(base, url)
        (base / "hub").mkdir()
        ports = {"hub": free_port(), "api": free_port(), "proxy_api": free_port()}
        config = base / "hub" / "jupyterhub_config.py"
        config.write_text(hub_config(base, env, ports, list(learners)))
        log = base / "hub" / "jupyterhub.log"
        hub_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # the hub, run as root, writes nothing into env/
        process = subprocess.Popen(
            [str(env / "bin" / "jupyterhub"), "-f", str(config)],
            cwd=base / "hub", env=hub_env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
        )  # fmt: skip
        started.append(process.pid)
        hub_url = f"http://127.0.0.1:{ports['hub']}"
        wait_for_hub(hub_url, process, log)
        link = git_pull_link(f"{url}/{repo.name}", BRANCH, "mnist-lab", "notebooks/01_softmax.ipynb")
        found = Hub(base, env, hub_url, link, repo, worked_link, learners)
        found.env_before = snapshot(env)
        yield found
    finally:
        for pid in reversed(started):  # the hub first (it stops the learners' servers and its proxy), then git
            stop(pid)
        proxy = base / "hub" / "proxy.pid"
        if proxy.exists() and proxy.read_text().strip().isdigit():
            stop(int(proxy.read_text()))
        for name in made:
            for pid in processes_of(name):
                stop(pid)
            subprocess.run(["userdel", "--remove", name], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class WorkedExample:
    """What a learner saw of the solved notebook, Run All Cells done: each code cell's prompt, what the outputs
    wrote to stderr (errors included), the widget views shown, the widget errors shown; seconds from the link."""

    prompts: list[str]
    stderr: list[str]
    widget_views: int
    widget_errors: int
    seconds: float


@dataclass
class Visit:
    """What one learner saw: seconds from the log-in to the server, to the first check; what a hand-in showed or
    the worked example did; every URL of another host the pages asked for."""

    spawned: float = 0.0
    first_check: float = 0.0
    check_text: str = ""
    handin_text: str = ""
    worked: WorkedExample | None = None
    foreign: list[str] = field(default_factory=list)


async def follow_link(browser, hub: Hub, name: str, hands_in: bool) -> Visit:
    """`name` logs in through the link and runs all of 01; then hands in (`hands_in`) or runs the worked example."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    visit, requests = Visit(), []
    page.on("request", lambda request: requests.append(request.url))
    try:
        await page.goto(f"{hub.url}/hub/login?next={urllib.parse.quote(hub.link)}")
        await page.fill("#username_input", name)
        await page.fill("#password_input", hub.learners[name])
        started = time.monotonic()
        await page.click("#login_submit")
        await page.wait_for_url(re.compile(rf"/user/{name}/"), timeout=SPAWN_TIMEOUT_MS)
        visit.spawned = time.monotonic() - started
        await page.wait_for_url(
            re.compile(r"/lab/tree/mnist-lab/notebooks/01_softmax\.ipynb"), timeout=SPAWN_TIMEOUT_MS
        )
        status = page.get_by_role("contentinfo").get_by_role("button", name=re.compile(r"\(ipykernel\) \| Idle$"))
        await status.wait_for(timeout=KERNEL_TIMEOUT_MS)
        await page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
        await page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
        code = page.locator(".jp-Notebook .jp-CodeCell")
        check = code.filter(has=page.locator(".jp-InputArea", has_text=first_check())).first
        output = check.locator(".jp-OutputArea-output").first
        await output.filter(has_text="not implemented yet").wait_for(timeout=KERNEL_TIMEOUT_MS)
        visit.first_check = time.monotonic() - started
        visit.check_text = await output.text_content()
        await screenshot_around(page, output, f"first-check-{name[-3:]}")
        if hands_in:
            visit.handin_text = await run_handin(page, check)
        else:
            visit.worked = await run_worked_example(page, hub, name)
        visit.foreign = [u for u in requests if not u.startswith((hub.url, "data:", "blob:"))]
    finally:
        await context.close()
    return visit


async def screenshot_around(page, target, name: str) -> None:
    """The page, with `target` (a locator) in the middle of the view, as ARTIFACTS/`name`.png.

    It waits two frames after scrolling: JupyterLab skips painting the cells out of view (content-visibility), and a
    screenshot taken at once shows them blank."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await target.evaluate("node => node.scrollIntoView({block: 'center'})")
    await page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    await page.screenshot(path=ARTIFACTS / f"{name}.png")


async def run_handin(page, check) -> str:
    """A new cell below the first check, holding HANDIN, run; returns its output once the table is there."""
    await check.locator(".jp-InputArea-prompt").click()
    index = int(await check.get_attribute("data-windowed-list-index"))
    await page.locator('.jp-NotebookPanel-toolbar [data-command="notebook:insert-cell-below"]').click()
    cell = page.locator(f'.jp-Notebook .jp-Cell[data-windowed-list-index="{index + 1}"]')
    await cell.locator(".cm-content").click()
    await page.keyboard.insert_text(HANDIN)
    await page.keyboard.press("Control+Enter")
    output = cell.locator(".jp-Cell-outputArea")
    await output.locator("table caption").wait_for(timeout=HANDIN_TIMEOUT_MS)
    await output.filter(has_text="Upload this file").wait_for(timeout=HANDIN_TIMEOUT_MS)
    await output.screenshot(path=ARTIFACTS / "handin.png")
    return await output.text_content()


async def run_worked_example(page, hub: Hub, name: str) -> WorkedExample:
    """Follow the worked example's link in the learner's JupyterLab, Run All Cells, wait until every cell has run
    (or one wrote to stderr, as an error does), and say what the notebook shows."""
    from playwright.async_api import expect

    code_cells = sum(cell.cell_type == "code" for cell in nbformat.read(WORKED_SOURCE, as_version=4).cells)
    started = time.monotonic()
    await page.goto(f"{hub.url}{hub.worked_link}")
    await page.wait_for_url(re.compile(rf"/lab/tree/{WORKED}/{WORKED_NOTEBOOK}\.ipynb"), timeout=SPAWN_TIMEOUT_MS)
    notebook = page.locator(".jp-NotebookPanel:visible")  # the learner's own 01 stays open, in a hidden tab
    prompts = notebook.locator(".jp-CodeCell .jp-InputArea-prompt")
    await expect(prompts).to_have_count(code_cells, timeout=KERNEL_TIMEOUT_MS)
    status = page.get_by_role("contentinfo").get_by_role("button", name=re.compile(r"\(ipykernel\) \| Idle$"))
    await status.wait_for(timeout=KERNEL_TIMEOUT_MS)
    await page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    await page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
    last_ran = prompts.last.filter(has_text=re.compile(r"\[\d+\]"))
    await last_ran.or_(notebook.locator(STDERR)).first.wait_for(timeout=RUN_ALL_TIMEOUT_MS)
    await status.wait_for(timeout=KERNEL_TIMEOUT_MS)
    seconds = time.monotonic() - started
    views = notebook.locator(WIDGET_VIEW)
    await screenshot_around(page, views.first if await views.count() else notebook, f"worked-example-{name[-3:]}")
    errors = [await notebook.get_by_text(text).count() for text in WIDGET_ERRORS]
    return WorkedExample(
        await prompts.all_text_contents(),
        await notebook.locator(STDERR).all_text_contents(),
        await views.count(),
        sum(errors),
        seconds,
    )


async def two_learners_at_once(hub: Hub) -> dict[str, Visit]:
    from playwright.async_api import async_playwright

    ada, bob = hub.learners
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            visits = await asyncio.gather(follow_link(browser, hub, ada, True), follow_link(browser, hub, bob, False))
        finally:
            await browser.close()
    return dict(zip(hub.learners, visits, strict=True))


@pytest.fixture(scope="module")
def visits(hub) -> dict[str, Visit]:
    visits = asyncio.run(two_learners_at_once(hub))
    for name, visit in visits.items():
        print(f"\n{name}: server after {visit.spawned:.1f} s, first check after {visit.first_check:.1f} s")
        if visit.worked:
            print(f"{name}: the worked example's link to its Run All done after {visit.worked.seconds:.1f} s")
    return visits


def home(name: str) -> Path:
    import pwd

    return Path(pwd.getpwnam(name).pw_dir)


def as_learner(name: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", name, "--", *argv], capture_output=True, text=True, check=False)


def test_both_learners_following_the_link_at_once_see_the_first_checks_answer(visits):
    for visit in visits.values():
        assert "not implemented yet" in visit.check_text
        assert "Traceback" not in visit.check_text


def test_the_link_pulls_the_notebooks_into_each_learners_home(hub, visits):
    for name in hub.learners:
        notebooks = home(name) / "mnist-lab" / "notebooks"
        assert sorted(p.name for p in notebooks.glob("*.ipynb")) == sorted(
            p.name for p in (ROOT / "notebooks").glob("*.ipynb")
        )
        assert notebooks.stat().st_uid == home(name).stat().st_uid


def test_the_learners_copy_holds_no_solved_notebook(hub, visits):
    for name in hub.learners:
        clone = home(name) / "mnist-lab"
        assert (clone / "lab_utils").is_dir() and not (clone / "solutions").exists()


def worked_example(visits: dict[str, Visit]) -> WorkedExample:
    (worked,) = [visit.worked for visit in visits.values() if visit.worked]
    return worked


def test_a_learner_given_the_solved_01_as_a_worked_example_runs_every_cell_without_error(visits):
    worked = worked_example(visits)
    counts = [int(match.group(1)) if (match := re.search(r"\[(\d+)\]", p)) else None for p in worked.prompts]
    assert counts == list(range(1, len(counts) + 1)), worked.prompts
    assert worked.stderr == []


def test_the_worked_examples_widgets_show_on_the_hub(visits):
    worked = worked_example(visits)
    assert worked.widget_errors == 0
    assert worked.widget_views == stored_outputs(WORKED_NOTEBOOK, "application/vnd.jupyter.widget-view+json") > 0


def test_the_pages_ask_nothing_of_any_other_host(visits):
    assert {name: visit.foreign for name, visit in visits.items()} == {name: [] for name in visits}


def test_handin_on_the_hub_shows_the_table_and_writes_the_zip(hub, visits):
    ada = next(iter(hub.learners))
    assert "Pre-check of the whole series" in visits[ada].handin_text
    (path,) = (home(ada) / "mnist-lab" / "notebooks" / "handed-in").glob(f"mnist-lab-{ada}-*.zip")
    with zipfile.ZipFile(path) as zf:
        assert "01_softmax.ipynb" in zf.namelist()
        assert "handing in from the hub" in zf.read("01_softmax.ipynb").decode()


def test_a_learner_cannot_read_the_other_learners_home(hub, visits):
    ada, bob = hub.learners
    notebook = home(ada) / "mnist-lab" / "notebooks" / "01_softmax.ipynb"
    assert notebook.exists()
    for argv in (["ls", str(home(ada))], ["cat", str(notebook)]):
        denied = as_learner(bob, *argv)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr


def test_the_learners_wrote_nothing_into_the_shared_environment(hub, visits):
    after = snapshot(hub.env)
    assert {
        path for path in after.keys() | hub.env_before.keys() if after.get(path) != hub.env_before.get(path)
    } == set()


@pytest.fixture(scope="module")
def repulled(hub, visits):
    """An upstream commit on the link's branch (a line in README.md), pulled again by following the link."""
    work = hub.base / "upstream"
    run(["git", "clone", "--quiet", "--branch", BRANCH, str(hub.repo), str(work)])
    with (work / "README.md").open("a") as readme:
        readme.write(f"\n{UPSTREAM_LINE}\n")
    author = ["-c", f"user.name={IDENTITY['NAME']}", "-c", f"user.email={IDENTITY['EMAIL']}"]
    run(["git", "-C", str(work), *author, "commit", "--quiet", "-am", "An announcement"])
    run(["git", "-C", str(work), "push", "--quiet", "origin", BRANCH])
    ada = next(iter(hub.learners))
    return ada, asyncio.run(follow_again(hub, ada))


async def follow_again(hub: Hub, name: str) -> str:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context()).new_page()
            await page.goto(f"{hub.url}/hub/login?next={urllib.parse.quote(hub.link)}")
            await page.fill("#username_input", name)
            await page.fill("#password_input", hub.learners[name])
            await page.click("#login_submit")
            await page.wait_for_url(
                re.compile(r"/lab/tree/mnist-lab/notebooks/01_softmax\.ipynb"), timeout=SPAWN_TIMEOUT_MS
            )
            return page.url
        finally:
            await browser.close()


def test_a_repull_brings_the_upstream_change_and_keeps_the_learners_edit(repulled):
    name, _ = repulled
    clone = home(name) / "mnist-lab"
    assert UPSTREAM_LINE in (clone / "README.md").read_text()
    notebook = nbformat.read(clone / "notebooks" / "01_softmax.ipynb", as_version=4)
    assert any("handing in from the hub" in cell.source for cell in notebook.cells)
