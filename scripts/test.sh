#!/bin/sh
# `npm test`: every check CI runs, fastest first: lint, types, unit and integration tests, then the
# browser tests against the built app.
set -e
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

echo "== lint"
eslint .
echo "== type check"
npm run typecheck --silent
echo "== unit and integration tests (Postgres, Redis)"
vitest run
echo "== build"
npm run build --silent
echo "== end-to-end tests (Chromium)"
playwright test
