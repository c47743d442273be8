"""Rosters as the LMSs write them (lab_utils.course.roster): any separator, a BOM, decimal commas, any language, and
matching on the key the course has, never guessing between namesakes.

Canvas' export is laid out as `app/models/gradebook_exporter.rb` (canvas-lms) writes it: `Student`, `ID`, `SIS
User ID`, `SIS Login ID`, `Section`, the assignments, a `Points Possible` row, and rows without an ID for muted or
manually posted assignments; its CSV separator follows the user's setting (`;` in many languages). Moodle's
grading worksheet is `mod/assign/gradingtable.php`'s download: the identifier ("Participant 123456", translated),
the full name, the identity fields (email), then the grade columns.
"""

import unicodedata

import pytest

from lab_utils.course.roster import RosterError, read_roster

CANVAS_SEMICOLONS = (
    "\ufeffStudent;ID;SIS User ID;SIS Login ID;Section;MNIST lab (12345)\n"
    "    Points Possible;;;;;12,5\n"
    '"Smith, Jane";4021;S-1;jsmith;Lab A;\n'
    '"Mutedi, Grace";4022;S-2;gmutedi;Lab A;\n'
    ";;;;;Muted\n"
    ";;;;;Manual Posting\n"
)
MOODLE_GERMAN = (
    "Bezeichner,Vollständiger Name,E-Mail-Adresse,Status,Bewertung,Bestwertung\n"
    "Teilnehmer/in 123456,Jane Smith,jane@uni.example,Zur Bewertung abgegeben,,100\n"
    "Teilnehmer/in 123457,Ana O'Neil,ana@uni.example,Keine Abgabe,,100\n"
)


def roster_file(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_a_canvas_export_with_semicolons_and_a_bom_is_read(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_SEMICOLONS))
    assert roster.lms == "canvas"
    assert [(m.learner_id, m.name) for m in roster.members] == [("4021", "Smith, Jane"), ("4022", "Mutedi, Grace")]


def test_a_canvas_export_with_tabs_is_read(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_SEMICOLONS.replace(";", "\t")))
    assert [m.sis_login_id for m in roster.members] == ["jsmith", "gmutedi"]


def test_points_possible_are_read_with_a_decimal_comma(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_SEMICOLONS))
    assert roster.points_possible == (("MNIST lab (12345)", 12.5),)


def test_a_surname_starting_with_muted_is_a_learner_and_the_muted_rows_are_not(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_SEMICOLONS))
    assert roster.find("4022").name == "Mutedi, Grace"
    assert len(roster.members) == 2


def test_a_moodle_worksheet_in_german_is_read_by_what_its_columns_hold(tmp_path):
    roster = read_roster(roster_file(tmp_path, MOODLE_GERMAN))
    assert roster.lms == "moodle"
    assert [(m.learner_id, m.name, m.email) for m in roster.members] == [
        ("123456", "Jane Smith", "jane@uni.example"),
        ("123457", "Ana O'Neil", "ana@uni.example"),
    ]


def test_a_column_the_roster_names_otherwise_is_mapped_by_the_caller(tmp_path):
    text = "Prenom Nom,Courriel,Numero\nJane Smith,jane@uni.example,U77\n"
    roster = read_roster(roster_file(tmp_path, text), columns={"name": "Prenom Nom", "id_number": "Numero"})
    assert (roster.members[0].name, roster.members[0].id_number) == ("Jane Smith", "U77")


def test_names_are_compared_as_moodle_cleans_them_for_its_download_names(tmp_path):
    roster = read_roster(roster_file(tmp_path, MOODLE_GERMAN)).keyed([], key="name")
    assert roster.find("999", "Ana ONeil").email == "ana@uni.example"  # Moodle's clean_filename drops the '


def test_names_are_compared_after_unicode_normalisation_and_case_folding(tmp_path):
    name = unicodedata.normalize("NFD", "José Núñez")
    text = f"Identifier,Full name,Email address\nParticipant 1,{name},j@x.example\n"
    roster = read_roster(roster_file(tmp_path, text)).keyed([], key="name")
    assert roster.find("", "JOSÉ NÚÑEZ").learner_id == "1"


def test_namesakes_matched_by_name_are_matched_to_nobody(tmp_path):
    text = "First name,Last name,Email address\nJane,Smith,a@x.example\nJane,Smith,b@x.example\nMax,Doe,m@x.example\n"
    roster = read_roster(roster_file(tmp_path, text))
    assert roster.key == "id" and roster.find("123", "Jane Smith") is None
    assert roster.namesakes() == ["Jane Smith"]
    assert roster.find("124", "Max Doe").email == "m@x.example"


def test_an_id_column_resolves_namesakes(tmp_path):
    text = (
        "Identifier,Full name,Email address\n"
        "Participant 1,Jane Smith,a@x.example\nParticipant 2,Jane Smith,b@x.example\n"
    )
    roster = read_roster(roster_file(tmp_path, text)).keyed(["1", "2"])
    assert roster.key == "id"
    assert roster.find("2", "Jane Smith").email == "b@x.example"


def test_the_key_is_the_column_holding_the_class_folders_ids(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_SEMICOLONS)).keyed(["jsmith", "GMUTEDI", "someone"])
    assert roster.key == "sis_login_id"
    assert roster.find("gmutedi").learner_id == "4022"


def test_the_key_is_the_name_when_no_column_holds_the_ids(tmp_path):
    assert read_roster(roster_file(tmp_path, MOODLE_GERMAN)).keyed(["x1", "x2"]).key == "name"


def test_an_unknown_key_is_refused_in_one_line(tmp_path):
    with pytest.raises(RosterError, match="roster key 'student_no': expected one of id, sis_user_id"):
        read_roster(roster_file(tmp_path, MOODLE_GERMAN)).keyed([], key="student_no")


def test_a_roster_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("Student,ID\nJos\xe9,1\n".encode("latin-1"))
    with pytest.raises(RosterError, match="cannot read the roster"):
        read_roster(path)
