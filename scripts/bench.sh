#!/bin/sh
# `npm run bench`: the reader part serves the built web app, so build it first when it is missing or stale.
set -e
cd "$(dirname "$0")/.."

. scripts/node-modules.sh
. scripts/build-web.sh

exec node bench/run.ts "$@"
