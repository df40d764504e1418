# `make run`, `make check` and `make test` set themselves up: a virtualenv in .venv, the package installed
# in editable mode, the gettext catalogs compiled and the database migrated.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help run check test setup services catalogs migrate extract bench clean vendor-web

# The first target, so that `make` alone says what there is instead of starting the bot.
help:
	@echo "make run       start the bot (sets up .venv, compiles the catalogs, migrates the database)"
	@echo "make check     ruff, mypy, the content check and the conversation tests (seconds)"
	@echo "make test      every test, with the servers they need (make services)"
	@echo "make setup     .venv with Lotse installed in editable mode, the catalogs compiled"
	@echo "make services  install the Debian packages the tests need (as root)"
	@echo "make migrate   bring the database to the newest schema (lotse db upgrade)"
	@echo "make extract   collect the interface strings into every translations/ catalog"
	@echo "make bench     the benchmarks (BENCHMARKS.md; about 8 minutes)"
	@echo "make clean     remove .venv and data/"

run: setup migrate
	$(BIN)/lotse run

test: setup services
	$(BIN)/python -m pytest

# The static checks, in seconds (no services, no database): ruff with the rules in
# pyproject.toml, mypy on bot/ (its settings there too; the first run takes half a minute, then
# its cache in .mypy_cache), then the shipped content as an admin checks it (every problem as
# file:line) and its conversation tests in conversations/. --root .: whatever CONTENT_ROOT a
# .env names.
check: setup
	$(BIN)/ruff check --no-cache .
	$(BIN)/mypy
	$(BIN)/lotse content check --root .
	$(BIN)/lotse content test --root .

# What the tests need from Debian, installed when missing (needs root then; quiet; nothing to do
# when present): redis-server and postgresql (tests/services.py starts its own servers on free
# loopback ports, never the system services), chromium (the statistics report is rendered), and
# for `lotse poster` Pango with HarfBuzz's subsetter (WeasyPrint), the Noto fonts and zbarimg (the
# tests read the QR code back).
services:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v zbarimg >/dev/null || missing="$$missing zbar-tools"; \
	[ -e /usr/share/fonts/truetype/noto/NotoSansEthiopic-Regular.ttf ] || missing="$$missing fonts-noto-core"; \
	ldconfig -p | grep -q 'libpango-1.0.so.0 ' || missing="$$missing libpango-1.0-0"; \
	ldconfig -p | grep -q 'libharfbuzz-subset.so.0 ' || missing="$$missing libharfbuzz-subset0"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -z "$$missing" ] || [ "$$(id -u)" = 0 ] || { \
		echo "make services: missing$$missing; installing them needs root: sudo apt-get install$$missing" >&2; \
		exit 1; }; \
	[ -z "$$missing" ] || { log=$$(mktemp); { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $$missing; } >$$log 2>&1 || { \
		echo "make services: apt-get could not install$$missing; what it said:" >&2; \
		grep -E '^(E|W|Err):' $$log >&2 || tail -n 5 $$log >&2; rm -f $$log; \
		echo "(a failed download: check the network or the mirror in /etc/apt/sources.list*)" >&2; \
		exit 1; }; rm -f $$log; $(STOP_SYSTEM_POSTGRES); }

# The postgresql package creates and starts a system cluster on port 5432 unless a policy-rc.d
# forbids it; the tests never use it (tests/services.py starts its own), so it is stopped again.
STOP_SYSTEM_POSTGRES := { command -v pg_lsclusters >/dev/null || exit 0; pg_lsclusters --no-header | \
	while read version cluster port status rest; do [ "$$status" != online ] || \
	pg_ctlcluster --skip-systemctl-redirect $$version $$cluster stop; done; }

setup: $(STAMP) catalogs

# Debian and Ubuntu ship Python's venv without ensurepip (the python3-venv package): `venv` then
# fails after creating .venv/bin/python, so the half-made .venv is removed and the cause named.
$(STAMP): pyproject.toml
	@test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "make: '$(PYTHON) -m venv' failed (above); on Debian and Ubuntu its pip comes with the python3-venv package: sudo apt-get install python3-venv" >&2; \
		exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# A catalog is compiled when its .po is newer than its .mo, without a word on success (`make run`
# starts quietly); a broken .po stops make with pybabel's error, which names the file and line.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/lotse.po))

catalogs: $(CATALOGS)
	@: # a recipe, so that make does not say "Nothing to be done" either

translations/%/LC_MESSAGES/lotse.mo: translations/%/LC_MESSAGES/lotse.po | $(STAMP)
	@$(BIN)/pybabel -q compile --use-fuzzy -i $< -o $@

migrate: $(STAMP)
	$(BIN)/lotse db upgrade

# For developers: collect the interface strings from the code and merge them into every catalog.
extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o translations/lotse.pot bot
	$(BIN)/pybabel update -i translations/lotse.pot -d translations -D lotse --no-fuzzy-matching --no-wrap --ignore-obsolete

# Figures, not tests: they never fail because a machine is slow. The load generator against the
# real bot on SQLite and on PostgreSQL+Redis, and the matcher; about 8 minutes (BENCHMARKS.md).
bench: setup services
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data

# For developers: the web workspace's front-end helpers, vendored in bot/channels/web/static/vendor/
# (nothing is fetched at run time; no build step). npm pack fetches the pinned releases from the
# npm registry, the checksums below are the tarballs' sha256 (a changed release fails here), and
# the script and licence files are copied out. To upgrade: change a version, run, update its
# sum and VERSIONS.
HTMX := htmx.org@2.0.11
HTMX_SUM := 165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e
HTMX_SSE := htmx-ext-sse@2.2.4
HTMX_SSE_SUM := 90b46f5ab915ba2f64e6348448c8dba509277a47e15c125ffb65754eb4f6b5dc
VENDOR := bot/channels/web/static/vendor

vendor-web:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent $(HTMX) $(HTMX_SSE) >/dev/null && \
	echo "$(HTMX_SUM)  htmx.org-2.0.11.tgz" | sha256sum -c --quiet && \
	echo "$(HTMX_SSE_SUM)  htmx-ext-sse-2.2.4.tgz" | sha256sum -c --quiet && \
	mkdir htmx sse && tar xzf htmx.org-*.tgz -C htmx && tar xzf htmx-ext-sse-*.tgz -C sse && \
	cd - >/dev/null && cp $$tmp/htmx/package/dist/htmx.min.js $(VENDOR)/htmx.min.js && \
	cp $$tmp/htmx/package/LICENSE $(VENDOR)/htmx.LICENSE && \
	cp $$tmp/sse/package/dist/sse.min.js $(VENDOR)/htmx-ext-sse.min.js && \
	cp $$tmp/sse/package/LICENSE $(VENDOR)/htmx-ext-sse.LICENSE && \
	printf '%s\n' $(HTMX) $(HTMX_SSE) > $(VENDOR)/VERSIONS && rm -rf $$tmp
