#!/bin/sh
# `npm test`: every check CI runs, fastest first: lint, types, unit and integration tests, then the
# browser tests against the built app; ends with one line counting every test that ran.
set -e
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
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
