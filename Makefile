# Two commands matter: `make run` (set up and start the panel) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite on one process a core (pytest-xdist), each with its own database; `PYTEST_ARGS=` for one.
PYTEST_ARGS ?= -n auto

.PHONY: run test lint install translations check-translations screenshots

# One worker runs beside the panel and sends the messages to clients (printed here without
# MAIL_SERVER); it stops with the panel.
run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) walkin demo --if-empty --url http://$(HOST):$(PORT)
	PUBLIC_URL=$${PUBLIC_URL:-http://$(HOST):$(PORT)} $(FLASK) walkin worker --workers 1 & \
	worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Refresh the message catalogs after changing user-facing text, then translate the new entries
# in admin_app/translations/fr/LC_MESSAGES/messages.po and run `make translations` again.
# admin.po and flask_security.po beside it correct Flask-Admin's and Flask-Security's French
# (edited by hand, see admin_app/platform/i18n.py); `make check-translations` lists any message the panel
# can show without French.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o admin_app/translations/messages.pot .
	$(BIN)/pybabel update -i admin_app/translations/messages.pot -d admin_app/translations \
		--no-fuzzy-matching
	$(BIN)/pybabel compile -d admin_app/translations -D "messages admin flask_security"

check-translations: $(STAMP)
	$(BIN)/python tools/check_translations.py

# README's screenshots (docs/screenshots/), from a throw-away demo database, in Chromium.
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py
