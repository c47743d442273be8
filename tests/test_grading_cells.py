"""Which cells grading runs (lab_utils.grading.cells): those a graded function may depend on, decided from
the master notebook (as the package records it in masters.json); a learner's edited cell always runs.
That an installed package grades as the checkout does is in test_wheel_install.py."""

from pathlib import Path

import nbformat

import lab_utils
from lab_utils.checks import exercises_in
from lab_utils.grading import cells
from lab_utils.grading.cells import cells_to_run, names, needed, statements

ROOT = Path(lab_utils.__file__).resolve().parents[1]


def code_cells(path: Path) -> list[tuple[int, str, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(n, c.get("id", ""), c.source) for n, c in enumerate(nb.cells, 1) if c.cell_type == "code"]


def test_names_tells_globals_from_parameters_and_locals():
    bound, used = names("import numpy as np\ndef f(model, x):\n    y = model(x)\n    return np.sum(y) + SCALE")
    assert bound == {"np", "f"}
    assert used == {"np", "SCALE"}


def test_magics_are_read_as_ipython_runs_them():
    (magic, _, _), (code, bound, _) = statements("%matplotlib inline\nimport numpy as np")
    assert "run_line_magic('matplotlib', 'inline')" in magic
    assert (code, bound) == ("import numpy as np\n", {"np"})


def test_needed_follows_the_names_a_function_uses_statement_by_statement():
    sources = [
        "import numpy as np\nimport matplotlib.pyplot as plt\nSCALE = 2",
        "history = train()",
        "def f(z):\n    return np.exp(z) * SCALE",
        "f(1)",
    ]
    assert needed(sources, {"f"}) == {0: {0, 2}, 1: set(), 2: {0}, 3: set()}


def test_a_cell_that_does_not_parse_runs_whole():
    assert needed(["def f(:", "x = 1"], {"g"}) == {0: None, 1: set()}


def test_the_learner_version_skips_the_training_cells_of_the_master():
    stem = "04_training"
    cells = code_cells(ROOT / "notebooks" / f"{stem}.ipynb")
    runs = dict(cells_to_run(cells, stem, _functions(stem)))
    training = {n for n, _, source in cells if "train(" in source}
    assert training and not set(runs) & training
    assert all("def " in code or "import" in code for code in runs.values())


def test_an_unedited_cell_runs_only_its_needed_statements():
    stem = "01_softmax"
    cells = code_cells(ROOT / "notebooks" / f"{stem}.ipynb")
    number, _, source = next(cell for cell in cells if "import numpy as np" in cell[2])
    assert "matplotlib" in source
    assert dict(cells_to_run(cells, stem, _functions(stem)))[number].strip() == "import numpy as np"


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


def test_a_chain_of_ten_thousand_cells_is_followed_to_its_start():
    sources = ["x0 = 0", *(f"x{i} = x{i - 1} + 1" for i in range(1, 10_000)), "def f(z):\n    return z + x9999"]
    keep = needed(sources, ["f"])
    assert all(keep[i] == {0} for i in range(len(sources)))


def test_a_notebook_the_package_has_no_record_of_runs_every_cell_whole():
    cells = code_cells(ROOT / "notebooks" / "04_training.ipynb")
    runs = cells_to_run(cells, "99_not_in_the_series", _functions("04_training"))
    assert runs == [(number, source) for number, _, source in cells if source.strip()]


def test_the_packages_record_of_the_masters_holds_no_line_of_a_solution():
    record = (Path(cells.__file__).parent / cells.MASTERS).read_text(encoding="utf-8")
    solution_lines = set()
    for path in (ROOT / "solutions").glob("*.ipynb"):
        for source in (c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"):
            inside = False
            for line in source.splitlines():
                if line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION"):
                    inside = line.strip() == "### BEGIN SOLUTION"
                elif inside and len(line.strip()) > 12:
                    solution_lines.add(line.strip())
    assert solution_lines and not [line for line in solution_lines if line in record]
