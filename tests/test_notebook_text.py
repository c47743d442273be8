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

import pytest

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
