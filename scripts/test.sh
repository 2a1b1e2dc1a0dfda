#!/usr/bin/env bash
# Set everything up, start a throwaway PostgreSQL server, lint, type-check and run all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/browser.sh  # Chromium for the dashboard's browser tests (skipped when none can be installed)
. .venv/bin/activate
PG_URL=$(./scripts/postgres.sh | tail -n 1)
export ALIGNLOOP_TEST_PG_URL="$PG_URL"
# Tests share one cache for the dequantized default model and guard artifacts (slow to build).
export ALIGNLOOP_TEST_CACHE="${ALIGNLOOP_TEST_CACHE:-$PWD/.cache/test}"
ruff check .
mypy
python -m pytest -p no:cacheprovider "$@"
