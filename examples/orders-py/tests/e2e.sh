#!/usr/bin/env bash
# End-to-end check of the orders system with plain docker: real NATS (JetStream on tmpfs) and PostgreSQL on a
# network of its own, the image built from this folder, the API published on 127.0.0.1 only, every request sent
# to 127.0.0.1. Everything it creates is named orders-e2e-* and removed on exit (a trap), even on failure.
#
#   A  1,000 orders, then 100 of them retried: 1,000 rows, 1,000 effects, every effect_count = 1
#   B  3,000 orders at 100/s (clients retry 503s with the same key) while NATS is replaced with an empty store
#      (holding a backlog: the consumers are paused) and a consumer is SIGKILLed: exactly one effect per
#      acknowledged order after the drain (the republisher brings back what the wiped store lost)
#   C  1,000 orders at 50/s, no client retries, while PostgreSQL is down 3 s: 503s, no half-written order; the
#      503'd keys retried afterwards are fulfilled once
#   D  a consumer that loses every first ack (FULFIL_FAULT=redeliver): every order redelivered, effect_count 1
#   E  the same with the effect written as an upsert (FULFIL_FAULT=no-dedupe): the oracle reports the duplicates
#
# PHASES=AC runs only those phases (and R, never by default: a paced load at RATE/s, for latency figures);
# PG_TMPFS=1 puts PostgreSQL's data on tmpfs (not with C); E2E_LOGS=DIR keeps every container's log there;
# KEEP_IMAGE=1 keeps the image.
# Needs: docker, python3, curl, the cp3 images (cp3/debian, cp3/postgres) and nats-server from the toolchain.
set -euo pipefail
PHASES=${PHASES:-ABCDE}
here=$(cd "$(dirname "$0")/.." && pwd)
P=orders-e2e
ROOT=${CP3_DEBIAN_ROOT:-$(docker images cp3/debian --format '{{.Repository}}:{{.Tag}}' | head -1)}
PG_IMAGE=${PG_IMAGE:-$(docker images cp3/postgres --format '{{.Repository}}:{{.Tag}}' | head -1)}
NATS_BIN=$(readlink -f "${NATS_SERVER:-$HOME/.cache/cp3-testbed/toolchain/bin/nats-server}")
[ -n "$ROOT" ] && [ -n "$PG_IMAGE" ] && [ -x "$NATS_BIN" ] || { echo "e2e: needs cp3/debian, cp3/postgres and nats-server (run cp3 setup)" >&2; exit 2; }
work=$(mktemp -d /tmp/orders-e2e.XXXXXX)
drive() { python3 "$here/tests/e2e_drive.py" "$@"; }
log() { printf '[e2e %4ss] %s\n' "$SECONDS" "$*"; }

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ] && [ -n "$(docker ps -aq --filter name=${P}-api)" ]; then
    for c in api fulfil-1 fulfil-2; do echo "--- last logs of $P-$c"; docker logs --tail 15 $P-$c 2>&1 || true; done
  fi
  if [ -n "${E2E_LOGS:-}" ]; then  # keep every container's log
    mkdir -p "$E2E_LOGS"
    for c in $(docker ps -a --format '{{.Names}}' | grep "^${P}-" || true); do docker logs "$c" > "$E2E_LOGS/$c.log" 2>&1 || true; done
  fi
  docker ps -a --format '{{.Names}}' | grep "^${P}-" | xargs -r docker rm -f >/dev/null || true
  docker network rm $P-net >/dev/null 2>&1 || true
  docker volume rm $P-pgdata >/dev/null 2>&1 || true
  [ -n "${KEEP_IMAGE:-}" ] || docker rmi $P-img >/dev/null 2>&1 || true
  rm -rf "$work"
  log "cleaned up (exit $rc)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The oracle exactly as the description gives it.
ORACLE=$(awk '/^    query: \|/{on=1; next} on && /^      /{print; next} on{exit}' "$here/system.yaml")
[ -n "$ORACLE" ] || { echo "e2e: no oracle query in system.yaml" >&2; exit 2; }
psql_pg() { docker exec -i $P-pg psql -X -v ON_ERROR_STOP=1 -tA -U postgres "$@"; }
oracle() { psql_pg -d orders -F '|' -c "$ORACLE" > "$work/oracle.psv"; }
check() { oracle; drive check --oracle "$work/oracle.psv" "$@"; }
sql() { psql_pg -d orders -c "$1"; }
healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = healthy ]; }
wait_for() { local what=$1 limit=$2; shift 2; local t=0; until "$@"; do t=$((t + 1)); [ $t -lt $((limit * 4)) ] || { log "timeout: $what"; return 1; }; sleep 0.25; done; }
drain() {  # every order of a prefix fulfilled
  wait_for "drain $1" "${2:-120}" sh -c "[ \"\$(docker exec $P-pg psql -X -tA -U postgres -d orders -c \"SELECT count(*) FROM shop.orders WHERE state <> 'fulfilled' AND request_id LIKE '$1-%'\")\" = 0 ]"
}
metric() { curl -fsS "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
fulfil_metric() { docker exec "$P-$1" curl -fsS http://127.0.0.1:8000/metrics | awk -v m="$2" '$1 == m {print $2}'; }

HARDEN=(--read-only --cap-drop ALL --security-opt no-new-privileges --pids-limit 256 --restart on-failure:5
        --log-opt max-size=10m --log-opt max-file=3)
start_nats() {
  docker run -d --name $P-nats --network $P-net --user 10001:10001 "${HARDEN[@]}" --memory 512m \
    --tmpfs /tmp:rw,nosuid,size=256m,uid=10001,gid=10001,mode=0700 -v "$NATS_BIN:/usr/local/bin/nats-server:ro" \
    "$ROOT" nats-server -js -sd /tmp/js -m 8222 -n $P-nats >/dev/null
  wait_for "nats" 30 sh -c "docker exec $P-nats curl -fsS 'http://127.0.0.1:8222/healthz?js-enabled-only=true' >/dev/null 2>&1"
}
svc() {  # svc NAME [docker run options] IMAGE [command]
  local name=$1; shift
  docker run -d --name "$P-$name" --network $P-net "${HARDEN[@]}" --memory 256m --tmpfs /tmp:rw,noexec,nosuid,size=16m \
    -v "$work/pg-password:/run/secrets/pg-password:ro" -e NATS_URL=nats://$P-nats:4222 -e PG_HOST=$P-pg \
    -e PG_USER=orders -e PG_DATABASE=orders -e PG_PASSWORD_FILE=/run/secrets/pg-password "$@" >/dev/null
}
consumer() { svc "fulfil-$1" -e WORKER_ID="fulfil-$1" -e ACK_WAIT_SECONDS=10 "${@:2}" $P-img python3 -m orders.fulfil; }
stream_msgs() { docker exec $P-nats curl -fsS 'http://127.0.0.1:8222/jsz?streams=true' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("messages", 0))'; }

log "building the image from $ROOT"
docker build -q --build-arg CP3_DEBIAN_ROOT="$ROOT" -t $P-img "$here" >/dev/null 2>"$work/build.log" || { cat "$work/build.log"; exit 1; }
docker network create $P-net >/dev/null
head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$work/pg-super"
head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$work/pg-password"
chmod 0444 "$work/pg-password"
# PG_TMPFS=1: the data directory on tmpfs, as in ci stacks (phase C then needs a volume: it is refused).
if [ -n "${PG_TMPFS:-}" ]; then
  [[ $PHASES != *C* ]] || { echo "e2e: phase C restarts PostgreSQL and needs its data on a volume (unset PG_TMPFS)" >&2; exit 2; }
  PG_DATA=(--tmpfs /var/lib/postgresql/data:rw,size=512m,uid=10003,gid=10003,mode=0700); pg_where=tmpfs
else
  PG_DATA=(-v $P-pgdata:/var/lib/postgresql/data); pg_where="a volume"
fi
log "starting PostgreSQL ($PG_IMAGE, data on $pg_where) and NATS (JetStream on tmpfs)"
docker run -d --name $P-pg --network $P-net "${HARDEN[@]}" --memory 512m \
  --tmpfs /run/postgresql:rw,size=8m,uid=10003,gid=10003,mode=0775 --tmpfs /tmp:rw,size=64m,uid=10003,gid=10003 \
  "${PG_DATA[@]}" -e POSTGRES_PASSWORD="$(cat "$work/pg-super")" "$PG_IMAGE" >/dev/null
start_nats
wait_for "postgres healthy" 60 healthy $P-pg
# What the testbed does from the description: the role and the database, then the migrations as that role.
psql_pg -q -c "CREATE ROLE orders LOGIN PASSWORD '$(cat "$work/pg-password")'" -c "CREATE DATABASE orders OWNER orders"
docker exec -i -e PGPASSWORD="$(cat "$work/pg-password")" $P-pg psql -X -q -v ON_ERROR_STOP=1 -1 -h 127.0.0.1 -U orders -d orders \
  < "$here/migrations/0001_orders.sql"
log "starting orders-api and two orders-fulfil (read-only root, no capabilities, uid 10010)"
svc api -p 127.0.0.1::8000 -e REPUBLISH_AFTER_SECONDS=5 $P-img
consumer 1
consumer 2
port=$(docker port $P-api 8000/tcp | awk -F: '/^127\.0\.0\.1:/ {print $2; exit}')
[ -n "$port" ] || { echo "e2e: the API port is not on 127.0.0.1" >&2; docker port $P-api; exit 1; }
wait_for "api ready" 60 curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz"
wait_for "consumers healthy" 60 sh -c "[ \"\$(docker inspect -f '{{.State.Health.Status}}' $P-fulfil-1 $P-fulfil-2 | sort -u)\" = healthy ]"
log "ready: API on 127.0.0.1:$port; $(curl -fsS "http://127.0.0.1:$port/readyz")"

log "4xx answers"
drive bad --port "$port"
drain bad 30
sql "DELETE FROM shop.deliveries WHERE request_id LIKE 'bad-%'; DELETE FROM shop.fulfilments WHERE request_id LIKE 'bad-%'; DELETE FROM shop.orders WHERE request_id LIKE 'bad-%'" >/dev/null

if [[ $PHASES == *A* ]]; then
log "A: 1,000 orders (16 clients), then 100 of them retried"
drive send --port "$port" --prefix A --count 1000 --concurrency 16 --ledger "$work/A.jsonl"
drive retry --port "$port" --ledger "$work/A.jsonl" --sample 100
drain A 60
check --ledger "$work/A.jsonl"
log "A: rows $(sql "SELECT count(*) FROM shop.orders WHERE request_id LIKE 'A-%'"), effects (fulfilments) $(sql "SELECT count(*) FROM shop.fulfilments WHERE request_id LIKE 'A-%'"), max effect_count $(awk -F'|' '$1 ~ /^A-/ {if ($2 > m) m = $2} END {print m}' "$work/oracle.psv")"
fi

if [[ $PHASES == *B* ]]; then
log "B: 3,000 orders at 100/s; consumers paused at +4 s, NATS replaced with an empty store at +8 s, fulfil-1 SIGKILLed at +16 s"
drive send --port "$port" --prefix B --count 3000 --rate 100 --concurrency 64 --retry-for 60 --ledger "$work/B.jsonl" > "$work/B.out" &
sender=$!
sleep 4
docker pause $P-fulfil-1 $P-fulfil-2 >/dev/null
sleep 4
log "B: stream holds $(stream_msgs) messages not yet consumed; removing NATS (its tmpfs store goes with it)"
docker rm -f $P-nats >/dev/null
sleep 2
start_nats
docker unpause $P-fulfil-1 $P-fulfil-2 >/dev/null
log "B: NATS is back, empty; consumers unpaused"
sleep 6
docker kill -s KILL $P-fulfil-1 >/dev/null
log "B: fulfil-1 SIGKILLed"
sleep 4
docker start $P-fulfil-1 >/dev/null
wait $sender
cat "$work/B.out"
drain B 150
check --ledger "$work/B.jsonl"
log "B: api republished $(metric orders_republished_total) (the stream dropped $(metric publish_duplicates_total) as duplicates), publish failures $(metric publish_failures_total), 503s $(metric orders_unavailable_total); fulfil-2 suppressed $(fulfil_metric fulfil-2 suppressed_total), naks $(fulfil_metric fulfil-2 naks_total), setups $(fulfil_metric fulfil-2 consumer_setups_total)"
fi

if [[ $PHASES == *C* ]]; then
log "C: 1,000 orders at 50/s without client retries; PostgreSQL stopped at +5 s (SIGTERM, SIGKILL after 1 s), started 3 s later"
drive send --port "$port" --prefix C --count 1000 --rate 50 --concurrency 32 --ledger "$work/C.jsonl" > "$work/C.out" &
sender=$!
sleep 5
docker stop -t 1 $P-pg >/dev/null
log "C: PostgreSQL stopped"
sleep 3
docker start $P-pg >/dev/null
log "C: PostgreSQL started"
wait $sender
cat "$work/C.out"
drain C 120
check --ledger "$work/C.jsonl"
log "C: orders not fulfilled anywhere: $(sql "SELECT count(*) FROM shop.orders WHERE state <> 'fulfilled'"); effects without an order: $(sql "SELECT count(*) FROM shop.fulfilments f WHERE NOT EXISTS (SELECT 1 FROM shop.orders o WHERE o.request_id = f.request_id)")"
log "C: the keys not acknowledged, sent again (with retries)"
drive send --port "$port" --prefix C --count 1000 --concurrency 16 --retry-for 30 --only-failed-from "$work/C.jsonl" --ledger "$work/C2.jsonl"
drain C 60
check --ledger "$work/C.jsonl,$work/C2.jsonl"
fi

if [[ $PHASES == *D* ]]; then
log "D: one consumer whose every first ack is lost (FULFIL_FAULT=redeliver)"
docker rm -f $P-fulfil-1 $P-fulfil-2 >/dev/null
consumer 1 -e FULFIL_FAULT=redeliver
drive send --port "$port" --prefix D --count 50 --concurrency 8 --ledger "$work/D.jsonl"
drain D 60
check --ledger "$work/D.jsonl"
fi

if [[ $PHASES == *E* ]]; then
log "E: the same, with the effect written as an upsert (FULFIL_FAULT=redeliver,no-dedupe): the oracle must see duplicates"
docker ps -a --format '{{.Names}}' | grep "^$P-fulfil-" | xargs -r docker rm -f >/dev/null
consumer 1 -e FULFIL_FAULT=redeliver,no-dedupe
drive send --port "$port" --prefix E --count 50 --concurrency 8 --ledger "$work/E.jsonl"
drain E 60
check --ledger "$work/E.jsonl" --expect-duplicates
log "E: fulfilment rows $(sql "SELECT count(*) FROM shop.fulfilments WHERE request_id LIKE 'E-%'") for 50 orders (count(f.request_id) would say 1 each), effect_count $(awk -F'|' '$1 ~ /^E-/ {print $2}' "$work/oracle.psv" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
fi

if [[ $PHASES == *R* ]]; then  # not in the default run: a paced load, for latency figures
  rate=${RATE:-300}
  log "R: $((rate * 20)) orders at $rate/s (20 s), no faults"
  (sleep 10; docker stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}' | grep "^$P-" > "$work/stats") &
  drive send --port "$port" --prefix R --count $((rate * 20)) --rate "$rate" --concurrency 64 --ledger "$work/R.jsonl"
  drain R 120
  check --ledger "$work/R.jsonl"
  log "R: CPU at +10 s: $(tr '\n' ';' < "$work/stats")"
fi

log "all: effect_count over every order but E's: $(awk -F'|' '$1 !~ /^E-/ {print $2}' "$work/oracle.psv" | sort | uniq -c | tr -s ' ' | tr '\n' ';') deliveries $(sql "SELECT count(*) FROM shop.deliveries")"
t0=$SECONDS
docker stop -t 15 $P-api $(docker ps --format '{{.Names}}' | grep "^$P-fulfil-") >/dev/null
codes=$(docker inspect -f '{{.Name}}={{.State.ExitCode}}' $P-api $(docker ps -a --format '{{.Names}}' | grep "^$P-fulfil-") | tr '\n' ' ')
log "shutdown (SIGTERM through tini) in $((SECONDS - t0)) s: exit codes $codes; api's last line: $(docker logs --tail 1 $P-api 2>&1)"
[[ "$codes" != *=[1-9]* ]] || { echo "e2e: a service did not stop cleanly" >&2; exit 1; }
log "e2e: passed"
