#!/bin/sh
# Applies, to $PGDATABASE (default postgres), every migration in /migrations (NNNN_name.sql, in order) that schema_migrations does not list yet,
# each in one transaction together with its row in schema_migrations. Safe to run again.
set -eu
# The password comes from a file ($PGPASSWORD_FILE), never from a variable; libpq reads it from a password file
# of its own on the job's tmpfs, private to its user as libpq requires.
: "${PGHOST:?}" "${PGPASSWORD_FILE:?PGPASSWORD_FILE must name the password file}"
[ -r "$PGPASSWORD_FILE" ] || { echo "migrate: PGPASSWORD_FILE=$PGPASSWORD_FILE: not a readable file" >&2; exit 1; }
umask 077
printf '*:*:*:*:%s\n' "$(cat "$PGPASSWORD_FILE")" > /tmp/pgpass
export PGPASSFILE=/tmp/pgpass
export PGUSER="${PGUSER:-postgres}" PGDATABASE="${PGDATABASE:-postgres}" PGCONNECT_TIMEOUT=5
i=0
until pg_isready -q -h "$PGHOST"; do
  i=$((i + 1)); [ "$i" -lt 60 ] || { echo "migrate: $PGHOST did not answer within 60 s" >&2; exit 1; }
  sleep 1
done
# A database other than postgres is created on first use (the description names it; its services expect it).
if [ "$PGDATABASE" != postgres ] && [ -z "$(psql -d postgres -tAq -c "SELECT 1 FROM pg_database WHERE datname = '$PGDATABASE'")" ]; then
  echo "migrate: creating database $PGDATABASE"
  psql -d postgres -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$PGDATABASE\""
fi
psql -v ON_ERROR_STOP=1 -q -c "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
for file in /migrations/*.sql; do
  version=$(basename "$file" .sql)
  if [ -n "$(psql -tAq -c "SELECT 1 FROM schema_migrations WHERE version = '$version'")" ]; then
    continue
  fi
  echo "migrate: applying $version"
  { cat "$file"; printf "\nINSERT INTO schema_migrations (version) VALUES ('%s');\n" "$version"; } | psql -v ON_ERROR_STOP=1 -q -1
done
echo "migrate: schema at $(psql -tAq -c 'SELECT max(version) FROM schema_migrations')"
