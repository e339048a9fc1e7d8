# Two commands on a fresh machine with Python 3.11+:  `make demo`  and  `make test`.
# uv comes from PATH, or is bootstrapped with pip into .tools/ when missing.
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTHON ?= python3
# Which tests `make test-clock` runs: a marker expression, all of them by default.
CLOCK_TESTS ?= 
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: setup demo test test-clock lint bench eval crash

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet uv

# Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set (CI, containers) every
# process would otherwise compile prefect & co. from source at each start (4.5 s vs 2.4 s).
setup: $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode

demo: setup
	$(UV) run --frozen newsdesk demo

lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy

test: lint
	$(UV) run --frozen pytest -q

# The suite on other days: no test may depend on the wall clock (Debian's faketime shifts the
# clock of every process the suite starts, DuckDB's and the Prefect server's included).
CLOCK_SHIFTS ?= +75d +400d
test-clock: setup
	@command -v faketime >/dev/null || { echo "faketime not found: apt-get install faketime"; exit 2; }
	for shift in $(CLOCK_SHIFTS); do \
		echo "== clock $$shift"; faketime -f $$shift $(UV) run --frozen pytest -q -m "$(CLOCK_TESTS)" || exit 1; \
	done

# Which sections `make bench` runs (e.g. SECTIONS=scale): all of them by default.
SECTIONS ?=
bench: setup
	$(UV) run --frozen python -m benchmarks.run $(SECTIONS)

eval: setup
	$(UV) run --frozen python -m benchmarks.eval_dedupe
	$(UV) run --frozen python -m benchmarks.eval_countries
	$(UV) run --frozen python -m benchmarks.eval_extraction

# Every crash point of ingest/faults.py, and the second passage of the repeated ones.
crash: setup
	CRASH_MATRIX=full $(UV) run --frozen pytest -q tests/test_crash.py
