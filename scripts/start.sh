#!/bin/sh
# `npm start`: install what is missing, build the web app when its sources changed, then run every service.
set -e
cd "$(dirname "$0")/.."

. scripts/node-modules.sh
. scripts/build-web.sh

exec node scripts/run-all.ts
