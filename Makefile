# make run   -> set up .venv (wordvec[torch,hub,eval]), train the lab preset into runs/make-lab and
#               print the lab's checks and neighbours
# make test  -> set up .venv with the dev extras, run the test suite
#
# TORCH picks the torch requirement (CI: TORCH="torch==2.13.0", a CPU build on disk); a different TORCH given to an
# existing .venv installs it there (.venv/.torch records the last one).
# The dataset: DATASET=... if given, else the command line's own default: $WORDVEC_DATASET, which this file sets to
# ../shared's copy when there is one, else the Hub id tweets_hate_speech_detection.
# make run writes OUT (default runs/make-PRESET) and never replaces a folder it did not write itself.

PYTHON  ?= python3
VENV    ?= .venv
TORCH   ?= torch>=2.1
SHARED_DATA := ../shared/data/tweets_hate_speech_detection
ifneq ($(wildcard $(SHARED_DATA)/train.csv),)
WORDVEC_DATASET ?= $(abspath $(SHARED_DATA))
endif
ifneq ($(WORDVEC_DATASET),)
export WORDVEC_DATASET
endif
DATASET ?=
PRESET  ?= lab
OUT     ?= runs/make-$(PRESET)
NLTK_DATA ?= $(abspath ../shared/data/nltk_data)
PY := $(VENV)/bin/python
MADE := $(VENV)/.made-runs

.PHONY: run test install install-dev torch bench clean

$(VENV)/.stamp: pyproject.toml setup.py src/wordvec/_kernels.c
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	echo '$(TORCH)' > $(VENV)/.torch
	$(PY) -m pip install -q -e ".[torch,hub,eval]"
	touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

# A TORCH other than the one .venv was given is installed, not ignored.
torch: $(VENV)/.stamp
	@if [ "$$(cat $(VENV)/.torch 2>/dev/null)" != '$(TORCH)' ]; then \
	  echo "make: TORCH changed (was: $$(cat $(VENV)/.torch 2>/dev/null || echo unknown)); installing $(TORCH)"; \
	  $(PY) -m pip install -q "$(TORCH)" && echo '$(TORCH)' > $(VENV)/.torch; fi

install: $(VENV)/.stamp torch
install-dev: $(VENV)/.stamp-dev torch

run: install
	@if [ -e "$(OUT)" ] && ! grep -qxF "$(PRESET) $(abspath $(OUT))" $(MADE) 2>/dev/null; then \
	  echo "make run: $(OUT) exists and was not written by make run PRESET=$(PRESET); not replacing it" \
	       "(choose another folder: make run OUT=runs/another)"; exit 2; fi
	$(VENV)/bin/wordvec train --preset $(PRESET) $(if $(DATASET),--dataset "$(DATASET)") --out "$(OUT)" --overwrite
	@grep -qxF "$(PRESET) $(abspath $(OUT))" $(MADE) 2>/dev/null || echo "$(PRESET) $(abspath $(OUT))" >> $(MADE)
	@echo "(the wordvec command is in $(VENV): run $(VENV)/bin/wordvec, or 'source $(VENV)/bin/activate' first)"

test: install-dev
	NLTK_DATA="$(NLTK_DATA)" $(PY) -m pytest -q $(PYTEST_ARGS)

bench: install-dev
	$(PY) benchmarks/lab_speed.py $(if $(or $(DATASET),$(WORDVEC_DATASET)),--dataset "$(or $(DATASET),$(WORDVEC_DATASET))")

# Removes .venv and the runs make run wrote (listed in .venv/.made-runs); nothing else under runs/.
clean:
	@if [ -f $(MADE) ]; then cut -d' ' -f2- $(MADE) | while read -r dir; do rm -rf "$$dir"; done; fi
	rm -rf $(VENV) .pytest_cache
