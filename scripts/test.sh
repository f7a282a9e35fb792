#!/bin/sh
# `npm test`: every check CI runs, fastest first: lint, types, unit and integration tests, then the
# browser tests against the built app; ends with one line counting every test that ran.
set -e
cd "$(dirname "$0")/.."
. scripts/node-modules.sh

# What the tests take from the machine besides the running Postgres and Redis: Debian's Chromium for the
# browser tests, clamd for upload scanning, and the redis-server and Postgres programs with which the fault
# tests start servers of their own. Installed when missing (as root, with apt-get), or named for whoever can.
missing=""
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing="$missing chromium"
[ -x /usr/sbin/clamd ] || missing="$missing clamav-daemon"
command -v redis-server >/dev/null || missing="$missing redis-server"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing what the tests need:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "The tests need Debian packages that are missing:$missing" >&2
    echo "Install them (sudo apt-get install$missing), or run npm test as root to have them installed." >&2
    exit 1
  fi
fi

results=$(mktemp -d)

echo "== lint"
eslint .
echo "== type check"
npm run typecheck --silent
echo "== unit and integration tests (Postgres, Redis)"
vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json"
echo "== build"
npm run build --silent
echo "== end-to-end tests (Chromium)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$results/playwright.json" playwright test --reporter=list,json

node scripts/test-summary.ts "$results/vitest.json" "$results/playwright.json"
rm -rf "$results"
