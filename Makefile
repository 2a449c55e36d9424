# procflow: `make demo` and `make test` do everything on a fresh machine.
PYTHON ?= python3
SHELL  := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := scenarios/coa/full_path.yaml
WORKFLOWS := $(sort $(basename $(notdir $(wildcard workflows/*.yaml))))
DIAGRAMS  := diagrams
DOT       := dot
# installs are quiet: their output goes to .venv/install.log, shown only when an install fails
QUIET     = > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }

.PHONY: demo test bench bench-web check install install-test install-store clean diagrams docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	@echo "installing pip into $(VENV) (output in $(VENV)/install.log)"
	@$(BIN)/python -m pip install -q --upgrade pip $(QUIET)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "installing procflow into $(VENV) (output in $(VENV)/install.log)"
	@$(BIN)/pip install -q -e . $(QUIET)
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "installing procflow and its test tools into $(VENV) (output in $(VENV)/install.log)"
	@$(BIN)/pip install -q -e '.[test]' $(QUIET)
	@touch $@ $(VENV)/.installed

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
	@$(MAKE) --no-print-directory diagrams
	@echo
	@echo "Next:"
	@echo "  - read $(SAMPLE) beside the procedure text: each step is a case's move, with what must hold after it"
	@echo "  - play a case yourself: $(BIN)/procflow simulate coa   (type 'help'; 'why EVENT' says what stops it)"
	@echo "  - open the diagrams in $(DIAGRAMS)/, or run 'make docs' and open docs/site/index.html"
	@echo "  - README.md, 'Writing a workflow' and 'Writing a scenario', then 'make test'"

test: install-test
	$(BIN)/ruff check engine cli.py tests bench
	$(BIN)/procflow check --strict workflows scenarios models
	$(BIN)/procflow test scenarios --coverage --min 100 | grep -v '^PASS '
	$(BIN)/pytest

# diagrams/NAME.dot and NAME.mmd are checked by the tests (tests/test_diagrams.py); NAME.svg needs Graphviz
# DIAGRAMS=DIR writes elsewhere; DOT names Graphviz's program (the SVGs are drawn only when it is found)
diagrams: install
	@mkdir -p $(DIAGRAMS)
	@drawn=""; for w in $(WORKFLOWS); do \
	  $(BIN)/procflow diagram $$w --format dot -o $(DIAGRAMS)/$$w.dot || exit 1; \
	  $(BIN)/procflow diagram $$w --format mermaid -o $(DIAGRAMS)/$$w.mmd || exit 1; \
	  if command -v $(DOT) >/dev/null 2>&1; then \
	    $(BIN)/procflow diagram $$w --format svg -o $(DIAGRAMS)/$$w.svg || exit 1; \
	    drawn="$$drawn $$w.svg"; \
	  else \
	    echo "$(DIAGRAMS)/$$w.svg not drawn: Graphviz's $(DOT) program is not installed"; \
	  fi; \
	  drawn="$$drawn $$w.mmd $$w.dot"; \
	done; \
	echo "$(DIAGRAMS)/:$$drawn"

# docs/site/: the procedure documents generated from workflows/ (procflow docs), one self-contained HTML site;
# open docs/site/index.html. Not committed: regenerate it from the workflows.
docs: install
	$(BIN)/procflow docs --format html -o docs/site

# bench/lsp.py: the language server's answers (diagnostics, hover, completion) on coa.yaml
# bench/forecast.py: models/coa.yaml at 10,000, 100,000 and 1,000,000 cases, the goal measured (about 70 s);
#   FORECAST_BENCH="--sizes 10000,40000" for a quick look
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
