# sagalab: two commands on a fresh machine.
#   make lab    create .venv, install sagalab with its notebook extras, open JupyterLab on notebooks/
#   make test   create/update the same .venv with the test extras and run every test
#   make playground   install the playground extra (Voila) and serve notebooks/playground.ipynb
#   make live   run the seed's services for real (needs redis-server) and print them beside the model
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# JupyterLab refuses to start as root (containers, CI) without --allow-root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_ARGS  ?=
VOILA_ARGS ?=

.PHONY: lab test playground bench live clean venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(BIN)/python

# Reinstall only when the project's dependency list changes.
$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[$*]"
	touch $@

lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# The dashboard with no code in sight; Voila prints the address to open.
playground: $(VENV)/.installed-playground
	$(BIN)/voila notebooks/playground.ipynb --no-browser $(VOILA_ARGS)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# Real services on loopback beside the simulator: needs apt-get install redis-server.
live: $(VENV)/.installed-live
	$(BIN)/python -m sagalab.live

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_speed.py
	$(BIN)/python benchmarks/bench_memory.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
