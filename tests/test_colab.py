"""The lab in Google Colab: every solved notebook runs from the set-up cell of the learner notebooks, every check
passes, the digit pad reads an upload from ipywidgets 7, and the set-up installs nothing Colab already has.

Colab is stood in for by a venv of Colab's Python with Colab's TensorFlow, Keras, NumPy and ipywidgets 7 (not
the lock's), the lab not installed, and a `google.colab` module that the kernel imports at start (as Colab's
does) and whose `output.enable_custom_widget_manager()` writes down that it was called. The lab's repository is
this checkout's committed HEAD, tagged as the release the cell clones, reached through git's `insteadOf`. What
is not tested here: Colab's browser side (its widget manager drawing ipycanvas, the Files panel, downloads).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from pythons import pip, venv, venv_env

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import build_notebooks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Colab's own packages (its runtime of late 2025), which the set-up cell must leave as they are.
COLAB_PYTHON = "3.12"
COLAB_PACKAGES = [
    "tensorflow-cpu==2.19.0",
    "keras==3.10.0",
    "numpy==2.0.2",
    "ipywidgets==7.7.1",
    "matplotlib==3.10.0",
    "pillow==11.3.0",
    "ipykernel==6.17.1",
    "nbclient",
    "nbformat",
]
STAND_IN = {
    "google/colab/__init__.py": '"""A stand-in for Google Colab\'s module."""\n',
    "google/colab/output.py": (
        "import pathlib\n\n\n"
        "def enable_custom_widget_manager():\n"
        "    with open(pathlib.Path(__file__).with_name('calls.txt'), 'a') as record:\n"
        "        record.write('enable_custom_widget_manager\\n')\n"
    ),
}
NOTEBOOK_TIMEOUT = 3600  # seconds for the whole series on a busy 2-core machine
PASSED = re.compile(r"✓ (\S+) passed")

RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient

nb = nbformat.read(sys.argv[1], as_version=4)
# Cells the solved notebooks keep from nbval (the hand-in) are skipped as nbval skips them.
client = NotebookClient(nb, timeout=1800, kernel_name="python3", skip_cells_with_tag="nbval-skip")
client.execute(cwd=".")
nbformat.write(nb, sys.argv[2])
"""

UPLOAD_WITH_IPYWIDGETS_7 = """
import io, json
import ipywidgets
import numpy as np
from PIL import Image
from lab_utils.model import build_model
from lab_utils.widgets import draw_digit_pad

digit = np.zeros((28, 28), dtype=np.uint8)
digit[4:24, 12:16] = 255  # a one
buffer = io.BytesIO()
Image.fromarray(digit).save(buffer, "png")
pad = draw_digit_pad(build_model())
# What ipywidgets 7's front end sends when a file is picked: its metadata and bytes, then a new count.
pad.upload.metadata = [{"name": "one.png", "type": "image/png", "size": len(buffer.getvalue()), "lastModified": 0}]
pad.upload.data = [buffer.getvalue()]
pad.upload._counter += 1
print(json.dumps({"ipywidgets": ipywidgets.__version__, "message": pad.message.value, "value": pad.upload.value}))
"""


def freeze(python: Path) -> dict[str, str]:
    done = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {entry["name"].lower(): entry["version"] for entry in json.loads(done.stdout)}


@pytest.fixture(scope="module")
def colab(tmp_path_factory) -> dict:
    """The Colab stand-in: its python, working folder (/content), environment, and its packages before set-up."""
    base = tmp_path_factory.mktemp("colab")
    python = venv(base / "venv", COLAB_PYTHON)
    done = pip(python, "install", *COLAB_PACKAGES, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    for name, text in STAND_IN.items():
        (site_packages / name).parent.mkdir(parents=True, exist_ok=True)
        (site_packages / name).write_text(text)
    startup = base / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab\n")
    release = base / "github" / "mnist-lab.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(release)], check=True)
    subprocess.run(["git", f"--git-dir={release}", "tag", f"v{project_version()}", "HEAD"], check=True)
    (base / "gitconfig").write_text(f'[url "file://{release}"]\n\tinsteadOf = {source_url()}\n')
    env = {**venv_env(python), "IPYTHONDIR": str(base / "ipython"), "GIT_CONFIG_GLOBAL": str(base / "gitconfig")}
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    content = base / "content"
    content.mkdir()
    return {"python": python, "content": content, "env": env, "before": freeze(python), "record": site_packages}


def project_version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE).group(1)


def source_url() -> str:
    return re.search(r'^Source = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE).group(1)


def solved_names() -> list[str]:
    return sorted(path.name for path in (ROOT / "solutions").glob("*.ipynb"))


@pytest.fixture(scope="module")
def ran(colab) -> dict[str, nbformat.NotebookNode]:
    """Every solved notebook run in the stand-in from the learner notebooks' set-up cell, as Colab runs it."""
    executed = {}
    for name in solved_names():
        solved = nbformat.read(ROOT / "solutions" / name, as_version=4)
        solved.cells.insert(0, build_notebooks.colab_setup_cell())
        nbformat.write(solved, colab["content"] / name)
        done = subprocess.run(
            [str(colab["python"]), "-c", RUN_NOTEBOOK, name, f"ran-{name}"],
            cwd=colab["content"],
            env=colab["env"],
            capture_output=True,
            text=True,
            timeout=NOTEBOOK_TIMEOUT,
        )
        assert done.returncode == 0, f"{name}:\n{done.stderr[-4000:]}"
        executed[name] = nbformat.read(colab["content"] / f"ran-{name}", as_version=4)
    colab["calls"] = (colab["record"] / "google" / "colab" / "calls.txt").read_text().splitlines()
    return executed


def checks_passed(nb: nbformat.NotebookNode) -> list[str]:
    text = "".join(
        output.get("text", "") for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
    )
    return PASSED.findall(text)


@pytest.mark.slow
@pytest.mark.parametrize("name", solved_names())
def test_every_check_of_the_solved_notebook_passes_in_colab(ran, name):
    expected = checks_passed(nbformat.read(ROOT / "solutions" / name, as_version=4))
    assert checks_passed(ran[name]) == expected


@pytest.mark.slow
def test_the_set_up_cell_enables_colabs_widget_manager_in_every_notebook(ran, colab):
    assert colab["calls"] == ["enable_custom_widget_manager"] * len(ran)


@pytest.mark.slow
def test_the_set_up_cell_installs_only_what_colab_lacks(ran, colab):
    after = freeze(colab["python"])
    changed = {name for name, version in colab["before"].items() if after.get(name) != version}
    assert changed == set(), f"the set-up replaced Colab's {sorted(changed)}"
    assert set(after) - set(colab["before"]) == {"ipycanvas"}


@pytest.mark.slow
def test_the_digit_pad_reads_an_upload_from_ipywidgets_7(ran, colab):
    done = subprocess.run(
        [str(colab["python"]), "-c", UPLOAD_WITH_IPYWIDGETS_7],
        cwd=colab["content"],
        env={**colab["env"], "PYTHONPATH": str(colab["content"] / "mnist-lab"), "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["ipywidgets"] == "7.7.1"
    assert shown["message"].startswith("prediction: <b>")
    assert shown["value"] == {}  # emptied, so that the same file picked again is read again


def run_handin_cell(colab: dict, folder: Path) -> list[dict]:
    """The outputs of `handin()` run in a Colab notebook whose working folder is `folder`."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        build_notebooks.colab_setup_cell(),
        nbformat.v4.new_code_cell("from lab_utils.handin import handin\nhandin()"),
    ]
    nbformat.write(nb, folder / "handin.ipynb")
    done = subprocess.run(
        [str(colab["python"]), "-c", RUN_NOTEBOOK, "handin.ipynb", "ran.ipynb"],
        cwd=folder,
        env=colab["env"],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return nbformat.read(folder / "ran.ipynb", as_version=4).cells[1].outputs


@pytest.mark.slow
def test_handin_in_colab_says_how_to_hand_in_the_downloaded_notebooks(ran, colab):
    folder = colab["content"] / "no-notebooks"
    folder.mkdir()
    (shown,) = run_handin_cell(colab, folder)
    assert "File &gt; Download &gt; Download .ipynb" in shown["data"]["text/html"]


@pytest.mark.slow
def test_handin_in_colab_pre_checks_the_uploaded_notebooks_and_writes_the_file(ran, colab):
    folder = colab["content"] / "uploaded"
    folder.mkdir()
    (folder / "01_softmax.ipynb").write_bytes((ROOT / "solutions" / "01_softmax.ipynb").read_bytes())
    shown = "".join(output.get("data", {}).get("text/html", "") for output in run_handin_cell(colab, folder))
    assert "Pre-check total: 25/" in shown
    assert len(list((folder / "handed-in").glob("mnist-lab-*.zip"))) == 1


def test_every_learner_notebook_begins_with_the_set_up_cell():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert nbformat.read(path, as_version=4).cells[0] == build_notebooks.colab_setup_cell(), path.name


def test_outside_colab_the_set_up_cell_does_nothing():
    namespace, source = {}, build_notebooks.colab_setup_cell().source
    before = (list(sys.path), sorted(sys.modules))
    exec(source, namespace)  # noqa: S102
    assert (list(sys.path), sorted(sys.modules)) == before
    assert set(namespace) - {"__builtins__"} == {"sys"}


def test_the_set_up_cell_clones_the_release_named_in_pyproject():
    source = build_notebooks.colab_setup_cell().source
    assert f'"--branch=v{project_version()}", "{source_url()}"' in source


def test_the_readme_opens_every_learner_notebook_in_colab_at_the_release():
    readme = (ROOT / "README.md").read_text()
    github = source_url().removeprefix("https://github.com/")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        link = f"https://colab.research.google.com/github/{github}/blob/v{project_version()}/notebooks/{path.name}"
        assert f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({link})" in readme
