# The two commands a new user needs: `make demo` and `make test`. Both set up everything themselves.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test proto proto-check lint venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/eligibility demo

test: $(STAMP) proto-check lint
	$(BIN)/python -m pytest -q

# One command regenerates all protobuf/gRPC code; never edit service/eligibility/v1 by hand.
proto: $(STAMP)
	$(BIN)/python scripts/gen_proto.py

# CI: regenerate and fail on any difference from what is checked in.
proto-check: $(STAMP)
	$(BIN)/python scripts/gen_proto.py --check

lint: $(STAMP)
	cd proto && BUF_CACHE_DIR=$(CURDIR)/.cache/buf ../$(BIN)/buf lint
	$(BIN)/ruff check service tests scripts
	$(BIN)/mypy service/eligibility

clean:
	rm -rf $(VENV) .cache
