"""Small learner notebooks for the class-grading tests: cells written here, as a learner would write them."""

from pathlib import Path

import nbformat

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
