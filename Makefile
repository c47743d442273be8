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

.PHONY: lab handin screenshots test test-unit test-notebooks test-latest lock lock-upgrade train bench notebooks solutions lint format clean \
	hub-env image course-branch

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

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-unit: $(TEST_STAMP)
	$(BIN)/python -m pytest tests --durations=10

test-notebooks: $(TEST_STAMP)
	LAB_FULL_RUN=0 $(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg solutions

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

# The lab installed into an environment that many learners share (a JupyterHub's, an image's; docs/hub.md):
# the locked packages with the grading extra (handin() grades) and the hub group (jupyterhub-singleuser at the
# hub's version, nbgitpuller), lab_utils as a wheel (not editable: no checkout needed), then the lab's JupyterLab
# settings (jupyter/install.py). PREFIX names the environment; an existing one (TLJH's /opt/tljh/user) is added to.
HUB_PYTHON ?= $(PYTHON)
HUB_WHEELS ?= build/hub-wheel
hub-env: $(UV)
	$(if $(PREFIX),,$(error make hub-env: name the environment, e.g. make hub-env PREFIX=/opt/mnist-lab))
	test -x $(PREFIX)/bin/python || $(UV) venv --no-python-downloads \
		--python "$$($(HUB_PYTHON) -c 'import sys; print(sys.executable)')" $(PREFIX)
	rm -rf $(HUB_WHEELS)
	$(UV) build --wheel --out-dir $(HUB_WHEELS)
	$(UV) export --frozen --no-emit-project --no-dev --extra grading --group hub --quiet \
		--output-file $(HUB_WHEELS)/requirements.txt
	$(UV) pip install --python $(PREFIX)/bin/python --require-hashes --compile-bytecode \
		-r $(HUB_WHEELS)/requirements.txt
	$(UV) pip install --python $(PREFIX)/bin/python --no-deps --reinstall-package lab-utils --compile-bytecode \
		$(HUB_WHEELS)/lab_utils-*.whl
	$(PREFIX)/bin/python jupyter/install.py --prefix $(PREFIX)

# The branch an nbgitpuller link names (docs/hub.md): the files of TAG less solutions/, committed on top of
# LEARNER_REPO's COURSE_BRANCH if it has one (so that learners' re-pulls merge it), pushed there.
COURSE_BRANCH ?= course-$(TAG)
course-branch:
	$(if $(TAG),,$(error make course-branch: name the release, e.g. TAG=v1.0 LEARNER_REPO=URL))
	$(if $(LEARNER_REPO),,$(error make course-branch: name the learners' repository, e.g. LEARNER_REPO=URL))
	parent=$$(git ls-remote $(LEARNER_REPO) refs/heads/$(COURSE_BRANCH) | cut -f1); \
	if [ -n "$$parent" ]; then git fetch --quiet $(LEARNER_REPO) $$parent; fi; \
	tree=$$(git ls-tree "$(TAG)^{tree}" | awk -F'\t' '$$2 != "solutions"' | git mktree); \
	commit=$$(git commit-tree $$tree $${parent:+-p $$parent} -m "The MNIST lab at $(TAG), for learners (no solutions/)"); \
	git push --quiet $(LEARNER_REPO) $$commit:refs/heads/$(COURSE_BRANCH)

# The learner image (docker/Dockerfile, docs/hub.md) from the committed files: mnist-lab:IMAGE_TAG.
# BASE_IMAGE=... (e.g. a debootstrap base where no image registry is reachable), JUPYTERHUB_VERSION=... (the hub's).
IMAGE_TAG ?= $(shell git describe --tags --always)
image:
	git archive --format=tar HEAD | docker build --file docker/Dockerfile --tag mnist-lab:$(IMAGE_TAG) \
		$(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) \
		$(if $(JUPYTERHUB_VERSION),--build-arg JUPYTERHUB_VERSION=$(JUPYTERHUB_VERSION)) -

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
