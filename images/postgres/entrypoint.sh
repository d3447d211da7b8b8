#!/bin/sh
# Initialises the cluster on first start (the password comes from $POSTGRES_PASSWORD, a Pulumi secret, and is
# never baked into the image), then runs the server with the settings the component passes.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
: "${PG_MAX_CONNECTIONS:=100}" "${PG_SHARED_BUFFERS_MB:=128}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp /run/postgresql/pw.XXXXXX)
  printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
unset POSTGRES_PASSWORD
exec postgres -D "$PGDATA" \
  -c listen_addresses='*' \
  -c unix_socket_directories=/run/postgresql \
  -c max_connections="$PG_MAX_CONNECTIONS" \
  -c shared_buffers="${PG_SHARED_BUFFERS_MB}MB" \
  -c log_destination=stderr -c log_line_prefix='%m [%p] '
