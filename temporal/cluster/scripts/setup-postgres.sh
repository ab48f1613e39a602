#!/bin/sh
# Runs once in temporalio/admin-tools before the server starts: creates the two PostgreSQL databases and
# brings their schemas to the version this admin-tools image ships. Safe to re-run on an existing volume.
# local.sh runs it too, with temporal-sql-tool on PATH and SCHEMA_DIR in the server it built.
set -eu
: "${POSTGRES_SEEDS:=postgresql}" "${DB_PORT:=5432}" "${POSTGRES_USER:=temporal}"
: "${SCHEMA_DIR:=/etc/temporal/schema/postgresql/v12}"
export SQL_PASSWORD="${POSTGRES_PWD:?POSTGRES_PWD is required}"

# admin-tools has nc; without it (local.sh, which starts PostgreSQL and waits for it first) there is no wait
if command -v nc >/dev/null 2>&1; then
  echo "waiting for PostgreSQL on ${POSTGRES_SEEDS}:${DB_PORT}"
  until nc -z "$POSTGRES_SEEDS" "$DB_PORT"; do sleep 1; done
fi

tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" "$@"; }
for db in temporal temporal_visibility; do
  case "$db" in
    temporal) dir="$SCHEMA_DIR/temporal/versioned" ;;
    *) dir="$SCHEMA_DIR/visibility/versioned" ;;
  esac
  tool --db "$db" create || echo "database $db: exists already"
  tool --db "$db" setup-schema -v 0.0
  tool --db "$db" update-schema -d "$dir"
done
echo "PostgreSQL schemas are up to date"
