# Every target creates .venv on first use, so a fresh clone needs only python3 and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck bench demo clean about-docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy tap_zoho_territories target_zoho_territories zoho_crm_emulator

test: lint typecheck
	$(BIN)/pytest -p no:cacheprovider

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache output build dist *.egg-info

# Benchmarks against the emulator (not part of `make test`); writes bench/results.json and .md.
bench: $(STAMP)
	$(BIN)/python bench/run.py
