"""The grader's command line (lab_utils.grading.cli): the table a learner reads, and one-line refusals of bad input.

Grading itself is exercised end to end in test_grading_batch.py and test_grade.py; here the table is formatted
from results built as the grader builds them, and bad input is refused before any kernel starts.
"""

import pytest

from lab_utils.grading.cli import format_table, main
from lab_utils.grading.results import FAILED, MISSING, PASSED, ExerciseResult, NotebookResult

WRONG = (
    "stable_softmax gave a wrong answer for a batch of 3 rows\n"
    "  expected: [[0.0900, 0.2447, 0.6652], ...]\n"
    "  got:      [[0.3333, 0.3333, 0.3333], ...]\n"
    "  hint: the max and the sum must keep one value per row: keepdims=True"
)


def notebook(status="graded", notes=(), exercises=None):
    exercises = exercises or [
        ExerciseResult("my_softmax", "01_softmax", 10, 10, PASSED, "correct"),
        ExerciseResult("stable_softmax", "01_softmax", 15, 0, FAILED, WRONG, "keepdims=True"),
    ]
    return NotebookResult("01_softmax", "01_softmax.ipynb", status, exercises, list(notes))


def test_a_multi_line_message_keeps_its_lines_aligned_under_the_message_column():
    lines = format_table(notebook(), "01_softmax.ipynb").splitlines()
    first = next(i for i, line in enumerate(lines) if "gave a wrong answer" in line)
    column = lines[first].index("stable_softmax gave")
    assert lines[first + 1].index("expected:") == column + 2
    assert lines[first + 3].strip() == "hint: the max and the sum must keep one value per row: keepdims=True"
    assert lines[first + 3].index("hint:") == column + 2


def test_a_long_message_line_wraps_instead_of_running_on():
    long = "word " * 60
    table = format_table(notebook(exercises=[ExerciseResult("my_softmax", "01_softmax", 10, 0, FAILED, long)]), "t")
    assert max(len(line) for line in table.splitlines()) < 130


def test_full_marks_with_crashed_later_cells_say_so_on_the_total_line():
    nb = notebook(
        notes=["code cell 7 (`plot_history(history)`) raised NameError: name 'history' is not defined"],
        exercises=[ExerciseResult("my_softmax", "01_softmax", 10, 10, PASSED, "correct")],
    )
    total = format_table(nb, "t").splitlines()[-1]
    assert total.startswith("  total: 10/10 points")
    assert "1 problem(s) while running the notebook" in total


def test_a_notebook_that_was_not_graded_shows_why_next_to_its_score():
    nb = notebook(status=MISSING, exercises=[ExerciseResult("my_softmax", "01_softmax", 10, 0, MISSING, "no file")])
    assert format_table(nb, "t").splitlines()[-1] == "  total: 0/10 points  [missing]"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["nope.ipynb"], "nope.ipynb: no such file"),
        (["{tmp}/class", "--out", "{tmp}/out"], "no such folder"),
        (["{tmp}/broken.ipynb"], "not a Jupyter notebook"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path, capsys, argv, says):
    (tmp_path / "broken.ipynb").write_text("{ not json")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["{tmp}"], "give --out RESULTS_DIR"),
        (["{tmp}", "--out", "{tmp}/out", "--workers", "0"], "--workers must be at least 1"),
        (["a.ipynb", "--regrade"], "grade a class"),
        (["{tmp}", "{tmp}", "--out", "{tmp}/out"], "exactly one CLASS_DIR"),
    ],
)
def test_unusable_options_are_refused_with_exit_2(tmp_path, capsys, argv, says):
    with pytest.raises(SystemExit) as exit_:
        main([a.format(tmp=tmp_path) for a in argv])
    assert exit_.value.code == 2
    assert says in capsys.readouterr().err
