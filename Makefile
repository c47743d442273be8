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
# uv, for the targets that use it directly (hub-env, image): tools/make.py installs it in .venv-uv.
UV := .venv-uv/$(BIN_DIR)/uv

$(UV): requirements-uv.txt
	$(SETUP) install uv

.PHONY: lab handin screenshots test check test-unit test-notebooks test-platforms test-latest lock lock-upgrade train bench notebooks solutions lint format clean \
	hub-env image course-branch

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
test check lint test-unit test-notebooks test-platforms:
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
