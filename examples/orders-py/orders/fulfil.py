"""orders-fulfil: the durable pull consumer that fulfils orders.

Each delivery runs one statement (one transaction): insert the effect into shop.fulfilments, whose primary key
is the request id (ON CONFLICT DO NOTHING: a second effect is impossible by construction), mark the order
fulfilled if this statement made the effect, and log the delivery in shop.deliveries with outcome 'effect' (this
transaction created the effect) or 'suppressed' (it existed already: a redelivery). The message is acked only
after that commit, with a double ack. PostgreSQL away: nak with a backoff, and no pulling until it is back.
NATS away: reconnect forever, and create the stream and the consumer again if the server came back empty.
Serves GET /healthz (the loop is alive), /readyz (NATS, the consumer, PostgreSQL) and /metrics on HTTP_PORT.
"""
import json
import os
import random
import threading
import time

from . import jetstream
from .config import Config, load_or_exit
from .db import Db, is_unavailable
from .log import Log
from .nats import Client, NatsError, NoRespondersError
from .protocol import Msg
from .web import Counters, Handler, Server, wait_for_signal

FULFIL = """
WITH o AS (SELECT request_id, order_id, items FROM shop.orders WHERE request_id = %(rid)s),
ins AS (
  INSERT INTO shop.fulfilments (request_id, order_id, units, worker, stream_seq)
  SELECT request_id, order_id, (SELECT coalesce(sum((i ->> 'qty')::int), 0) FROM jsonb_array_elements(items) i),
         %(worker)s, %(seq)s FROM o
  {conflict}
  RETURNING request_id),
upd AS (UPDATE shop.orders SET state = 'fulfilled', fulfilled_at = now() WHERE request_id IN (SELECT request_id FROM ins)),
log AS (
  INSERT INTO shop.deliveries (request_id, worker, stream_seq, delivered, outcome)
  SELECT request_id, %(worker)s, %(seq)s, %(delivered)s,
         CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'effect' ELSE 'suppressed' END FROM o)
SELECT EXISTS (SELECT 1 FROM o), EXISTS (SELECT 1 FROM ins)"""
CORRECT = "ON CONFLICT (request_id) DO NOTHING"
# TEST ONLY (FULFIL_FAULT=no-dedupe): the upsert that re-applies the effect on every delivery. count(*) of
# shop.fulfilments still says 1 per order; the deliveries log, and so the oracle, shows the duplicate effects.
UPSERT = "ON CONFLICT (request_id) DO UPDATE SET fulfilled_at = now(), worker = excluded.worker, stream_seq = excluded.stream_seq"

METRICS = {
    "deliveries_total": "messages received",
    "effects_total": "deliveries whose transaction created the effect",
    "suppressed_total": "redeliveries whose effect existed already",
    "naks_total": "deliveries given back (PostgreSQL away, an error)",
    "terms_total": "poison messages and messages for unknown orders, terminated",
    "ack_failures_total": "double acks without the server's confirmation",
    "consumer_setups_total": "times the stream or the consumer had to be created",
}


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    return random.uniform(base / 2, min(cap, base * 2 ** min(attempt, 10)))


class Fulfil:
    def __init__(self, cfg: Config, log: Log):
        self.cfg, self.log = cfg, log
        self.db = Db(cfg, "orders-fulfil", log)
        self.nc = Client(cfg.nats_url, f"orders-fulfil {cfg.worker_id}", log)
        self.metrics = Counters(METRICS)
        self.stopping = threading.Event()
        self.need_setup = threading.Event()
        self.need_setup.set()
        self.consumer_ready = False
        self.beat = time.monotonic()
        faults = set(filter(None, os.environ.get("FULFIL_FAULT", "").split(",")))
        if faults - {"redeliver", "no-dedupe"}:
            raise SystemExit(f"FULFIL_FAULT: unknown {sorted(faults - {'redeliver', 'no-dedupe'})}")
        self.faults = faults
        self.sql = FULFIL.format(conflict=UPSERT if "no-dedupe" in faults else CORRECT)
        self.pull = jetstream.PullSubscription(self.nc, cfg.stream, cfg.consumer)
        self.nc.on_status(self.on_nats_status)
    def on_nats_status(self, status: str) -> None:
        self.need_setup.set()  # after any reconnection: the server may have come back with an empty store
        self.consumer_ready = False
        self.pull.interrupt()

    def setup(self) -> None:
        created = jetstream.ensure_stream(self.nc, self.cfg.stream_config(), self.log)
        created |= jetstream.ensure_consumer(self.nc, self.cfg.stream, self.cfg.consumer_config(), self.log)
        if created:
            self.metrics.inc("consumer_setups_total")
        self.need_setup.clear()
        self.consumer_ready = True

    def run(self) -> None:
        failures = 0
        db_down = False
        while not self.stopping.is_set():
            self.beat = time.monotonic()
            if not self.nc.wait_connected(1.0):
                continue
            try:
                if db_down and not self.db.ping():
                    failures += 1
                    self.stopping.wait(backoff(failures))
                    continue
                db_down = False
                if self.need_setup.is_set() or self.pull.consumer_gone:
                    self.pull.consumer_gone = False
                    self.setup()
                for msg in self.pull.fetch(self.cfg.pull_batch, self.cfg.pull_expires_seconds):
                    self.beat = time.monotonic()
                    if self.stopping.is_set() or db_down:
                        jetstream.nak(self.nc, msg, None if self.stopping.is_set() else backoff(2))
                        self.metrics.inc("naks_total")
                        continue
                    db_down = not self.handle(msg)
                failures = 0
            except NoRespondersError as e:
                self.need_setup.set()
                failures += 1
                self.log.warn("fulfil: no consumer to pull from; setting it up again", error=str(e))
                self.stopping.wait(backoff(failures, 0.2, 5))
            except NatsError as e:
                failures += 1
                self.log.warn("fulfil: NATS error", error=str(e))
                self.stopping.wait(backoff(failures, 0.2, 5))
        for msg in self.pull.leftovers():
            try:
                jetstream.nak(self.nc, msg)
            except NatsError:
                break

    def handle(self, msg: Msg) -> bool:
        """Processes one delivery; False when PostgreSQL is away (the message was nak'd)."""
        meta = jetstream.ack_metadata(msg.reply)
        if meta is None:
            self.log.warn("fulfil: not a JetStream message", subject=msg.subject)
            return True
        self.metrics.inc("deliveries_total")
        try:
            body = json.loads(msg.data)
            rid = body["requestId"]
            if not isinstance(rid, str) or not rid:
                raise ValueError("requestId")
        except (ValueError, KeyError, TypeError) as e:
            jetstream.term(self.nc, msg, "unparseable order message")
            self.metrics.inc("terms_total")
            self.log.error("fulfil: poison message terminated", stream_seq=meta["stream_seq"], error=repr(e), body=msg.data[:200].decode("utf-8", "replace"))
            return True
        at = {"request_id": rid, "stream_seq": meta["stream_seq"], "delivered": meta["delivered"]}
        try:
            rows = self.db.query(self.sql, {"rid": rid, "worker": self.cfg.worker_id, "seq": meta["stream_seq"], "delivered": meta["delivered"]})
            known, effect = rows[0]
        except Exception as e:
            delay = backoff(meta["delivered"])
            jetstream.nak(self.nc, msg, delay)
            self.metrics.inc("naks_total")
            self.log.warn("fulfil: commit failed; nak", **at, error=str(e).strip()[:300], retry_in_s=round(delay, 2))
            return not is_unavailable(e)
        if not known:
            jetstream.term(self.nc, msg, "no such order")
            self.metrics.inc("terms_total")
            self.log.error("fulfil: message for an unknown order terminated", **at)
            return True
        self.metrics.inc("effects_total" if effect else "suppressed_total")
        if effect:
            self.log.debug("fulfil: fulfilled", **at)
        else:
            self.log.info("fulfil: redelivery suppressed (the effect exists)", **at)
        if "redeliver" in self.faults and meta["delivered"] == 1:
            jetstream.nak(self.nc, msg)  # TEST ONLY: as if the ack had been lost after the commit
            return True
        try:
            jetstream.ack_sync(self.nc, msg)
        except NatsError as e:  # the message comes back after ack_wait and is suppressed then
            self.metrics.inc("ack_failures_total")
            self.log.warn("fulfil: ack not confirmed", **at, error=str(e))
        return True


class FulfilHandler(Handler):
    app: Fulfil

    def get(self):
        app = self.app
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            stale = time.monotonic() - app.beat
            ok = stale < max(60.0, app.cfg.pull_expires_seconds * 4)
            return self.reply(200 if ok else 503, {"status": "ok" if ok else "stalled", "loop_idle_s": round(stale, 1)})
        if path == "/readyz":
            checks = {"nats": app.nc.is_connected, "consumer": app.consumer_ready, "postgres": app.db.ping()}
            ok = all(checks.values())
            return self.reply(200 if ok else 503, {"ready": ok, "checks": checks})
        if path == "/metrics":
            return self.reply(200, app.metrics.render({"nats_connected": int(app.nc.is_connected)}))
        self.reply(404, {"error": "not found"})


def main() -> None:
    cfg = load_or_exit("orders-fulfil")
    log = Log("orders-fulfil", cfg.log_level)
    app = Fulfil(cfg, log)
    FulfilHandler.app = app
    app.nc.start()
    server = Server(cfg.http_port, FulfilHandler, log).start()
    worker = threading.Thread(target=app.run, name="fulfil", daemon=True)
    worker.start()
    log.info("orders-fulfil: running", stream=cfg.stream, consumer=cfg.consumer, worker=cfg.worker_id,
             batch=cfg.pull_batch, faults=sorted(app.faults) or None)
    sig = wait_for_signal()
    log.info("orders-fulfil: stopping", signal=sig)
    app.stopping.set()
    app.pull.interrupt()
    worker.join(timeout=10)
    server.stop(2)
    app.nc.close()
    app.db.close()
    log.info("orders-fulfil: stopped")


if __name__ == "__main__":
    main()
