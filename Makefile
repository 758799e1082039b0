# Meridian: `make run` to try it, `make test` to test it. Both set up what they need.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app app:create_app
STAMP   := $(VENV)/.installed
STATIC  := app/static/vendor/.built
JS_DEPS := tests/live/js/node_modules/.installed

.PHONY: install static chromium migrate seed run stack test test-suite test-clocks test-browser bench bench-fanout bench-scale bench-http bench-instructions clean translations

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

# Browser tests drive Debian's chromium (never a downloaded browser build), with a font for Chinese.
# The outcome letter embeds DejaVu Sans (fonts-dejavu-core) for Latin and Cyrillic text.
chromium:
	@if [ -x /usr/bin/chromium ] && [ -d /usr/share/fonts/truetype/wqy ] && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		(apt-get install -y -qq chromium fonts-wqy-microhei fonts-dejavu-core >/dev/null 2>&1 || \
		 (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei fonts-dejavu-core >/dev/null)); \
	else echo "Browser tests need Debian's chromium and a CJK font, the outcome letter DejaVu Sans: sudo apt-get install chromium fonts-wqy-microhei fonts-dejavu-core"; fi

# Catalogues: extract every marked string, merge it into each language's .po, compile the .mo files
# and the JavaScript catalogues. Translators edit app/translations/<lang>/LC_MESSAGES/messages.po.
translations: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_ngettext:1,2 \
		--sort-output --project=Meridian -o app/translations/messages.pot app
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d app/translations
	$(PY) -m app.i18n_catalogues

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

run: seed static
	$(PY) run.py

# Two web processes, the scheduler and Redis on loopback (see docs/deployment.md).
stack: install static
	scripts/stack.sh

# Everything: the whole suite under the run's clock, then the time-sensitive part under fixed clocks.
test: test-suite test-clocks

# The suite runs pytest six times and starts many Python processes: each writes and reuses compiled
# modules (assertion-rewritten tests included), even where the environment says not to.
test test-suite test-clocks test-browser: export PYTHONDONTWRITEBYTECODE :=

# One worker per core; a file's tests stay on one worker (they share its fixtures and servers).
# The run's clock is the real time unless MERIDIAN_TEST_CLOCK names one (tests/clock.py).
test-suite: install static chromium $(JS_DEPS)
	$(PY) -m pytest -n auto --dist loadfile

# The tests marked `clock` again under each clock of scripts/test_clocks.py, on SQLite; fails if any
# result differs between clocks.
test-clocks: install static chromium $(JS_DEPS)
	TEST_DATABASE_URL= $(PY) scripts/test_clocks.py -n auto --dist loadfile -m clock

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

# Instructions per API request under Valgrind's callgrind (needs valgrind): steady on a busy machine.
bench-instructions: install
	$(PY) bench/instructions.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis node_modules tests/live/js/node_modules app/static/vendor
