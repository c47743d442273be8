"""The notebook series: learner notebooks come from the solved ones, never leak a solution, and start as stubs.

Specifications of `tools/build_notebooks.py` (on small notebooks built in each test) and of the committed
notebooks. The solved notebooks themselves run under nbval (`make test-notebooks`).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from scripts import load_script

from lab_utils.checks import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"

build_notebooks = load_script(ROOT / "tools" / "build_notebooks.py", "build_notebooks")

# Issue 3: the check each notebook must call on each exercise, as a learner's check cell begins.
CHECK_CALLS = {
    stem: [f"{ex.name}({ex.function}" for ex in EXERCISES if ex.notebook == stem]
    for stem in dict.fromkeys(ex.notebook for ex in EXERCISES)
}
CHECK_CALL = re.compile(r"^check_\w+\(", re.MULTILINE)
EXERCISE = """\
def double(x):
    ### START CODE HERE ###
    ### BEGIN SOLUTION
    y = 2 * x
    return y
    ### END SOLUTION
    ### END CODE HERE ###"""


def _notebook(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for index, (kind, source) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
        cell.id = f"cell-{index}"
        nb.cells.append(cell)
    return nb


def _write(path: Path, nb: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def lab(tmp_path: Path) -> dict[str, Path]:
    """A solutions/ folder with one exercise notebook (with an output) and an empty notebooks/ folder."""
    nb = _notebook(("markdown", "# Doubling"), ("code", EXERCISE), ("code", "double(2)"))
    nb.cells[2].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "4"}, execution_count=1)]
    nb.cells[2].execution_count = 1
    return {
        "solution": _write(tmp_path / "solutions" / "01_double.ipynb", nb),
        "solutions": tmp_path / "solutions",
        "notebooks": tmp_path / "notebooks",
        "learner": tmp_path / "notebooks" / "01_double.ipynb",
    }


def _run_tool(lab: dict[str, Path], *flags: str) -> int:
    return build_notebooks.main(["--solutions", str(lab["solutions"]), "--notebooks", str(lab["notebooks"]), *flags])


def _change_solution(lab: dict[str, Path]) -> None:
    nb = nbformat.read(lab["solution"], as_version=4)
    nb.cells[0].source = "# Doubling, revised"
    nbformat.write(nb, lab["solution"])


# A learner notebook is its solved notebook's cells after the set-up cell for Colab (tests/test_colab.py).
def _learner_edit(lab: dict[str, Path]) -> None:
    nb = nbformat.read(lab["learner"], as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace(build_notebooks.STUB, "return x + x")
    nbformat.write(nb, lab["learner"])


# ---------------------------------------------------------------- the generator


def test_solution_block_becomes_a_stub_at_its_indentation(lab):
    assert _run_tool(lab) == 0
    cell = nbformat.read(lab["learner"], as_version=4).cells[2]
    assert cell.source == (
        f"def double(x):\n    ### START CODE HERE ###\n    {build_notebooks.STUB}\n    ### END CODE HERE ###"
    )


def test_learner_version_has_no_outputs_or_execution_counts(lab):
    _run_tool(lab)
    cells = nbformat.read(lab["learner"], as_version=4).cells[1:]
    assert [c.outputs for c in cells if c.cell_type == "code"] == [[], []]
    assert [c.execution_count for c in cells if c.cell_type == "code"] == [None, None]


def test_learner_version_keeps_cell_ids_and_names_its_source(lab):
    _run_tool(lab)
    nb = nbformat.read(lab["learner"], as_version=4)
    assert [c.id for c in nb.cells[1:]] == ["cell-0", "cell-1", "cell-2"]
    assert nb.metadata["lab_generated"]["source"] == "solutions/01_double.ipynb"


def test_generation_is_deterministic(lab):
    _run_tool(lab)
    first = lab["learner"].read_bytes()
    assert _run_tool(lab, "--force") == 0
    assert lab["learner"].read_bytes() == first


def test_notebook_without_exercises_is_copied_without_outputs(lab):
    nb = _notebook(("markdown", "# Extras"), ("code", "print('hello')"))
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    _write(lab["solutions"] / "05_extras.ipynb", nb)
    assert _run_tool(lab) == 0
    learner = nbformat.read(lab["notebooks"] / "05_extras.ipynb", as_version=4)
    assert [c.source for c in learner.cells[1:]] == ["# Extras", "print('hello')"]
    assert learner.cells[2].outputs == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(EXERCISE.replace("### END SOLUTION", "# SOLUTIONN"), id="misspelt SOLUTIONN"),
        pytest.param(EXERCISE.replace("### BEGIN SOLUTION", "### BEGIN SOLUTON"), id="misspelt SOLUTON"),
        pytest.param(EXERCISE.replace("### BEGIN SOLUTION", "### BEGIN SOLUTION ###"), id="extra hashes"),
        pytest.param(EXERCISE.replace("### BEGIN SOLUTION", "## begin solution"), id="lower case"),
        pytest.param(EXERCISE.replace("    ### END SOLUTION\n", ""), id="BEGIN without END"),
        pytest.param(EXERCISE.replace("    ### BEGIN SOLUTION\n", ""), id="END without BEGIN"),
        pytest.param(EXERCISE.replace("    y = 2 * x", "    ### BEGIN SOLUTION"), id="nested BEGIN"),
        pytest.param(
            EXERCISE.replace("    ### START CODE HERE ###\n", "").replace("    ### END CODE HERE ###", ""),
            id="outside START/END CODE HERE",
        ),
        pytest.param(EXERCISE.replace("### START CODE HERE ###", "### START CODE HER ###"), id="misspelt START"),
        pytest.param(EXERCISE.replace("    ### END CODE HERE ###", ""), id="START without END"),
        pytest.param(EXERCISE.replace("    y = 2 * x\n    return y\n", ""), id="empty solution block"),
    ],
)
def test_malformed_marker_stops_the_build_and_writes_nothing(lab, source, capsys):
    _write(lab["solution"], _notebook(("code", source)))
    assert _run_tool(lab) == 1
    message = capsys.readouterr().err
    assert message.startswith("build_notebooks: error: ") and message.count("\n") == 1
    assert "01_double.ipynb" in message
    assert not lab["notebooks"].exists()


def test_marker_in_a_markdown_cell_stops_the_build(lab, capsys):
    _write(lab["solution"], _notebook(("markdown", "### BEGIN SOLUTION\nthe answer\n### END SOLUTION")))
    assert _run_tool(lab) == 1
    assert "outside a code cell" in capsys.readouterr().err


def test_prose_about_the_markers_in_markdown_is_kept(lab):
    prose = "Write your code between `### START CODE HERE ###` and `### END CODE HERE ###`; no solution is shown."
    _write(lab["solution"], _notebook(("markdown", prose), ("code", EXERCISE)))
    assert _run_tool(lab) == 0
    assert nbformat.read(lab["learner"], as_version=4).cells[1].source == prose


def test_edited_learner_notebook_is_not_overwritten(lab, capsys):
    _run_tool(lab)
    _learner_edit(lab)
    edited = lab["learner"].read_bytes()
    _change_solution(lab)
    assert _run_tool(lab) == 1
    assert "was edited since it was generated" in capsys.readouterr().err
    assert lab["learner"].read_bytes() == edited


def test_edited_learner_notebook_is_overwritten_with_force(lab):
    _run_tool(lab)
    _learner_edit(lab)
    _change_solution(lab)
    assert _run_tool(lab, "--force") == 0
    assert nbformat.read(lab["learner"], as_version=4).cells[1].source == "# Doubling, revised"


def test_unedited_learner_notebook_is_updated_when_its_solution_changes(lab):
    _run_tool(lab)
    _change_solution(lab)
    assert _run_tool(lab) == 0
    assert nbformat.read(lab["learner"], as_version=4).cells[1].source == "# Doubling, revised"


def test_running_a_learner_notebook_does_not_count_as_editing_it(lab):
    _run_tool(lab)
    nb = nbformat.read(lab["learner"], as_version=4)
    nb.cells[3].outputs = [nbformat.v4.new_output("error", ename="NotImplementedError", evalue="", traceback=[])]
    nbformat.write(nb, lab["learner"])
    _change_solution(lab)
    assert _run_tool(lab) == 0


def test_check_mode_fails_on_a_stale_learner_notebook_and_writes_nothing(lab, capsys):
    _run_tool(lab)
    _change_solution(lab)
    before = lab["learner"].read_bytes()
    assert _run_tool(lab, "--check") == 1
    assert "out of date: 01_double.ipynb" in capsys.readouterr().err
    assert lab["learner"].read_bytes() == before


def test_check_mode_passes_when_learner_notebooks_are_current(lab):
    _run_tool(lab)
    assert _run_tool(lab, "--check") == 0


# ---------------------------------------------------------------- the committed notebooks


def test_committed_learner_notebooks_are_what_the_tool_writes():
    assert build_notebooks.main(["--check"]) == 0


def test_every_solution_notebook_has_a_learner_notebook():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_learner_notebook_has_no_outputs(path):
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert [(c.outputs, c.execution_count) for c in cells] == [([], None)] * len(cells)


@pytest.mark.parametrize("notebook", sorted(CHECK_CALLS))
def test_every_exercise_check_is_called_right_after_its_exercise(notebook):
    cells = [c for c in nbformat.read(SOLUTIONS / f"{notebook}.ipynb", as_version=4).cells if c.cell_type == "code"]
    for call in CHECK_CALLS[notebook]:
        function = call[call.index("(") + 1 :]
        at = [i for i, c in enumerate(cells) if re.fullmatch(rf"{re.escape(call)}(, \w+)*\)", c.source.strip())]
        assert at, f"{notebook} never runs {call} in a cell of its own"
        exercise = cells[at[0] - 1].source
        assert f"def {function}(" in exercise and build_notebooks.START_CODE in exercise


def _first_check_error(path: Path) -> CellExecutionError | None:
    """Run the notebook in a fresh kernel up to and including its first check cell; return that cell's error."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if not CHECK_CALL.search(cell.source):
                client.execute_cell(cell, index)
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                return error
            return None
    raise AssertionError(f"{path.name} has no check cell")


@pytest.fixture(scope="module")
def first_check_errors() -> dict[str, CellExecutionError | None]:
    """Each learner notebook's first check error, two kernels at a time (most of a run is TensorFlow's import)."""
    names = sorted(CHECK_CALLS)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(names, pool.map(_first_check_error, [NOTEBOOKS / f"{n}.ipynb" for n in names]), strict=True))


@pytest.mark.parametrize("notebook", sorted(CHECK_CALLS))
def test_learner_notebook_first_check_says_not_implemented_yet(notebook, first_check_errors):
    error = first_check_errors[notebook]
    assert error is not None, "the first check passed on an untouched stub"
    assert error.ename == "NotImplementedYet"
    assert "not implemented yet" in error.evalue


# ---------------------------------------------------------------- issue 13: notebooks that keep their word

# Models that are not the Sequential list of Dense layers (activations inside) that notebook 02's text asks for,
# and that its later cells read.
OTHER_BUILD_MODELS = {
    "functional-api": """\
def build_model(cfg):
    inputs = keras.Input(shape=(784,))
    x = inputs
    for units in cfg.hidden_units:
        x = keras.layers.Dense(units, activation=cfg.hidden_activation)(x)
    return keras.Model(inputs, keras.layers.Dense(cfg.n_classes)(x))""",
    "separate-activation-layers": """\
def build_model(cfg):
    layers = [keras.Input(shape=(784,))]
    for units in cfg.hidden_units:
        layers += [keras.layers.Dense(units), keras.layers.Activation(cfg.hidden_activation)]
    return keras.Sequential([*layers, keras.layers.Dense(cfg.n_classes)])""",
}


@pytest.mark.parametrize("name", sorted(OTHER_BUILD_MODELS))
def test_model_check_refuses_a_model_the_text_does_not_ask_for_and_says_what_it_asks(name):
    import keras

    from lab_utils.checks import CheckFailure, check_model

    namespace = {"keras": keras}
    exec(OTHER_BUILD_MODELS[name], namespace)
    with pytest.raises(CheckFailure, match="hint: .*(Sequential|Dense layer)"):
        check_model(namespace["build_model"])
    text = "".join(c.source for c in nbformat.read(SOLUTIONS / "02_model.ipynb", as_version=4).cells)
    assert "no separate `Activation` layers), in a `keras.Sequential`" in text


def _solution_expressions(nb: nbformat.NotebookNode) -> list[str]:
    """The right-hand side of every line between the solution markers, without spaces."""
    expressions = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines() if cell.cell_type == "code" else ():
            if line.strip() in (build_notebooks.BEGIN_SOLUTION, build_notebooks.END_SOLUTION):
                inside = line.strip() == build_notebooks.BEGIN_SOLUTION
            elif inside:
                expression = re.split(r"^\s*(?:return\s|[\w, ]+\+?=(?!=))", line, maxsplit=1)[-1]
                expressions.append(re.sub(r"\s", "", expression))
    return [e for e in expressions if len(e) > 6]


@pytest.mark.parametrize("notebook", ["01_softmax", "02_model", "05_evaluation"])
def test_notebook_hints_do_not_paste_a_line_of_the_solution(notebook):
    nb = nbformat.read(SOLUTIONS / f"{notebook}.ipynb", as_version=4)
    hints = [
        re.sub(r"\s", "", hint)
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for hint in re.findall(r"<details>.*?</details>", cell.source, re.DOTALL)
    ]
    assert hints, f"{notebook} has no <details> hints"
    pasted = [(e, h) for e in _solution_expressions(nb) for h in hints if e in h]
    assert not pasted, f"a hint contains the solution's {pasted[0][0]!r}"
    assert not any("a_in@W" in h or "z.max(axis=-1,keepdims=True)" in h for h in hints)


def test_going_further_stored_outputs_carry_no_tensorflow_warning_or_stray_value():
    nb = nbformat.read(SOLUTIONS / "06_going_further.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if "WARNING" in o.get("text", "")]
    # A bare value at the end of a cell ('2' from os.environ.setdefault) is an execute_result with only text.
    assert not [o for o in outputs if o.output_type == "execute_result" and set(o.data) == {"text/plain"}]


def test_going_further_text_quotes_no_result_of_a_run():
    nb = nbformat.read(SOLUTIONS / "06_going_further.ipynb", as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    # Only the published anchors (98.4 %) and the goal (98.5 %) may appear: a run's figures are printed by the run.
    quoted = set(re.findall(r"\b\d+\.\d+ ?%", prose)) - {"98.4 %", "98.40 %", "98.5 %"}
    assert not quoted, f"notebook 06 quotes {sorted(quoted)} in its text; print them from the run instead"


@pytest.mark.slow  # starts a kernel
def test_going_further_without_full_mnist_says_it_runs_on_the_fallback(tmp_path, monkeypatch):
    # A learner offline: no LAB_MNIST_PATH file, no Keras cache in a fresh home. Only the cells up to the data load run.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LAB_MNIST_PATH", str(tmp_path / "missing.npz"))
    monkeypatch.delenv("LAB_FULL_RUN", raising=False)
    path = SOLUTIONS / "06_going_further.ipynb"
    nb = nbformat.read(path, as_version=4)
    last = next(i for i, c in enumerate(nb.cells) if "data = load_full_mnist()" in c.source)
    nb.cells = nb.cells[: last + 1]
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[last].outputs)
    assert "This run: full run, mnist-5k (fallback)." in printed  # a learner's default is the full run
    assert "testing on the 1,000 mnist-5k test digits" in printed
    assert "not comparable with published MNIST results" in printed
