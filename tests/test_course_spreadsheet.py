"""Every CSV the grader writes is safe in a spreadsheet (lab_utils.course.spreadsheet, OWASP CSV injection)."""

import csv

import pytest

from lab_utils.course.spreadsheet import safe_cell, write_csv


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil","open")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_could_be_a_formula_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


def test_other_text_is_kept():
    assert safe_cell("02_model missing; a=b") == "02_model missing; a=b"


@pytest.mark.parametrize(("number", "cell"), [(10, "10"), (10.0, "10"), (7.5, "7.5"), (-3, "-3"), (0, "0")])
def test_numbers_stay_numbers_negative_ones_included(number, cell):
    assert safe_cell(number) == cell


def test_the_file_reads_back_with_the_neutralised_cells(tmp_path):
    write_csv(tmp_path / "g.csv", ["student", "score"], [["=1+1", 5], ['say "hi", ok', 7.5]])
    with open(tmp_path / "g.csv", newline="") as f:
        assert list(csv.reader(f)) == [["student", "score"], ["'=1+1", "5"], ['say "hi", ok', "7.5"]]
