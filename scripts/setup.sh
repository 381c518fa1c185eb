#!/usr/bin/env bash
# Installs what OneMap needs on Debian 12 (idempotent) and MapLibre GL JS from the PyPI wheel
# `maplibre` into .vendor/ (never committed; government intranets have no CDN).
#   scripts/setup.sh        what running needs: C libraries (cairo for maps and reports, libpq for
#                           PostgreSQL), Noto CJK fonts, curl, unzip, python3-venv
#   scripts/setup.sh test   also the test tools: GDAL, Chromium + driver, wrk, poppler (pdftotext,
#                           pdftoppm), LibreOffice Calc (headless), PostgreSQL 15 + PostGIS 3, QGIS 3.22 (headless PyQGIS,
#                           Debian's python3), and a venv with the independent MVT
#                           decoder, Selenium and pytest
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-run}

APT_PACKAGES=(pkg-config libsqlite3-dev libspatialite-dev libgeos-dev libproj-dev libssl-dev zlib1g-dev libcairo2-dev libpq-dev
              fonts-noto-cjk curl unzip python3-venv)
if [ "$MODE" = test ]; then
  # PostgreSQL + PostGIS: the second backend's tests run on a private cluster (scripts/pg_cluster.sh);
  # nginx: the replica tests run two servers behind it (deploy/loopback.sh).
  APT_PACKAGES+=(sqlite3 gdal-bin chromium chromium-driver wrk poppler-utils libreoffice-calc-nogui
                 postgresql-15 postgresql-15-postgis-3 postgresql-contrib nginx-light
                 qgis python3-qgis)
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

command -v swift >/dev/null || { echo "[setup] swift is not on PATH (Swift 6.1 or newer is required)" >&2; exit 1; }

# Python: pip fetches MapLibre; in test mode, the test tools too.
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
if [ "$MODE" = test ] && ! "$VENV/bin/python" -c "import mapbox_vector_tile, selenium, requests, pytest, owslib, openapi_spec_validator, pmtiles, schemathesis, psycopg, jwt, cryptography" 2>/dev/null; then
  echo "[setup] installing Python test tools into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-test.txt
fi

# MapLibre GL JS for the offline viewer.
if [ ! -s .vendor/maplibre-gl.js ] || [ ! -s .vendor/maplibre-gl.css ]; then
  echo "[setup] fetching maplibre-gl.js/.css from the PyPI wheel 'maplibre'"
  tmp=$(mktemp -d)
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps "maplibre==0.3.6" -d "$tmp"
  mkdir -p .vendor
  unzip -q -o -j "$tmp"/maplibre-*.whl 'maplibre/srcjs/maplibre-gl.js' 'maplibre/srcjs/maplibre-gl.css' -d .vendor
  rm -rf "$tmp"
fi
echo "[setup] ok"
