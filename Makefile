# procflow: `make demo` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := scenarios/coa/full_path.yaml

.PHONY: demo test bench check install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

check: install
	$(BIN)/procflow check workflows scenarios

demo: install
	$(BIN)/procflow check workflows scenarios
	$(BIN)/procflow simulate $(SAMPLE)
	$(BIN)/procflow describe coa | tail -n 25

test: install-test
	$(BIN)/ruff check engine cli.py tests bench
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
