# ION Mentoring backend. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
BIN := .venv/bin
PYTHON := $(BIN)/python
export CLOUDSDK_CORE_DISABLE_USAGE_REPORTING := true
export CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK := true
export NO_UPDATE_NOTIFIER := 1

.PHONY: bootstrap up down run demo test test-unit lint fmt bench load status openapi chat

bootstrap:
	@scripts/bootstrap.sh

up: bootstrap
	@$(PYTHON) -m scripts.stack up

down:
	@if [ -x $(PYTHON) ]; then $(PYTHON) -m scripts.stack down; fi

# Without .venv (a fresh clone) no local stack can have been started: say what to run.
status:
	@if [ -x $(PYTHON) ]; then $(PYTHON) -m scripts.stack status; \
	else echo "no .venv yet, so no local stack: make up or make run sets up and starts it"; fi

# The whole stack, a short demo conversation, then keep serving until Ctrl-C, which stops what
# this started (a stack that was already running stays up).
run: bootstrap
	@scripts/with_stack.sh sh -c '$(PYTHON) -m scripts.demo && echo "serving on http://127.0.0.1:8080 (logs in .stack/logs); Ctrl-C to stop" && exec sleep infinity'

demo:
	@$(PYTHON) -m scripts.demo

# mypy twice ([tool.mypy] in pyproject.toml): the functions' packages (.venv), then model_serving
# with the model's (.venv-model: torch, onnxruntime, scikit-learn). The second reports only
# model_serving's own errors: the first checked common with the functions' packages.
lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --python-executable .venv-model/bin/python --follow-imports=silent \
		--cache-dir .mypy_cache/model model_serving
	terraform fmt -check -recursive terraform
	.venv-checkov/bin/checkov -d terraform --framework terraform --skip-download --quiet --compact

fmt: bootstrap
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	terraform fmt -recursive terraform

# openapi.yaml and API Gateway's variant, generated from the pydantic models (commit both).
openapi: bootstrap
	@$(PYTHON) -m scripts.openapi

# The terminal chat client against the running stack (`make up` or `make run` first).
chat:
	@$(PYTHON) -m scripts.chat_client

# The unit tests share nothing, so they run on one process per core, at most 4 (pytest-xdist):
# 85-97 s instead of 141-150 on 2 vCPUs (2026-12-05). The stack tests share the emulators: one.
UNIT_WORKERS = -n auto --maxprocesses 4

test-unit: bootstrap
	$(BIN)/pytest tests/unit -q $(UNIT_WORKERS)

# Lint, unit tests, then integration and end-to-end tests on the local stack. A stack that was
# already running is used and left running; one started here is stopped afterwards.
test: lint test-unit
	@scripts/with_stack.sh $(BIN)/pytest tests/integration tests/e2e -q --durations=15

# One stack (with the floor chat_turns compares against) for all four, started once; each stops
# the run when it fails, as separate recipe lines would.
bench: bootstrap
	@scripts/with_stack.sh --with-floor sh -c '$(PYTHON) -m benchmarks.chat_turns \
		&& $(PYTHON) -m benchmarks.analytics \
		&& $(PYTHON) -m benchmarks.import_time \
		&& $(PYTHON) -m benchmarks.ops_per_turn'

# 200 simulated users for 5 minutes through the gateway, then again while each emulator and the
# model server is stopped and started (benchmarks/results/load.md, load_faults.md; ~20 minutes).
# A short run: make load LOAD_ARGS="--users 30 --duration 30"
load: bootstrap
	@scripts/with_stack.sh $(PYTHON) -m benchmarks.load $(LOAD_ARGS)
	@scripts/with_stack.sh $(PYTHON) -m benchmarks.load --faults $(LOAD_ARGS)
