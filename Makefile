# Meridian: `make run` to try it, `make test` to test it. Both set up .venv as needed.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app app:create_app
STAMP   := $(VENV)/.installed

.PHONY: install migrate seed run test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

run: seed
	$(PY) run.py

test: install
	$(PY) -m pytest

bench: install
	$(PY) bench/matching.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
