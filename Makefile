# `make run` and `make test` set themselves up: a virtualenv in .venv, the package installed
# in editable mode, the gettext catalogs compiled and the database migrated.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test setup services catalogs migrate extract bench clean

run: setup migrate
	$(BIN)/lotse run

test: setup services
	$(BIN)/python -m pytest

# The servers the tests start for themselves (tests/services.py: their own process on a free
# loopback port, never a system service), installed from Debian packages when missing; needs root
# then. Quiet, and nothing to do when they are there.
services:
	@command -v redis-server >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		redis-server >/dev/null)

setup: $(STAMP) catalogs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

catalogs: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d translations -D lotse --statistics 2>&1 | grep -v '^$$' || true

migrate: $(STAMP)
	$(BIN)/lotse db upgrade

# For developers: collect the interface strings from the code and merge them into every catalog.
extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o translations/lotse.pot bot
	$(BIN)/pybabel update -i translations/lotse.pot -d translations -D lotse --no-fuzzy-matching --no-wrap

# Figures, not tests: they never fail because a machine is slow.
bench: setup
	$(BIN)/python bench/bench_matcher.py

clean:
	rm -rf $(VENV) data
