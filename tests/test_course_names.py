"""Learner ids made into file names (lab_utils.course.names.file_stem)."""

import pytest

from lab_utils.course.names import file_stem


@pytest.mark.parametrize("learner_id", ["s12", "4021", "jane_doe", "a-b"])
def test_a_plain_lowercase_id_is_its_own_file_name(learner_id):
    assert file_stem(learner_id) == learner_id


@pytest.mark.parametrize(
    "learner_id", ["con", "nul", "com1", "../../outside", "/etc/passwd", "..", "a/b", "a\\b", "\x00", "=1+1", "."]
)
def test_an_id_that_would_leave_the_folder_or_name_a_device_becomes_a_plain_name(learner_id):
    name = file_stem(learner_id)
    assert "/" not in name and "\\" not in name and not name.startswith(".") and name.isascii()
    assert "~" in name


def test_ids_differing_only_in_case_get_different_names_also_without_case():
    assert file_stem("Ada").lower() != file_stem("ada").lower()


def test_a_kept_id_and_a_mapped_id_never_meet():
    mapped = file_stem("Ada")
    assert file_stem(mapped) != mapped  # "~" is never in a kept id, so a mapped name as an id is mapped again


def test_a_252_character_id_fits_any_file_system():
    assert len(file_stem("g" * 252) + ".html") <= 80


def test_different_ids_with_the_same_plain_part_get_different_names():
    assert file_stem("a b") != file_stem("a_b") != file_stem("a?b")
