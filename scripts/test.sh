#!/usr/bin/env bash
# One command to run every test: installs what is missing, builds, runs the Swift test suites,
# then the end-to-end suite (real server on a loopback port, independent MVT decoders, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
echo "[test] swift build (debug, with tests)"
swift build --build-tests
echo "[test] PostgreSQL: a private cluster for the second backend's tests"
export ONEMAP_TEST_POSTGRES_URL=$(scripts/pg_cluster.sh start)
trap 'scripts/pg_cluster.sh stop' EXIT
echo "[test] swift test (SpatiaLite and $ONEMAP_TEST_POSTGRES_URL)"
swift test --skip-build
echo "[test] end-to-end (SpatiaLite)"
Tests/e2e/run.sh
echo "[test] end-to-end (PostgreSQL: the same demo copied into the cluster)"
ONEMAP_E2E_POSTGRES=$(ONEMAP_PG_DB=onemap_e2e scripts/pg_cluster.sh start) OUT=test-output/pg-e2e Tests/e2e/run.sh
echo "[test] all passed"
