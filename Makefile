# The lab's two commands: `make lab` and `make test`. The set-up itself is tools/make.py, which these targets
# call and which Windows, having no make, runs directly (`py tools/make.py lab`): it installs .venv from
# uv.lock, the exact versions and hashes locked for every supported platform (uv checks each download against
# them). `make lab` installs only what the lab needs; `make test` adds the grading extra and the test tools.
# .venv is re-synced only when pyproject.toml or uv.lock changes. `make lock` refreshes uv.lock (and
# binder/requirements.txt) after a change to pyproject.toml; `make test-latest` tries the newest releases the
# pyproject ranges allow.
PYTHON ?= python3
VENV := .venv
# Where a venv keeps its programs: Scripts on Windows (make from Git Bash or MSYS2), bin elsewhere.
BIN_DIR := $(if $(filter Windows_NT,$(OS)),Scripts,bin)
BIN := $(VENV)/$(BIN_DIR)
LAB_STAMP := $(VENV)/.installed-lab
TEST_STAMP := $(VENV)/.installed-test
# First thing before any install: one line, not a resolver's traceback, on an unsupported Python.
PYTHON_PROBLEM = $(shell $(PYTHON) tools/make.py python-ok 2>&1 || true)
CHECK_PYTHON = $(if $(PYTHON_PROBLEM),$(error $(PYTHON_PROBLEM)))
SETUP = $(CHECK_PYTHON)$(PYTHON) tools/make.py

.PHONY: lab handin screenshots test check test-unit test-notebooks test-latest lock lock-upgrade train bench notebooks solutions lint format clean

$(LAB_STAMP): pyproject.toml uv.lock requirements-uv.txt
	$(SETUP) install lab

$(TEST_STAMP): pyproject.toml uv.lock requirements-uv.txt
	$(SETUP) install test

# JupyterLab with the lab's own settings (jupyter/), the same way the browser test starts it.
lab:
	$(SETUP) lab

# Pre-check the learner's notebooks with the instructor's grader and write the file to hand in
# (notebooks/handed-in/mnist-lab-<learner>-<time>.zip). LEARNER=id names it (default: the login name).
handin:
	$(SETUP) handin $(if $(LEARNER),--learner $(LEARNER))

# The README's screenshots (docs/screenshots/), refreshed by the browser test: needs Chromium.
screenshots: $(TEST_STAMP)
	LAB_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_browser.py \
		-k '01_softmax and (wrong_answer or typed_in) or live_training or heatmap or recognises'
	LAB_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_browser_handin.py

# Lint, unit tests and every solved notebook under nbval; `make check` is the quick loop (the commands are in
# tools/make.py's SUITES).
test check lint test-unit test-notebooks:
	$(SETUP) $@

# The whole suite in a separate environment with the newest releases the ranges allow, ignoring uv.lock.
# Run it before `make lock-upgrade`; what breaks there breaks for learners once the lock is bumped.
test-latest:
	$(SETUP) test-latest

# Refresh uv.lock after pyproject.toml changed (keeps every pin that still fits), uv's own pin and
# binder/requirements.txt.
lock:
	$(SETUP) lock

# Move every pin to the newest release the ranges allow (run `make test-latest` first).
lock-upgrade:
	$(SETUP) lock --upgrade

train:
	$(SETUP) train

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

notebooks: $(TEST_STAMP)
	$(BIN)/python tools/build_notebooks.py

# After a change to what the notebooks show: re-run every solved notebook, then regenerate the learner ones.
solutions: $(TEST_STAMP)
	$(BIN)/python tools/run_solutions.py
	$(BIN)/python tools/build_notebooks.py

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .venv-uv .venv-latest results .pytest_cache
