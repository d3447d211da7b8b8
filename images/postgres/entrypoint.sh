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
# The WAL lives beside the data: on a small data directory (ci's tmpfs) PostgreSQL's default of up to 1 GB of
# WAL between checkpoints fills it within minutes at a few thousand records per second, and the server stops.
# A quarter of the space, between 64 MB and the default (and a floor of two 16 MB segments).
space_mb=$(df -Pm "$PGDATA" | awk 'NR == 2 { print $2 }')
wal_mb=$((space_mb / 4))
[ "$wal_mb" -le 1024 ] || wal_mb=1024
[ "$wal_mb" -ge 64 ] || wal_mb=64
min_wal_mb=$((wal_mb / 4))
[ "$min_wal_mb" -ge 32 ] || min_wal_mb=32
exec postgres -D "$PGDATA" \
  -c listen_addresses='*' \
  -c unix_socket_directories=/run/postgresql \
  -c max_connections="$PG_MAX_CONNECTIONS" \
  -c shared_buffers="${PG_SHARED_BUFFERS_MB}MB" \
  -c max_wal_size="${wal_mb}MB" -c min_wal_size="${min_wal_mb}MB" \
  -c log_destination=stderr -c log_line_prefix='%m [%p] '
