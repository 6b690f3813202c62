# Set-up, tests, demo. Everything installs into .venv/ at the project root.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)/include:$(CURDIR)
export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: install test lint browser demo demo-live airflow-ui bench bench-check reliability clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock or the direct requirements change. Development installs
# requirements-dev.txt: the runtime requirements, the stand-ins' (sandbox/requirements.txt), the tools.
$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt sandbox/requirements.txt constraints.txt
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

# bandit scans the code that ships (the runtime image's include/, dags/, plugins/). Not sandbox/
# nor tests/: the stand-ins and fixtures carry fake credentials, pseudo-random data, subprocesses
# and SQL built for test tooling by design, which bandit reports (B105, B311, B404/B603, B608).
lint: install
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r include dags plugins

# The browser tests drive Debian's chromium (a browser downloaded by a test tool would not install).
browser:
	bash scripts/install-chromium.sh

test: lint browser
	$(BIN)/pytest

demo: install
	$(BIN)/python -m sandbox.demo

# New orders reach the gestionale through Amazon's notifications (a local SQS) and a real Airflow.
demo-live: install
	$(BIN)/python -m sandbox.demo_live

airflow-ui: install
	$(BIN)/python -m sandbox.airflow_ui

# RELIABILITY.md's figures: the reliability tests (the 1,000-order soak on PostgreSQL included, which
# `make test` leaves out) leave JSON under var/reliability; the block between its markers is then rewritten,
# also when a test failed (the block says so), and make fails with pytest's status.
RELIABILITY_TESTS := tests/reliability tests/importer/test_importer_uncertain_creates.py \
	tests/importer/test_importer_killed_creates.py tests/importer/test_importer_write_lease.py \
	tests/gestionale/test_gestionale_exactly_once.py tests/site/test_site_leases.py \
	tests/site/test_site_keys.py tests/site/test_site_key_rotation.py \
	tests/importer/test_importer_key_rotation.py tests/ui/test_ui_fab_permissions.py \
	tests/ui/test_ui_dag_permissions.py
reliability: install
	rm -rf var/reliability
	RELIABILITY_FIGURES_DIR=var/reliability SOAK_ORDERS=$${SOAK_ORDERS:-1000} CI=$${CI:-true} \
		$(BIN)/pytest -p no:cacheprovider -k "not (test_long_soak and sqlite)" $(RELIABILITY_TESTS); status=$$?; \
	$(BIN)/python -m tests.reliability.figures_report var/reliability RELIABILITY.md --pytest-status $$status; \
	exit $$status

# The library compared against and the profiler are installed for the benchmarks only.
bench: install
	$(BIN)/pip install --quiet -r bench/requirements.txt -c constraints.txt
	$(BIN)/python -m bench

# The CI check: the quick cells judged against bench/quick_check.py's thresholds (exit 1 on a miss).
bench-check: install
	$(BIN)/pip install --quiet -r bench/requirements.txt -c constraints.txt
	$(BIN)/python -m bench --quick --check

clean:
	rm -rf $(VENV) var
