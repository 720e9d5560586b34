# One entry point. `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= test,dev,spark,quality,dask
STAMP  := $(VENV)/.installed
# The DPark reference runtime (Python 2.7) for translate dpark --verify and the dpark tests.
DPARK_VENV  ?= .venv-dpark
DPARK_STAMP := $(DPARK_VENV)/.installed

export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120
export SPARK_LOCAL_IP := 127.0.0.1

.PHONY: setup system demo test test-fast lint schema bench clean

$(STAMP): pyproject.toml scripts/setup-system.sh Makefile
	bash scripts/setup-system.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	# Bytecode compiled once here: without it every `migrate` process (and test subprocess) compiles
	# boto3, pydantic, prefect... from source again where PYTHONDONTWRITEBYTECODE is set.
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode -e '.[$(EXTRAS)]'
	touch $(STAMP)

$(DPARK_STAMP): scripts/setup-dpark.sh | $(STAMP)
	bash scripts/setup-dpark.sh $(DPARK_VENV)

setup: $(STAMP) $(DPARK_STAMP)
	@$(BIN)/python -m compileall -q -j 0 migrate translators validators >/dev/null

demo: setup  ## the main job: generate a legacy estate and migrate it on embedded defaults
	$(BIN)/migrate demo

test: setup  ## the whole suite, real servers included (slow, spark and dpark tests too)
	$(BIN)/pytest

test-fast: setup
	$(BIN)/pytest -m "not slow and not spark and not dpark"

lint: setup
	$(BIN)/ruff check migrate translators validators tests benchmarks
	$(BIN)/mypy migrate translators validators

schema: setup
	$(BIN)/migrate plan schema -o plans/plan.schema.json

clean:
	rm -rf .demo .prefect .pytest_cache .mypy_cache .ruff_cache
