# Agent Billing developer commands. See README.md.
#
#   make deps      install the Python tools the tests use (requirements-dev.txt)
#   make test      every test layer, with a summary (tools/run_tests.py)
#   make lint      the static layer only (ruff, ruff format, pylint-odoo, XML, manifests)
#   make format    apply ruff format and ruff's fixable lint fixes
#   make run       create the demo database agent_billing_demo if absent, then serve it on :8069
#   make bench     benchmarks (tools/bench.py; BENCH_ARGS="-- --skip-big" skips the 10k-client run)
#   make clean-db  drop the databases and templates made by `make test`
#
# Variables: PYTHON (default python3), ODOO_ADDONS_PATH (Odoo's addons directories, comma-separated;
# default: found from the `odoo` package PYTHON imports), DEMO_DB, HTTP_PORT, CLIENTS.
# PostgreSQL is reached through libpq's environment (PGHOST, PGPORT, PGUSER, ...).

PYTHON ?= python3
ODOO_ADDONS_PATH ?=
export ODOO_ADDONS_PATH
export PYTHON

DEMO_DB ?= agent_billing_demo
HTTP_PORT ?= 8069
CLIENTS ?= 50
MODULES := agent_billing,agent_billing_reports,agent_billing_enterprise
TEST_ARGS ?=

.PHONY: test lint format run bench clean-db help deps

help:
	@sed -n '1,13p' Makefile

deps:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@# OCA queue_job (optional: agent_billing_queue) needs Odoo itself to install
	@if $(PYTHON) -c "import odoo" 2>/dev/null; then \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-odoo.txt \
		|| echo "queue_job could not be installed: agent_billing_queue is left out"; \
	else echo "Odoo is not importable: queue_job (optional) not installed"; fi

test:
	$(PYTHON) tools/run_tests.py $(TEST_ARGS)

lint:
	$(PYTHON) tools/run_tests.py --layers static

format:
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

bench:
	$(PYTHON) tools/bench.py $(BENCH_ARGS)

clean-db:
	$(PYTHON) tools/run_tests.py --clean-db

run:
	@set -e; \
	addons="$$($(PYTHON) tools/odoo_env.py addons-path)"; \
	exists="$$(psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$(DEMO_DB)'")"; \
	if [ "$$exists" != "1" ]; then \
		echo "Creating $(DEMO_DB): installing $(MODULES) with demo data"; \
		$(PYTHON) -m odoo -d $(DEMO_DB) --addons-path="$$addons" -i $(MODULES) \
			--stop-after-init --no-http || { dropdb --if-exists $(DEMO_DB); exit 1; }; \
		echo "Loading $(CLIENTS) sample clients"; \
		$(PYTHON) data/generate.py --clients $(CLIENTS) --load $(DEMO_DB) --addons-path "$$addons" \
			|| { dropdb --if-exists $(DEMO_DB); exit 1; }; \
	fi; \
	echo "Serving $(DEMO_DB) on http://127.0.0.1:$(HTTP_PORT) (login admin / admin)"; \
	exec $(PYTHON) -m odoo -d $(DEMO_DB) --addons-path="$$addons" \
		--http-interface 127.0.0.1 --http-port $(HTTP_PORT)
