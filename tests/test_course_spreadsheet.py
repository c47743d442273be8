"""Every CSV the grader writes is safe in a spreadsheet (lab_utils.course.spreadsheet, OWASP CSV injection)."""

import csv

import pytest

from lab_utils.course.spreadsheet import safe_cell, write_csv


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil","open")', "+1+1", "-2+3", "@SUM(A1)", "  =1+1"])
def test_text_that_could_be_a_formula_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(("text", "cell"), [("\t=1+1", "' =1+1"), ("\r=1+1", "'=1+1"), ("\x1b[2K=1", "'=1")])
def test_a_formula_behind_a_tab_return_or_escape_is_neutralised_and_the_control_removed(text, cell):
    assert safe_cell(text) == cell


def test_escape_sequences_never_reach_a_terminal_that_shows_the_file():
    assert safe_cell("esc\x1b]0;title\x07\x1b[2Aid") == "escid"


def test_other_text_is_kept():
    assert safe_cell("02_model missing; a=b") == "02_model missing; a=b"


@pytest.mark.parametrize(("number", "cell"), [(10, "10"), (10.0, "10"), (7.5, "7.5"), (-3, "-3"), (0, "0")])
def test_numbers_stay_numbers_negative_ones_included(number, cell):
    assert safe_cell(number) == cell


def test_the_file_reads_back_with_the_neutralised_cells(tmp_path):
    write_csv(tmp_path / "g.csv", ["learner_id", "score"], [["=1+1", 5], ['say "hi", ok', 7.5]])
    with open(tmp_path / "g.csv", newline="") as f:
        assert list(csv.reader(f)) == [["learner_id", "score"], ["'=1+1", "5"], ['say "hi", ok', "7.5"]]
