# Every target installs what it needs into .venv first, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench conformance clean clean-data

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(INSTALLED)  ## the API on http://127.0.0.1:$${PORT:-8000}, on moto's DynamoDB
	$(PY) -m devtools.local_stack

test: $(INSTALLED)  ## the whole suite
	$(PY) -m pytest

lint: $(INSTALLED)  ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(INSTALLED)  ## budgets: DynamoDB round trips, items read, import time
	$(PY) -m bench.run

clean-data:  ## forget the local blog's data and keys
	rm -rf .local

clean: clean-data
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

conformance: $(INSTALLED)  ## the RealWorld (Conduit) Postman suite with newman against the local stack
	$(PY) -m devtools.conformance
