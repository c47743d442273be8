"""Checks of notebook 03 (gradients by hand), judged against `lab_utils.reference`, one module per exercise with
its hints and mutants:

- `cross_entropy`: `cross_entropy_from_logits(logits, y)`, the mean cross-entropy of integer labels, from logits;
- `cross_entropy_grad`: `softmax_cross_entropy_grad(logits, y)`, its gradient with respect to the logits;
- `dense_backward`: `dense_backward(a_in, W, dz)`, a dense layer's backward pass, `(dW, db, da_in)`;
- `gd_step`: `gd_step(params, grads, learning_rate)`, one step of gradient descent on a list of arrays;
- `shared`: the notebook's name and what the four share.

Every judge here is NumPy only. The registry reads the checks from this package in the order they are imported
here, which is the notebook's order (the module names sort that way, as the import sorter keeps them).
"""

from lab_utils.checks.gradients.cross_entropy import CROSS_ENTROPY, check_cross_entropy
from lab_utils.checks.gradients.cross_entropy_grad import SOFTMAX_CROSS_ENTROPY_GRAD, check_softmax_cross_entropy_grad
from lab_utils.checks.gradients.dense_backward import DENSE_BACKWARD, check_dense_backward
from lab_utils.checks.gradients.gd_step import GD_STEP, check_gd_step
from lab_utils.checks.gradients.shared import FIXED_SEED, NOTEBOOK

__all__ = [
    "CROSS_ENTROPY",
    "DENSE_BACKWARD",
    "FIXED_SEED",
    "GD_STEP",
    "NOTEBOOK",
    "SOFTMAX_CROSS_ENTROPY_GRAD",
    "check_cross_entropy",
    "check_dense_backward",
    "check_gd_step",
    "check_softmax_cross_entropy_grad",
]
