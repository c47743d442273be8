"""Every static figure: what it draws, that it is a Figure, and that it saves as a PNG."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from lab_utils.errors import DataError
from lab_utils.plots import (
    PNG_DPI,
    PREDICTED_COLOR,
    WRONG_COLOR,
    plot_confusion_matrix,
    plot_digits,
    plot_history,
    plot_misclassified,
    plot_probabilities,
    plot_runs,
    save_figure,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def close_figures():
    """Figures made by a test, closed afterwards."""
    figures = []
    yield figures.append
    for fig in figures:
        plt.close(fig)


def digits(n):
    """n flat digits (n, 784) in [0, 1], each a different shade so they can be told apart."""
    return np.repeat(np.linspace(0.1, 1.0, n, dtype=np.float32)[:, None], 784, axis=1)


def titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def test_plot_digits_titles_the_first_n_digits_with_their_labels(close_figures):
    fig = plot_digits(digits(12), np.arange(12) % 10, n=5)
    close_figures(fig)
    assert isinstance(fig, Figure)
    assert titles(fig) == ["0", "1", "2", "3", "4"]
    assert fig.axes[4].images[0].get_array().shape == (28, 28)


def test_plot_digits_accepts_28_by_28_images_and_shows_all_when_n_is_larger(close_figures):
    fig = plot_digits(digits(3).reshape(3, 28, 28), [7, 8, 9], n=50)
    close_figures(fig)
    assert titles(fig) == ["7", "8", "9"]


def test_plot_digits_with_predictions_marks_the_wrong_ones_in_red(close_figures):
    fig = plot_digits(digits(3), [1, 2, 3], n=3, predicted=[1, 5, 3])
    close_figures(fig)
    assert titles(fig) == ["1→1", "2→5", "3→3"]
    wrong = [ax.title.get_color() == WRONG_COLOR for ax in fig.axes[:3]]
    assert wrong == [False, True, False]


def test_plot_misclassified_shows_only_errors_most_confident_first(close_figures):
    y_true = np.array([0, 1, 2, 3])
    y_pred = np.array([0, 7, 2, 8])
    proba = np.full((4, 10), 0.01)
    proba[1, 7], proba[3, 8] = 0.6, 0.9
    fig = plot_misclassified(digits(4), y_true, y_pred, proba, n=10)
    close_figures(fig)
    assert isinstance(fig, Figure)
    assert titles(fig) == ["true 3\npred 8 90%", "true 1\npred 7 60%"]


def test_plot_misclassified_without_errors_says_so(close_figures):
    labels = np.arange(3)
    fig = plot_misclassified(digits(3), labels, labels, np.eye(10)[labels], n=5)
    close_figures(fig)
    assert titles(fig) == []
    assert any("no misclassified" in text.get_text() for text in fig.texts)


def test_plot_history_draws_training_and_validation_loss_and_accuracy(close_figures):
    history = {
        "loss": [1.0, 0.5, 0.3],
        "accuracy": [0.6, 0.8, 0.9],
        "val_loss": [1.1, 0.7, 0.6],
        "val_accuracy": [0.5, 0.7, 0.8],
    }
    fig = plot_history(history)
    close_figures(fig)
    loss_ax, accuracy_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), history["val_loss"])
    np.testing.assert_array_equal(accuracy_ax.lines[0].get_xdata(), [1, 2, 3])
    assert accuracy_ax.get_ylabel() == "accuracy"


def test_plot_history_without_validation_draws_training_curves_only(close_figures):
    fig = plot_history({"loss": [0.9, 0.4], "accuracy": [0.7, 0.9]})
    close_figures(fig)
    assert [[line.get_label() for line in ax.lines] for ax in fig.axes] == [["training"], ["training"]]


def test_plot_history_with_only_a_loss_draws_one_panel(close_figures):
    fig = plot_history({"loss": [0.9, 0.4]})
    close_figures(fig)
    assert len(fig.axes) == 1


@pytest.mark.parametrize("n_epochs", [1, 2, 40])
def test_plot_history_ticks_whole_epochs_only(n_epochs, close_figures):
    fig = plot_history({"loss": np.linspace(1.0, 0.1, n_epochs), "accuracy": np.linspace(0.5, 0.9, n_epochs)})
    close_figures(fig)
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_plot_history_ticks_every_epoch_of_a_short_run(close_figures):
    fig = plot_history({"loss": [0.9, 0.4]})
    close_figures(fig)
    assert list(fig.axes[0].get_xticks()) == [1, 2]


def run_history(val_loss, val_accuracy):
    return {"loss": [v - 0.1 for v in val_loss], "val_loss": val_loss, "val_accuracy": val_accuracy}


def test_plot_runs_draws_each_runs_validation_and_training_loss_and_validation_accuracy(close_figures):
    runs = {"small": run_history([0.5, 0.4], [0.90, 0.92]), "big": run_history([0.3, 0.35], [0.95, 0.96])}
    fig = plot_runs(runs, "two networks")
    close_figures(fig)
    loss_ax, accuracy_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == [
        "small, validation",
        "small, training",
        "big, validation",
        "big, training",
    ]
    np.testing.assert_allclose(accuracy_ax.lines[1].get_ydata(), [95.0, 96.0])
    assert fig.get_suptitle() == "two networks"
    assert list(accuracy_ax.get_xticks()) == [1, 2]


def test_plot_runs_of_one_epoch_has_a_single_whole_epoch_tick(close_figures):
    fig = plot_runs({"one epoch": run_history([0.5], [0.9])}, "short")
    close_figures(fig)
    assert [list(ax.get_xticks()) for ax in fig.axes] == [[1], [1]]


@pytest.mark.parametrize(
    ("runs", "message"),
    [({}, "at least one run"), ({"no validation": {"loss": [0.5]}}, "train with validation data")],
)
def test_plot_runs_bad_input_raises_data_error(runs, message):
    with pytest.raises(DataError, match=message):
        plot_runs(runs, "title")


def legend_entries(ax):
    """(label, face colour) of each legend entry."""
    legend = ax.get_legend()
    entries = zip(legend.texts, legend.legend_handles, strict=True)
    return [(text.get_text(), handle.get_facecolor()) for text, handle in entries]


def test_plot_probabilities_legend_names_the_blue_predicted_bar(close_figures):
    fig = plot_probabilities(np.array([0.1, 0.8, 0.1]))
    close_figures(fig)
    assert legend_entries(fig.axes[0]) == [("predicted", plt.matplotlib.colors.to_rgba(PREDICTED_COLOR))]


def test_plot_probabilities_legend_names_the_red_true_digit_when_the_prediction_is_wrong(close_figures):
    fig = plot_probabilities(np.array([0.1, 0.8, 0.1]), true_label=2)
    close_figures(fig)
    to_rgba = plt.matplotlib.colors.to_rgba
    assert legend_entries(fig.axes[0]) == [
        ("predicted", to_rgba(PREDICTED_COLOR)),
        ("true digit", to_rgba(WRONG_COLOR)),
    ]
    assert fig.axes[0].patches[2].get_facecolor() == to_rgba(WRONG_COLOR)


def test_plot_confusion_matrix_writes_each_count_with_true_rows_and_predicted_columns(close_figures):
    cm = np.array([[5, 1, 0], [2, 7, 0], [0, 3, 9]])
    fig = plot_confusion_matrix(cm)
    close_figures(fig)
    ax = fig.axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cells == {(i, j): str(cm[i, j]) for i in range(3) for j in range(3)}
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("true digit", "predicted digit")


def test_plot_probabilities_draws_one_bar_per_class_and_titles_the_prediction(close_figures):
    proba = np.array([0.05, 0.05, 0.7, 0.2] + [0.0] * 6)
    fig = plot_probabilities(proba)
    close_figures(fig)
    ax = fig.axes[0]
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], proba)
    assert ax.get_title() == "predicted 2 (70%)"


def test_plot_probabilities_draws_into_given_axes_and_marks_a_wrong_true_label(close_figures):
    fig, ax = plt.subplots()
    close_figures(fig)
    returned = plot_probabilities(np.array([0.1, 0.8, 0.1]), ax=ax, true_label=0)
    assert returned is fig
    assert ax.patches[0].get_facecolor() == plt.matplotlib.colors.to_rgba(WRONG_COLOR)


def test_save_figure_writes_a_png_and_creates_its_folders(tmp_path, close_figures):
    fig = plot_digits(digits(2), [0, 1], n=2)
    close_figures(fig)
    path = save_figure(fig, tmp_path / "a" / "b" / "digits.png")
    assert path.read_bytes().startswith(PNG_MAGIC)
    height, width, _ = plt.imread(path).shape
    assert (width, height) == tuple(round(v) for v in fig.get_size_inches() * PNG_DPI)


def test_save_figure_refuses_a_path_that_is_not_png(tmp_path, close_figures):
    fig = plot_probabilities(np.full(10, 0.1))
    close_figures(fig)
    with pytest.raises(DataError, match=".png"):
        save_figure(fig, tmp_path / "probabilities.jpg")


@pytest.mark.parametrize(
    ("plot", "args", "message"),
    [
        (plot_digits, (np.zeros((3, 400)), [0, 1, 2]), "images must have shape"),
        (plot_digits, (digits(3), [0, 1]), "labels must be"),
        (plot_digits, (digits(3), [0.0, 1.0, 2.0]), "whole-number"),
        (plot_digits, (digits(3), [0, 1, 2], 0), "n must be"),
        (plot_misclassified, (digits(2), [0, 1], [1, 0], np.zeros((2, 1))), "proba must have shape"),
        (plot_history, ({"accuracy": [0.5]},), "'loss'"),
        (plot_history, ([1.0, 0.5],), "History.history"),
        (plot_confusion_matrix, (np.zeros((3, 4)),), "square"),
        (plot_confusion_matrix, (-np.eye(3),), "non-negative"),
        (plot_probabilities, (np.zeros((2, 10)),), r"\(K,\)"),
        (plot_probabilities, (np.full(10, 0.1), None, 10), "true_label"),
    ],
)
def test_bad_input_raises_data_error(plot, args, message):
    with pytest.raises(DataError, match=message):
        plot(*args)
