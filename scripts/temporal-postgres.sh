#!/usr/bin/env bash
# The production Temporal topology of docker-compose.yml without Docker: a Temporal server backed by
# Postgres (persistence and SQL visibility), set up with compose's own scripts and facts:
#   - version: the temporalio/server image tag docker-compose.yml defaults to, built from the same
#     Go module (go.temporal.io/server) into tools/temporal-server/<version>/, once;
#   - schemas: deploy/temporal/setup-schema.sh, the temporal-admin-tools job's script, with the
#     module's schema/postgresql/v12;
#   - server config: the module's config/docker.yaml, the template the server image renders, with the
#     environment compose gives it (deploy/temporal/postgres.env, deploy/temporal/dynamicconfig.yaml);
#   - namespace and search attributes: deploy/temporal/create-namespace.sh, compose's job's script.
#
# Usage: scripts/temporal-postgres.sh [build | setup | start | namespace | up]
#   build      build the server and temporal-sql-tool when missing (npm test's pretest runs this)
#   setup      create the two databases and bring their schemas up to date (safe to repeat)
#   start      run the server in the foreground (exec: the pid is the server's)
#   namespace  create the namespace and register the search attributes (the server must be up)
#   up         all of the above, then wait on the server (the default); Ctrl-C stops it
# Then point the service at it: TEMPORAL_ADDRESS=127.0.0.1:7233 npm start (or ocr api / ocr worker).
#
# Where Postgres is: TEMPORAL_DB_HOST (127.0.0.1), TEMPORAL_DB_PORT (5432), TEMPORAL_DB_USER
# (postgres), TEMPORAL_DB_PASSWORD (empty); DBNAME and VISIBILITY_DBNAME override postgres.env's.
# The server template's own variables pass through: FRONTEND_GRPC_PORT (7233), FRONTEND_HTTP_PORT,
# the other services' *_GRPC_PORT and *_MEMBERSHIP_PORT, LOG_LEVEL, NUM_HISTORY_SHARDS (4)...
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# The default of ${NAME:-default} in docker-compose.yml: compose's version is the one built and tested.
compose_default() {
  local value
  value=$(sed -n "s/.*\${$1:-\([^}]*\)}.*/\1/p" docker-compose.yml | head -1)
  [ -n "$value" ] || { echo "no default for \${$1} in docker-compose.yml" >&2; exit 1; }
  echo "$value"
}
VERSION=v$(compose_default TEMPORAL_VERSION)
DIR="$ROOT/tools/temporal-server/$VERSION"
MODULE=go.temporal.io/server

build() {
  [ -x "$DIR/bin/temporal-server" ] && [ -x "$DIR/bin/temporal-sql-tool" ] && return 0
  local go
  go=$(command -v go || true)
  [ -z "$go" ] && [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go
  if [ -z "$go" ]; then
    echo "Go (1.24 or newer, https://go.dev/doc/install) is needed to build the Temporal server $VERSION" >&2
    exit 1
  fi
  echo "Building the Temporal server $VERSION and temporal-sql-tool into tools/temporal-server (first run only)..." >&2
  local gobin
  gobin=$(mktemp -d)
  GOBIN="$gobin" GOFLAGS=-buildvcs=false "$go" install "$MODULE/cmd/server@$VERSION" "$MODULE/cmd/tools/sql@$VERSION"
  # The module's config template and schemas, so that running needs neither Go nor its module cache.
  local source
  source=$(GOFLAGS=-mod=mod "$go" list -m -f '{{.Dir}}' "$MODULE@$VERSION")
  mkdir -p "$DIR/bin" "$DIR/config" "$DIR/schema"
  cp "$source/config/docker.yaml" "$DIR/config/"
  cp -R "$source/schema/postgresql" "$DIR/schema/"
  chmod -R u+w "$DIR" # the module cache is read-only
  mv "$gobin/server" "$DIR/bin/temporal-server"
  mv "$gobin/sql" "$DIR/bin/temporal-sql-tool"
  rm -rf "$gobin"
  "$DIR/bin/temporal-server" --version >&2
}

# What compose's temporal services get: postgres.env, then where this machine's Postgres is.
set -a
# shellcheck source=../deploy/temporal/postgres.env
. <(grep -v '^#' deploy/temporal/postgres.env | sed 's/^\([A-Z_]*\)=\(.*\)$/\1=${\1:-\2}/')
POSTGRES_SEEDS=${TEMPORAL_DB_HOST:-127.0.0.1}
DB_PORT=${TEMPORAL_DB_PORT:-5432}
POSTGRES_USER=${TEMPORAL_DB_USER:-postgres}
POSTGRES_PWD=${TEMPORAL_DB_PASSWORD:-}
SQL_PASSWORD=$POSTGRES_PWD
LOG_LEVEL=${LOG_LEVEL:-warn}
DYNAMIC_CONFIG_FILE_PATH="$ROOT/deploy/temporal/dynamicconfig.yaml"
BIND_ON_IP=${BIND_ON_IP:-127.0.0.1}
SCHEMA_DIR="$DIR/schema/postgresql/v12"
TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:${FRONTEND_GRPC_PORT:-7233}}
PATH="$DIR/bin:$ROOT/tools/bin:$PATH"
set +a

setup() { sh deploy/temporal/setup-schema.sh; }
start() { exec temporal-server --root "$DIR" --config config --env docker --allow-no-auth start; }
namespace() {
  command -v temporal >/dev/null || bash scripts/ensure-temporal.sh
  sh deploy/temporal/create-namespace.sh
}

case "${1:-up}" in
  build) build ;;
  setup) build && setup ;;
  start) build && start ;;
  namespace) namespace ;;
  up)
    build
    setup
    start &
    server=$!
    trap 'kill "$server" 2>/dev/null || true' INT TERM EXIT
    namespace
    echo "Temporal $VERSION on Postgres serves at $TEMPORAL_ADDRESS (databases $DBNAME and $VISIBILITY_DBNAME)"
    wait "$server"
    ;;
  *) sed -n '/^# Usage/,/^# Then/p' "$0" >&2; exit 2 ;;
esac
