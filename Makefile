# GoodSeed: two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
UV_VERSION := 0.13.9
export XDG_RUNTIME_DIR ?= /tmp/goodseed-runtime-$(shell id -u)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install manifest demo demo-no-serve test lint bench browser stop clean help

help:
	@echo "make demo   - embedded Postgres + simulated market + full materialization + Dagster UI (:3000) + API (:8000)"
	@echo "make test   - install what is missing, then run the whole test suite"
	@echo "make lint   - ruff + mypy (package and tests)"
	@echo "make bench  - benchmarks (not tests): figures and ratios to their anchors"
	@echo "make stop   - stop an embedded Postgres left running"

$(STAMP): pyproject.toml constraints.txt
	@mkdir -p -m 700 $(XDG_RUNTIME_DIR)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: manifest

# dagster-dbt reads dbt/target/manifest.json when the Definitions load; `dbt parse` (re)builds it here,
# when missing or older than a dbt file, never at import. `goodseed demo` prepares it the same way.
manifest: $(STAMP)
	@$(BIN)/python -m goodseed_dagster.dbt_project

demo: install
	$(BIN)/goodseed demo

demo-no-serve: install
	$(BIN)/goodseed demo --no-serve

# Debian's chromium renders the Dagster UI in the browser test; installed when missing and we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: the browser test will be skipped (outside CI)"; }

# pytest exits 5 when it collected no test: that is a failure here, never a silent pass.
test: install browser
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

lint: install
	$(BIN)/ruff check goodseed_dagster tests bench
	$(BIN)/mypy goodseed_dagster tests

bench: install
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[dev,bench]'
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	  || echo "wrk not installed: bench/api.py will say so"; }
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/normalize.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/refresh.py
	$(BIN)/python bench/api.py

stop:
	-$(BIN)/goodseed db stop

clean: stop
	rm -rf .goodseed
