"""Specification of how a wrong value is related to the right one (lab_utils.checks.relations), how learners'
exceptions are explained (lab_utils.checks.explain), and how a failure shows arrays (lab_utils.checks.messages)."""

import numpy as np
import pytest

from lab_utils.checks import check_count_params, check_softmax
from lab_utils.checks.explain import explain
from lab_utils.checks.messages import CheckFailure, fail, without_internals
from lab_utils.checks.relations import relation

RIGHT = np.array([[0.1, 0.2, 0.7], [0.25, 0.35, 0.4]])

# ---------------------------------------------------------------- relations


@pytest.mark.parametrize(
    "got, quantities, said",
    [
        pytest.param(RIGHT * 2, {"m": 2, "K": 3}, "a factor of 2 or m (m = 2) is extra or missing", id="factor-m"),
        pytest.param(RIGHT / 3, {"m": 2, "K": 3}, "a factor of 1/K (K = 3)", id="factor-1/K"),
        pytest.param(RIGHT * 0.1, {"learning_rate": 0.1}, "a factor of learning_rate (learning_rate = 0.1)", id="rate"),
        pytest.param(RIGHT * 2 / 3, {"m": 2, "K": 3}, "a factor of m/K (m = 2, K = 3)", id="ratio"),
        pytest.param(RIGHT * 7.5, {}, "7.5 times the right one: a constant factor", id="unnamed-factor"),
        pytest.param(-RIGHT, {}, "the sign is flipped", id="sign"),
        pytest.param(np.zeros_like(RIGHT), {}, "every value is 0: fractions below 1 rounded down to 0", id="zeros"),
        pytest.param(np.ones_like(RIGHT), {}, "every value is 1", id="ones"),
        pytest.param(np.full_like(RIGHT, 0.3), {}, "every value is the same, 0.3", id="constant"),
        pytest.param(RIGHT[[0, 0]], {}, "every row is the same: one row repeated", id="rows-repeated"),
        pytest.param(RIGHT + 0.5, {}, "off by the same amount, 0.5 (+1/2)", id="offset"),
        pytest.param(np.array([[0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]), {}, None, id="no-relation"),
        pytest.param(np.round(RIGHT * 7 / 3, 1), {}, None, id="rounded-unrelated"),
    ],
)
def test_a_wrong_array_of_the_right_shape_is_related_in_words(got, quantities, said):
    found = relation(got, RIGHT, quantities)
    assert found == said if said is None else said in found


def test_values_rounded_to_a_few_decimals_are_told_so():
    right = np.array([0.1234, 0.3456, 0.5310])
    assert "rounded to 2 decimals" in relation(np.round(right, 2), right)


def test_values_cut_to_whole_numbers_are_told_integer_division_or_an_int_cast():
    right = np.array([1.5, 2.25, 7.75])
    assert "fractions cut off, as integer division (//) or an int cast" in relation(np.trunc(right), right)


def test_a_smaller_float_type_than_the_inputs_is_told_so():
    got = RIGHT.astype(np.float32)
    assert "your result is float32, which keeps fewer digits than the input's float64" in relation(
        got + np.float32(1e-6), RIGHT, dtype=np.float64
    )


def test_nan_or_inf_where_the_answer_is_finite_is_told_overflow():
    got = RIGHT.copy()
    got[0, 0] = np.nan
    assert "your result has nan where every right value is finite: a number overflowed" in relation(got, RIGHT)


@pytest.mark.parametrize(
    "got, said",
    [
        pytest.param(RIGHT.T, "the right answer transposed", id="transposed"),
        pytest.param(RIGHT[None], "an extra axis of size 1, shape (1, 2, 3)", id="extra-axis"),
        pytest.param(RIGHT[0], "the right answer for the first example (row 0) only", id="first-example"),
        pytest.param(RIGHT.sum(axis=0), "added up over the examples (axis 0)", id="summed-batch"),
        pytest.param(RIGHT.ravel(), "the right values in another shape, (6,)", id="reshaped"),
    ],
)
def test_a_wrong_shape_that_holds_the_right_values_is_told_how(got, said):
    assert said in relation(got, RIGHT)


def test_a_missing_axis_of_size_1_is_told_so():
    right = np.array([[0.5, 0.25, 0.25]])
    assert "without the axis of size 1 that (1, 3) has" in relation(right[0] + 0, right)


def test_only_one_row_or_column_off_is_told_which():
    right = np.arange(12.0).reshape(3, 4) + 1
    row, column = right.copy(), right.copy()
    row[1] += [1, 2, 3, 5]
    column[:, 2] *= [2, 3, 5]
    assert "only row 1 is wrong" in relation(row, right)
    assert "only column 2 is wrong" in relation(column, right)


@pytest.mark.parametrize(
    "got, said",
    [
        pytest.param("20,175", "the right number written as text", id="formatted"),
        pytest.param("twenty", "a string, 'twenty': text", id="text"),
        pytest.param([20125, 50], "a list of 2 numbers that add up to the answer", id="parts"),
        pytest.param((1, 2), "a tuple of 2 numbers; one number is asked", id="other-tuple"),
    ],
)
def test_a_string_or_a_list_where_a_number_is_asked_is_told_so(got, said):
    assert said in relation(got, 20175)


def test_one_wrong_number_is_related_only_by_a_named_quantity():
    assert relation(3.7, 2.0) is None
    assert "a factor of m (m = 8)" in relation(16.0, 2.0, {"m": 8})
    assert "off by 1 (+1)" in relation(4, 3)


def test_what_is_not_a_number_or_an_array_is_related_to_nothing():
    assert relation([1.0], "a list of 2 arrays") is None
    assert relation(None, RIGHT) is None


# ---------------------------------------------------------------- exceptions explained


@pytest.mark.parametrize(
    "kind, message, arrays, said",
    [
        pytest.param(
            "ValueError",
            "The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()",
            {},
            "Python's own `and`, `or`, `not`, `if`, `max` and `min` need one True or False",
            id="truth-value",
        ),
        pytest.param(
            "TypeError",
            "only 0-dimensional arrays can be converted to Python scalars",
            {},
            "NumPy's np.exp and np.log work on every element",
            id="math-on-array",
        ),
        pytest.param(
            "ValueError",
            "operands could not be broadcast together with shapes (4,3) (4,)",
            {"z": (4, 3)},
            "whose shapes are (4, 3), the shape of z; and (4,)",
            id="broadcast",
        ),
        pytest.param(
            "ValueError",
            "operands could not be broadcast together with shapes (2,3) (3,3)",
            {"a_in": (2, 3), "W": (3, 3)},
            "these two line up for a matrix product (@), not for an element-wise one",
            id="broadcast-of-a-product",
        ),
        pytest.param(
            "ValueError",
            "shapes (4,3) and (4,2) not aligned: 3 (dim 1) != 4 (dim 0)",
            {"a_in": (4, 3), "dz": (4, 2)},
            "needs the inner sizes equal, and here they differ: a_in is (4, 3), dz is (4, 2)",
            id="not-aligned",
        ),
        pytest.param(
            "ValueError",
            "matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
            "(n?,k),(k,m?)->(n?,m?) (size 2 is different from 3)",
            {"a_in": (2, 3), "W": (3, 3)},
            "needs the inner sizes equal",
            id="matmul",
        ),
        pytest.param(
            "IndexError",
            "invalid index to scalar variable.",
            {"z": (2,)},
            "you indexed a single number with [...]",
            id="scalar-index",
        ),
        pytest.param(
            "IndexError",
            "too many indices for array: array is 1-dimensional, but 2 were indexed",
            {"z": (4,)},
            "an index with 2 positions on an array of 1 dimension(s) (z is (4,))",
            id="too-many-indices",
        ),
        pytest.param(
            "TypeError",
            "'LabConfig' object is not subscriptable",
            {},
            "a LabConfig cannot be indexed with [...]; if it has named fields, read them with a dot",
            id="not-subscriptable",
        ),
        pytest.param(
            "ValueError",
            "Invalid input shape for input a tensor of shape (None,). Expected shape (None, 784)",
            {},
            "one flat image needs a batch axis of size 1 in front, shape (1, 784)",
            id="batch-axis",
        ),
        pytest.param(
            "TypeError",
            "LossFunctionWrapper.get_config() missing 1 required positional argument: 'self'",
            {},
            "a class was passed where an object of it is wanted",
            id="class-for-instance",
        ),
        pytest.param(
            "ValueError",
            "Could not interpret optimizer identifier: the class Adam",
            {},
            "call the class to make one, Adam(...) rather than Adam",
            id="optimizer-class",
        ),
        pytest.param(
            "NameError",
            "name 'softmax' is not defined",
            {},
            "softmax is not defined where your function runs",
            id="name",
        ),
        pytest.param(
            "TypeError",
            "can't multiply sequence by non-int of type 'float'",
            {},
            "arithmetic on a whole Python list",
            id="list-arithmetic",
        ),
    ],
)
def test_a_learners_exception_is_explained_in_the_labs_words(kind, message, arrays, said):
    assert said in explain(kind, message, arrays)


def test_an_exception_outside_the_table_gets_no_explanation():
    assert explain("KeyError", "'learning_rate'") is None
    assert explain("TypeError", "The truth value of an array with more than one element is ambiguous") is None


def test_keras_internal_names_are_taken_out_of_an_exceptions_text():
    text = without_internals(
        'Invalid input shape for input Tensor("data:0", shape=(None,), dtype=float32). Expected shape (None, 784), '
        "but input has incompatible shape (784,) for 'keras_tensor_26'. Received: <class 'keras.src.layers.Dense'>"
    )
    assert text.startswith("Invalid input shape for input a tensor of shape (None,).")
    assert "keras_tensor" not in text and "keras.src" not in text and "the class Dense" in text


# ---------------------------------------------------------------- arrays a learner can compare


def message_of(expected, got) -> str:
    with pytest.raises(CheckFailure) as failure:
        fail("f", "a case", expected, got, "a hint")
    return str(failure.value)


def test_a_wrong_array_of_up_to_10_by_10_is_shown_whole_one_row_per_line():
    right = np.arange(100).reshape(10, 10)
    lines = message_of(right, right.T).splitlines()
    assert lines[1].startswith("  expected: [[ 0,  1,") and lines[11].startswith("  got:      [[ 0, 10,")
    assert all(line.startswith("             [") for line in lines[2:11])


def test_a_larger_wrong_array_is_shown_by_its_first_differing_entries_with_their_indices():
    right = np.zeros((20, 20))
    got = right.copy()
    got[3, 4], got[7, 1] = 1.5, -2.0
    message = " ".join(message_of(right, got).split())
    assert "2 of 400 entries differ; the first: [3, 4] expected 0.0, got 1.5; [7, 1] expected 0.0, got -2.0" in message


# ---------------------------------------------------------------- the value of another case


def test_a_function_that_reads_a_global_instead_of_its_argument_is_told_it_ignores_its_input():
    example = np.array([0.5, 1.5, -1.0, 2.0])

    def my_softmax(z):
        return np.exp(example) / np.exp(example).sum()

    with pytest.raises(CheckFailure) as failure:
        check_softmax(my_softmax)
    message = " ".join(str(failure.value).split())
    assert "your function gave this same answer for z = [2., 2., 2.]: it does not depend on its input" in message


def test_the_same_answer_for_two_inputs_is_not_said_where_a_mutant_names_the_cause():
    with pytest.raises(CheckFailure) as failure:
        check_count_params(lambda layer_sizes: 20175)
    assert "you hard-coded 20,175" in str(failure.value) and "same answer" not in str(failure.value)


def test_one_constant_value_for_two_inputs_is_told_as_a_constant_not_as_another_inputs_answer():
    with pytest.raises(CheckFailure) as failure:
        check_softmax(lambda z: np.zeros(4))
    assert "every value is 0" in str(failure.value) and "same answer" not in str(failure.value)
