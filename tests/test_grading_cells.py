"""Which cells grading runs (lab_utils.grading.cells): those a graded function may depend on, decided from
the master notebook; a learner's edited cell always runs."""

from pathlib import Path

import nbformat

import lab_utils
from lab_utils.checks import exercises_in
from lab_utils.grading.cells import cells_to_run, names, needed

ROOT = Path(lab_utils.__file__).resolve().parents[1]


def code_cells(path: Path) -> list[tuple[int, str, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(n, c.get("id", ""), c.source) for n, c in enumerate(nb.cells, 1) if c.cell_type == "code"]


def test_names_tells_globals_from_parameters_and_locals():
    bound, used = names("import numpy as np\ndef f(model, x):\n    y = model(x)\n    return np.sum(y) + SCALE")
    assert bound == {"np", "f"}
    assert used == {"np", "SCALE"}


def test_magics_are_read_as_ipython_runs_them():
    assert names("%matplotlib inline\nimport numpy as np")[0] == {"np"}


def test_needed_follows_the_names_a_function_uses_and_nothing_else():
    sources = ["import numpy as np\nSCALE = 2", "history = train()", "def f(z):\n    return np.exp(z) * SCALE", "f(1)"]
    assert needed(sources, {"f"}) == {0, 2}


def test_a_cell_that_does_not_parse_is_needed():
    assert needed(["def f(:", "x = 1"], {"g"}) == {0}


def test_the_learner_version_skips_the_training_cells_of_the_master():
    stem = "04_training"
    cells = code_cells(ROOT / "notebooks" / f"{stem}.ipynb")
    run_ids = {cid for n, cid, _ in cells if n in {n for n, _ in cells_to_run(cells, stem, _functions(stem))}}
    training = {cid for _, cid, source in cells if "train(" in source}
    assert training and not run_ids & training
    assert len(run_ids) < len(cells)


def test_an_edited_cell_runs_even_where_the_master_cell_is_skipped():
    stem = "04_training"
    cells = code_cells(ROOT / "notebooks" / f"{stem}.ipynb")
    number, cid, source = next(c for c in cells if "train(" in c[2])
    edited = [(n, i, s + "\n# edited" if n == number else s) for n, i, s in cells]
    assert number in {n for n, _ in cells_to_run(edited, stem, _functions(stem))}


def test_a_skipped_cell_runs_when_the_learners_function_uses_what_it_binds():
    stem = "04_training"
    cells = code_cells(ROOT / "notebooks" / f"{stem}.ipynb")
    number, _, source = next(c for c in cells if "result = train(" in c[2])
    uses = (999, "mine", "def compile_model(model, cfg):\n    return result")
    assert number in {n for n, _ in cells_to_run([*cells, uses], stem, _functions(stem))}


def _functions(stem: str) -> set[str]:
    return {ex.function for ex in exercises_in(stem)}
