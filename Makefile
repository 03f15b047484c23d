# Every target creates .venv on first use, so a fresh clone needs only python3 and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Meltano gets a venv of its own: its pins (click, rich, sqlalchemy, structlog, ...) can then
# never fight the project's dev tools, and the project's venv stays what pyproject.toml says.
# Plugin venvs are made by `meltano install` under .meltano/ (uv, as Meltano 4 does by default).
MELTANO_VERSION := 4.4.1
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano
MELTANO_STAMP := $(MELTANO_VENV)/.installed-$(MELTANO_VERSION)
# Dagster too (orchestration/dagster/, "Many orgs" in the README): its own pins, its own venv.
DAGSTER_DIR := orchestration/dagster
DAGSTER_VENV := .venv-dagster
DAGSTER_STAMP := $(DAGSTER_VENV)/.installed

.PHONY: install meltano dagster test test-fast lint typecheck bench demo clean docs dist

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(MELTANO_STAMP):
	rm -rf $(MELTANO_VENV)
	$(PYTHON) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/pip install --quiet --upgrade pip
	$(MELTANO_VENV)/bin/pip install --quiet 'meltano==$(MELTANO_VERSION)'
	touch $(MELTANO_STAMP)

meltano: $(MELTANO_STAMP)

$(DAGSTER_STAMP): $(DAGSTER_DIR)/requirements.txt $(DAGSTER_DIR)/pyproject.toml
	rm -rf $(DAGSTER_VENV)
	$(PYTHON) -m venv $(DAGSTER_VENV)
	$(DAGSTER_VENV)/bin/pip install --quiet --upgrade pip
	$(DAGSTER_VENV)/bin/pip install --quiet -r $(DAGSTER_DIR)/requirements.txt -e $(DAGSTER_DIR)
	touch $(DAGSTER_STAMP)

dagster: $(DAGSTER_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy zoho_crm_api zoho_crm_singer tap_zoho_territories target_zoho_territories zoho_crm_emulator demo
	$(BIN)/mypy $(DAGSTER_DIR)/zoho_orgs

# The whole suite; the pipeline tests (tests/pipeline/) run .venv-meltano's meltano and
# .venv-dagster's dagster, and tests/pipeline/test_wheel.py installs the wheel `make dist` just
# built into a fresh venv.
test: lint typecheck dist $(MELTANO_STAMP) $(DAGSTER_STAMP)
	$(BIN)/pytest -p no:cacheprovider

# The sdist and the wheel in dist/ (python -m build: the wheel is built from the sdist, in an
# isolated environment), then their metadata and README checked as PyPI would (twine check).
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

# The quick tiers (pure unit tests, the emulator over HTTP, the target in-process), under a
# minute: run them often. Four workers, a test file each at a time (a module's emulator starts
# once): most of the time goes in waiting on loopback answers. The tiers' folders are named, not
# selected by marker, so that no worker spends 4 s importing the slow tiers it would deselect.
FAST_TIERS = tests/unit tests/emulator tests/target
test-fast: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider -q -n 4 --dist loadfile $(FAST_TIERS)

# Emulator + `meltano run` + a CSV of wanted assignments written back; see docs/demo.md.
demo: $(STAMP) $(MELTANO_STAMP)
	$(BIN)/python demo/run_demo.py --meltano $(MELTANO)

clean:
	rm -rf $(VENV) $(MELTANO_VENV) $(DAGSTER_VENV) .meltano .pytest_cache .mypy_cache .ruff_cache output build dist *.egg-info

# Benchmarks against the emulator (not part of `make test`); writes bench/results.json and .md.
bench: $(STAMP)
	$(BIN)/python bench/run.py

# Refresh the README's settings tables from the plugins' --about (a test checks they match).
docs: $(STAMP)
	$(BIN)/python docs/about_tables.py
