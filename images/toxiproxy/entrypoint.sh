#!/bin/sh
# The proxies arrive in $TOXIPROXY_CONFIG (rendered by the Toxiproxy component) and are written to a tmpfs.
set -eu
: "${TOXIPROXY_CONFIG:?TOXIPROXY_CONFIG must hold the proxies as JSON}"
printf '%s\n' "$TOXIPROXY_CONFIG" > /run/toxiproxy/proxies.json
exec /usr/local/bin/toxiproxy-server -host 0.0.0.0 -port 8474 -config /run/toxiproxy/proxies.json
