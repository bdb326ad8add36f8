# make run   installs the runtime dependencies in .venv and starts the app on the demo database.
# make test  installs the test dependencies, a Chromium and PostgreSQL, then runs the whole suite on SQLite,
#            and again on PostgreSQL (every test but the browser's, and the main browser journeys).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
PYTHON ?= python3

.PHONY: run test lint bench essai-partage

run: $(VENV)/.runtime
	bash scripts/install-pdf-libraries.sh
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev
	bash scripts/install-chromium.sh $(PY)
	bash scripts/install-pdf-libraries.sh
	bash scripts/install-postgresql.sh
	bash scripts/install-nginx.sh
	$(PY) -m pytest -n 2 --dist loadfile -p no:cacheprovider -q
	LIVRET_TEST_BACKEND=postgresql $(PY) -m pytest -n 2 --dist loadfile -p no:cacheprovider -q

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

bench: $(VENV)/.dev
	bash scripts/install-chromium.sh $(PY)
	bash scripts/install-pdf-libraries.sh
	$(PY) -m livret bench

essai-partage: $(VENV)/.runtime
	bash scripts/install-postgresql.sh
	bash scripts/install-nginx.sh
	$(PY) -m livret essai-partage

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.runtime $@
