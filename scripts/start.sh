#!/bin/sh
# `npm start`: install what is missing, build the web app when its sources changed, then run every service.
set -e
cd "$(dirname "$0")/.."

# npm runs this script with the machine's Node; the project's Node 24 arrives with the install.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi
export PATH="$PWD/node_modules/.bin:$PATH"

if [ ! -f web/build/handler.js ] || [ -n "$(find web/src web/vite.config.ts svelte.config.js web/static -newer web/build/handler.js 2>/dev/null | head -n 1)" ]; then
  echo "Building the web app…"
  npm run build --silent
fi

exec node scripts/run-all.ts
