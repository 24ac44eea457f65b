# Every target works on a fresh clone: the venv is created and filled on first use.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TSTAMP  := $(VENV)/.installed-test
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test bench lint install install-test browser clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installing also compiles the campaign's numba kernels once (cached on disk beside the
# source), so the first `nansei demo` does not pay ~20 s of compilation.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/nansei compare miyako-transit --years 2022 --reps 1 --json >/dev/null
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

install: $(STAMP)
install-test: $(TSTAMP)

# Debian's chromium for the browser tests; Playwright's own browser download does not work offline.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; \
	fi

demo: $(STAMP)
	$(BIN)/nansei data validate
	$(BIN)/nansei demo

test: $(TSTAMP) browser
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -n 2 -q

bench: $(TSTAMP)
	@mkdir -p bench/results
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(TSTAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
