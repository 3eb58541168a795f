VENV := .venv
STAMP := $(VENV)/.installed

# The two set-up commands (README): `make run` and `make test`. Everything else is installed here.
.PHONY: run test

run: $(STAMP)
	$(VENV)/bin/cascade run

test: $(STAMP)
	$(VENV)/bin/pytest

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)
