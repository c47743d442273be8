# The lab's two commands: `make lab` and `make test`. Both set up .venv first,
# re-installing only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab screenshots test test-unit test-notebooks train bench notebooks lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/python jupyter/lab.py

# The README's screenshots (docs/screenshots/), refreshed by the browser test: needs Chromium.
screenshots: $(STAMP)
	LAB_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_browser.py \
		-k '01_softmax and (wrong_answer or typed_in) or live_training or heatmap or recognises'

test: lint test-unit test-notebooks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests --durations=10

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg solutions

train: $(STAMP)
	$(BIN)/python -m lab_utils.train

bench: $(STAMP)
	$(BIN)/python -m bench

notebooks: $(STAMP)
	$(BIN)/python tools/build_notebooks.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) results .pytest_cache
