#!/bin/sh
# `npm start`: install what is missing, build the web app when its sources changed, then run every service.
set -e
cd "$(dirname "$0")/.."

. scripts/node-modules.sh

if [ ! -f web/build/handler.js ] || [ -n "$(find web/src web/vite.config.ts svelte.config.js web/static -newer web/build/handler.js 2>/dev/null | head -n 1)" ]; then
  echo "Building the web app…"
  npm run build --silent
fi

exec node scripts/run-all.ts
