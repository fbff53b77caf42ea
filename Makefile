# endpoint_ops.sepm: build and test harness.
#
#   make demo         the main job against the emulator (default target)
#   make test         the whole suite: sanity, unit, integration, lint (what CI runs)
#   make test-quick   unit + integration only, for iteration
#
# Every target creates .venv first if needed. Logs go to tests/output/.

SHELL := /bin/bash
.DEFAULT_GOAL := demo

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   ?= .venv
REQUIREMENTS := requirements.txt tests/requirements.txt
STAMP  := $(VENV)/.requirements.sha256

export PATH := $(abspath $(VENV))/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: venv test test-quick sanity units integration lint molecule bench demo clean help

help:
	@echo "make demo        run playbooks against the SEPM emulator (default)"
	@echo "make test        sanity + units + integration + lint (what CI runs)"
	@echo "make test-quick  units + integration"
	@echo "make sanity | units | integration | lint | bench | venv | clean"

# (Re)install only when the requirement files change: the stamp holds their hash.
venv:
	@set -euo pipefail; \
	want="$$(cat $(REQUIREMENTS) | sha256sum | cut -d' ' -f1)"; \
	if [[ -x "$(VENV)/bin/python" && -f "$(STAMP)" && "$$(cat $(STAMP))" == "$$want" ]]; then exit 0; fi; \
	mkdir -p tests/output; log=tests/output/venv-install.log; \
	echo "venv: installing $(REQUIREMENTS) into $(VENV) (log: $$log)"; \
	start=$$SECONDS; \
	if [[ ! -x "$(VENV)/bin/python" ]]; then "$(PYTHON)" -m venv "$(VENV)"; fi; \
	if ! { "$(VENV)/bin/python" -m pip install --upgrade pip \
	       && "$(VENV)/bin/python" -m pip install $(addprefix -r ,$(REQUIREMENTS)); } >"$$log" 2>&1; then \
	  echo "venv: pip install FAILED; last lines of $$log:"; grep -v 'is ignored: it is neither' "$$log" | tail -40; exit 1; \
	fi; \
	echo "$$want" > "$(STAMP)"; \
	echo "venv: ready in $$((SECONDS - start))s (ansible-core $$("$(VENV)/bin/python" -c 'import ansible.release as r; print(r.__version__)'))"

test: venv
	@scripts/test.sh sanity units integration lint molecule

test-quick: venv
	@scripts/test.sh units integration

sanity: venv
	@scripts/test.sh sanity

units: venv
	@scripts/test.sh units

integration: venv
	@scripts/test.sh integration

lint: venv
	@scripts/test.sh lint

molecule: venv
	@scripts/test.sh molecule

bench: venv
	@scripts/bench.sh

demo: venv
	@scripts/demo.sh

clean:
	rm -rf "$(VENV)" tests/output .pytest_cache .hypothesis .ansible
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
	@tree="$$(scripts/collection-tree.sh --where)"; \
	  if [[ -d "$$tree" ]]; then rm -rf "$$tree"; rmdir -p "$$(dirname "$$tree")" 2>/dev/null || true; echo "removed $$tree"; fi
