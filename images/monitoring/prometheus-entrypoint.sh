#!/bin/sh
# Writes the configuration and the rules handed over in the environment (the component renders them) to the
# tmpfs, checks them with promtool, and runs Prometheus on its tmpfs store.
set -eu
conf=/run/prometheus
printf '%s\n' "${PROMETHEUS_CONFIG:?PROMETHEUS_CONFIG is empty: the Prometheus component renders it}" > "$conf/prometheus.yml"
printf '%s\n' "${PROMETHEUS_RULES:-groups: []}" > "$conf/rules.yml"
promtool check config "$conf/prometheus.yml" >&2
exec prometheus \
  --config.file="$conf/prometheus.yml" \
  --storage.tsdb.path=/prometheus \
  --storage.tsdb.retention.time="${PROMETHEUS_RETENTION:-1d}" \
  --web.listen-address=0.0.0.0:9090
