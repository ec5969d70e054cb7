# lit_gd: `make fit` and `make test` are all a fresh clone needs; `make help` lists the rest.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE ?= linear_regression
EXAMPLES := $(basename $(notdir $(wildcard configs/*.yaml)))
PORT ?= 6006

.DEFAULT_GOAL := help
.PHONY: help install fit fit-all test test-fast tensorboard bench bench-csv lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## create .venv and install lit_gd with its test tools (torch pinned by constraints.txt)

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $@

fit: install ## train one example: make fit EXAMPLE=not_gate (default linear_regression)
	$(BIN)/lit-gd fit --config configs/$(EXAMPLE).yaml

fit-all: install ## train every example in configs/, one after another
	@for example in $(EXAMPLES); do $(BIN)/lit-gd fit --config configs/$$example.yaml || exit 1; done

test: install ## run the whole test suite
	$(BIN)/python -m pytest

test-fast: install ## run the tests not marked slow
	$(BIN)/python -m pytest -m "not slow"

tensorboard: install ## serve logs/ on http://127.0.0.1:$(PORT)
	@echo "TensorBoard on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/tensorboard --logdir logs --host 127.0.0.1 --port $(PORT)

bench: install ## time lit_gd against plain PyTorch loops, side by side (about four minutes)
	$(BIN)/python benchmarks/bench.py

bench-csv: install ## memory and time of loading a 2M-row CSV file (about half a minute)
	$(BIN)/python benchmarks/csv_memory.py

lint: install ## check style with ruff
	$(BIN)/ruff check lit_gd tests benchmarks examples
	$(BIN)/ruff format --check lit_gd tests benchmarks examples

clean: ## remove caches and build files (keeps .venv and the runs in logs/)
	rm -rf .pytest_cache .ruff_cache *.egg-info
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
