#!/bin/sh
# Validates docker-compose.yml without a Docker engine, with Debian's docker-compose (1.29), which
# resolves and checks the file against the Compose schema without talking to an engine.
#
#   sh scripts/check-compose.sh
#
# Checks, failing on the first problem:
#   1. the file is valid with dummy values for the required secrets (`docker-compose config -q`);
#   2. each required secret really is required: leaving it out fails with its message;
#   3. every ./deploy file or folder the services mount exists, and the configs there parse
#      (YAML, the dashboard JSON, the MinIO init script).
set -eu

cd "$(dirname "$0")/.."

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "docker-compose not found: installing Debian's docker-compose" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update
  $sudo apt-get install -y docker-compose
fi

REQUIRED_SECRETS="POSTGRES_PASSWORD MINIO_ROOT_PASSWORD S3_SECRET_KEY GRAFANA_ADMIN_PASSWORD"

# An empty env file, so a developer's own .env cannot hide a missing default or a missing secret.
empty_env=$(mktemp)
resolved=$(mktemp)
trap 'rm -f "$empty_env" "$resolved"' EXIT

compose() {
  docker-compose --env-file "$empty_env" -f docker-compose.yml "$@"
}

# Unset everything the file reads, then give the required secrets dummy values (never real ones).
for var in $REQUIRED_SECRETS DOMAIN; do unset "$var"; done
for var in $REQUIRED_SECRETS; do export "$var=check-compose-dummy"; done

echo "1. docker-compose config (docker-compose $(docker-compose version --short))"
compose config -q
compose config > "$resolved"
echo "   ok"

echo "2. required secrets"
for var in $REQUIRED_SECRETS; do
  if out=$(env -u "$var" docker-compose --env-file "$empty_env" -f docker-compose.yml config -q 2>&1); then
    echo "   FAIL: the file is valid without $var; it must be required with \${$var:?message}" >&2
    exit 1
  fi
  case "$out" in
    *"$var"*) echo "   ok: $var is required" ;;
    *) echo "   FAIL: without $var docker-compose failed for another reason:" >&2; echo "$out" >&2; exit 1 ;;
  esac
done

echo "3. mounted files and configs"
python3 - "$resolved" <<'PY'
import json, os, subprocess, sys
import yaml  # python3-yaml, a dependency of docker-compose

with open(sys.argv[1]) as f:
    config = yaml.safe_load(f)
root = os.getcwd()
deploy = os.path.join(root, "deploy") + os.sep
problems = []

for name, service in config["services"].items():
    for volume in service.get("volumes", []):
        source = volume.get("source", "") if isinstance(volume, dict) else volume.split(":")[0]
        if source.startswith(deploy) and not os.path.exists(source):
            problems.append(f"{name}: mounts {os.path.relpath(source, root)}, which does not exist")
    build = service.get("build")
    if isinstance(build, dict):
        dockerfile = os.path.join(build["context"], build.get("dockerfile", "Dockerfile"))
        if not os.path.isfile(dockerfile):
            problems.append(f"{name}: no Dockerfile at {os.path.relpath(dockerfile, root)}")

for dirpath, _, files in os.walk("deploy"):
    for file in files:
        path = os.path.join(dirpath, file)
        try:
            if file.endswith((".yml", ".yaml")):
                with open(path) as f:
                    yaml.safe_load(f)
            elif file.endswith(".json"):
                with open(path) as f:
                    json.load(f)
            elif file.endswith(".sh"):
                subprocess.run(["sh", "-n", path], check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as error:
            problems.append(f"{path}: {error.stderr.strip()}")
        except Exception as error:
            problems.append(f"{path}: {error}")

for problem in problems:
    print(f"   FAIL: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print("   ok")
PY

echo "docker-compose.yml is valid"
