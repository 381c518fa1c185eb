#!/usr/bin/env bash
# End-to-end: a small demo database, the real `onemap serve` on a free loopback port, and the
# Python suite (GDAL + mapbox-vector-tile decoders, HTTP errors, headless Chromium viewer test).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-test-output}
mkdir -p "$OUT"
BIN=$(swift build --show-bin-path)/onemap
[ -x "$BIN" ] || swift build --product onemap
DB="$OUT/e2e.sqlite"
# Self-service sign-in against the TEST identity provider (Tests/Fixtures/test-idp).
IDP=Tests/Fixtures/test-idp
"$BIN" demo --db "$DB" --scale 0.1 --force --identity-key "$IDP/identity.key" --identities "$OUT/identities.csv" >/dev/null 2>"$OUT/demo.log"
# ONEMAP_E2E_POSTGRES=postgresql://...: the same suite against the PostgreSQL backend, serving a
# copy of the same demo (`onemap copy`: same ids, keys, secret and audit chain).
if [ -n "${ONEMAP_E2E_POSTGRES:-}" ]; then
  "$BIN" copy --from "$DB" --to "$ONEMAP_E2E_POSTGRES" --force >"$OUT/copy.log" 2>&1 || { cat "$OUT/copy.log"; exit 1; }
  DB="$ONEMAP_E2E_POSTGRES"
fi
# The data center's key: the suite's default session acts as the administrator; access tests make
# their own departments, keys and anonymous sessions.
ADMIN_KEY=$("$BIN" dept key SMDSJ --db "$DB" --label e2e | sed -n 's/.*: \(om_[0-9a-f]*\)$/\1/p')
[ -n "$ADMIN_KEY" ] || { echo "could not issue the administrator's key"; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$OUT/tiles"; rm -f "$OUT"/tiles/*.mbtiles "$OUT"/tiles/*.pmtiles
"$BIN" serve --host 127.0.0.1 --port "$PORT" --db "$DB" --tiles "$OUT/tiles" --idp-jwks "$IDP/jwks.json" --identity-key "$IDP/identity.key" >"$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { echo "server did not start"; cat "$OUT/server.log"; exit 1; }
ONEMAP_URL="http://127.0.0.1:$PORT" ONEMAP_OUT="$OUT" ONEMAP_DB="$DB" ONEMAP_ADMIN_KEY="$ADMIN_KEY" ONEMAP_BIN="$BIN" .venv/bin/python -m pytest -q Tests/e2e "$@"
# Graceful shutdown on SIGTERM: the process must exit by itself, with status 0.
kill -TERM $PID
for _ in $(seq 1 50); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
if kill -0 $PID 2>/dev/null; then echo "server ignored SIGTERM"; exit 1; fi
wait $PID; rc=$?
trap - EXIT
[ $rc -eq 0 ] || { echo "server exited with $rc after SIGTERM"; exit 1; }
echo "[e2e] server shut down cleanly on SIGTERM"
