"""What notebook 03's checks share: its name, the edge cases' seed, the autodiff libraries none may use, and
the hint for logits whose exponentials overflow."""

NOTEBOOK = "03_gradients"
LARGE = 1000.0  # logits in the thousands: np.exp overflows float64 above about 709
FIXED_SEED = 11  # the edge cases' own generator: they are the same whatever seed the grader draws
AUTODIFF = ("tensorflow.GradientTape", "jax.grad", "torch.autograd")
STABILITY_HINT = (
    "np.exp overflows for logits in the thousands (inf / inf is nan): subtract each row's maximum first, "
    "as in stable_softmax"
)
