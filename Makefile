# Two entry points for newcomers: `make demo` and `make test` (each sets up .venv first).
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint format docs benchmark mutation clean

setup:
	bash scripts/setup_venv.sh

demo: setup
	$(BIN)/sleepkd demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --durations=15

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

docs: setup
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

benchmark: setup
	$(BIN)/sleepkd benchmark --dataset sample

# Mutation score of the modules where a silent bug loses data or gives wrong stages
# (on demand, not in CI; 5-40 CPU-minutes per group: --groups picks some).
mutation: setup
	$(BIN)/python -c "import mutmut" 2>/dev/null || \
		$(BIN)/python -m pip install -c requirements/constraints.txt mutmut
	nice $(BIN)/python benchmarks/mutation.py --out benchmarks/results/mutation.json

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated .pytest_cache
