# Sourced by start.sh and bench.sh: build the web app when it was never built or its sources changed since.
if [ ! -f web/build/handler.js ] || [ -n "$(find web/src web/vite.config.ts svelte.config.js web/static -newer web/build/handler.js 2>/dev/null | head -n 1)" ]; then
  echo "Building the web app…"
  npm run build --silent
fi
