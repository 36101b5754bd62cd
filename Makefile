# Thin wrappers over the `tthc` command. Any target bootstraps .venv on first use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
TTHC := $(VENV)/bin/tthc
STAMP := $(VENV)/.installed-stamp

UNIT ?= X101
PERIOD ?= 2026-Q3
WINDOW ?= calendar
# Values reach the shell single-quoted from their literal text ($(value …): no make expansion of "$(id)"), with
# embedded single quotes escaped, so UNIT="x'; rm -rf /" stays one inert argument that tthc then rejects.
q = '$(subst ','\'',$(1))'
# LANG is also the locale variable of the environment: only a value given on the command line counts.
REPORT_LANG := $(if $(filter command line,$(origin LANG)),$(value LANG),vi)
UNITS_ARG := $(if $(value UNITS),--units-list $(call q,$(value UNITS)),)
JOBS_ARG := $(if $(value JOBS),--jobs $(call q,$(value JOBS)),)
# not exported either: exporting a command-line variable expands it, so UNIT='$(shell …)' would run
# due-soon: only a UNIT given on the command line restricts the lists (the default X001 above is for reports)
DUE_ARGS := $(if $(value DATE),--date $(call q,$(value DATE)),) $(if $(value DAYS),--days $(call q,$(value DAYS)),) \
	$(if $(filter command line,$(origin UNIT)),--unit $(call q,$(value UNIT)),)
unexport UNIT PERIOD WINDOW JOBS UNITS DATE DAYS
ifeq ($(origin LANG),command line)
unexport LANG
endif

.PHONY: lock help install report reports sample ingest test test-fast bench bench-quick lab clean check due-soon publish

help:
	@echo "make report UNIT=X101 PERIOD=2026-Q3 [WINDOW=calendar|report] [LANG=vi|en]"
	@echo "make reports PERIOD=2025-Q1 [UNITS=X001,X002] [JOBS=3]   all units of the period"
	@echo "make due-soon [DATE=2025-04-25] [DAYS=2] [UNIT=H001]        early-warning lists per unit"
	@echo "make publish PERIOD=2025-Q1                                  the public site (aggregates only)"
	@echo "make test | make bench (all parts, long) | make bench-quick | make lab | make sample | make check"

install: $(STAMP)

# requirements.lock pins the whole environment (transitive packages too): `make lock` refreshes it.
$(STAMP): pyproject.toml requirements.lock src/tthc/kernel.py
	@tools/system-deps.sh
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -c requirements.lock -e '.[test]'
	$(PY) -m tthc.kernel
	$(PY) -m tthc.bootstrap
	@touch $(STAMP)

report: $(STAMP)
	$(TTHC) report --unit $(call q,$(value UNIT)) --period $(call q,$(value PERIOD)) \
		--window $(call q,$(value WINDOW)) --lang $(call q,$(REPORT_LANG))

reports: $(STAMP)
	$(TTHC) batch --period $(call q,$(value PERIOD)) --window $(call q,$(value WINDOW)) \
		--lang $(call q,$(REPORT_LANG)) $(JOBS_ARG) $(UNITS_ARG)

sample: $(STAMP)
	$(TTHC) sample

check: $(STAMP)
	$(TTHC) check

due-soon: $(STAMP)
	$(TTHC) due-soon $(DUE_ARGS)

publish: $(STAMP)
	$(TTHC) publish --period $(call q,$(value PERIOD)) --window $(call q,$(value WINDOW))

test: $(STAMP)
	@tools/system-deps.sh --full
	$(PY) -m pytest -n 2 --dist loadgroup tests

bench: $(STAMP)
	$(TTHC) bench

bench-quick: $(STAMP)
	$(TTHC) bench --part batch --part cube --part ingest

lab: $(STAMP)
	$(TTHC) lab

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf outputs/* data/processed data/interim
