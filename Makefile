# The two commands of the README. Each installs what it needs first (scripts/bootstrap-env).
.PHONY: run test lint env

env:
	@scripts/bootstrap-env

run: env
	.venv/bin/polyshop serve

lint: env
	.venv/bin/ruff check polyshop tests benchmarks
	.venv/bin/ruff format --check polyshop tests benchmarks
	.venv/bin/mypy
	.venv/bin/lint-imports

test: lint
	.venv/bin/pytest
