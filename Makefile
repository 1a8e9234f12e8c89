# The two commands: `make run` (embedded platform on 127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= ./data
TEST_WORKERS ?= 2
# Links the API hands out (presigned URLs, media URLs) follow `make run PORT=...`.
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
export DATA_DIR PUBLIC_BASE_URL
FLASK := $(BIN)/flask --app "api:create_app(start_services=False)"

.PHONY: run test lint format bench migrate worker scheduler clean system-packages env-example

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip

# Re-install only when a requirements file changed since the last install.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

run: migrate system-packages
	$(BIN)/flask --app wsgi:app run --host $(HOST) --port $(PORT) --no-reload --with-threads

# Tests run in TEST_WORKERS pytest-xdist processes (0: in this one), each with a database and
# a Redis database of its own (tests/conftest.py). The resilience tests start their own
# throw-away redis-server; the spoken test readings are
# made with espeak-ng; the teacher console is driven in Debian's headless chromium.
test: $(VENV)/.installed-dev system-packages
	@command -v redis-server >/dev/null 2>&1 || \
		{ apt-get install -y redis-server || { apt-get update && apt-get install -y redis-server; }; }
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || \
		{ apt-get install -y chromium chromium-driver || \
		  { apt-get update && apt-get install -y chromium chromium-driver; }; }
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=25

# Debian packages the platform reads at run time: WordNet (English hints, task relevance),
# SCOWL's largest English word lists (the spelling check never replaces a word they list) and
# espeak-ng (pronunciations of English words outside the speech model's dictionary, and
# speech synthesis in the languages Piper has no voice for).
system-packages:
	@test -f /usr/share/wordnet/index.noun || \
		{ apt-get install -y wordnet-base || { apt-get update && apt-get install -y wordnet-base; }; }
	@{ test -f /usr/share/dict/american-english-insane && \
	   test -f /usr/share/dict/british-english-insane; } || \
		{ apt-get install -y wamerican-insane wbritish-insane || \
		  { apt-get update && apt-get install -y wamerican-insane wbritish-insane; }; }
	@command -v espeak-ng >/dev/null 2>&1 || \
		{ apt-get install -y espeak-ng || { apt-get update && apt-get install -y espeak-ng; }; }

# .env.example is written from the settings' declaration in core/settings.py (tests/test_docs.py
# fails when it is stale).
env-example: $(VENV)/.installed
	$(BIN)/python -m core.envexample --write

# The suite runs the same two checks (tests/test_lint.py); `make format` rewrites the tree.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .

# Benchmarks against their baselines (not part of `make test`); BENCH=--quick for short runs.
bench: $(VENV)/.installed-dev
	@for tool in wrk redis-server; do command -v $$tool >/dev/null 2>&1 || \
		{ apt-get install -y $$tool || { apt-get update && apt-get install -y $$tool; }; }; done
	$(BIN)/python -m bench $(BENCH)

# Production-style processes (need REDIS_URL and DATABASE_URL in the environment).
worker: $(VENV)/.installed
	$(BIN)/dramatiq workers.main --processes 2 --threads 4

scheduler: $(VENV)/.installed
	$(BIN)/python -m workers.scheduler

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
