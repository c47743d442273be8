"""Specification of what a failed check tells a learner: the real cause, their own failing line,
hints that point at the idea rather than paste the answer, values shown as they are, and the
exercise done as written (no library doing the work)."""

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from lab_utils.checks import (
    CheckFailure,
    check_confusion_matrix,
    check_count_params,
    check_cross_entropy,
    check_dense,
    check_predict_digit,
    check_softmax,
    check_stable_softmax,
)
from lab_utils.checks.gradients import CROSS_ENTROPY, GD_STEP
from lab_utils.checks.library import library_failure
from lab_utils.checks.messages import show
from lab_utils.checks.softmax import SOFTMAX, STABLE_SOFTMAX


def failure_of(check, fn, *args) -> str:
    with pytest.raises(CheckFailure) as failure:
        check(fn, *args)
    return str(failure.value)


# ---------------------------------------------------------------- the real cause


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_stable_softmax_without_keepdims_in_max_and_sum_is_told_about_keepdims():
    def stable_softmax(z):
        e = np.exp(z - np.max(z, axis=-1))
        return e / np.sum(e, axis=-1)

    message = failure_of(check_stable_softmax, stable_softmax)
    assert "keepdims=True in both the max and the sum" in message
    assert "subtract the max first" not in message


def test_a_confusion_matrix_set_to_one_in_a_loop_is_told_to_add_one_per_pair():
    def my_confusion_matrix(y_true, y_pred, n_classes):
        cm = np.zeros((n_classes, n_classes), dtype=int)
        for t, p in zip(y_true, y_pred, strict=True):
            cm[t, p] = 1
        return cm

    assert "don't set the cell to 1" in failure_of(check_confusion_matrix, my_confusion_matrix)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_log_sum_exp_without_the_max_is_told_the_max_is_missing():
    def cross_entropy_from_logits(logits, y):
        return float(np.mean(np.log(np.sum(np.exp(logits), axis=1)) - logits[np.arange(len(y)), y]))

    assert "no max subtracted" in " ".join(failure_of(check_cross_entropy, cross_entropy_from_logits).split())


def test_a_one_hot_reading_of_y_in_cross_entropy_gets_a_hint():
    def cross_entropy_from_logits(logits, y):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-np.mean(np.sum(y * log_p, axis=1)))

    assert "not one-hot rows" in failure_of(check_cross_entropy, cross_entropy_from_logits)


@pytest.fixture(scope="module")
def model():
    return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])


def test_predict_digit_with_an_undefined_name_is_told_what_is_undefined_not_to_reshape(model):
    def predict_digit(model, image):
        return undefined_helper(image)  # noqa: F821

    message = failure_of(check_predict_digit, predict_digit, model)
    assert "NameError: name 'undefined_helper' is not defined" in message
    assert "reshape" not in message


def test_predict_digit_without_a_reshape_gets_the_reshape_hint(model):
    def predict_digit(model, image):
        logits = np.asarray(model(image[None]))[0]
        e = np.exp(logits - logits.max())
        return int(e.argmax()), e / e.sum()

    message = " ".join(failure_of(check_predict_digit, predict_digit, model).split())  # a hint may span lines
    assert "reshape the image to one row of 784 pixels" in message


def test_my_dense_with_a_hard_coded_relu_names_g_by_its_public_name():
    message = failure_of(check_dense, lambda a_in, W, b, g: np.maximum(a_in @ W + b, 0))
    assert "g = sigmoid" in message and "_sigmoid" not in message
    assert "you applied relu whatever g is" in message


def test_the_tensorflow_hint_of_my_dense_does_not_point_at_softmax_functions():
    message = failure_of(check_dense, lambda a_in, W, b, g: tf.matmul(a_in, W) + b)
    assert "TensorFlow" in message
    assert "np.exp" not in message and "np.sum" not in message


def test_predict_digit_returning_a_list_of_probabilities_fails(model):
    def predict_digit(model, image):
        logits = np.asarray(model(image.reshape(1, 784)))[0]
        e = np.exp(logits - logits.max())
        return int(np.argmax(e)), list(e / e.sum())

    assert "returned a list" in failure_of(check_predict_digit, predict_digit, model)


# ---------------------------------------------------------------- the learner's own line


def count_params(layer_sizes):
    total = 0
    for i in range(len(layer_sizes)):
        total += layer_sizes[i] * layer_sizes[i + 1]
    return total


def test_an_exception_shows_the_learners_own_failing_line_and_no_lab_frames():
    message = failure_of(check_count_params, count_params)
    assert "count_params raised IndexError: list index out of range" in message
    assert 'File "test_checks_feedback.py", line' in message
    assert "in count_params: total += layer_sizes[i] * layer_sizes[i + 1]" in message
    assert "lab_utils" not in message


@pytest.mark.slow  # starts a kernel
def test_in_a_notebook_the_failing_line_is_named_by_its_cell_as_ipython_names_it(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from lab_utils.checks import check_count_params"),
        nbformat.v4.new_code_cell(
            "def count_params(layer_sizes):\n    i = len(layer_sizes)\n    return layer_sizes[i]\n"
            "check_count_params(count_params)"
        ),
    ]
    client = NotebookClient(
        nb, timeout=300, startup_timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with pytest.raises(CellExecutionError):
        client.execute()
    error = nb.cells[1].outputs[0]
    assert "Cell In[2], line 3, in count_params: return layer_sizes[i]" in error["evalue"]


@pytest.mark.slow  # starts a kernel
def test_in_a_notebook_a_library_imported_in_another_cell_is_recognised(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import scipy.special as sp\nfrom lab_utils.checks import check_softmax"),
        nbformat.v4.new_code_cell("def my_softmax(z):\n    return sp.softmax(z)"),
        nbformat.v4.new_code_cell("check_softmax(my_softmax)"),
    ]
    client = NotebookClient(
        nb, timeout=300, startup_timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with pytest.raises(CellExecutionError, match="my_softmax calls sp.softmax, SciPy's own softmax"):
        client.execute()


# ---------------------------------------------------------------- hints point at the idea


SOLUTION_CODE = [
    "a_in @ W + b",
    "a_in @ W",
    "max + log(sum(exp(z - max)))",
    "np.exp(z) / np.sum(np.exp(z))",
    "z.max(axis=-1, keepdims=True)",
    "logits[np.arange",
    "np.add.at",
    "int(np.argmax(probabilities))",
    "image.reshape(1, 784)",
    "keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
]


def stable_without_keepdims(z):
    e = np.exp(z - np.max(z, axis=-1))
    return e / np.sum(e, axis=-1)


def log_of_softmax(logits, y):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


WRONG = [
    (check_softmax, (np.exp,)),
    (check_stable_softmax, (stable_without_keepdims,)),
    (check_stable_softmax, (lambda z: np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=1)).sum(),)),
    (check_dense, (lambda a_in, W, b, g: g(a_in @ W) + b,)),
    (check_dense, (lambda a_in, W, b, g: g(a_in @ W.T + b),)),
    (check_dense, (lambda a_in, W, b, g: g(W.T @ a_in.T + b[:, None]),)),
    (check_cross_entropy, (log_of_softmax,)),
    (check_cross_entropy, (lambda z, y: float(-np.mean(z[np.arange(len(y)), y])),)),
    (check_confusion_matrix, (lambda t, p, k: np.zeros((k, k), dtype=int),)),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("check, args", WRONG, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(WRONG)])
def test_a_hint_never_pastes_the_solution_code(check, args):
    message = failure_of(check, *args)
    hint = message.split("hint:", 1)[-1] if "hint:" in message else ""
    assert not [code for code in SOLUTION_CODE if code in hint]


# ---------------------------------------------------------------- values shown as they are


@pytest.mark.parametrize(
    "value, shown",
    [
        ([25, 15, 10], "[25, 15, 10]"),
        (np.array([25, 15, 10]), "[25, 15, 10]"),
        (None, "None"),
        (2.302585092994046, "2.30259"),
        (7.0, "7.0"),
        (np.float32(0.1), "0.1"),
        ((784, 25, 15, 10, 784, 25, 15, 10, 784, 25, 15, 10), "(784, 25, 15, 10, 784, 25, 15, 10, 784, 25, 15, 10)"),
        ((3,), "(3,)"),
        (np.zeros((100, 100)), "array of shape (100, 100), dtype float64"),
    ],
    ids=["int-list", "int-array", "none", "float", "integral-float", "float32", "long-tuple", "one-tuple", "big"],
)
def test_values_are_shown_as_they_are_on_one_line(value, shown):
    assert show(value) == shown


def test_a_long_array_is_shown_on_one_line():
    assert "\n" not in show(np.linspace(0.0, 1.0, 20))


# ---------------------------------------------------------------- the exercise as written


@pytest.mark.parametrize(
    "source, spelled",
    [
        ("import tensorflow as tf\ndef my_softmax(z):\n    return tf.nn.softmax(z).numpy()", "tf.nn.softmax"),
        ("from scipy.special import softmax as sm\ndef my_softmax(z):\n    return sm(z)", "sm"),
        ("import scipy\ndef my_softmax(z):\n    return scipy.special.softmax(z)", "scipy.special.softmax"),
        ("def my_softmax(z):\n    return keras.activations.softmax(z)", "keras.activations.softmax"),
        ("from lab_utils.model import softmax\ndef my_softmax(z):\n    return softmax(z)", "softmax"),
        ("import scipy.special\nmy_softmax = scipy.special.softmax", "scipy.special.softmax"),
        ("import scipy.special as sp\ndef my_softmax(z):\n    return sp.softmax(z)", "sp.softmax"),
        (
            "def my_softmax(z):\n    return getattr(__import__('scipy.special').special, 'soft' + 'max')(z)",
            "getattr(__import__('scipy.special').special, 'soft' + 'max')",
        ),
        (
            "import importlib\ndef my_softmax(z):\n    return importlib.import_module('scipy.special').softmax(z)",
            "importlib.import_module('scipy.special').softmax",
        ),
        (
            "from importlib import import_module as im\nsp = im('scipy.special')\ndef my_softmax(z):\n"
            "    return sp.softmax(z)",
            "sp.softmax",
        ),
        (
            "def my_softmax(z):\n    return __import__('scipy').special.softmax(z)",
            "__import__('scipy').special.softmax",
        ),
        (
            "def my_softmax(z):\n    sm = getattr(__import__('scipy.special', fromlist=['x']), 'softmax')\n"
            "    return sm(z)",
            "sm",
        ),
    ],
    ids=[
        "tf",
        "scipy-alias",
        "scipy-module",
        "keras",
        "lab",
        "assigned",
        "import-as",
        "getattr-import",
        "import-module",
        "import-module-assigned",
        "import-attribute",
        "getattr-assigned",
    ],
)
def test_a_library_softmax_in_my_softmax_is_refused_with_a_hint(source, spelled):
    hint = library_failure(SOFTMAX, source)
    assert hint.startswith(f"my_softmax calls {spelled},")
    assert "write softmax yourself with NumPy" in hint


def test_the_library_check_reads_the_definition_and_its_helpers_in_a_notebooks_cells():
    cells = [
        "%matplotlib inline\nimport numpy as np\nimport tensorflow as tf",
        "def helper(z):\n    return tf.nn.softmax(z, axis=-1).numpy()",
        "def stable_softmax(z):\n    return helper(z)",
        "print(tf.nn.softmax(logits))  # the notebook's comparison cell: not the exercise",
    ]
    assert "calls tf.nn.softmax" in library_failure(STABLE_SOFTMAX, cells)
    cells[1] = "def helper(z):\n    e = np.exp(z - z.max(-1, keepdims=True))\n    return e / e.sum(-1, keepdims=True)"
    assert library_failure(STABLE_SOFTMAX, cells) is None


def test_a_function_the_learner_defines_is_theirs_even_if_a_library_had_its_name():
    cells = [
        "from scipy.special import softmax",
        "def softmax(z):\n    e = np.exp(z - z.max())\n    return e / e.sum()",
        "def my_softmax(z):\n    return softmax(z)",
    ]
    assert library_failure(SOFTMAX, cells) is None


def test_a_keras_loss_in_cross_entropy_is_refused_whatever_its_spelling():
    source = (
        "def cross_entropy_from_logits(logits, y):\n"
        "    return float(tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits))"
    )
    assert "calls tf.keras.losses.SparseCategoricalCrossentropy, TensorFlow's own losses" in library_failure(
        CROSS_ENTROPY, source
    )


def test_the_instant_check_refuses_a_library_call_before_running_any_case():
    with pytest.raises(CheckFailure, match="calls tf.nn.softmax, TensorFlow's own softmax"):
        check_softmax(lambda z: tf.nn.softmax(z).numpy())


@pytest.mark.parametrize(
    "source",
    [
        "from lab_utils.checks import gradients as G\ndef gd_step(p, g, r):\n    return G.anything(p, g, r)",
        "def gd_step(p, g, r):\n    from lab_utils.reference import backprop as b\n    return b(p, g, r)",
        "import importlib\ndef gd_step(p, g, r):\n    return importlib.import_module('lab_utils.reference').x(p)",
        "def gd_step(p, g, r):\n    return __import__('lab_utils.checks.core', fromlist=['c']).x(p)",
        "import lab_utils.reference as ref\ndef gd_step(p, g, r):\n    return getattr(ref, 'for' + 'ward')(p)",
    ],
    ids=["checks-module", "reference-inside", "import-module", "dunder-import", "getattr"],
)
def test_the_labs_checks_and_reference_maths_are_refused_in_every_exercise(source):
    hint = library_failure(GD_STEP, source)
    assert hint is not None and hint.startswith("gd_step calls ") and "the lab's own" in hint


def test_a_dynamic_import_built_at_run_time_is_not_read_as_a_library():
    source = "import importlib\ndef gd_step(p, g, r):\n    return importlib.import_module(''.join(['x', 'y'])).f(p)"
    assert library_failure(GD_STEP, source) is None


def test_a_notebooks_check_call_is_not_taken_for_a_use_of_the_labs_answers():
    cells = ["from lab_utils.checks import check_gd_step", "check_gd_step(gd_step)"]
    assert library_failure(GD_STEP, cells) is None
