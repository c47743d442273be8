"""Class folders named exactly as each LMS's source names its download (lab_utils.course.classdir), read, not graded.

The names are built here by the LMS's own rules, each from the file that writes them:
- Canvas, `lib/content_zipper.rb` (canvas-lms): `get_filename` joins the sortable name (`sanitize_user_name`:
  `_<digits>_` joined, lowercased), `LATE` when late, and the user id (or `anon_<anonymous id>` with anonymous
  grading), then `sanitize_file_name` keeps word characters; `add_upload_submission` appends
  `_<attachment id>_<display name>`.
- Moodle, `mod/assign/classes/downloader.php`: `get_student_prefix` is `clean_filename(str_replace('_', ' ',
  fullname) . '_' . participant id)` ("Participant" under blind marking); flat files add
  `_assignsubmission_file_<file>`, folders are `<prefix>_assignsubmission_file` then the file's path (Moodle 3.x:
  `..._file_/`); `lib/filestorage/file_storage.php`'s `get_unused_filename` names a second upload `name (1).ext`.
- nbgrader, `nbgrader/exchange/default/submit.py` and `collect.py`: `submitted/<student>/<assignment>/` with
  `timestamp.txt` at its top, written with `Exchange.timestamp_format` in `Exchange.timezone`.
"""

import re
import zipfile

import nbformat
import pytest
from handin_files import genuine

from lab_utils.course.classdir import UNREADABLE, discover, read_class
from lab_utils.course.layouts import CANVAS, CANVAS_ANONYMOUS, MOODLE_FLAT, MOODLE_FOLDERS, NBGRADER, PLAIN


def notebook(path, source="x = 1"):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    return path


def canvas_name(sortable_name, user_id, attachment_id, display_name, late=False, anonymous_id=None):
    """content_zipper.rb's name of an uploaded file."""
    users_name = None
    if anonymous_id is None:
        users_name = re.sub(r"_(\d+)_", r"\1", sortable_name).lower()
    learner = f"anon_{anonymous_id}" if anonymous_id else str(user_id)
    prefix = re.sub(r"[^\w]", "", "_".join(p for p in (users_name, "LATE" if late else None, learner) if p))
    display = re.sub(r'[\x00/\\:*?"<>|]+', "_", display_name)
    return f"{prefix}_{attachment_id}_{display}"


def moodle_prefix(full_name, participant_id):
    """downloader.php's get_student_prefix (clean_filename drops control characters and &<>"`|':\\/)."""
    return re.sub(r"[\x00-\x1f&<>\"`|':\\/]", "", f"{full_name.replace('_', ' ')}_{participant_id}")


def test_a_canvas_download_gives_ids_names_and_late_markers_and_ignores_the_learners_file_name(tmp_path):
    notebook(tmp_path / canvas_name("Smith, Jane", 4021, 98113, "x_4022_assignsubmission_file_01_softmax-9.ipynb"))
    notebook(tmp_path / canvas_name("Doe, Max", 4022, 98114, "01_softmax.ipynb"))
    notebook(tmp_path / canvas_name("Guy, Late", 4023, 98115, "x_4023_assignsubmission_file_01.ipynb", late=True))
    folder = read_class(tmp_path)
    assert folder.flat_layout == CANVAS
    jane, max_, late = folder.learners
    assert (jane.learner_id, jane.name, jane.late_marker) == ("4021", "smithjane", False)
    assert max_.files["01_softmax"].relpath == "doemax_4022_98114_01_softmax.ipynb"  # nobody else's file
    assert (late.learner_id, late.late_marker) == ("4023", True)


def test_a_canvas_anonymous_download_makes_each_anonymous_id_a_learner(tmp_path):
    notebook(tmp_path / canvas_name("", 0, 5323902, "01_softmax.ipynb", anonymous_id="Xk3pQ"))
    notebook(tmp_path / canvas_name("", 0, 5323903, "02_model.ipynb", anonymous_id="Xk3pQ"))
    notebook(tmp_path / canvas_name("", 0, 5323904, "01_softmax.ipynb", late=True, anonymous_id="Zz9aB"))
    folder = read_class(tmp_path)
    assert folder.flat_layout == CANVAS_ANONYMOUS
    first, second = folder.learners
    assert (first.learner_id, sorted(first.files)) == ("anon_Xk3pQ", ["01_softmax", "02_model"])
    assert (second.learner_id, second.late_marker) == ("anon_Zz9aB", True)


def test_a_moodle_flat_download_uses_the_participant_id(tmp_path):
    notebook(tmp_path / f"{moodle_prefix('Ana Souza', 1480231)}_assignsubmission_file_01_softmax.ipynb")
    genuine(tmp_path / f"{moodle_prefix('Max Doe', 1480232)}_assignsubmission_file_mnist-lab-md.zip")
    folder = read_class(tmp_path)
    assert folder.flat_layout == MOODLE_FLAT
    assert [(learner.learner_id, sorted(learner.files)) for learner in folder.learners] == [
        ("1480231", ["01_softmax"]),
        ("1480232", ["01_softmax"]),
    ]


@pytest.mark.parametrize("suffix", ["", "_"], ids=["moodle 4", "moodle 3"])
def test_moodle_folders_with_and_without_the_trailing_underscore_are_read(tmp_path, suffix):
    folder = tmp_path / f"{moodle_prefix('Ana Souza', 1480231)}_assignsubmission_file{suffix}"
    notebook(folder / "work" / "01_softmax.ipynb")  # the file's own path in the submission is kept
    read = read_class(tmp_path)
    assert read.folder_layout == MOODLE_FOLDERS
    (ana,) = read.learners
    assert (ana.learner_id, ana.name, list(ana.files)) == ("1480231", "Ana Souza", ["01_softmax"])


def test_a_moodle_name_with_an_apostrophe_is_read_as_moodle_cleans_it(tmp_path):
    prefix = moodle_prefix("Ana O'Neil", 7)
    notebook(tmp_path / f"{prefix}_assignsubmission_file" / "01_softmax.ipynb")
    (ana,) = discover(tmp_path)
    assert (ana.learner_id, ana.name) == ("7", "Ana ONeil")


def test_moodle_blind_marking_folders_are_read_by_participant_id(tmp_path):
    notebook(tmp_path / f"{moodle_prefix('Participant', 55)}_assignsubmission_file" / "01_softmax.ipynb")
    assert [learner.learner_id for learner in discover(tmp_path)] == ["55"]


def test_moodles_clash_names_grade_the_highest_number(tmp_path):
    folder = tmp_path / f"{moodle_prefix('Ana Souza', 1)}_assignsubmission_file"
    notebook(folder / "01_softmax.ipynb", "x = 0")
    notebook(folder / "01_softmax (1).ipynb", "x = 1")
    notebook(folder / "01_softmax (2).ipynb", "x = 2")
    (ana,) = discover(tmp_path)
    assert ana.files["01_softmax"].name == "01_softmax (2).ipynb"
    assert len(ana.not_graded["01_softmax"]) == 2


def exchange(root, learner_id, stamp="2026-12-01 22:10:00.123456 UTC", assignment="mnist"):
    folder = root / "submitted" / learner_id / assignment
    notebook(folder / "01_softmax.ipynb")
    if stamp is not None:
        (folder / "timestamp.txt").write_text(stamp)
    return folder


def test_nbgraders_exchange_gives_each_learner_the_time_of_their_assignment(tmp_path):
    exchange(tmp_path, "ada")
    exchange(tmp_path, "bob", "2026-12-02 09:00:00.000000 CET")
    folder = read_class(tmp_path)
    assert folder.folder_layout == NBGRADER
    ada, bob = folder.learners
    assert ada.submitted_at.isoformat() == "2026-12-01T22:10:00.123456+00:00"
    assert bob.submitted_at.isoformat() == "2026-12-02T09:00:00+01:00"


def test_a_hand_in_zip_anywhere_in_the_assignment_folder_takes_the_assignments_time(tmp_path):
    folder = exchange(tmp_path, "ada")
    (folder / "01_softmax.ipynb").unlink()
    genuine(folder / "handed-in" / "mnist-lab-ada-20261129T101500Z.zip")
    (ada,) = discover(tmp_path)
    assert ada.files["01_softmax"].relpath == "ada/mnist/handed-in/mnist-lab-ada-20261129T101500Z.zip/01_softmax.ipynb"
    assert ada.submitted_at.isoformat() == "2026-12-01T22:10:00.123456+00:00"


def test_a_learners_own_timestamp_txt_beside_their_notebook_is_never_read(tmp_path):
    folder = exchange(tmp_path, "ada")
    (folder / "01_softmax.ipynb").unlink()
    notebook(folder / "work" / "01_softmax.ipynb")
    (folder / "work" / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")
    (ada,) = discover(tmp_path)
    assert ada.submitted_at.isoformat() == "2026-12-01T22:10:00.123456+00:00"


def test_a_malformed_timestamp_is_an_unknown_time_said_in_the_status_and_stops_nobody(tmp_path):
    exchange(tmp_path, "ada", "2026-13-45 10:00:00 UTC")
    exchange(tmp_path, "bob")
    ada, bob = discover(tmp_path)
    assert ada.submitted_at is None
    assert ada.problems == [
        "hand-in time unknown for ada/mnist/01_softmax.ipynb: mnist/timestamp.txt: not a time: "
        "'2026-13-45 10:00:00' (month must be in 1..12)"
    ]
    assert bob.submitted_at is not None and bob.problems == []


def test_a_zone_abbreviation_of_several_offsets_is_read_in_the_zone_given(tmp_path):
    exchange(tmp_path, "ada", "2026-12-01 22:10:00.000000 IST")
    (unknown,) = discover(tmp_path)
    assert unknown.submitted_at is None
    (ada,) = discover(tmp_path, zone="Asia/Kolkata")
    assert ada.submitted_at.isoformat() == "2026-12-01T22:10:00+05:30"


def test_a_top_level_name_that_fits_no_layout_is_listed_as_nobodys(tmp_path):
    notebook(tmp_path / canvas_name("Smith, Jane", 4021, 98113, "01_softmax.ipynb"))
    notebook(tmp_path / "scratch.ipynb")
    folder = read_class(tmp_path)
    assert [learner.learner_id for learner in folder.learners] == ["4021"]
    assert folder.unmatched == ["scratch.ipynb: not a canvas download name, so nobody's file"]


def test_a_learners_zip_of_a_folder_is_read_like_a_flat_one(tmp_path):
    with zipfile.ZipFile(genuine(tmp_path / "h.zip")) as zf:
        members = {f"mnist_lab/{name}": zf.read(name) for name in zf.namelist()}
    (tmp_path / "class" / "ada").mkdir(parents=True)
    with zipfile.ZipFile(tmp_path / "class" / "ada" / "mnist_lab.zip", "w") as zf:
        zf.writestr("mnist_lab/", b"")
        for name, data in members.items():
            zf.writestr(name, data)
    (ada,) = discover(tmp_path / "class")
    assert (list(ada.files), ada.problems) == (["01_softmax"], [])


def test_a_learner_whose_reading_fails_gets_the_reason_and_the_others_are_read(tmp_path, monkeypatch):
    import lab_utils.course.classdir as classdir

    build = classdir.build_learner

    def failing_for_bob(learner, *args):
        if learner.learner_id == "bob":
            raise RuntimeError("a bug met in bob's files")
        return build(learner, *args)

    monkeypatch.setattr(classdir, "build_learner", failing_for_bob)
    notebook(tmp_path / "ada" / "01_softmax.ipynb")
    notebook(tmp_path / "bob" / "01_softmax.ipynb")
    ada, bob = discover(tmp_path)
    assert list(ada.files) == ["01_softmax"]
    assert (bob.input_status, bob.files) == (UNREADABLE, {})
    assert bob.problems == ["unreadable: RuntimeError: a bug met in bob's files"]


def test_a_learners_own_timestamp_txt_in_a_plain_class_makes_nothing_nbgraders(tmp_path):
    notebook(tmp_path / "ada" / "01_softmax.ipynb")
    notebook(tmp_path / "eve" / "mnist" / "01_softmax.ipynb")
    (tmp_path / "eve" / "mnist" / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")
    folder = read_class(tmp_path)
    assert folder.folder_layout == PLAIN
    assert [learner.submitted_at for learner in folder.learners] == [None, None]
