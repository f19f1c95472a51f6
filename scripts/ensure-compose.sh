#!/usr/bin/env bash
# Makes Docker Compose v2 available to check docker-compose.yml (CI runs `docker compose config`; no
# Docker engine is needed for that). Uses `docker compose` when it works, else tools/bin/docker-compose,
# else builds the pinned version from source with Go into tools/bin (git-ignored), also linked as a CLI
# plugin under tools/docker so that `DOCKER_CONFIG=$PWD/tools/docker docker compose` works.
# With arguments it then runs Compose with them: `bash scripts/ensure-compose.sh config --quiet`.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v2.40.3
MODULE=github.com/docker/compose/v2
BIN="$PWD/tools/bin/docker-compose"

compose() {
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  else
    "$BIN" "$@"
  fi
}

if ! { command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; } && [ ! -x "$BIN" ]; then
  GO=$(command -v go || true)
  [ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
  if [ -z "$GO" ]; then
    cat >&2 <<MSG
Docker Compose v2 is needed to check docker-compose.yml, and neither it nor Go was found.
Install Docker with the Compose plugin (https://docs.docker.com/compose/install/), or Go 1.24 or
newer (https://go.dev/doc/install) and run this again to build Compose $VERSION into tools/bin.
MSG
    exit 1
  fi
  echo "Building Docker Compose $VERSION into tools/bin (first run only; takes about 10 minutes)..." >&2
  # Not `go install $MODULE/cmd@$VERSION`: Compose's go.mod has exclude directives, which go install
  # refuses. Building inside a copy of the module honours them.
  src=$("$GO" mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { echo "go mod download $MODULE@$VERSION failed" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'chmod -R u+w "$work" && rm -rf "$work"' EXIT
  cp -R "$src/." "$work"
  chmod -R u+w "$work"
  mkdir -p tools/bin
  (cd "$work" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$GO" build -trimpath \
    -ldflags "-s -w -X $MODULE/internal.Version=$VERSION" -o "$BIN.part" ./cmd)
  mv "$BIN.part" "$BIN"
  mkdir -p tools/docker/cli-plugins
  ln -sf ../../bin/docker-compose tools/docker/cli-plugins/docker-compose
  "$BIN" version >&2
fi

if [ $# -gt 0 ]; then compose "$@"; fi
