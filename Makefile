# Meridian: `make run` to try it, `make test` to test it. Both set up what they need.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app app:create_app
STAMP   := $(VENV)/.installed
STATIC  := app/static/vendor/.built
JS_DEPS := tests/live/js/node_modules/.installed

.PHONY: install static chromium migrate seed run stack test test-browser bench bench-fanout bench-scale bench-http clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Front-end packages come from npm (pinned in package-lock.json) and are served by Meridian itself.
$(STATIC): package.json package-lock.json scripts/build_static.sh
	npm ci --no-audit --no-fund --loglevel=error
	sh scripts/build_static.sh
	touch $(STATIC)

static: $(STATIC)

# The official JavaScript socket.io-client, for the interop test.
$(JS_DEPS): tests/live/js/package.json tests/live/js/package-lock.json
	npm ci --prefix tests/live/js --no-audit --no-fund --loglevel=error
	touch $(JS_DEPS)

# Browser tests drive Debian's chromium (never a downloaded browser build).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		(apt-get install -y -qq chromium >/dev/null 2>&1 || \
		 (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)); \
	else echo "Browser tests need Debian's chromium: sudo apt-get install chromium"; fi

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

run: seed static
	$(PY) run.py

# Two web processes, the scheduler and Redis on loopback (see docs/deployment.md).
stack: install static
	scripts/stack.sh

# One worker per core; a file's tests stay on one worker (they share its fixtures and servers).
test: install static chromium $(JS_DEPS)
	$(PY) -m pytest -n auto --dist loadfile

test-browser: install static chromium
	$(PY) -m pytest tests/web/browser

bench: install
	$(PY) bench/matching.py

bench-fanout: install
	$(PY) bench/fanout.py

# Both need PostgreSQL (BENCH_DATABASE_URL, default the local server); each uses a throw-away database.
bench-scale: install
	$(PY) bench/scale.py

bench-http: install
	$(PY) bench/http.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis node_modules tests/live/js/node_modules app/static/vendor
