# The commands README.md names. Each one installs what it needs first.
.PHONY: run test lint format bench compose-check

run:        ## install, migrate, load demo data, serve on http://127.0.0.1:8000
	@bash scripts/run.sh

test:       ## start services if needed, lint, run the whole suite on PostgreSQL, then on SQLite
	@bash scripts/test.sh

lint:
	@bash scripts/bootstrap.sh && .venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	@bash scripts/bootstrap.sh && .venv/bin/ruff format . && .venv/bin/ruff check --fix .

bench:      ## the benchmarks under bench/
	@bash scripts/bootstrap.sh && .venv/bin/python -m bench.bench_quote
	@bash scripts/services.sh postgres redis && .venv/bin/python -m bench.bench_month_end --sizes 10000 100000 --largest-repeats 1
	@.venv/bin/python -m bench.bench_web

compose-check:
	@bash scripts/services.sh compose
