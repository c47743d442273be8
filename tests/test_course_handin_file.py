"""Reading a learner's hand-in file (lab_utils.course.handin_file): checked against its manifest, hostile zips refused.

Every zip is built here, the genuine ones by the real writer (`lab_utils.handin.precheck.write_zip`); nothing is graded.
"""

import os
import random
import stat
import zipfile

import pytest
from handin_files import (
    damaged_zip,
    duplicate_member,
    genuine,
    overlapping_zip,
    quoted_overlap_bomb,
    raw_zip,
    rewritten,
    softmax_notebook,
    special_member,
    symlink_member,
    zip_bomb,
)

from lab_utils.checks import series_stems
from lab_utils.course.handin_file import MAX_HANDINS, MAX_MEMBERS, Allowance, HandInRefused, read_handin


def read(path):
    return read_handin(path, series_stems())


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_a_genuine_hand_in_gives_its_notebooks_and_no_problem(tmp_path):
    handin = read(genuine(tmp_path / "h.zip"))
    assert list(handin.notebooks) == ["01_softmax.ipynb"]
    assert handin.notebooks["01_softmax.ipynb"] == softmax_notebook()
    assert handin.problems == []
    assert handin.manifest.learner == "ada"


def test_the_manifests_claims_are_kept_for_showing(tmp_path):
    handin = read(genuine(tmp_path / "h.zip", score=135))
    assert handin.manifest.precheck["score"] == 135
    assert handin.manifest.created_at == "2026-11-29T10:15:00Z"


def test_a_notebook_changed_after_the_manifest_is_reported_and_still_read(tmp_path):
    tampered = rewritten(
        genuine(tmp_path / "h.zip"), tmp_path / "t.zip", replace={"01_softmax.ipynb": softmax_notebook("x = 1")}
    )
    handin = read(tampered)
    assert handin.problems == [
        "01_softmax.ipynb does not match the manifest's SHA-256: it was changed after the hand-in was made"
    ]
    assert handin.notebooks["01_softmax.ipynb"] == softmax_notebook("x = 1")


def test_a_member_listed_in_the_manifest_but_missing_is_reported(tmp_path):
    files = {"01_softmax.ipynb": softmax_notebook(), "02_model.ipynb": softmax_notebook("x = 2")}
    handin = read(rewritten(genuine(tmp_path / "h.zip", files), tmp_path / "m.zip", drop=("02_model.ipynb",)))
    assert handin.problems == ["02_model.ipynb is listed in the manifest but missing from the hand-in file"]
    assert list(handin.notebooks) == ["01_softmax.ipynb"]


def test_an_extra_file_that_is_no_notebook_of_the_series_is_reported_and_not_graded(tmp_path):
    extra = rewritten(genuine(tmp_path / "h.zip"), tmp_path / "e.zip", replace={"notes.txt": b"hello"})
    handin = read(extra)
    assert handin.problems == [
        "notes.txt is not listed in the manifest",
        "notes.txt is not a notebook of the series: not graded",
    ]
    assert list(handin.notebooks) == ["01_softmax.ipynb"]


def test_a_zip_without_a_manifest_is_read_and_reported(tmp_path):
    handin = read(raw_zip(tmp_path / "h.zip", {"01_softmax.ipynb": softmax_notebook()}))
    assert handin.problems == ["no manifest.json: its files cannot be checked (not made by handin()?)"]
    assert list(handin.notebooks) == ["01_softmax.ipynb"]


def test_a_manifest_that_is_not_json_is_reported(tmp_path):
    handin = read(raw_zip(tmp_path / "h.zip", {"01_softmax.ipynb": softmax_notebook(), "manifest.json": b"{"}))
    assert handin.problems == ["manifest.json is not JSON (JSONDecodeError)"]


@pytest.mark.parametrize("name", ["../../evil.ipynb", "/tmp/evil.ipynb", "work/../../evil.ipynb", "C:/evil.ipynb"])
def test_a_zip_slip_member_is_refused_and_nothing_is_written(tmp_path, name):
    path = rewritten(genuine(tmp_path / "h.zip"), tmp_path / "slip" / "s.zip", replace={name: b"pwned"})
    before = files_under(tmp_path)
    with pytest.raises(HandInRefused, match=r"has (an absolute path|'\.\.' in its path)"):
        read(path)
    assert files_under(tmp_path) == before
    assert not (tmp_path.parent / "evil.ipynb").exists()


def test_a_symlink_member_is_refused(tmp_path):
    with pytest.raises(HandInRefused, match="'01_softmax.ipynb.link' is not a regular file"):
        read(symlink_member(tmp_path / "h.zip"))


def test_a_device_file_member_is_refused(tmp_path):
    with pytest.raises(HandInRefused, match="is not a regular file"):
        read(special_member(tmp_path / "h.zip", "dev", stat.S_IFCHR, b""))


def test_a_folder_entry_is_skipped_and_the_files_are_read(tmp_path):
    handin = read(rewritten(genuine(tmp_path / "h.zip"), tmp_path / "d.zip", replace={"work/": b""}))
    assert list(handin.notebooks) == ["01_softmax.ipynb"]


def test_a_zip_of_one_folder_is_read_like_a_flat_one(tmp_path):
    with zipfile.ZipFile(genuine(tmp_path / "h.zip")) as zf:
        members = {f"mnist_lab/{name}": zf.read(name) for name in zf.namelist()}
    handin = read(raw_zip(tmp_path / "folder.zip", {"mnist_lab/": b"", **members}))
    assert list(handin.notebooks) == ["01_softmax.ipynb"]
    assert handin.problems == []


def test_a_folder_entry_holding_data_is_refused(tmp_path):
    with pytest.raises(HandInRefused, match="'work/' is a folder holding data"):
        read(rewritten(genuine(tmp_path / "h.zip"), tmp_path / "d.zip", replace={"work/": b"x"}))


def test_members_sharing_their_bytes_are_refused_as_an_overlapping_bomb(tmp_path):
    with pytest.raises(HandInRefused, match="^has members that share bytes"):
        read(overlapping_zip(tmp_path / "h.zip", copies=20))


def test_fifields_quoted_overlap_bomb_is_refused_though_each_member_looks_sane(tmp_path):
    runs = random.Random(25)
    kernel = b"".join(runs.choice([b"a", b"b", b"c"]) * 40 for _ in range(50_000))  # 2 MB, compressed ~40 times
    names = [f"{stem}.ipynb" for stem in series_stems()]
    bomb = quoted_overlap_bomb(tmp_path / "h.zip", names, kernel)
    with zipfile.ZipFile(bomb) as zf:  # a zip the standard library reads: every member is consistent
        assert all(info.file_size < 100 * info.compress_size for info in zf.infolist())
    with pytest.raises(HandInRefused, match="^has members that share bytes"):
        read(bomb)


def test_damaged_deflate_data_is_refused_in_one_line(tmp_path):
    with pytest.raises(HandInRefused, match="^member '01_softmax.ipynb' cannot be read: damaged"):
        read(damaged_zip(tmp_path / "h.zip"))


def test_one_learners_hand_in_files_share_one_allowance_of_files(tmp_path):
    allowance = Allowance()
    for number in range(MAX_HANDINS):
        read_handin(genuine(tmp_path / f"h{number}.zip"), series_stems(), allowance)
    with pytest.raises(HandInRefused, match=f"first {MAX_HANDINS} hand-in files are read"):
        read_handin(genuine(tmp_path / "one-more.zip"), series_stems(), allowance)


def test_one_learners_hand_in_files_share_one_allowance_of_bytes(tmp_path):
    allowance = Allowance(size=100_000)
    members = {"01_softmax.ipynb": softmax_notebook(), "data.bin": os.urandom(60_000)}
    read_handin(raw_zip(tmp_path / "a.zip", members), series_stems(), allowance)
    with pytest.raises(HandInRefused, match="may hold 64 members and 128 MB in all"):
        read_handin(raw_zip(tmp_path / "b.zip", members), series_stems(), allowance)


def test_a_manifest_nested_sixty_thousand_deep_is_a_problem_not_a_crash(tmp_path):
    handin = read(rewritten(genuine(tmp_path / "h.zip"), tmp_path / "m.zip", {"manifest.json": b"[" * 60_000}))
    assert handin.problems == ["manifest.json is not a manifest: more than 1000 JSON arrays and objects"]
    assert list(handin.notebooks) == ["01_softmax.ipynb"]


def test_a_manifest_nested_deeper_than_a_manifest_is_a_problem(tmp_path):
    nested = b"[" * 20 + b"]" * 20
    handin = read(rewritten(genuine(tmp_path / "h.zip"), tmp_path / "m.zip", {"manifest.json": nested}))
    assert handin.problems == ["manifest.json is not a manifest: JSON nested deeper than 8 levels"]


def test_a_duplicate_name_is_refused(tmp_path):
    with pytest.raises(HandInRefused, match="'01_softmax.ipynb' appears twice"):
        read(duplicate_member(tmp_path / "h.zip"))


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    bomb = zip_bomb(tmp_path / "h.zip", megabytes=30)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(HandInRefused, match="unpacks to more than 20 MB"):
        read(bomb)


def test_a_member_compressed_like_a_bomb_is_refused_even_when_small_enough(tmp_path):
    with pytest.raises(HandInRefused, match="compressed more than 100 times"):
        read(zip_bomb(tmp_path / "h.zip", megabytes=5))


def test_too_many_members_are_refused(tmp_path):
    members = {f"f{i}.txt": b"x" for i in range(MAX_MEMBERS + 1)}
    with pytest.raises(HandInRefused, match=f"has {MAX_MEMBERS + 1} members, more than {MAX_MEMBERS}"):
        read(raw_zip(tmp_path / "h.zip", members))


def test_a_file_named_zip_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "h.zip"
    path.write_bytes(softmax_notebook())
    with pytest.raises(HandInRefused, match="^is not a zip file$"):
        read(path)


def test_a_link_to_a_zip_is_not_followed(tmp_path):
    os.symlink(genuine(tmp_path / "h.zip"), tmp_path / "link.zip")
    with pytest.raises(HandInRefused, match="^was not read: a symbolic link"):
        read(tmp_path / "link.zip")


def test_a_fifo_named_zip_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "h.zip")
    with pytest.raises(HandInRefused, match="^was not read: a FIFO"):
        read(tmp_path / "h.zip")
