"""What notebook 04's checks share: its name, the loss the lab trains with, and the hint for a summed loss."""

NOTEBOOK = "04_training"
WANT_LOSS = "SparseCategoricalCrossentropy(from_logits=True)"
MEAN_HINT = "the lab's loss is the mean over the batch, not the sum"
