# quisait: `make demo` sets everything up and runs the demo; `make test` sets up and runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= var/demo

.PHONY: setup browser demo test test-fast lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U "pip>=25.1"
	# torch first and pinned: a CPU build from this machine's disk, not the multi-GB CUDA one
	$(BIN)/python -m pip install -q -c constraints.txt "torch==2.13.0"
	$(BIN)/python -m pip install -q -c constraints.txt -e . --group dev
	touch $@

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; never
# `playwright install`, which downloads a browser of its own), and Debian's nginx for the
# deployment test (tests/test_nginx.py runs deploy/nginx/quisait.conf on the loopback);
# a policy-rc.d during the install keeps the package's own service (every interface's
# port 80) from starting
browser:
	{ command -v chromium >/dev/null && test -x /usr/sbin/nginx; } || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); made=; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' | $$sudo tee /usr/sbin/policy-rc.d >/dev/null; \
	    $$sudo chmod +x /usr/sbin/policy-rc.d; made=1; fi; \
	  $$sudo apt-get update -q && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
	    chromium-driver nginx; status=$$?; \
	  [ -z "$$made" ] || $$sudo rm -f /usr/sbin/policy-rc.d; exit $$status; }

demo: setup
	$(BIN)/quisait --data-dir $(DEMO_DIR) demo

test: setup browser
	$(BIN)/python -m pytest -m "" --durations=15

test-fast: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/bench_index.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
