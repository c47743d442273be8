"""Who handed in what (lab_utils.course.classdir): learner folders, JupyterLab copies, Canvas, Moodle, nbgrader.

Class folders are built here from small notebooks; nothing is run.
"""

import os

import nbformat
import pytest

from lab_utils.checks import series_stems
from lab_utils.course.classdir import ClassDirError, discover, natural_key, stem_of
from lab_utils.course.learner_files import MAX_READS


def write_notebook(path, *sources, mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_one_folder_per_learner_named_by_the_learner_id(tmp_path):
    write_notebook(tmp_path / "ada" / "01_softmax.ipynb", "x = 1")
    write_notebook(tmp_path / "ada" / "02_model.ipynb", "x = 2")
    write_notebook(tmp_path / "bob" / "02_model.ipynb", "x = 3")
    learners = discover(tmp_path)
    assert [learner.learner_id for learner in learners] == ["ada", "bob"]
    assert {stem: f.relpath for stem, f in learners[0].files.items()} == {
        "01_softmax": "ada/01_softmax.ipynb",
        "02_model": "ada/02_model.ipynb",
    }
    assert list(learners[1].files) == ["02_model"]


def test_jupyterlab_copy_names_and_subfolders_count_as_the_notebook(tmp_path):
    write_notebook(tmp_path / "ada" / "work" / "01_softmax-Copy1.ipynb", "x = 1")
    (learner,) = discover(tmp_path)
    assert learner.files["01_softmax"].relpath == "ada/work/01_softmax-Copy1.ipynb"


def test_the_exact_name_wins_over_a_copy_which_is_listed_as_not_graded(tmp_path):
    write_notebook(tmp_path / "ada" / "01_softmax.ipynb", "x = 1", mtime=1_000)
    write_notebook(tmp_path / "ada" / "01_softmax-Copy1.ipynb", "x = 2", mtime=2_000)
    (learner,) = discover(tmp_path)
    assert learner.files["01_softmax"].name == "01_softmax.ipynb"
    assert learner.not_graded == {"01_softmax": ["ada/01_softmax-Copy1.ipynb: another copy, not graded"]}


def test_among_copies_the_newest_file_is_graded(tmp_path):
    write_notebook(tmp_path / "ada" / "01_softmax-Copy1.ipynb", "x = 1", mtime=2_000)
    write_notebook(tmp_path / "ada" / "01_softmax-Copy2.ipynb", "x = 2", mtime=1_000)
    (learner,) = discover(tmp_path)
    assert learner.files["01_softmax"].name == "01_softmax-Copy1.ipynb"


def test_a_renamed_notebook_belongs_to_the_notebook_whose_functions_it_defines(tmp_path):
    path = write_notebook(tmp_path / "mine.ipynb", "import numpy as np", "def my_softmax(z):\n    return z")
    assert stem_of(path) == "01_softmax"


def test_a_notebook_with_no_exercise_of_the_series_is_listed_as_unmatched(tmp_path):
    write_notebook(tmp_path / "ada" / "scratch.ipynb", "print('hello')")
    (tmp_path / "ada" / "broken.ipynb").write_text("{ not json")
    (learner,) = discover(tmp_path)
    assert learner.files == {}
    assert sorted(learner.unmatched) == ["ada/broken.ipynb", "ada/scratch.ipynb"]


def test_an_unreadable_notebook_with_a_series_name_is_handed_to_the_grader(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "01_softmax.ipynb").write_bytes(b"\x00\xff not a notebook")
    (learner,) = discover(tmp_path)
    assert learner.files["01_softmax"].name == "01_softmax.ipynb"


def test_checkpoints_and_hidden_folders_are_ignored(tmp_path):
    write_notebook(tmp_path / "ada" / ".ipynb_checkpoints" / "01_softmax-checkpoint.ipynb", "x = 1")
    write_notebook(tmp_path / ".git" / "01_softmax.ipynb", "x = 1")
    write_notebook(tmp_path / "ada" / "02_model.ipynb", "x = 1")
    (learner,) = discover(tmp_path)
    assert list(learner.files) == ["02_model"]


def test_canvas_flat_download_is_grouped_by_user_id_late_and_resubmitted_names_included(tmp_path):
    write_notebook(tmp_path / "smithjane_4021_98113_01_softmax.ipynb", "x = 1")
    write_notebook(tmp_path / "smithjane_late_4021_98114_02_model-1.ipynb", "x = 2")
    write_notebook(tmp_path / "doejohn_LATE_77_5001_01_softmax-2.ipynb", "x = 3")
    learners = discover(tmp_path)
    assert [learner.learner_id for learner in learners] == ["77", "4021"]
    john, jane = learners
    assert john.files["01_softmax"].relpath == "doejohn_LATE_77_5001_01_softmax-2.ipynb"
    assert sorted(jane.files) == ["01_softmax", "02_model"]
    assert jane.files["02_model"].name == "02_model-1.ipynb"


def test_learner_ids_sort_as_an_instructor_reads_them():
    assert sorted(["s10", "s2", "S3", "1000", "999"], key=natural_key) == ["999", "1000", "s2", "S3", "s10"]


def test_the_digest_changes_with_a_byte_of_a_file_and_only_then(tmp_path):
    path = write_notebook(tmp_path / "ada" / "01_softmax.ipynb", "x = 1")
    first = discover(tmp_path)[0].digest
    os.utime(path, (5_000, 5_000))
    assert discover(tmp_path)[0].digest == first
    path.write_bytes(path.read_bytes().replace(b"x = 1", b"x = 2"))
    assert discover(tmp_path)[0].digest != first


def test_a_missing_class_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(ClassDirError, match="no such folder"):
        discover(tmp_path / "nope")


def test_a_class_folder_without_learners_is_a_one_line_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ClassDirError, match="no learner found"):
        discover(tmp_path)


def test_the_newest_canvas_upload_wins_by_its_attachment_id_and_the_older_is_an_earlier_attempt(tmp_path):
    write_notebook(tmp_path / "smithjane_4021_98120_01_softmax-1.ipynb", "x = 2", mtime=1_000)
    write_notebook(tmp_path / "smithjane_4021_98113_01_softmax.ipynb", "x = 1", mtime=2_000)
    (jane,) = discover(tmp_path)
    assert jane.files["01_softmax"].name == "01_softmax-1.ipynb"
    assert jane.not_graded == {"01_softmax": ["smithjane_4021_98113_01_softmax.ipynb: earlier attempt, not graded"]}


def test_a_learners_own_attempt_number_does_not_make_a_file_newer(tmp_path):
    write_notebook(tmp_path / "smithjane_4021_98113_01_softmax-9.ipynb", "x = 1")
    write_notebook(tmp_path / "smithjane_4021_98120_01_softmax.ipynb", "x = 2")
    (jane,) = discover(tmp_path)
    assert jane.files["01_softmax"].name == "01_softmax.ipynb"


def test_canvas_names_give_the_learner_name_and_the_late_marker(tmp_path):
    write_notebook(tmp_path / "smithjane_late_4021_98113_01_softmax.ipynb", "x = 1")
    write_notebook(tmp_path / "doejohn_77_5001_01_softmax.ipynb", "x = 1")
    john, jane = discover(tmp_path)
    assert (jane.name, jane.late_marker) == ("smithjane", True)
    assert (john.name, john.late_marker) == ("doejohn", False)


def test_moodle_flat_download_uses_the_participant_id(tmp_path):
    write_notebook(tmp_path / "Jane Smith_123456_assignsubmission_file_01_softmax.ipynb", "x = 1")
    (jane,) = discover(tmp_path)
    assert (jane.learner_id, jane.name) == ("123456", "Jane Smith")
    assert jane.files["01_softmax"].name == "01_softmax.ipynb"


def test_moodle_folder_download_uses_the_participant_id(tmp_path):
    write_notebook(tmp_path / "Jane Smith_123456_assignsubmission_file_" / "01_softmax.ipynb", "x = 1")
    (jane,) = discover(tmp_path)
    assert (jane.learner_id, jane.name, list(jane.files)) == ("123456", "Jane Smith", ["01_softmax"])


def test_nbgrader_exchange_gives_the_time_from_timestamp_txt(tmp_path):
    folder = tmp_path / "submitted" / "ada" / "mnist"
    write_notebook(folder / "01_softmax.ipynb", "x = 1")
    (folder / "timestamp.txt").write_text("2026-12-01 22:10:00.123456 UTC")
    (ada,) = discover(tmp_path)
    assert ada.learner_id == "ada"
    assert ada.submitted_at.isoformat() == "2026-12-01T22:10:00.123456+00:00"


def test_going_further_is_listed_as_the_ungraded_notebook_not_unmatched(tmp_path):
    write_notebook(tmp_path / "ada" / "01_softmax.ipynb", "x = 1")
    write_notebook(tmp_path / "ada" / "06_going_further.ipynb", "x = 1")
    (ada,) = discover(tmp_path)
    assert (ada.ungraded, ada.unmatched) == (["ada/06_going_further.ipynb"], [])


def test_a_symlinked_notebook_is_refused_with_its_reason_and_not_read(tmp_path):
    solution = write_notebook(tmp_path / "elsewhere" / "solution.ipynb", "x = 1")
    (tmp_path / "class" / "ada").mkdir(parents=True)
    (tmp_path / "class" / "ada" / "01_softmax.ipynb").symlink_to(solution)
    [ada] = discover(tmp_path / "class")
    assert ada.files == {}
    assert ada.refused == {"01_softmax": "ada/01_softmax.ipynb: a symbolic link (only regular files are graded)"}


def test_a_symlinked_learner_folder_is_refused_for_every_notebook(tmp_path):
    write_notebook(tmp_path / "ada" / "01_softmax.ipynb", "x = 1")
    (tmp_path / "eve").symlink_to(tmp_path / "ada", target_is_directory=True)
    eve = discover(tmp_path)[1]
    assert eve.learner_id == "eve" and eve.files == {}
    assert set(eve.refused) == set(series_stems())


def test_a_fifo_with_a_canvas_name_is_refused_and_the_others_are_read(tmp_path):
    os.mkfifo(tmp_path / "smithjane_4021_98113_01_softmax.ipynb")
    write_notebook(tmp_path / "doejohn_4022_98114_01_softmax.ipynb", "x = 1")
    fifo, other = discover(tmp_path)
    assert "a FIFO" in fifo.refused["01_softmax"]
    assert list(other.files) == ["01_softmax"]


def test_a_refused_copy_beside_a_regular_notebook_is_listed_as_not_graded(tmp_path):
    write_notebook(tmp_path / "ada" / "01_softmax.ipynb", "x = 1")
    (tmp_path / "ada" / "01_softmax-Copy1.ipynb").symlink_to("/dev/zero")
    [ada] = discover(tmp_path)
    assert list(ada.files) == ["01_softmax"]
    assert ada.not_graded["01_softmax"] == [
        "ada/01_softmax-Copy1.ipynb: a symbolic link (only regular files are graded) (refused)"
    ]


def test_a_symlinked_sub_folder_is_not_followed(tmp_path):
    write_notebook(tmp_path / "elsewhere" / "01_softmax.ipynb", "x = 1")
    (tmp_path / "class" / "ada").mkdir(parents=True)
    (tmp_path / "class" / "ada" / "work").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    [ada] = discover(tmp_path / "class")
    assert ada.files == {}
    assert ada.unmatched == ["ada/work: a symbolic link (only real folders are graded) (refused)"]


def test_a_learners_problems_are_cut_to_ten_lines_and_a_count(tmp_path):
    (tmp_path / "ada").mkdir()
    for number in range(12):
        (tmp_path / "ada" / f"h{number:02d}.zip").write_text("not a zip")
    (ada,) = discover(tmp_path)
    assert len(ada.problems) == 11
    assert ada.problems[0] == "hand-in file ada/h00.zip refused: it is not a zip file"
    assert ada.problems[-1] == "… (2 more)"


def test_only_so_many_notebooks_with_other_names_are_opened_per_learner(tmp_path, monkeypatch):
    import lab_utils.course.learner_files as learner_files

    opened = []
    monkeypatch.setattr(learner_files, "stem_of", lambda path, name: opened.append(name))
    for number in range(MAX_READS + 3):
        write_notebook(tmp_path / "ada" / f"scratch{number:02d}.ipynb", "print('hello')")
    (ada,) = discover(tmp_path)
    assert len(opened) == MAX_READS
    assert len(ada.unmatched) == 11 and ada.unmatched[-1] == f"… ({MAX_READS + 3 - 10} more)"
