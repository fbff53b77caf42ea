# endpoint_ops.sepm: build and test harness.
#
#   make demo         the main job against the emulator (default target)
#   make test         the whole suite: sanity, unit, integration, lint, galaxy checks, and
#                     sanity + units on the oldest supported core (what CI runs)
#   make test-quick   unit + integration only, for iteration
#   make test-cores   sanity + units on every supported ansible-core (CORES)
#   make eda          the example rulebook under ansible-rulebook (from .venv-eda) against the emulator
#
# Every target creates .venv first if needed. Logs go to tests/output/.

SHELL := /bin/bash
.DEFAULT_GOAL := demo

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   ?= .venv
REQUIREMENTS := requirements.txt tests/requirements.txt
STAMP  := $(VENV)/.requirements.sha256
# Supported ansible-core releases besides the newest one in .venv (requirements in
# tests/requirements.txt): each has tests/requirements-core<CORE>.txt and a .venv-core<CORE>.
OLDEST_CORE := 2.15
CORES ?= 2.15 2.16 2.17 2.18

export PATH := $(abspath $(VENV))/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: venv venv-core venv-cores venv-eda test test-quick test-cores sanity units integration lint galaxy molecule eda bench demo clean help

help:
	@echo "make demo        run playbooks against the SEPM emulator (default)"
	@echo "make test        sanity, units, integration, lint, galaxy, molecule, eda; sanity + units on $(OLDEST_CORE) (what CI runs)"
	@echo "make test-quick  units + integration"
	@echo "make test-cores  sanity + units on ansible-core $(CORES) and the newest"
	@echo "make sanity | units | integration | lint | galaxy | eda | bench | venv | clean"

# (Re)install only when the requirement files change: the stamp holds their hash.
venv:
	@set -euo pipefail; \
	want="$$(cat $(REQUIREMENTS) | sha256sum | cut -d' ' -f1)"; \
	if [[ -x "$(VENV)/bin/python" && -f "$(STAMP)" && "$$(cat $(STAMP))" == "$$want" ]]; then exit 0; fi; \
	mkdir -p tests/output; log=tests/output/$(notdir $(VENV))-install.log; \
	echo "venv: installing $(REQUIREMENTS) into $(VENV) (log: $$log)"; \
	start=$$SECONDS; \
	if [[ ! -x "$(VENV)/bin/python" ]]; then "$(PYTHON)" -m venv "$(VENV)"; fi; \
	if ! { "$(VENV)/bin/python" -m pip install --upgrade pip \
	       && "$(VENV)/bin/python" -m pip install $(addprefix -r ,$(REQUIREMENTS)); } >"$$log" 2>&1; then \
	  echo "venv: pip install FAILED; last lines of $$log:"; grep -v 'is ignored: it is neither' "$$log" | tail -40; exit 1; \
	fi; \
	echo "$$want" > "$(STAMP)"; \
	echo "venv: ready in $$((SECONDS - start))s (ansible-core $$("$(VENV)/bin/python" -c 'import ansible.release as r; print(r.__version__)' 2>/dev/null || echo none))"

# Another core's environment: the same recipe with that core's requirement file.
venv-core:
	@test -n "$(CORE)" || { echo "make venv-core: say which, e.g. CORE=2.15"; exit 2; }
	@$(MAKE) --no-print-directory venv VENV=.venv-core$(CORE) REQUIREMENTS="requirements.txt tests/requirements-core$(CORE).txt"

venv-cores:
	@for core in $(CORES); do $(MAKE) --no-print-directory venv-core CORE=$$core || exit 1; done

# ansible-rulebook on its own: its pins stay out of .venv; it runs playbooks with .venv's ansible-core.
venv-eda:
	@$(MAKE) --no-print-directory venv VENV=.venv-eda REQUIREMENTS=tests/requirements-eda.txt

test: venv
	@$(MAKE) --no-print-directory venv-core CORE=$(OLDEST_CORE)
	@$(MAKE) --no-print-directory venv-eda
	@scripts/test.sh sanity units integration lint galaxy molecule eda sanity@$(OLDEST_CORE) units@$(OLDEST_CORE)

test-cores: venv venv-cores
	@scripts/test.sh sanity units $(foreach core,$(CORES),sanity@$(core) units@$(core))

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

galaxy: venv
	@scripts/test.sh galaxy

molecule: venv
	@scripts/test.sh molecule

eda: venv venv-eda
	@scripts/test.sh eda

bench: venv
	@scripts/bench.sh

demo: venv
	@scripts/demo.sh

clean:
	rm -rf "$(VENV)" .venv-core* .venv-eda tests/output .pytest_cache .hypothesis .ansible
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
	@tree="$$(scripts/collection-tree.sh --where)"; \
	  if [[ -d "$$tree" ]]; then rm -rf "$$tree"; rmdir -p "$$(dirname "$$tree")" 2>/dev/null || true; echo "removed $$tree"; fi
