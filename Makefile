# The two commands a new user needs: `make demo` and `make test`. Both set up everything themselves.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NODE_STAMP := clients/node/node_modules/.installed
SYSTEM_STAMP := .cache/system-packages
FONT_STAMP := .cache/pdf-font

.PHONY: demo test proto proto-check lint venv clean system fuzz bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# System packages the tests use (Debian/Ubuntu, as root): Node.js for the independent client,
# headless Chromium and CJK fonts for the report screenshot test, a TrueType CJK font the PDF report embeds,
# poppler-utils (pdftotext, pdftoppm) to check the PDF, PostgreSQL server binaries for the store and two-replica
# tests (each test run starts its own throwaway cluster). Installed only where missing.
$(SYSTEM_STAMP):
	@missing=""; \
	command -v node >/dev/null || missing="$$missing nodejs npm"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "cjk" || missing="$$missing fonts-noto-cjk"; \
	[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	mkdir -p .cache && touch $@

system: $(SYSTEM_STAMP)

$(NODE_STAMP): clients/node/package.json clients/node/package-lock.json $(SYSTEM_STAMP)
	cd clients/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The PDF report embeds a TrueType CJK font (ReportLab cannot embed the CFF outlines of Noto CJK).
$(FONT_STAMP):
	@[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || { echo "installing: fonts-wqy-microhei"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei; }
	mkdir -p .cache && touch $@

demo: $(STAMP) $(FONT_STAMP)
	$(BIN)/eligibility demo

test: $(STAMP) $(NODE_STAMP) $(SYSTEM_STAMP) proto-check lint
	$(BIN)/python -m pytest -q
	$(BIN)/python fuzz/fuzz_inputs.py -max_total_time=20 -print_final_stats=0 2>&1 | tail -n 1

# Benchmarks (figures printed, never asserted): make bench [BENCH_SIZES="10000 100000"] [BENCH_MILLION=0]
# (about 30 minutes here; the million-candidate screening, once, is a third of it)
BENCH_SIZES ?= 10000 100000
BENCH_MILLION ?= 1
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(STAMP) $(FONT_STAMP) $(BENCH_STAMP)
	for n in $(BENCH_SIZES); do $(BIN)/python bench/bench_screen.py --candidates $$n --figures-out .cache/bench/screen-$$n.json; done
	[ "$(BENCH_MILLION)" = 0 ] || $(BIN)/python bench/bench_screen.py --candidates 1000000 --repeat 1
	$(BIN)/python bench/bench_peers.py --candidates 100000 \
	  $$([ -f .cache/bench/screen-100000.json ] && echo --screen-figures .cache/bench/screen-100000.json)
	$(BIN)/python bench/bench_intake.py --flags 1000000
	$(BIN)/python bench/bench_memory.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_console.py

# Fuzz the file parsers and validation for longer: make fuzz SECONDS=600
SECONDS ?= 120
fuzz: $(STAMP)
	$(BIN)/python fuzz/fuzz_inputs.py -max_total_time=$(SECONDS)

# One command regenerates all protobuf/gRPC code; never edit service/eligibility/_gen by hand.
proto: $(STAMP)
	$(BIN)/python scripts/gen_proto.py
	$(BIN)/python scripts/gen_api_docs.py

# CI: regenerate and fail on any difference from what is checked in.
proto-check: $(STAMP)
	$(BIN)/python scripts/gen_proto.py --check
	$(BIN)/python scripts/gen_api_docs.py --check

lint: $(STAMP)
	cd proto && BUF_CACHE_DIR=$(CURDIR)/.cache/buf ../$(BIN)/buf lint
	if git rev-parse --verify -q main >/dev/null; then \
	  BUF_CACHE_DIR=$(CURDIR)/.cache/buf $(BIN)/buf breaking proto --against '.git#branch=main,subdir=proto'; fi
	$(BIN)/ruff check service tests scripts
	$(BIN)/mypy service/eligibility
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .cache
