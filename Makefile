# Two entry points, each self-sufficient on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

$(BIN)/licensebot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: install run test lint
install: $(BIN)/licensebot

run: install  # PORT=8090 DATABASE=path.sqlite3 to choose
	$(BIN)/licensebot sandbox $(if $(PORT),--port $(PORT)) $(if $(DATABASE),--database $(DATABASE))

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy billing
	$(BIN)/mypy bot handlers storage payments scheduler services views
	$(BIN)/lint-imports
