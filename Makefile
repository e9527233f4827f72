# Postdesk. `make run` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DESK ?= desk
LOCALES := locales
PO := $(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
STAMP := $(VENV)/.installed
# Processes for `make test` (pytest-xdist); each test makes its own desk, database and ports.
TEST_WORKERS ?= 3

.PHONY: install run test test-pg lint bench catalogs locales example-config clean synapse

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,redis,rabbitmq,chat]'
	touch $(STAMP)

# Compiled catalogs (the runtime also reads .po directly, so a checkout works without them).
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy --statistics -i $< -o $@ 2>/dev/null || \
	  $(BIN)/pybabel compile -i $< -o $@

catalogs: $(MO)

# After changing a translatable string: extract, merge into every language, compile.
locales: install
	$(BIN)/pybabel extract -F $(LOCALES)/babel.cfg -o $(LOCALES)/messages.pot --project=Postdesk --version=0.1.0 --copyright-holder="Postdesk developers" -c "Translators:" daemon/postdesk templates
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(LOCALES) -D messages --statistics

# postdesk.example.toml: every key with its comment, from the template `postdesk init` fills
# in (config/skeleton/postdesk.toml.in). Run after editing it; a unit test checks the file.
example-config: install
	$(BIN)/python -c 'from pathlib import Path; from postdesk.config.desk_init import EXAMPLE_DOMAIN, EXAMPLE_SECRET, config_text; Path("postdesk.example.toml").write_text(config_text(EXAMPLE_DOMAIN, EXAMPLE_SECRET), encoding="utf-8")'

$(DESK)/postdesk.toml: | $(STAMP)
	$(BIN)/postdesk init $(DESK)

run: install $(DESK)/postdesk.toml
	$(BIN)/postdesk --config $(DESK)/postdesk.toml serve

# --dist loadgroup: tests marked xdist_group("synapse") share one worker (one homeserver).
test: install
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup

# The same suite against PostgreSQL (the server on this machine).
test-pg: install
	POSTDESK_TEST_DATABASE_URL=$${POSTDESK_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup -m "not corpus"

# ruff, mypy, then the package boundaries (the contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check daemon tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

# A Matrix homeserver for tests/chat (issue 20): Synapse in a venv of its own, since its
# pinned dependencies (Twisted, pydantic, ...) need not agree with ours. The tests start
# it from there on a free port and skip (fail under CI=true) when it is absent.
SYNAPSE_VENV := .venv-synapse
SYNAPSE_VERSION ?= 1.163.2

synapse: $(SYNAPSE_VENV)/.installed

$(SYNAPSE_VENV)/.installed:
	test -x $(SYNAPSE_VENV)/bin/python || $(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SYNAPSE_VENV)/bin/python -m pip install --quiet 'matrix-synapse>=$(SYNAPSE_VERSION)'
	touch $@

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) $(SYNAPSE_VENV) build dist daemon/*.egg-info daemon/postdesk/shipped
