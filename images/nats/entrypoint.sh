#!/bin/sh
# The server's configuration arrives in $NATS_CONFIG (rendered by the Nats component from typed arguments)
# and is written to a tmpfs, because the root filesystem is read-only.
set -eu
: "${NATS_CONFIG:?NATS_CONFIG must hold the nats-server configuration}"
printf '%s\n' "$NATS_CONFIG" > /run/nats/nats.conf
exec /usr/local/bin/nats-server -c /run/nats/nats.conf
