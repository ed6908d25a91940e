# CultureCloud. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: system-deps install run serve test test-postgres lint typecheck migrations-check messages lock clean worker beat

# Installs Python packages (pinned by constraints.txt) and npm packages (package-lock.json).
install: system-deps $(VENV)/.installed node_modules/.installed

# Debian packages the project needs (msgfmt for compilemessages); installed with apt-get when missing.
system-deps:
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; }

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

messages: install
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

# Development server on the embedded default (SQLite, local media, in-process cache and tasks).
run: install messages
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) seed_demo --once
	$(MANAGE) runserver $(HOST):$(PORT)

# Production server: granian (WSGI) with collected static files; configure through the environment.
serve: install messages
	$(MANAGE) collectstatic --noinput -v 0
	$(MANAGE) migrate --noinput -v 0
	$(VENV)/bin/granian --interface wsgi --host $(HOST) --port $(PORT) --workers $(WORKERS) \
		--blocking-threads 1 --no-ws culturecloud.wsgi:application

worker: install
	$(VENV)/bin/celery -A culturecloud worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A culturecloud beat --loglevel=INFO

# The whole suite on SQLite, no server needed. Tests marked postgres/celery_worker run in CI's second pass.
test: install messages
	env -u DATABASE_URL -u REDIS_URL CULTURECLOUD_TESTING=1 $(VENV)/bin/pytest -q -n 2 -m "not postgres and not celery_worker" $(PYTEST_ARGS)

# The whole suite again on PostgreSQL and Redis (used by .ci/run).
test-postgres: install messages
	CULTURECLOUD_TESTING=1 DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
		REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/1} $(VENV)/bin/pytest -q -n 2 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy culturecloud

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

lock:
	$(PIP) freeze --exclude-editable | sed '1i # Exact versions installed by `make install` (pip -c constraints.txt). Regenerate with `make lock`.' > constraints.txt

clean:
	rm -rf var/static

# Regenerates culturecloud/locale (makemessages) and fails on untranslated, fuzzy or
# placeholder-breaking Simplified Chinese entries; see bin/messages-check.
.PHONY: messages-check
messages-check: install
	bin/messages-check

# Browser journeys (e2e/, see e2e/README.md): Playwright driving Debian's chromium, headless,
# never a browser download; axe-core on every page. Installs chromium and the CJK fonts with
# apt-get when missing. On failure, screenshots and the server log go to test-artifacts/e2e/.
.PHONY: e2e
e2e: install messages
	@command -v chromium >/dev/null && dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends chromium fonts-noto-cjk; }
	env -u DATABASE_URL -u REDIS_URL -u CULTURECLOUD_TESTING $(VENV)/bin/pytest -q e2e $(PYTEST_ARGS)

# API fuzzing (fuzz/run.py, see fuzz/README.md): schemathesis against /api/v1/openapi.json of a
# live server on the demo data, anonymous and with bearer tokens; fails on any 5xx and on any
# answer whose status, content type or body breaks the OpenAPI document. FUZZ_ARGS passes
# options, e.g. FUZZ_ARGS="--max-examples 100 --seed 7".
.PHONY: fuzz
fuzz: install
	env -u DATABASE_URL -u REDIS_URL -u CULTURECLOUD_TESTING $(PY) fuzz/run.py $(FUZZ_ARGS)

# Known vulnerabilities of every pinned package (constraints.txt), by pip-audit against PyPI's
# advisory data (https://pypi.org/pypi/<name>/<version>/json). Fails when that API can't be
# reached, rather than passing without having audited anything.
.PHONY: audit
audit: install
	@$(PY) -c 'import urllib.request; urllib.request.urlopen("https://pypi.org/pypi/pip/24.0/json", timeout=30)' 2>/dev/null || { \
		echo "audit: PyPI's vulnerability API (https://pypi.org/pypi/<name>/<version>/json) is not reachable from this machine; nothing was audited." >&2; exit 2; }
	$(VENV)/bin/pip-audit --requirement constraints.txt --no-deps --disable-pip --strict --progress-spinner off

# Benchmarks (bench/README.md, docs/performance.md): the production server (granian, DEBUG=0,
# bench/settings_bench.py) on scratch PostgreSQL databases cc_bench_* and Redis db 12 on
# 127.0.0.1, loaded with wrk (Debian package, installed with apt-get when missing).
# `bench`: 10k/100k/1M rows, granian vs gunicorn, rushes; about half an hour, bounded; rewrites
# the tables in docs/performance.md and writes bench/results/<time>-full.json.
# `bench-smoke`: 1k rows, 2-second runs, one rush; about 2 minutes; docs left alone, results
# in var/bench/results/. Exit status 1 if a rush invariant fails.
.PHONY: bench bench-smoke
bench: install messages
	@command -v wrk >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(PY) bench/run.py --profile full $(BENCH_ARGS)

bench-smoke: install messages
	@command -v wrk >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(PY) bench/run.py --profile smoke $(BENCH_ARGS)
