"""What a notebook's text says about the other notebooks is true.

Every "notebook NN" and every "NN_name" a solved notebook mentions (in its text or its code) names a notebook of
the series, number and name paired as in solutions/. "Next, in NN_name" names the notebook that comes next. A
sentence that points at one notebook for a function of the series ("your `stable_softmax` of notebook 01") points
at a notebook that defines it, and one that looks ahead ("you will write it in notebook 03") or back ("the model
you built in notebook 02") points in that direction.
"""

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest
from scripts import load_script

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
STEM = re.compile(r"(?<![\w.])(\d\d)_([a-z][a-z_]*[a-z])\b")
NUMBERS = re.compile(r"\bnotebooks?\s+(\d\d(?:(?:\s+and\s+|\s+or\s+|\s*[-–]\s*)\d\d)*)\b")
NEXT = re.compile(r"\b(?:Next, in|go on to)\s+\*\*(\d\d_\w+)\*\*")
CODE_NAME = re.compile(r"`(\w+)(?:\([^`]*\))?`")
AHEAD = re.compile(r"\b(will|later)\b", re.IGNORECASE)
BACK = re.compile(r"\b(wrote|built|computed|showed|saw|met|earlier)\b", re.IGNORECASE)


def load_series(folder: Path) -> dict[str, dict]:
    """The notebooks of a folder, by stem (`01_softmax`), in order."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("[0-9][0-9]_*.ipynb"))}


def cell_texts(notebook: dict, kind: str) -> list[str]:
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == kind]


def exercise_functions(notebook: dict) -> set[str]:
    """Names of the functions a notebook's exercise cells (those with a START CODE HERE region) define."""
    names = set()
    for source in cell_texts(notebook, "code"):
        if "### START CODE HERE ###" not in source:
            continue
        python = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        names |= {node.name for node in ast.walk(ast.parse(python)) if isinstance(node, ast.FunctionDef)}
    return names


def sentences(markdown: str) -> list[str]:
    """The clauses of a markdown cell: its paragraphs, headings and list items, split into sentences, and those at
    semicolons and parentheses ("as in notebook 01 (you will write it in notebook 03)" is two claims)."""
    blocks = re.split(r"\n\s*\n|\n(?=\s*(?:#|[-*] |\d+\. ))", markdown)
    found = []
    for block in blocks:
        for sentence in re.split(r"(?<=[.!?:])\s+(?=[A-Z*`$(])", " ".join(block.split())):
            found += [clause.strip() for clause in re.split(r"[;()]", sentence) if clause.strip()]
    return found


def numbers_named(text: str) -> list[str]:
    """The notebook numbers a text names, as "notebook NN" or "NN_name"."""
    listed = [n for match in NUMBERS.finditer(text) for n in re.findall(r"\d\d", match.group(1))]
    return listed + [match.group(1) for match in STEM.finditer(text)]


def problems(series: dict[str, dict]) -> list[str]:
    """Every mention of a notebook in `series` that names no notebook, or the wrong one, as one line each."""
    by_number = {stem[:2]: stem for stem in series}
    order = list(series)
    definers = {stem: exercise_functions(nb) for stem, nb in series.items()}
    found = []
    for stem, notebook in series.items():
        text = "\n".join(cell_texts(notebook, "markdown") + cell_texts(notebook, "code"))
        for match in STEM.finditer(text):
            named = match.group(0)
            if named not in series:
                real = by_number.get(match.group(1), "no notebook")
                found.append(f"{stem}: {named} is not a notebook of the series (notebook {match.group(1)} is {real})")
        for match in NUMBERS.finditer(text):
            for number in re.findall(r"\d\d", match.group(1)):
                if number not in by_number:
                    found.append(f"{stem}: notebook {number} does not exist")
        for match in NEXT.finditer(text):
            following = order[order.index(stem) + 1] if stem != order[-1] else "nothing"
            if match.group(1) != following:
                found.append(f"{stem}: says next is {match.group(1)}, but {following} comes next")
        for markdown in cell_texts(notebook, "markdown"):
            found += [f"{stem}: {p}" for p in _sentence_problems(markdown, stem, by_number, definers)]
    return found


def _sentence_problems(markdown: str, stem: str, by_number: dict[str, str], definers: dict[str, set[str]]) -> list[str]:
    found = []
    everywhere = set().union(*definers.values())
    for sentence in sentences(markdown):
        numbers = set(numbers_named(sentence)) & set(by_number)
        if len(numbers) != 1:
            continue
        target = by_number[numbers.pop()]
        for name in set(CODE_NAME.findall(sentence)) & everywhere:
            if name not in definers[target]:
                where = ", ".join(s for s, names in definers.items() if name in names)
                found.append(f"`{name}` is defined in {where}, not in {target}: {sentence!r}")
        if AHEAD.search(sentence) and target <= stem:
            found.append(f"looks ahead to {target}, which does not come later: {sentence!r}")
        if BACK.search(sentence) and not AHEAD.search(sentence) and target >= stem:
            found.append(f"looks back to {target}, which does not come earlier: {sentence!r}")
    return found


EXERCISE = "def stable_softmax(z):\n    ### START CODE HERE ###\n    pass\n    ### END CODE HERE ###\n"


def tiny_series(**texts: str) -> dict[str, dict]:
    """Notebooks by stem, each one markdown cell; a text after "|" becomes a code cell."""

    def notebook(text: str) -> dict:
        markdown, _, code = text.partition("|")
        return {
            "cells": [
                {"cell_type": "markdown", "source": [markdown]},
                {"cell_type": "code", "source": [code]},
            ]
        }

    return {stem.replace("n", "", 1): notebook(text) for stem, text in texts.items()}


def test_the_solved_notebooks_name_every_notebook_rightly():
    series = load_series(SOLUTIONS)
    assert len(series) >= 5
    assert problems(series) == []


def test_the_learner_notebooks_name_every_notebook_rightly():
    assert problems(load_series(SOLUTIONS.parent / "notebooks")) == []


def test_a_number_with_the_wrong_name_is_caught():
    series = tiny_series(n01_softmax="See 02_training.", n02_model="")
    assert problems(series) == ["01_softmax: 02_training is not a notebook of the series (notebook 02 is 02_model)"]


def test_a_notebook_number_that_does_not_exist_is_caught():
    assert problems(tiny_series(n01_softmax="As notebook 07 shows.")) == ["01_softmax: notebook 07 does not exist"]


def test_a_mention_in_a_code_comment_is_checked_too():
    series = tiny_series(n01_softmax="|x = 1  # see notebook 09")
    assert problems(series) == ["01_softmax: notebook 09 does not exist"]


def test_next_must_name_the_notebook_that_follows():
    series = tiny_series(
        n01_softmax="", n02_model="Next, in **04_training**, we write the loss.", n03_gradients="", n04_training=""
    )
    assert problems(series) == ["02_model: says next is 04_training, but 03_gradients comes next"]


def test_a_function_pointed_at_in_a_notebook_that_does_not_define_it_is_caught():
    series = tiny_series(n01_softmax=f"|{EXERCISE}", n02_model="Use your `stable_softmax` of notebook 02.")
    [problem] = problems(series)
    assert "`stable_softmax` is defined in 01_softmax, not in 02_model" in problem


def test_looking_ahead_to_an_earlier_notebook_is_caught():
    series = tiny_series(n01_softmax="", n02_model="", n03_gradients="You will write the loss in notebook 02.")
    [problem] = problems(series)
    assert problem.startswith("03_gradients: looks ahead to 02_model")


def test_a_claim_in_parentheses_is_judged_on_its_own():
    series = tiny_series(
        n01_softmax="", n02_model="", n03_gradients="As in notebook 01 (you will see it in notebook 02)."
    )
    [problem] = problems(series)
    assert problem.startswith("03_gradients: looks ahead to 02_model")


def test_looking_back_to_a_later_notebook_is_caught():
    series = tiny_series(n01_softmax="Train the model you built in notebook 02.", n02_model="")
    [problem] = problems(series)
    assert problem.startswith("01_softmax: looks back to 02_model")


@pytest.mark.parametrize(
    "text",
    [
        "As in notebook 01, subtract the maximum.",
        "Copy your `stable_softmax` from notebook 01.",
        "See 01_softmax.ipynb.",
    ],
)
def test_right_mentions_pass(text):
    series = tiny_series(n01_softmax=f"|{EXERCISE}", n02_model=text)
    assert problems(series) == []


# ---------------------------------------------------------------- what a notebook says of itself is true

SETUP_SCRIPT = SOLUTIONS.parent / "tools" / "make.py"


def outputs_text(notebook: dict) -> str:
    """Everything a notebook's code cells printed or displayed as text."""
    texts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            texts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(texts)


def test_softmax_numbers_the_classes_from_0_as_the_code_and_the_notation_table_do():
    formula = next(t for t in cell_texts(load_series(SOLUTIONS)["01_softmax"], "markdown") if "p_j = " in t)
    assert r"\sum_{k=0}^{K-1}" in formula and r"j = 0, \dots, K-1" in formula
    assert "k=1" not in formula


def test_no_notebook_writes_a_loss_as_ell_beside_the_layer_index_l():
    for stem, notebook in load_series(SOLUTIONS).items():
        text = "\n".join(cell_texts(notebook, "markdown"))
        assert r"\ell" not in text, stem
        assert not re.search(r"\$L\$|\\partial L\b|\$L =", text), stem


def test_the_model_notebook_asks_for_dense_layers_only_and_never_says_activation_layers_work_too():
    text = "\n".join(cell_texts(load_series(SOLUTIONS)["02_model"], "markdown"))
    assert "no separate `Activation` layers" in text
    assert "layers of their own" not in text and "either way" not in text


def test_the_best_single_step_the_gradients_text_quotes_is_the_one_its_figure_reports():
    notebook = load_series(SOLUTIONS)["03_gradients"]
    printed = re.search(r"lowest \([\d.]+\) at α = ([\d.]+)", outputs_text(notebook))
    quoted = re.findall(
        r"best single step[^$]*\$\\alpha (?:=|\\approx) ([\d.]+)\$", "\n".join(cell_texts(notebook, "markdown"))
    )
    assert printed and quoted and set(quoted) == {printed[1]}


def test_the_relative_errors_the_gradients_text_quotes_are_those_it_prints():
    notebook = load_series(SOLUTIONS)["03_gradients"]
    printed = [float(e) for e in re.findall(r"relative error:? ([\d.]+e-\d+)", outputs_text(notebook))]
    exponents = {round(np.log10(e)) for e in printed}
    quoted = {-int(e) for e in re.findall(r"about \$10\^\{-(\d+)\}\$", "\n".join(cell_texts(notebook, "markdown")))}
    assert printed and quoted and quoted <= exponents | {e - 1 for e in exponents} | {e + 1 for e in exponents}


def test_the_evaluation_text_names_the_labels_shape_as_its_docstring_does():
    notebook = load_series(SOLUTIONS)["05_evaluation"]
    text, code = "\n".join(cell_texts(notebook, "markdown")), "\n".join(cell_texts(notebook, "code"))
    assert "`y_true`: `(n,)`" in text and "y_true, y_pred: (n,)" in code


def test_the_evaluation_text_says_which_model_it_trains_and_no_run_time_of_another_notebook():
    text = "\n".join(cell_texts(load_series(SOLUTIONS)["05_evaluation"], "markdown"))
    assert "the lab's reference model" in text
    assert "as long as notebook 04" not in text


def test_the_evaluation_hints_never_ask_for_a_function_the_notebook_does_not_define():
    notebook = load_series(SOLUTIONS)["05_evaluation"]
    defined = set(re.findall(r"^def (\w+)", "\n".join(cell_texts(notebook, "code")), re.MULTILINE))
    for hint in re.findall(r"<details>.*?</details>", "\n".join(cell_texts(notebook, "markdown")), re.DOTALL):
        for name in re.findall(r"your `(\w+)`", hint):
            assert name in defined or f"does not have your `{name}`" in hint, name


def full_run(environ: dict) -> bool:
    """FULL_RUN as notebook 06's cell sets it, in a process with `environ`."""
    source = next(t for t in cell_texts(load_series(SOLUTIONS)["06_going_further"], "code") if "FULL_RUN =" in t)
    namespace = {"os": type("os", (), {"environ": environ})}
    exec(source.replace("import os\n", ""), namespace)  # noqa: S102 (the lab's own notebook cell)
    return namespace["FULL_RUN"]


def test_going_further_runs_the_full_experiments_by_default():
    assert full_run({}) is True


def test_going_further_runs_the_shortened_experiments_only_when_lab_full_run_is_0():
    assert full_run({"LAB_FULL_RUN": "0"}) is False
    assert full_run({"LAB_FULL_RUN": "1"}) is True


def test_the_test_suites_ask_notebook_06_for_the_shortened_run():
    setup = load_script(SETUP_SCRIPT, "lab_setup")
    assert setup.TEST_ENVIRONMENT["LAB_FULL_RUN"] == "0"
    assert setup.NOTEBOOK_TESTS in setup.SUITES["test-notebooks"]


def test_going_further_text_quotes_no_trial_run():
    text = "\n".join(cell_texts(load_series(SOLUTIONS)["06_going_further"], "markdown"))
    assert "trial" not in text and "quotes no number from a run" in text
