#!/bin/sh
# One-shot job in the temporalio/admin-tools image (`temporal-admin-tools` in docker-compose.yml, and
# scripts/temporal-postgres.sh without Docker):
# creates Temporal's two databases in the shared Postgres and brings their schemas up to the version
# this image ships. Runs at every `docker compose up` and is safe to repeat: `create` skips a database
# that exists, `setup-schema -v 0.0` skips one that already has a schema version, and `update-schema`
# applies only newer versions, so upgrading the Temporal images migrates before the new server starts.
set -eu
# temporal-sql-tool reads SQL_PASSWORD (empty with trust authentication).
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD?}"

# Where the admin-tools image keeps the schemas; scripts/temporal-postgres.sh, which runs this same
# script on a machine without Docker, points it at those of the Go module it built the server from.
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}
sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"
}

for store in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db=${store%%:*}
  schema=${store#*:}
  echo "Temporal $schema store: database $db"
  sql --db "$db" create
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$SCHEMA_DIR/$schema/versioned"
done
echo "Temporal schemas are up to date"
