"""No input stops the class: every reader of what a learner hands in, fed random and truncated bytes (hypothesis).

Each example builds a small class folder: `ada` with a good notebook, and one learner whose notebook, hand-in zip,
manifest or nbgrader timestamp is the fuzzed bytes. Reading the class must give both learners, `ada`'s file
chosen as always, and the fuzzed learner's trouble as short single lines of status, never an exception. The roster
reader and the notebook reader are fed the same way and may only refuse in their own one-line errors.
"""

import os
import tempfile
import zipfile
from pathlib import Path

import nbformat
from handin_files import genuine, softmax_notebook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab_utils.course.classdir import discover
from lab_utils.course.learner_files import LINE_CHARS, MAX_LINES
from lab_utils.course.roster import RosterError, read_roster
from lab_utils.grading.notebook import NotANotebook, code_cells

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def damaged(good: bytes):
    """`good` cut anywhere, with up to 8 bytes overwritten: what a broken upload looks like."""
    return st.tuples(
        st.integers(0, len(good)), st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)), max_size=8)
    ).map(lambda cut: _damage(good, *cut))


def _damage(good: bytes, length: int, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(good)
    for position, value in flips:
        data[position] = value
    return bytes(data[:length])


def good_zip() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return genuine(Path(tmp) / "h.zip").read_bytes()


GOOD_NOTEBOOK = softmax_notebook()
GOOD_ZIP = good_zip()
fuzzed_bytes = st.one_of(st.binary(max_size=2048), damaged(GOOD_NOTEBOOK), damaged(GOOD_ZIP))


def read_with(place) -> tuple:
    """The class read with the fuzzed learner's files written by `place(folder)`: (ada, the fuzzed learner)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ada = root / "ada" / "01_softmax.ipynb"
        ada.parent.mkdir()
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), ada)
        place(root)
        learners = {learner.learner_id: learner for learner in discover(root)}
    return learners["ada"], learners["zoe"]


def assert_read_with_short_status(ada, zoe) -> None:
    assert ada.files["01_softmax"].relpath == "ada/01_softmax.ipynb"
    assert ada.problems == []
    lines = zoe.problems + zoe.unmatched + list(zoe.refused.values())
    assert all("\n" not in line and len(line) <= LINE_CHARS for line in lines)
    assert len(zoe.problems) <= MAX_LINES + 1


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@FUZZ
@given(data=fuzzed_bytes)
def test_any_bytes_as_a_notebook_never_stop_the_class(data):
    def place(root):
        write(root / "zoe" / "01_softmax.ipynb", data)
        write(root / "zoe" / "scratch.ipynb", data)  # opened to find which notebook it is

    assert_read_with_short_status(*read_with(place))


@FUZZ
@given(data=fuzzed_bytes)
def test_any_bytes_as_a_hand_in_zip_never_stop_the_class(data):
    assert_read_with_short_status(*read_with(lambda root: write(root / "zoe" / "mnist-lab-zoe.zip", data)))


@FUZZ
@given(data=st.one_of(st.binary(max_size=2048), damaged(b'{"format": "mnist-lab-handin", "files": [[{}]]}')))
def test_any_bytes_as_a_manifest_never_stop_the_class(data):
    def place(root):
        path = root / "zoe" / "h.zip"
        path.parent.mkdir()
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("01_softmax.ipynb", GOOD_NOTEBOOK)
            zf.writestr("manifest.json", data)

    ada, zoe = read_with(place)
    assert_read_with_short_status(ada, zoe)
    assert list(zoe.files) == ["01_softmax"]


@FUZZ
@given(text=st.text(max_size=80))
def test_any_text_as_an_nbgrader_timestamp_never_stops_the_class(text):
    with tempfile.TemporaryDirectory() as tmp:
        for learner_id, stamp in (("ada", "2026-12-01 22:10:00 UTC"), ("zoe", text)):
            folder = Path(tmp) / "submitted" / learner_id / "mnist"
            write(folder / "01_softmax.ipynb", GOOD_NOTEBOOK)
            write(folder / "timestamp.txt", stamp.encode("utf-8", "surrogatepass"))
        ada, zoe = discover(Path(tmp))
    assert ada.submitted_at is not None and ada.problems == []
    assert zoe.submitted_at is not None or zoe.problems[0].startswith("hand-in time unknown for zoe/mnist/")


@FUZZ
@given(
    names=st.lists(st.binary(min_size=1, max_size=60).filter(lambda b: b"/" not in b and b"\0" not in b), max_size=6)
)
def test_any_top_level_names_never_stop_the_class(names):
    def place(root):
        for name in map(os.fsdecode, names):  # a file system's names are bytes, not always UTF-8
            if name not in (".", "..", "ada", "zoe") and not name.startswith("."):
                write(root / name, GOOD_NOTEBOOK)
        write(root / "zoe" / "01_softmax.ipynb", GOOD_NOTEBOOK)

    ada, zoe = read_with(place)
    assert list(zoe.files) == ["01_softmax"]


@FUZZ
@given(data=st.one_of(st.binary(max_size=2048), damaged(b'Student;ID\n    Points Possible;\n"Smith, Jane";4021\n')))
def test_any_bytes_as_a_roster_are_read_or_refused_in_one_line(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.csv"
        path.write_bytes(data)
        try:
            roster = read_roster(path)
        except RosterError as e:
            assert "\n" not in str(e).strip()
        else:
            assert roster.lms in ("canvas", "moodle")


@FUZZ
@given(data=fuzzed_bytes)
def test_any_bytes_given_to_the_notebook_reader_give_cells_or_a_reason(data):
    try:
        cells = code_cells(data)
    except NotANotebook as e:
        assert str(e).startswith("not a Jupyter notebook (")
    else:
        assert all(isinstance(source, str) for _, _, source in cells)
