"""Training, evaluation and the headless trainer `python -m lab_utils.train`."""

import contextlib
import dataclasses
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from lab_utils.config import LabConfig
from lab_utils.data import Dataset
from lab_utils.model import build_model
from lab_utils.train import (
    _config_from_args,
    _parser,
    accuracy,
    config_flags,
    confusion_matrix,
    evaluate,
    learning_rate_at,
    main,
    most_confused_pairs,
    precision_recall,
    train,
)

SMALL = LabConfig(hidden_units=(16,), epochs=3, seed=5)


@pytest.fixture(scope="module")
def small_data(mnist_5k):
    """600 training and 200 test digits of the embedded set: enough to learn from in a few seconds."""
    return Dataset(
        "small", mnist_5k.x_train[:600], mnist_5k.y_train[:600], mnist_5k.x_test[:200], mnist_5k.y_test[:200]
    )


# --- training --------------------------------------------------------------------------------------------------------


def test_a_few_epochs_lower_the_loss(small_data):
    history = train(SMALL, small_data).history
    assert len(history["loss"]) == 3
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    assert history["val_loss"][-1] < history["val_loss"][0]


def test_training_is_reproducible_for_the_same_seed(small_data):
    first, again = (train(SMALL.replace(epochs=2), small_data).history for _ in range(2))
    assert first == again


def test_validation_fraction_sets_the_validation_split_size(small_data):
    result = train(SMALL.replace(epochs=1, validation_fraction=0.25), small_data)
    assert result.n_validation == 150
    assert "val_loss" in result.history


def test_validation_fraction_zero_trains_without_validation(small_data):
    result = train(SMALL.replace(epochs=1, validation_fraction=0.0), small_data)
    assert result.n_validation == 0
    assert "val_loss" not in result.history


def test_cosine_schedule_starts_at_the_learning_rate_and_falls_towards_zero():
    cfg = LabConfig(learning_rate=0.01, epochs=4, lr_schedule="cosine")
    rates = [learning_rate_at(cfg, epoch) for epoch in range(4)]
    assert rates[0] == pytest.approx(0.01)
    assert rates[2] == pytest.approx(0.005)
    assert rates == sorted(rates, reverse=True)
    assert 0 < rates[-1] < 0.002


def test_constant_schedule_keeps_the_learning_rate():
    cfg = LabConfig(learning_rate=0.01, epochs=4, lr_schedule="constant")
    assert [learning_rate_at(cfg, epoch) for epoch in range(4)] == [0.01] * 4


def test_training_applies_the_schedule_epoch_by_epoch(small_data):
    cfg = SMALL.replace(epochs=2, learning_rate=0.004)
    history = train(cfg, small_data).history
    assert history["learning_rate"] == pytest.approx([0.004, 0.002])


# --- evaluation ------------------------------------------------------------------------------------------------------


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], n_classes=3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


def test_precision_recall_per_class_with_nan_for_classes_never_predicted_or_absent():
    cm = np.array([[2, 0, 0], [1, 0, 0], [0, 0, 0]])
    precision, recall = precision_recall(cm)
    np.testing.assert_allclose(precision, [2 / 3, np.nan, np.nan])
    np.testing.assert_allclose(recall, [1.0, 0.0, np.nan])


def test_most_confused_pairs_lists_the_largest_off_diagonal_cells_first():
    cm = np.array([[50, 1, 4], [0, 40, 0], [2, 7, 30]])
    assert most_confused_pairs(cm, top=2) == [(2, 1, 7), (0, 2, 4)]


def test_most_confused_pairs_leaves_out_empty_cells():
    assert most_confused_pairs(np.array([[3, 1], [0, 5]]), top=3) == [(0, 1, 1)]


def test_accuracy_is_the_fraction_of_equal_labels():
    assert accuracy([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75


def test_evaluate_agrees_with_its_own_confusion_matrix(small_data):
    evaluation = evaluate(build_model(SMALL), small_data)
    cm = evaluation.confusion
    assert cm.sum() == len(small_data.y_test)
    assert evaluation.test_accuracy == pytest.approx(np.trace(cm) / cm.sum())
    np.testing.assert_array_equal(evaluation.misclassified, np.flatnonzero(evaluation.test_pred != small_data.y_test))
    assert evaluation.test_proba.shape == (200, 10)


# --- the command line, in process ------------------------------------------------------------------------------------

CLI_FLAGS = [
    "--epochs",
    "2",
    "--hidden-units",
    "32,16",
    "--learning-rate",
    "0.002",
    "--batch-size",
    "64",
    "--seed",
    "9",
]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One run of `main` on the embedded data: (exit status, stdout, output folder)."""
    output_dir = tmp_path_factory.mktemp("results")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main([*CLI_FLAGS, "--quiet", "--output-dir", str(output_dir)])
    return status, stdout.getvalue(), output_dir


def test_cli_writes_every_artifact(cli_run):
    status, _, output_dir = cli_run
    assert status == 0
    names = ["loss_curve.png", "confusion_matrix.png", "misclassified.png", "metrics.json", "model.keras"]
    for name in names:
        assert (output_dir / name).stat().st_size > 0, name
    assert (output_dir / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_figures_carry_their_alt_text_in_the_png(cli_run):
    from PIL import Image

    _, _, output_dir = cli_run
    starts = {"loss_curve.png": "Loss over", "confusion_matrix.png": "Confusion matrix of", "misclassified.png": "The"}
    for name, start in starts.items():
        with Image.open(output_dir / name) as png:
            assert png.text["Description"].startswith(start), name


def test_cli_prints_accuracies_and_the_confusion_matrix(cli_run):
    _, stdout, output_dir = cli_run
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert f"test accuracy:  {metrics['test_accuracy']:.2%}" in stdout
    assert f"train accuracy: {metrics['train_accuracy']:.2%}" in stdout
    assert "rows: true digit, columns: predicted digit" in stdout
    header = next(line for line in stdout.splitlines() if line.split() == [str(d) for d in range(10)])
    assert header


def test_cli_metrics_hold_the_scores_sizes_and_versions(cli_run):
    metrics = json.loads((cli_run[2] / "metrics.json").read_text())
    assert 0.5 < metrics["test_accuracy"] <= 1 and 0.5 < metrics["train_accuracy"] <= 1
    assert metrics["training_seconds"] > 0
    assert metrics["dataset"] == {
        "name": "mnist-5k",
        "n_train": 4000,
        "n_fit": 3600,
        "n_validation": 400,
        "n_test": 1000,
    }
    assert len(metrics["per_class"]["precision"]) == len(metrics["per_class"]["recall"]) == 10
    assert set(metrics["versions"]) >= {"tensorflow", "keras"}
    assert len(metrics["history"]["val_loss"]) == 2


def test_cli_flags_override_the_config(cli_run):
    config = json.loads((cli_run[2] / "metrics.json").read_text())["config"]
    expected = LabConfig(hidden_units=(32, 16), epochs=2, learning_rate=0.002, batch_size=64, seed=9)
    assert LabConfig(**config) == expected


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--hidden-units", "0,5"], "hidden_units"),
        (["--learning-rate", "-1"], "learning_rate"),
        (["--dataset", "foo"], "dataset 'foo' is unknown"),
        (["--dataset", "mnist", "--data-path", "/nope.npz"], "no MNIST file at /nope.npz"),
        (["--data-path", "/nope.npz"], "only applies to dataset 'mnist'"),
        (["--seed", str(2**40)], "seed"),
        (["--output-dir", "/dev/null/results"], "cannot create the output folder"),
    ],
)
def test_cli_unusable_flags_give_a_one_line_error_and_a_nonzero_exit(capsys, flags, message):
    status = main(flags)
    stderr = capsys.readouterr().err
    assert status != 0
    assert stderr.startswith("error: ") and stderr.count("\n") == 1
    assert message in stderr


def test_cli_flag_that_is_not_a_number_list_is_an_argparse_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--hidden-units", "a,b"])
    assert info.value.code == 2
    assert "--hidden-units" in capsys.readouterr().err


def test_every_config_field_not_fixed_by_the_data_or_the_loss_is_a_flag_with_its_help():
    fields = {f.name: f.metadata for f in dataclasses.fields(LabConfig)}
    settable = {name for name, meta in fields.items() if not meta.get("fixed")}
    assert set(config_flags()) == settable
    assert {"n_classes", "output_activation"} == set(fields) - settable
    for name, (_, help_text) in config_flags().items():
        assert help_text == fields[name]["help"]


def test_help_shows_each_flag_with_its_fields_help_and_default(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--validation-fraction" in shown and "--lr-schedule" in shown
    assert "widths of the hidden layers, e.g. 128,64 (default: 25,15)" in shown


def test_flags_of_every_type_reach_the_config():
    args = _parser().parse_args(
        ["--hidden-units", "8,4", "--validation-fraction", "0.2", "--seed", "3", "--hidden-activation", "tanh"]
    )
    cfg = _config_from_args(args)
    assert cfg == LabConfig(hidden_units=(8, 4), validation_fraction=0.2, seed=3, hidden_activation="tanh")


def test_importing_the_trainer_does_not_load_tensorflow():
    code = "import sys, lab_utils.train; print(sorted({'tensorflow', 'keras'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr


# --- the command line, as a real process -----------------------------------------------------------------------------


def run_module(*flags, cwd):
    return subprocess.run(
        [sys.executable, "-m", "lab_utils.train", *flags], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_python_m_lab_utils_train_runs_end_to_end_into_results(tmp_path):
    done = run_module("--epochs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert re.search(r"113/113 - .* - loss: [0-9.]+ - val_accuracy", done.stdout), "one progress line per epoch"
    assert json.loads((tmp_path / "results" / "metrics.json").read_text())["config"]["epochs"] == 1
