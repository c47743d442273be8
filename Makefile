# The lab's two commands: `make lab` and `make test`. Both install .venv from uv.lock, the exact versions
# and hashes locked for every supported platform (uv checks each download against them). `make lab`
# installs only what the lab needs; `make test` adds the grading extra and the test tools. .venv is
# re-synced only when pyproject.toml or uv.lock changes. `make lock` refreshes uv.lock after a change to
# pyproject.toml; `make test-latest` tries the newest releases the pyproject ranges allow.
PYTHON ?= python3
VENV := .venv
# Where a venv keeps its programs: Scripts on Windows (make from Git Bash or MSYS2), bin elsewhere.
BIN_DIR := $(if $(filter Windows_NT,$(OS)),Scripts,bin)
BIN := $(VENV)/$(BIN_DIR)
# uv installs the lock; it lives in a venv of its own, since `uv sync` makes .venv exactly the lock.
UV_VERSION := 0.13.9
UV_VENV := .venv-uv
UV := $(UV_VENV)/$(BIN_DIR)/uv
LAB_STAMP := $(VENV)/.installed-lab
TEST_STAMP := $(VENV)/.installed-test
LATEST_VENV := .venv-latest
# First thing before any install: one line, not a resolver's traceback, on an unsupported Python.
PYTHON_PROBLEM = $(shell $(PYTHON) tools/check_python.py pyproject.toml 2>&1 || true)
CHECK_PYTHON = $(if $(PYTHON_PROBLEM),$(error $(PYTHON_PROBLEM)))
# The interpreter .venv is built from, by path, so that uv neither looks elsewhere nor downloads one.
# --compile-bytecode as pip does: where .pyc files cannot be written later (the grader's read-only sandbox,
# PYTHONDONTWRITEBYTECODE), every import of TensorFlow would compile it from source, 14 s instead of 6 s.
UV_SYNC = UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --no-python-downloads --compile-bytecode \
	--python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"
# How `make test` installs: from the lock, unless test-latest says otherwise.
INSTALL_TEST = $(UV_SYNC) --extra grading --group test

.PHONY: lab handin screenshots test check test-unit test-notebooks test-latest lock lock-upgrade train bench notebooks solutions lint format clean

$(UV): requirements-uv.txt
	$(CHECK_PYTHON)
	test -x $(UV_VENV)/$(BIN_DIR)/python || $(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/$(BIN_DIR)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-uv.txt
	touch $(UV)

$(LAB_STAMP): $(UV) pyproject.toml uv.lock
	$(CHECK_PYTHON)
	$(UV_SYNC)
	touch $@

# A test install is a superset of the lab's, so it counts as one.
$(TEST_STAMP): $(UV) pyproject.toml uv.lock
	$(CHECK_PYTHON)
	$(INSTALL_TEST)
	touch $@ $(LAB_STAMP)

# JupyterLab with the lab's own settings (jupyter/), the same way the browser test starts it.
lab: $(LAB_STAMP)
	$(BIN)/python jupyter/lab.py

# Pre-check the learner's notebooks with the instructor's grader and write the file to hand in
# (notebooks/handed-in/mnist-lab-<learner>-<time>.zip). LEARNER=id names it (default: the login name).
handin: $(LAB_STAMP)
	$(BIN)/python -m lab_utils.handin notebooks $(if $(LEARNER),--learner $(LEARNER))

# The README's screenshots (docs/screenshots/), refreshed by the browser test: needs Chromium.
screenshots: $(TEST_STAMP)
	LAB_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_browser.py \
		-k '01_softmax and (wrong_answer or typed_in) or live_training or heatmap or recognises'
	LAB_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_browser_handin.py

test: lint test-unit test-notebooks

# The inner loop: lint, then every test that starts no kernel, browser, sandbox or hub (the `slow` mark).
check: lint
	$(BIN)/python -m pytest -n auto -m "not slow" tests

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# On every core (pytest-xdist); tests/conftest.py groups the tests and hands out the longest groups first.
test-unit: $(TEST_STAMP)
	$(BIN)/python -m pytest -n auto tests --durations=10

# One notebook per worker: nbval runs a notebook's cells in order, in one kernel.
test-notebooks: $(TEST_STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile \
		--nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg solutions

# The whole suite in a separate environment with the newest releases the ranges allow, ignoring uv.lock.
# Run it before `make lock-upgrade`; what breaks there breaks for learners once the lock is bumped.
# --keep-going: a lint failure must not hide what the tests say.
test-latest: $(UV)
	$(CHECK_PYTHON)
	$(UV) venv --allow-existing --no-python-downloads --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')" $(LATEST_VENV)
	$(MAKE) --keep-going test VENV=$(LATEST_VENV) \
		INSTALL_TEST="$(UV) pip install --python $(LATEST_VENV) --upgrade --compile-bytecode --editable '.[grading]' --group test"

# Refresh uv.lock after pyproject.toml changed (keeps every pin that still fits), and uv's own pin.
lock: $(UV)
	$(UV) lock --no-python-downloads
	echo "uv==$(UV_VERSION)" | $(UV) pip compile --quiet --universal --generate-hashes \
		--python-version 3.10 --output-file requirements-uv.txt -

# Move every pin to the newest release the ranges allow (run `make test-latest` first).
lock-upgrade: $(UV)
	$(UV) lock --upgrade --no-python-downloads

train: $(LAB_STAMP)
	$(BIN)/python -m lab_utils.train

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
	rm -rf $(VENV) $(UV_VENV) $(LATEST_VENV) results .pytest_cache
