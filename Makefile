# CityLoop — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CITY ?= var/demo-city
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint typecheck unit e2e-postgres install clean fonts

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The CJK font of the PDF reports (`cityloop report`): Debian's fonts-droid-fallback.
CJK_FONT := /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
fonts:
	@test -f $(CJK_FONT) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-droid-fallback; }

DEMO_DURATION ?= 1d
HOOK_PORT ?= 8099
# The demo's clock runs ten times faster than the wall clock, so that within a minute the
# departments are at work (`make demo DEMO_SPEED=1` for real time); a login lasts a real day.
DEMO_SPEED ?= 10

# The server and, once it answers, the living city (`cityloop sim`); the simulation stops with it.
demo: $(STAMP)
	@test -f $(CITY)/city.yaml || $(BIN)/cityloop city generate --out $(CITY)
	@( until curl -sf http://$(HOST):$(PORT)/healthz >/dev/null 2>&1; do sleep 1; done; \
	   exec $(BIN)/cityloop sim --url http://$(HOST):$(PORT) --city $(CITY) \
	     --duration $(DEMO_DURATION) --hook-port $(HOOK_PORT) ) & SIM=$$!; \
	trap 'kill $$SIM 2>/dev/null' EXIT INT TERM; \
	CITYLOOP_WEBHOOK_URLS='["http://127.0.0.1:$(HOOK_PORT)/"]' CITYLOOP_CLOCK_SPEED=$(DEMO_SPEED) \
	CITYLOOP_TOKEN_TTL_MINUTES=$$(( 1440 * $(DEMO_SPEED) )) \
	  $(BIN)/cityloop serve --city $(CITY) --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check cityloop tests
	$(BIN)/ruff format --check cityloop tests

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests

# The HTTP end-to-end suite once more, on PostgreSQL (skipped with a notice when it is absent);
# the browser tests run once, in `unit`, and so do the files that start their own servers on
# SQLite whatever CITYLOOP_TEST_E2E_DB says (serve, CLI, scenarios, the queries bench).
E2E_OWN_SERVERS := test_serve test_cli test_scenarios test_bench_queries
e2e-postgres: $(STAMP)
	CITYLOOP_TEST_E2E_DB=postgres $(BIN)/pytest tests/e2e -q -m "not browser" \
	  $(foreach f,$(E2E_OWN_SERVERS),--ignore tests/e2e/$(f).py)

test: lint typecheck unit e2e-postgres

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
