#!/bin/sh
# One-shot service `db-init` of docker-compose.yaml, run on every `docker compose up` (every
# step is idempotent, so a changed password in .env is applied on the next `up`):
#   1. warehouse: the pipeline's login role, the BI group role marts_reader and the BI tool's
#      login role (granted marts_reader), see warehouse-roles.sql;
#   2. Airflow's metadata server: Metabase's own application database, see metabase-app-db.sql.
# Passwords reach psql through the environment (\getenv), never on a command line.
set -eu

fail() {
    echo "db-init: $*" >&2
    exit 1
}

for name in WAREHOUSE_HOST WAREHOUSE_DB WAREHOUSE_ADMIN_USER WAREHOUSE_USER METABASE_DB_USER \
    METADATA_HOST METADATA_USER METADATA_DB METABASE_APP_DB_USER METABASE_APP_DB_NAME; do
    eval "value=\${$name:-}"
    [ -n "$value" ] || fail "$name is not set"
done
for name in WAREHOUSE_ADMIN_PASSWORD WAREHOUSE_PASSWORD METABASE_DB_PASSWORD \
    AIRFLOW_DB_PASSWORD METABASE_APP_DB_PASSWORD; do
    eval "value=\${$name:-}"
    case "$value" in
        "" | change-me*)
            fail "$name is empty or still the placeholder of .env.example:" \
                "run 'python3 docker/make_env.py' or set it in .env"
            ;;
    esac
done
[ "$WAREHOUSE_USER" != "$METABASE_DB_USER" ] ||
    fail "WAREHOUSE_USER and METABASE_DB_USER must be different roles"

here=$(dirname "$0")

echo "db-init: warehouse roles on $WAREHOUSE_HOST/$WAREHOUSE_DB"
PGPASSWORD="$WAREHOUSE_ADMIN_PASSWORD" psql --no-psqlrc -v ON_ERROR_STOP=1 --quiet \
    --host "$WAREHOUSE_HOST" --username "$WAREHOUSE_ADMIN_USER" --dbname "$WAREHOUSE_DB" \
    --file "$here/warehouse-roles.sql"

echo "db-init: Metabase application database on $METADATA_HOST"
PGPASSWORD="$AIRFLOW_DB_PASSWORD" psql --no-psqlrc -v ON_ERROR_STOP=1 --quiet \
    --host "$METADATA_HOST" --username "$METADATA_USER" --dbname "$METADATA_DB" \
    --file "$here/metabase-app-db.sql"

echo "db-init: done"
