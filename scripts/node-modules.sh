# Sourced by start.sh and test.sh: install the dependencies when missing or older than the lock file, and
# put node_modules/.bin first. npm runs those scripts with the machine's Node; the project's Node 24
# (the `node` package) arrives with the install.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi
export PATH="$PWD/node_modules/.bin:$PATH"
