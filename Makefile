# gzgov — every target bootstraps what it needs from a machine that has only Python 3.11.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export GZGOV_CHROMIUM ?= /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help install system-deps demo serve test test-sqlite test-pg bench lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install gzgov with its dev tools

system-deps: ## Debian packages: Chromium for browser tests, a CJK font for PDFs, pango for WeasyPrint, a JRE for Spark
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy || ! command -v java >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    chromium fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 default-jre-headless >/dev/null; \
	fi

demo: install system-deps ## build the full-scale demo database and serve it
	$(BIN)/gzgov demo $(DEMO_ARGS)
	$(BIN)/gzgov serve --host $(HOST) --port $(PORT)

serve: install ## serve the platform on the configured database
	$(BIN)/gzgov serve --host $(HOST) --port $(PORT)

test: install system-deps ## every test: unit, integration and browser, on SQLite then PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-pg

test-sqlite: install ## the whole suite on an embedded SQLite database
	GZGOV_TEST_DATABASE_URL= $(BIN)/pytest -q

test-pg: install ## the whole suite on PostgreSQL (127.0.0.1:5432, database test)
	GZGOV_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q

bench: install ## full-scale benchmarks against plain baselines; each writes its section of docs/benchmarks.md
	$(BIN)/python bench/run.py
	$(BIN)/python bench/finreg.py
	$(BIN)/python bench/fundraising.py
	$(BIN)/python bench/fundraising_quality.py

lint: install ## ruff
	$(BIN)/ruff check src tests bench

clean: ## remove the venv and runtime files
	rm -rf $(VENV) var
