# xuncha developer commands. Everything runs on this machine without Docker (deploy/local);
# docker-compose.yml is the production-like path. State lives in .xuncha/ (git-ignored).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.PHONY: help up down clean status logs deps infra test test-unit bench lint fmt

VENV := .venv/bin

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

up: ## install what is missing, start PostgreSQL, Kafka, the four services, nginx + workbench, demo data (KAFKA_BROKERS=3, REPLICAS=2; METRICS=1 adds Prometheus)
	@XUNCHA_METRICS="$(METRICS)" deploy/local/up.sh

down: ## stop what make up started (data kept)
	@deploy/local/down.sh

clean: ## make down, then wipe .xuncha (the Kafka jar cache is kept)
	@deploy/local/down.sh --clean

status: ## what runs (with each supervised process's restarts)
	@deploy/local/pg.sh status || true; deploy/local/kafka.sh status || true; deploy/local/services.sh status || true; deploy/local/nginx.sh status || true

logs: ## follow .xuncha/logs/*.log
	@ls .xuncha/logs/*.log >/dev/null 2>&1 || { echo "no logs yet (make up first)"; exit 1; }
	tail -n 20 -F .xuncha/logs/*.log

deps: ## uv, .venv, PostgreSQL package, Kafka jars
	@deploy/local/up.sh --deps

infra: ## PostgreSQL + Kafka + databases + topics only (no services)
	@deploy/local/up.sh --infra

test: ## PostgreSQL + Kafka, the workbench's Vitest tests, then pytest over tests/ (unit, integration, e2e); PYTEST_ARGS=...
	@deploy/local/test.sh $(PYTEST_ARGS)

test-unit: deps ## unit tests only (no infrastructure)
	$(VENV)/pytest -m unit $(PYTEST_ARGS)

bench: infra ## benchmarks (bench/), results in bench/results
	@deploy/local/wrk.sh install
	$(VENV)/python -m bench $(BENCH_ARGS)

lint: deps ## ruff check, ruff format --check, mypy, import boundaries (lint-imports)
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports

fmt: deps ## ruff format + ruff check --fix
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .
