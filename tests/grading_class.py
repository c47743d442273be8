"""Small learner notebooks for the class-grading tests: cells written here, as a learner would write them."""

from pathlib import Path

import nbformat

# The course file of the issue that specified it (docs/course.md shows the same one), roster and all.
COURSE_TOML = """
roster = "canvas_gradebook_export.csv"
missing = "zero"

[assignment]
name = "MNIST lab"
canvas_id = 12345
points = 100
due = 2026-12-01T23:59:00+01:00

[late]
percent_per_day = 10
max_days = 5
percent_if_unknown = 10

[extensions]
"4022" = 2026-12-03T23:59:00+01:00

[[override]]
learner_id = "4028"
exercise = "build_model"
points = 10
reason = "oral exam, 2026-12-04"
"""
MY_SOFTMAX = """
def my_softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)
"""
STABLE_SOFTMAX = """
def stable_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""
STABLE_SOFTMAX_NO_KEEPDIMS = """
def stable_softmax(z):
    e = np.exp(z - z.max(axis=-1))
    return e / e.sum(axis=-1)
"""
MY_SOFTMAX_STUB = """
def my_softmax(z):
    ### START CODE HERE ###
    raise NotImplementedError("write my_softmax")
    ### END CODE HERE ###
"""
STABLE_SOFTMAX_STUB = """
def stable_softmax(z):
    ### START CODE HERE ###
    p = None
    ### END CODE HERE ###
    return p
"""
FORGED_SOFTMAX = """
import numpy
numpy.allclose = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None

def my_softmax(z):
    return np.ones_like(z)
"""
ENDLESS_LOOP = "while True:\n    pass"


def write_notebook(path: Path, *sources: str, markdown_first: bool = False) -> Path:
    """A notebook at `path` with one code cell per source (after a markdown cell when `markdown_first`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    if markdown_first:
        cells.insert(0, nbformat.v4.new_markdown_cell("# My work"))
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path
