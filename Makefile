VENV := .venv
STAMP := $(VENV)/.installed
# `make bench SIZE=100000`: the organisation SPEC is sized for (PostgreSQL only)
SIZE ?= 10000

# The two set-up commands (README): `make run` and `make test`. Everything else is installed here.
.PHONY: run test demo browser bench

run: $(STAMP)
	$(VENV)/bin/cascade run

# The sandbox with a demo organisation (README: The sandbox).
demo: $(STAMP)
	$(VENV)/bin/cascade sandbox --demo

test: $(STAMP) browser
	$(VENV)/bin/pytest

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

# The sandbox's browser tests drive Debian's Chromium (never a downloaded browser build), with
# Debian's colour emoji font so that screenshots show the emoji Cascade sends.
browser:
	@{ command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; } \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; } \
	  || echo "make: Debian's chromium (or its emoji font) is not installed; browser tests may be skipped"

# One table of figures on a generated organisation of 10,000 people (README: Performance).
# PostgreSQL too when CASCADE_TEST_POSTGRES_URL (or BENCH_ARGS="--postgres URL") is set.
bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench.py --people $(SIZE) $(BENCH_ARGS)
