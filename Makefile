# make run   -> set up .venv and train the lab preset, printing the lab's checks and neighbours
# make test  -> set up .venv (with dev extras) and run the test suite
#
# TORCH picks the torch requirement (CI: TORCH="torch==2.13.0", a CPU build on disk).
# DATASET is a Hugging Face Hub id or a local folder holding train.csv / test.csv.

PYTHON  ?= python3
VENV    ?= .venv
TORCH   ?= torch>=2.1
SHARED_DATA := ../shared/data/tweets_hate_speech_detection
DATASET ?= $(if $(wildcard $(SHARED_DATA)/train.csv),$(SHARED_DATA),tweets_hate_speech_detection)
PRESET  ?= lab
OUT     ?= runs/$(PRESET)
NLTK_DATA ?= $(abspath ../shared/data/nltk_data)
PY := $(VENV)/bin/python

.PHONY: run test install install-dev bench clean

$(VENV)/.stamp: pyproject.toml src/wordvec/_kernels.c
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.stamp
install-dev: $(VENV)/.stamp-dev

run: install
	$(VENV)/bin/wordvec train --preset $(PRESET) --dataset "$(DATASET)" --out "$(OUT)" --overwrite

test: install-dev
	NLTK_DATA="$(NLTK_DATA)" $(PY) -m pytest -q $(PYTEST_ARGS)

bench: install-dev
	$(PY) benchmarks/lab_speed.py --dataset "$(DATASET)"

clean:
	rm -rf $(VENV) runs .pytest_cache
