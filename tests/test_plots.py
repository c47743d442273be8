"""Every static figure: what it draws, the text alternative it carries, and that it saves as a PNG."""

import base64

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

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
    show,
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
    """The titles of a digit grid, in reading order (one text above each digit of its single Axes)."""
    return [text.get_text() for ax in fig.axes for text in ax.texts]


def title_colors(fig):
    return [text.get_color() for ax in fig.axes for text in ax.texts]


def shades_shown(fig):
    """The distinct pixel values of a digit grid's mosaic (the gaps between digits left out)."""
    return np.unique(np.ma.compressed(fig.axes[0].images[0].get_array()))


def test_plot_digits_titles_the_first_n_digits_with_their_labels(close_figures):
    fig = plot_digits(digits(12), np.arange(12) % 10, n=5)
    close_figures(fig)
    assert isinstance(fig, Figure)
    assert titles(fig) == ["0", "1", "2", "3", "4"]
    np.testing.assert_allclose(shades_shown(fig), digits(12)[:5, 0])


def test_plot_digits_accepts_28_by_28_images_and_shows_all_when_n_is_larger(close_figures):
    fig = plot_digits(digits(3).reshape(3, 28, 28), [7, 8, 9], n=50)
    close_figures(fig)
    assert titles(fig) == ["7", "8", "9"]


def test_plot_digits_with_predictions_marks_the_wrong_ones_in_red(close_figures):
    fig = plot_digits(digits(3), [1, 2, 3], n=3, predicted=[1, 5, 3])
    close_figures(fig)
    assert titles(fig) == ["1→1", "2→5", "3→3"]
    assert [color == WRONG_COLOR for color in title_colors(fig)] == [False, True, False]


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


# text alternatives, written from the data each figure draws


def test_plot_history_alt_says_where_each_curve_starts_and_ends_and_the_best_validation_epoch(close_figures):
    history = {"loss": [2.3, 0.9, 0.12], "val_loss": [2.25, 0.15, 0.18]}
    fig = plot_history(history)
    close_figures(fig)
    assert fig.alt == (
        "Loss over 3 epochs: training loss falls from 2.30 to 0.12, validation falls from 2.25 to 0.18;"
        " validation is lowest at epoch 2."
    )


def test_plot_history_alt_gives_accuracy_in_percent_and_its_highest_validation_epoch(close_figures):
    history = {"loss": [1.0, 0.5], "accuracy": [0.801, 0.972], "val_loss": [1.0, 0.6], "val_accuracy": [0.9, 0.85]}
    fig = plot_history(history)
    close_figures(fig)
    assert (
        "Accuracy over 2 epochs: training accuracy rises from 80.1 % to 97.2 %, validation falls from 90.0 % to"
        " 85.0 %; validation is highest at epoch 1." in fig.alt
    )


def test_plot_confusion_matrix_alt_gives_the_diagonal_share_and_the_largest_confusion(close_figures):
    cm = np.diag([100] * 10)
    cm[3, 5], cm[7, 1] = 7, 2
    fig = plot_confusion_matrix(cm)
    close_figures(fig)
    assert fig.alt == (
        "Confusion matrix of 1,009 digits: 99.1 % on the diagonal; the largest confusion is 3 read as 5 (7 times)."
    )


def test_plot_confusion_matrix_alt_of_a_perfect_matrix_says_nothing_is_confused(close_figures):
    fig = plot_confusion_matrix(np.eye(3, dtype=int) * 4)
    close_figures(fig)
    assert fig.alt.endswith("100.0 % on the diagonal; no digit is confused with another.")


def test_plot_probabilities_alt_names_the_prediction_the_runner_up_and_a_missed_true_digit(close_figures):
    fig = plot_probabilities(np.array([0.05, 0.7, 0.2, 0.05]), true_label=2)
    close_figures(fig)
    assert fig.alt == (
        "Probabilities of the 4 classes: 1 is the most likely (p = 0.700), then 2 (p = 0.200);"
        " the true digit 2 gets p = 0.200."
    )


def test_plot_digits_alt_lists_the_labels_shown(close_figures):
    fig = plot_digits(digits(4), [5, 0, 4, 1], n=4)
    close_figures(fig)
    assert fig.alt == "4 handwritten digits, labelled 5, 0, 4, 1."


def test_plot_digits_alt_with_predictions_counts_and_names_the_mistakes(close_figures):
    fig = plot_digits(digits(3), [1, 2, 3], n=3, predicted=[1, 5, 3])
    close_figures(fig)
    assert fig.alt == "3 handwritten digits with the model's predictions: 2 right, 1 wrong (2 read as 5)."


def test_plot_misclassified_alt_names_the_surest_mistakes_first_and_counts_the_rest(close_figures):
    y_true = np.arange(8) % 10
    y_pred = (y_true + 1) % 10
    proba = np.full((8, 10), 0.01)
    proba[np.arange(8), y_pred] = np.linspace(0.3, 0.9, 8)
    fig = plot_misclassified(digits(8), y_true, y_pred, proba, n=7)
    close_figures(fig)
    assert fig.alt == (
        "The 7 misclassified digits the model was surest of, of 8 mistakes in 8 digits: 7 read as 8 (90%),"
        " 6 read as 7 (81%), 5 read as 6 (73%), 4 read as 5 (64%), 3 read as 4 (56%) and 2 more."
    )


def test_plot_runs_alt_gives_each_runs_validation_loss_and_accuracy(close_figures):
    fig = plot_runs({"small": run_history([0.5, 0.3], [0.9, 0.95])}, "Sizes")
    close_figures(fig)
    assert fig.alt == (
        "Sizes: small: validation loss falls from 0.500 to 0.300, validation accuracy rises from 90.0 % to 95.0 %."
    )


def test_a_figure_shows_in_jupyter_as_an_html_image_with_its_alt_the_png_and_the_alt_as_text(close_figures):
    fig = plot_digits(digits(2), [3, 7], n=2)
    close_figures(fig)
    data, metadata = fig._repr_mimebundle_()
    assert data["text/plain"] == fig.alt
    assert metadata == {"image/png": {"alt": fig.alt}}
    assert base64.b64decode(data["image/png"]).startswith(PNG_MAGIC)
    assert data["text/html"] == (
        f'<img class="lab-figure" src="data:image/png;base64,{data["image/png"]}" alt="{fig.alt}">'
    )


def test_show_displays_a_notebooks_own_figure_with_its_alt_and_closes_it(monkeypatch):
    shown = []
    monkeypatch.setattr("lab_utils.plots.display", lambda data, **kwargs: shown.append((data, kwargs)))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    alt = 'A line falling from 1 to 0, "steeply" & <fast>.'
    show(fig, alt)
    ((data, kwargs),) = shown
    assert kwargs == {"metadata": {"image/png": {"alt": alt}}, "raw": True}
    assert 'alt="A line falling from 1 to 0, &quot;steeply&quot; &amp; &lt;fast&gt;."' in data["text/html"]
    assert fig.number not in plt.get_fignums()


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_show_refuses_a_figure_without_a_text_alternative(alt, close_figures):
    fig = Figure()
    with pytest.raises(DataError, match="text alternative"):
        show(fig, alt)


def test_save_figure_writes_the_alt_text_into_the_pngs_description(tmp_path, close_figures):
    fig = plot_digits(digits(2), [3, 7], n=2)
    close_figures(fig)
    with Image.open(save_figure(fig, tmp_path / "digits.png")) as png:
        assert png.text["Description"] == "2 handwritten digits, labelled 3, 7."
