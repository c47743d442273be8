"""Checks of notebook 04 (training), one module per exercise with its hints and mutants:

- `compile_model`: `check_compile` (compile_model), Adam at cfg.learning_rate, the from-logits loss, accuracy;
- `train_step`: `check_train_step` (train_step), one optimizer step, judged by NumPy backpropagation;
- `shared`: the notebook's name and what the two share.

The registry reads the checks from this package in the order they are imported here, the notebook's.
"""

from lab_utils.checks.training.compile_model import COMPILE, check_compile
from lab_utils.checks.training.shared import NOTEBOOK
from lab_utils.checks.training.train_step import TRAIN_STEP, check_train_step

__all__ = ["COMPILE", "NOTEBOOK", "TRAIN_STEP", "check_compile", "check_train_step"]
