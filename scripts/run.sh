#!/usr/bin/env bash
# One command to run OneMap on the bundled Sanming demo: installs what is missing, builds,
# creates the demo database if absent, and serves it on http://127.0.0.1:8080/ (HOST, PORT, DB override).
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${HOST:-127.0.0.1}; PORT=${PORT:-8080}; DB=${DB:-data/onemap.sqlite}
TEST_IDP=Tests/Fixtures/test-idp
scripts/setup.sh
swift build -c release --product onemap
BIN=$(swift build -c release --show-bin-path)/onemap
if [ ! -f "$DB" ]; then
  echo "[run] creating the Sanming demo database $DB (a minute or two)"
  # Synthetic identities for trying self-service sign-in, linked under the TEST identity key.
  "$BIN" demo --db "$DB" --identity-key "$TEST_IDP/identity.key" --identities "${DB%.*}-identities.csv"
fi
echo "[run] OneMap on http://$HOST:$PORT/"
echo "[run] self-service sign-in trusts the TEST identity provider ($TEST_IDP, never for production)"
exec "$BIN" serve --host "$HOST" --port "$PORT" --db "$DB" --idp-jwks "$TEST_IDP/jwks.json" --identity-key "$TEST_IDP/identity.key"
