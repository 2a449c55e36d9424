# procflow: `make demo` and `make test` do everything on a fresh machine.
PYTHON ?= python3
SHELL  := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := scenarios/coa/full_path.yaml
WORKFLOWS := $(sort $(basename $(notdir $(wildcard workflows/*.yaml))))

.PHONY: demo test bench bench-web check install install-test install-store clean diagrams docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-store: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[store]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-store: $(VENV)/.installed-store

check: install
	$(BIN)/procflow check --strict workflows scenarios models

demo: install
	$(BIN)/procflow check workflows scenarios
	$(BIN)/procflow simulate $(SAMPLE)
	$(BIN)/procflow describe coa | tail -n 25
	$(MAKE) --no-print-directory diagrams

test: install-test
	$(BIN)/ruff check engine cli.py tests bench
	$(BIN)/procflow check --strict workflows scenarios models
	$(BIN)/procflow test scenarios --coverage --min 100 | grep -v '^PASS '
	$(BIN)/pytest

# diagrams/NAME.dot and NAME.mmd are checked by the tests (tests/test_diagrams.py); NAME.svg needs Graphviz
diagrams: install
	@mkdir -p diagrams
	@for w in $(WORKFLOWS); do \
	  $(BIN)/procflow diagram $$w --format dot -o diagrams/$$w.dot || exit 1; \
	  $(BIN)/procflow diagram $$w --format mermaid -o diagrams/$$w.mmd || exit 1; \
	  if command -v dot >/dev/null 2>&1; then \
	    $(BIN)/procflow diagram $$w --format svg -o diagrams/$$w.svg || exit 1; \
	  else \
	    echo "diagrams/$$w.svg not redrawn: Graphviz's dot program is not installed"; \
	  fi; \
	done
	@echo "diagrams/: $(foreach w,$(WORKFLOWS),$(w).svg $(w).mmd $(w).dot)"

# docs/site/: the procedure documents generated from workflows/ (procflow docs), one self-contained HTML site;
# open docs/site/index.html. Not committed: regenerate it from the workflows.
docs: install
	$(BIN)/procflow docs --format html -o docs/site

# bench/lsp.py: the language server's answers (diagnostics, hover, completion) on coa.yaml
# bench/forecast.py: models/coa.yaml at 10,000 and 40,000 cases; FORECAST_BENCH="--full" adds 100,000 and 1,000,000
# bench/store.py: the case store's events per second (SQLite, PostgreSQL when a server answers) and size per case
bench: install-test
	$(BIN)/python bench/lsp.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/forecast.py $(FORECAST_BENCH)
	$(BIN)/python bench/store.py

# the workbench under load on loopback: 20 clients firing events on 10 shared cases for 30 s (procflow serve)
bench-web: install-test
	$(BIN)/python bench/web.py --clients 20 --seconds 30

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
