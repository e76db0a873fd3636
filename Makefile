# Two commands: `make run` (install, migrate, demo data, serve) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run test install install-dev lint bench clean

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)" || { echo "Python 3.11 est requis."; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt package-lock.json
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@# axe-core (npm registry, pinned by package-lock.json) for the browser tests' accessibility check
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; fi
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_nomenclatures --appliquer
	$(PY) manage.py load_demo
	$(PY) manage.py load_portal_demo
	$(PY) manage.py index_identities
	$(PY) manage.py index_directory
	$(PY) manage.py publish_extractions --sans-progression --si-aucune
	$(PY) manage.py collectstatic --no-input --verbosity 0
	@echo "Serveur http://$(HOST) et processus de travail (imports, exports, publications, tâches planifiées) ; Ctrl+C arrête les deux."
	@echo "  accueil            http://$(HOST)/"
	@echo "  annuaire public    http://$(HOST)/recherche/"
	@echo "  portail RPPS+      http://$(HOST)/portail/   (connexion Pro Santé Connect de développement)"
	@echo "  console opérateur  http://$(HOST)/admin/     (admin / admin-demo-rpps + code TOTP : manage.py operator_totp admin --code)"
	@echo "  API FHIR           http://$(HOST)/fhir/v2/metadata"
	@echo "  autre port : make run HOST=127.0.0.1:8080 (ouvert à d'autres machines : voir README)"
	$(PY) manage.py run_huey --quiet & WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; $(PY) manage.py runserver $(HOST)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

test: lint
	$(VENV)/bin/pytest

bench: install-dev
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
