"""The lab's benchmark: speed of the training path, accuracy, notebook run times and memory.

`make bench` (`python -m bench`) measures everything in one run on this machine,
prints a markdown table and writes the figures to `bench/results/latest.json`.
It needs full MNIST (`--data-path`, or the Keras cache); see `python -m bench --help`.
"""
