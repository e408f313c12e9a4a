# Fieldwork — two commands: `make run` (the demo on http://127.0.0.1:5000) and `make test` (the whole suite).
# Both install what they need: a virtual environment in .venv (uv when it can be had, else venv + pip), and for the
# tests Debian's chromium and poppler-utils when they are missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
PYTEST_ARGS ?=
FLASK  := $(BIN)/flask --app app
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test install-redis system-deps translations messages db demo bench clean

run: install translations db demo
	@$(FLASK) demo logins
	@echo "Fieldwork: http://$(HOST):$(PORT)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-test system-deps translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

db: install
	$(FLASK) db upgrade
	$(FLASK) reference load

demo: db
	$(FLASK) demo load --if-empty

# The load benchmark, small (about 10 minutes): gunicorn + a province at 1 % on SQLite and on the PostgreSQL server at
# 127.0.0.1:5432; prints the tables and the budget checks (docs/performance.md). BENCH_ARGS to change it.
BENCH_ARGS ?= --database both --scale 0.01 --duration 20
bench: install install-redis translations
	$(BIN)/python -m bench.load $(BENCH_ARGS)

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test
# Redis's client: a province's server shares kept pages and sign-in counts through Redis (docs/deploy.md); so does
# the bench's.
install-redis: $(VENV)/.installed-redis

$(BIN)/python:
	@if $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv >/dev/null 2>&1; then \
		$(PYTHON) -m uv venv -q $(VENV); \
	else \
		$(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q --upgrade pip; \
	fi

# uv installs in seconds; plain pip is the fallback where uv cannot be had.
define pip_install
	@if $(PYTHON) -m uv --version >/dev/null 2>&1; then \
		$(PYTHON) -m uv pip install -q --python $(BIN)/python $(1); \
	else \
		$(BIN)/python -m pip install -q $(1); \
	fi
endef

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(call pip_install,-e .)
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(call pip_install,-e .[test])
	@touch $@ $(VENV)/.installed-run

$(VENV)/.installed-redis: pyproject.toml | $(BIN)/python
	$(call pip_install,-e .[redis])
	@touch $@ $(VENV)/.installed-run

system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v pg_dump >/dev/null 2>&1 || missing="$$missing postgresql-client"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

translations: install
	$(BIN)/pybabel compile -d fieldwork/translations

clean:
	rm -rf $(VENV) .pytest_cache

# After adding or changing strings in _(): refresh the English catalogue, then translate the new entries.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o /tmp/fieldwork-messages.pot .
	$(BIN)/pybabel update -i /tmp/fieldwork-messages.pot -d fieldwork/translations --no-fuzzy-matching --ignore-obsolete
