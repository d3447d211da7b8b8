#!/bin/sh
# Initialises the cluster on first start, then runs the server with the settings the component passes. The
# password is a file ($POSTGRES_PASSWORD_FILE, readable only by the server's user), never a variable and never
# baked into the image.
set -eu
: "${POSTGRES_PASSWORD_FILE:?POSTGRES_PASSWORD_FILE must name the password file}"
[ -r "$POSTGRES_PASSWORD_FILE" ] || { echo "postgres-entrypoint: POSTGRES_PASSWORD_FILE=$POSTGRES_PASSWORD_FILE: not a readable file" >&2; exit 1; }
: "${PG_MAX_CONNECTIONS:=100}" "${PG_SHARED_BUFFERS_MB:=128}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 --pwfile="$POSTGRES_PASSWORD_FILE" --encoding=UTF8 --locale=C.UTF-8 >/dev/null
fi
# TCP clients from the networks: over TLS only (hostssl) when the component gives a certificate. The line is
# written at every start, so a data directory on a volume follows the setting.
if [ -n "${PG_TLS_CERT_FILE:-}" ]; then
  hba_line="hostssl all all 0.0.0.0/0 scram-sha-256 # cp3"
  key_file="${PG_TLS_KEY_FILE:?PG_TLS_KEY_FILE must name the key file}"
  # PostgreSQL refuses a key that others may read or that belongs to someone else: Compose bind-mounts its
  # secret files as they are on the host. Such a key is copied to a file of the server's own, mode 0600, on tmpfs.
  if [ ! -O "$key_file" ] || [ -n "$(find "$key_file" -perm /077)" ]; then
    (umask 077 && cat "$key_file" > /tmp/tls-server-key)
    key_file=/tmp/tls-server-key
  fi
  set -- -c ssl=on -c ssl_cert_file="$PG_TLS_CERT_FILE" -c ssl_key_file="$key_file" -c ssl_min_protocol_version=TLSv1.2
else
  hba_line="host all all 0.0.0.0/0 scram-sha-256 # cp3"
  set --
fi
grep -v -e ' # cp3$' -e '^host all all 0.0.0.0/0 scram-sha-256$' "$PGDATA/pg_hba.conf" > /tmp/pg_hba.conf || true
echo "$hba_line" >> /tmp/pg_hba.conf
cat /tmp/pg_hba.conf > "$PGDATA/pg_hba.conf"
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
  -c log_destination=stderr -c log_line_prefix='%m [%p] ' "$@"
