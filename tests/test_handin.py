"""The learner's hand-in (lab_utils.handin): pre-check with the instructor's grader, the zip and its manifest, the
receipt, the command line, and that it runs with `make lab`'s packages only.

One folder with a solved 01_softmax and nothing else is handed in once (a real pre-check: one kernel) and read back.
"""

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from handin_files import softmax_notebook

from lab_utils.checks import series_stems
from lab_utils.course.handin_file import read_handin
from lab_utils.handin.__main__ import main
from lab_utils.handin.precheck import HandInError, default_learner, make_handin
from lab_utils.handin.receipt import FINAL_GRADE, UPLOAD, handin_html, handin_text
from lab_utils.handin.save import save_open_notebooks

SEED = 31337
NAME = r"mnist-lab-ada-\d{8}T\d{6}Z\.zip"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "01_softmax.ipynb").write_bytes(softmax_notebook())
    return make_handin(folder, "ada", seed=SEED)


def test_the_file_is_named_after_the_learner_and_the_utc_time_beside_the_notebooks(made):
    assert made.path.parent == made.folder / "handed-in"
    assert made.path.name.startswith("mnist-lab-ada-") and made.path.name.endswith("Z.zip")


def test_the_zip_holds_the_notebooks_as_saved_and_a_manifest(made):
    with zipfile.ZipFile(made.path) as zf:
        assert zf.namelist() == ["01_softmax.ipynb", "manifest.json"]
        assert zf.read("01_softmax.ipynb") == (made.folder / "01_softmax.ipynb").read_bytes()


def test_the_manifest_lists_each_file_with_size_and_sha256_and_the_precheck(made):
    with zipfile.ZipFile(made.path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    data = softmax_notebook()
    assert manifest["files"] == [
        {"name": "01_softmax.ipynb", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    ]
    assert manifest["precheck"] == {"score": 25, "max_score": 135, "seed": SEED, "sandbox": made.result.sandbox}
    assert manifest["lab_version"] == "0.1.0"
    assert manifest["created_at"].endswith("Z")


def test_the_grader_reads_the_hand_in_back_without_a_problem(made):
    handin = read_handin(made.path, series_stems())
    assert handin.problems == []
    assert list(handin.notebooks) == ["01_softmax.ipynb"]


def test_the_precheck_grades_the_whole_series_and_names_the_missing_notebooks(made):
    assert made.result.score == 25
    assert made.missing == [f"{stem}.ipynb" for stem in series_stems()[1:]]


def test_the_receipt_gives_the_files_size_and_sha256(made):
    assert made.size == made.path.stat().st_size
    assert made.sha256 == hashlib.sha256(made.path.read_bytes()).hexdigest()


def test_the_terminal_report_has_the_table_total_missing_statement_and_receipt(made):
    text = handin_text(made)
    assert "my_softmax" in text and "10/10" in text
    assert "Pre-check total: 25/135 points" in text
    assert "Missing: 02_model.ipynb" in text
    assert FINAL_GRADE in text
    assert f"SHA-256: {made.sha256}" in text
    assert text.endswith(UPLOAD)


def test_the_notebook_report_is_a_table_with_a_caption_and_escapes_messages(made):
    made.result.notebooks[0].exercises[0].message = "<script>alert(1)</script>"
    page = handin_html(made)
    assert "<caption" in page and "<th scope='col' style='text-align:left'>Exercise</th>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_outside_jupyterlab_it_says_it_could_not_save():
    assert save_open_notebooks([]).startswith("Not running in JupyterLab: could not save")


def test_an_id_that_cannot_name_a_file_is_refused(tmp_path):
    with pytest.raises(HandInError, match="learner id '../x' cannot name a file"):
        make_handin(tmp_path, "../x")


def test_a_folder_without_any_notebook_of_the_lab_is_refused(tmp_path):
    with pytest.raises(HandInError, match="none of the lab's notebooks is here"):
        make_handin(tmp_path, "ada")


def test_the_default_learner_id_can_name_a_file(monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "Jane Doe/../x")
    assert default_learner() == "JaneDoe..x"
    monkeypatch.setattr("getpass.getuser", lambda: "")
    assert default_learner() == "learner"


def test_the_command_line_says_what_is_wrong_in_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere"), "--learner", "ada"]) == 2
    assert (
        capsys.readouterr().err
        == f"handin: error: {tmp_path / 'nowhere'}: no such folder (give the folder that holds your notebooks)\n"
    )


GRADING_EXTRA = ("nbclient", "distributed", "rich")  # installed by `make test`, not by `make lab`
WITHOUT_GRADING_EXTRA = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {GRADING_EXTRA!r}:
            raise ImportError(f"{{name}} is not installed by make lab")
sys.meta_path.insert(0, Block())
"""


def run_with_lab_packages_only(code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh Python where importing any package of the grading extra fails."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_GRADING_EXTRA + code], capture_output=True, text=True, timeout=600
    )


def test_the_grader_and_the_hand_in_import_with_the_labs_packages_only():
    run = run_with_lab_packages_only(
        "from lab_utils.grading import grade_submission\n"
        "import lab_utils.grading.runner, lab_utils.handin.precheck, lab_utils.handin.receipt\n"
        "import lab_utils.course.handin_file\n"
        "print('imported')"
    )
    assert run.stdout == "imported\n", run.stderr


def test_a_precheck_runs_with_the_labs_packages_only(tmp_path):
    (tmp_path / "01_softmax.ipynb").write_bytes(softmax_notebook())
    run = run_with_lab_packages_only(
        f"from lab_utils.handin.__main__ import main\nsys.exit(main([{str(tmp_path)!r}, '--learner', 'ada']))"
    )
    assert run.returncode == 0, run.stderr
    assert "Pre-check total: 25/135 points" in run.stdout
    assert len(list(Path(tmp_path, "handed-in").glob("mnist-lab-ada-*.zip"))) == 1


@pytest.fixture
def in_colab(monkeypatch):
    """A kernel as Google Colab's: google.colab imported at start, no ipylab installed."""
    import types

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setitem(sys.modules, "ipylab", None)


def shown_by_handin(monkeypatch, *args) -> list[str]:
    """What handin(*args) displays, as text."""
    import IPython.display

    from lab_utils.handin import handin

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj.data))
    handin(*args)
    return shown


def test_in_colab_without_the_notebooks_handin_says_how_to_bring_them_instead_of_failing(
    in_colab, monkeypatch, tmp_path
):
    (shown,) = shown_by_handin(monkeypatch, tmp_path)
    assert "File &gt; Download &gt; Download .ipynb" in shown
    assert f"upload those files into {tmp_path.resolve()}" in shown
    assert not (tmp_path / "handed-in").exists()


def test_in_colab_the_uploaded_notebooks_are_handed_in_as_they_are(in_colab, tmp_path):
    (tmp_path / "01_softmax.ipynb").write_bytes(softmax_notebook())
    assert save_open_notebooks([tmp_path / "01_softmax.ipynb"]).startswith("In Google Colab: handing in the notebooks")
