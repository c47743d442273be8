"""A lab every learner can use: every figure in the solved notebooks has a text alternative, and the palettes
stay apart for colour-blind learners.

- Every image output of every notebook in solutions/ carries its alt text where each front end looks for it:
  an HTML `<img alt>` (JupyterLab 4 and nbconvert's lab template render that), `alt` in the PNG's metadata
  (nbconvert's classic template), and the same text as the plain-text form. A figure added without
  `plots.show(fig, alt)` or a `plot_*` function fails here.
- Colours are checked through colorspacious' simulation of deuteranomaly, protanomaly and tritanomaly at
  severity 100: the training and validation curves stay far apart in CAM02-UCS, and the heatmap's
  lightness keeps falling with the count, so its order reads without hue.
"""

from __future__ import annotations

import html
import itertools
import re
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE
from matplotlib.colors import to_rgb

from lab_utils.plots import CURVE_STYLES, HEATMAP_CMAP, MARKERS, OKABE_ITO, OTHER_COLOR, PREDICTED_COLOR, WRONG_COLOR

SOLUTIONS = sorted((Path(__file__).resolve().parents[1] / "solutions").glob("*.ipynb"))
DEFICIENCIES = ["deuteranomaly", "protanomaly", "tritanomaly"]
# CAM02-UCS distances: about 2 is a just-noticeable difference; two curves told apart at a glance need far more.
CURVES_APART = 20
RUNS_APART = 10  # runs in one plot also differ by marker, so their colours may sit closer
IMG = re.compile(r"<img\b[^>]*>")
ALT = re.compile(r'\balt="([^"]*)"')


def image_outputs(path: Path) -> list[nbformat.NotebookNode]:
    notebook = nbformat.read(path, as_version=4)
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {}) or "<img" in output.get("data", {}).get("text/html", "")
    ]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda path: path.stem)
def test_every_image_output_of_a_solved_notebook_has_its_text_alternative(path):
    outputs = image_outputs(path)
    for output in outputs:
        alt = output.get("metadata", {}).get("image/png", {}).get("alt", "")
        assert alt.strip(), f"{path.name}: an image output has no alt in its metadata: use plots.show(fig, alt)"
        images = IMG.findall(output.data.get("text/html", ""))
        assert [html.unescape(m.group(1)) for m in map(ALT.search, images) if m] == [alt] * len(images) != []
        assert output.data["text/plain"] == alt


def test_the_solved_notebooks_show_figures():
    assert sum(len(image_outputs(path)) for path in SOLUTIONS) >= 10  # the test above is not vacuous


def simulated(color: str, deficiency: str) -> np.ndarray:
    """`color` as a viewer with `deficiency` (severity 100) sees it, in sRGB [0, 1]."""
    cvd = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
    return np.clip(cspace_convert(np.array(to_rgb(color)), cvd, "sRGB1"), 0, 1)


def distance(a: str, b: str, deficiency: str) -> float:
    """CAM02-UCS colour difference between `a` and `b` as seen with `deficiency`."""
    return float(deltaE(simulated(a, deficiency), simulated(b, deficiency)))


def test_the_distance_tells_a_colour_blind_unsafe_pair_from_a_safe_one():
    assert distance("tab:red", "tab:green", "deuteranomaly") < CURVES_APART  # the classic red-green pair fails
    assert distance("tab:red", "tab:green", "tritanomaly") > CURVES_APART


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_training_and_validation_curves_stay_apart_with_colour_blindness(deficiency):
    training, validation = (CURVE_STYLES[name]["color"] for name in ("training", "validation"))
    assert distance(training, validation, deficiency) > CURVES_APART


def test_training_and_validation_curves_also_differ_by_line_style_and_marker():
    training, validation = CURVE_STYLES["training"], CURVE_STYLES["validation"]
    assert training["linestyle"] != validation["linestyle"]
    assert training["marker"] != validation["marker"]


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_the_probability_bars_colours_stay_apart_with_colour_blindness(deficiency):
    for a, b in itertools.combinations([PREDICTED_COLOR, WRONG_COLOR, OTHER_COLOR], 2):
        assert distance(a, b, deficiency) > CURVES_APART, (a, b)


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_the_runs_palette_stays_apart_with_colour_blindness_and_each_run_has_its_own_marker(deficiency):
    for a, b in itertools.combinations(OKABE_ITO, 2):
        assert distance(a, b, deficiency) > RUNS_APART, (a, b)
    assert len(set(MARKERS)) == len(MARKERS) == len(OKABE_ITO)


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
def test_the_heatmaps_lightness_falls_steadily_with_the_count(deficiency):
    colors = matplotlib.colormaps[HEATMAP_CMAP](np.linspace(0, 1, 64))[:, :3]
    if deficiency:
        cvd = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
        colors = np.clip(cspace_convert(colors, cvd, "sRGB1"), 0, 1)
    lightness = cspace_convert(colors, "sRGB1", "CAM02-UCS")[:, 0]
    assert np.all(np.diff(lightness) < 0)
    assert lightness[0] - lightness[-1] > 60  # from near white to dark: the full range, not a faint ramp
