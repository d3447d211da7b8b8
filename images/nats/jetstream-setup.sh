#!/bin/sh
# Creates (or brings up to date) the stream and the durable consumer from the JSON definitions the JetStream
# component rendered from typed configuration. Safe to run again.
set -eu
# The nats CLI looks up its context folder from the user; this UID has no passwd entry and /tmp is the only
# writable place.
export USER=nats HOME=/tmp XDG_CONFIG_HOME=/tmp/.config
: "${NATS_URL:?}" "${STREAM_NAME:?}" "${STREAM_CONFIG:?}" "${CONSUMER_NAME:?}" "${CONSUMER_CONFIG:?}"
printf '%s' "$STREAM_CONFIG" > /tmp/stream.json
printf '%s' "$CONSUMER_CONFIG" > /tmp/consumer.json
# With TLS the servers' certificate is verified against the testbed's CA (NATS_CA_FILE).
nats() { /usr/local/bin/nats --server "$NATS_URL" ${NATS_CA_FILE:+--tlsca "$NATS_CA_FILE"} --timeout 10s "$@"; }
# The servers may still be electing a meta leader: retry for a while.
i=0
until nats stream info "$STREAM_NAME" >/dev/null 2>&1 || nats stream add "$STREAM_NAME" --config /tmp/stream.json; do
  i=$((i + 1)); [ "$i" -lt 30 ] || { echo "stream $STREAM_NAME could not be created" >&2; exit 1; }
  sleep 1
done
nats stream edit "$STREAM_NAME" --config /tmp/stream.json --force >/dev/null
nats consumer info "$STREAM_NAME" "$CONSUMER_NAME" >/dev/null 2>&1 || nats consumer add "$STREAM_NAME" "$CONSUMER_NAME" --config /tmp/consumer.json
nats stream info "$STREAM_NAME" --json | head -c 2000
echo
echo "jetstream-setup: stream $STREAM_NAME and consumer $CONSUMER_NAME ready"
