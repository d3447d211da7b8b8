"""orders-api: PUT /api/orders/{orderId} with X-Request-Id (the idempotency key).

An order is first committed in shop.orders (keyed by the request id, state 'accepted'), then published to
JetStream with Nats-Msg-Id = request id, and answered 201 only once the PubAck is in (the row is marked
'published' afterwards, in batches). NATS away: 503, and the row stays 'accepted'; the republisher (a thread here) publishes every order not yet fulfilled whose last
publish attempt is older than REPUBLISH_AFTER_SECONDS, which also brings back orders whose JetStream copy was
wiped with a NATS server's tmpfs store. A retry with the same X-Request-Id gets the same answer.
Also: GET /api/orders/{orderId}, GET /healthz (process up), GET /readyz (PostgreSQL, NATS, the stream), GET /metrics.
"""
import json
import queue
import socket
import threading

from . import jetstream, validate
from .config import Config, load_or_exit
from .db import Db, Json, is_unavailable
from .log import Log
from .nats import Client, NatsError, NoRespondersError
from .web import Counters, Handler, Server, wait_for_signal

# One statement: insert, or (the key exists) read what is stored. Empty when a concurrent insert of the same key
# committed after this statement's snapshot, or when the order id belongs to another request id.
PLACE = """
WITH ins AS (
  INSERT INTO shop.orders (request_id, order_id, customer, items, note, body_hash)
  VALUES (%(rid)s, %(oid)s, %(customer)s, %(items)s, %(note)s, %(hash)s)
  ON CONFLICT DO NOTHING
  RETURNING order_id, body_hash, state)
SELECT order_id, body_hash, state, true FROM ins
UNION ALL
SELECT order_id, body_hash, state, false FROM shop.orders WHERE request_id = %(rid)s AND NOT EXISTS (SELECT 1 FROM ins)"""
READ = "SELECT order_id, body_hash, state, false FROM shop.orders WHERE request_id = %s"
MARK_PUBLISHED = """UPDATE shop.orders SET state = 'published', published_at = now()
                     WHERE request_id = ANY(%s) AND state = 'accepted'"""
# Claims (for this replica) orders not yet fulfilled whose last publish attempt is older than the threshold.
CLAIM = """
UPDATE shop.orders o SET publish_attempted_at = now(), publish_attempts = o.publish_attempts + 1
 WHERE o.request_id IN (
   SELECT request_id FROM shop.orders
    WHERE state <> 'fulfilled' AND publish_attempted_at < now() - make_interval(secs => %(after)s)
    ORDER BY publish_attempted_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING o.request_id, o.order_id, o.customer, o.items, o.note"""
GET = "SELECT request_id, order_id, state, customer, items, note, created_at, fulfilled_at FROM shop.orders WHERE order_id = %s"

METRICS = {
    "orders_accepted_total": "orders stored for the first time",
    "orders_replayed_total": "retries answered from what was stored",
    "orders_rejected_total": "requests answered 4xx",
    "orders_unavailable_total": "requests answered 503",
    "orders_published_total": "PubAcks received on the request path",
    "orders_republished_total": "PubAcks received by the republisher",
    "publish_duplicates_total": "PubAcks that said the stream had this Nats-Msg-Id already",
    "publish_failures_total": "publishes without a PubAck",
}


class App:
    def __init__(self, cfg: Config, log: Log):
        self.cfg, self.log = cfg, log
        self.db = Db(cfg, "orders-api", log)
        self.nc = Client(cfg.nats_url, f"orders-api {socket.gethostname()}", log)
        self.metrics = Counters(METRICS)
        self.stopping = threading.Event()
        self.to_mark: queue.Queue = queue.Queue()

    def publish(self, order_id: str, rid: str, order: dict) -> dict:
        data = json.dumps({"requestId": rid, "orderId": order_id, **order}, separators=(",", ":")).encode()
        try:
            ack = jetstream.publish(self.nc, self.cfg.subject, data, rid, self.cfg.publish_timeout_seconds)
        except NoRespondersError:  # the stream is gone (a NATS server back with an empty store): create it, once
            jetstream.ensure_stream(self.nc, self.cfg.stream_config(), self.log)
            ack = jetstream.publish(self.nc, self.cfg.subject, data, rid, self.cfg.publish_timeout_seconds)
        if ack.get("duplicate"):
            self.metrics.inc("publish_duplicates_total")
        return ack

    def place(self, order_id: str, rid: str, order: dict) -> tuple[int, dict, dict]:
        h = validate.order_hash(order_id, order)
        params = {"rid": rid, "oid": order_id, "customer": order["customer"], "items": Json(order["items"]),
                  "note": order["note"], "hash": h}
        try:
            rows = self.db.query(PLACE, params) or self.db.query(READ, (rid,))
        except Exception as e:
            if not is_unavailable(e):
                raise
            self.metrics.inc("orders_unavailable_total")
            self.log.warn("place: PostgreSQL unavailable", request_id=rid, error=str(e).strip()[:300])
            return 503, {"error": "database unavailable; nothing was stored, retry"}, {"Retry-After": "1"}
        if not rows:
            self.metrics.inc("orders_rejected_total")
            return 409, {"error": "orderId was already placed with another X-Request-Id", "orderId": order_id}, {}
        stored_oid, stored_hash, state, created = rows[0]
        if stored_hash != h:
            self.metrics.inc("orders_rejected_total")
            return 409, {"error": "X-Request-Id was already used for a different order", "requestId": rid}, {}
        answer = {"orderId": order_id, "requestId": rid}
        loc = {"Location": f"/api/orders/{order_id}"}
        self.metrics.inc("orders_accepted_total" if created else "orders_replayed_total")
        if state != "accepted":  # JetStream has it already: the same answer as the first time
            return 201, answer, loc
        try:
            self.publish(order_id, rid, order)
        except NatsError as e:
            self.metrics.inc("publish_failures_total")
            self.metrics.inc("orders_unavailable_total")
            self.log.warn("place: publish failed; the order is stored and will be republished", request_id=rid, error=str(e))
            return 503, {"error": "message broker unavailable; the order is stored and will be published", **answer}, {"Retry-After": "2"}
        self.metrics.inc("orders_published_total")
        self.to_mark.put(rid)  # marked 'published' in a batch, after the answer
        return 201, answer, loc

    def mark_loop(self) -> None:
        """Marks published orders in batches: one commit for many orders instead of one each. What is not marked
        (PostgreSQL away, a crash) stays 'accepted' and is published again by the republisher: harmless."""
        while not (self.stopping.is_set() and self.to_mark.empty()):
            try:
                batch = [self.to_mark.get(timeout=0.5)]
            except queue.Empty:
                continue
            while len(batch) < 1000:
                try:
                    batch.append(self.to_mark.get_nowait())
                except queue.Empty:
                    break
            try:
                self.db.query(MARK_PUBLISHED, (batch,))
            except Exception as e:
                self.log.warn("mark: could not mark orders published", orders=len(batch), error=str(e).strip()[:300])

    def republish_loop(self) -> None:
        every = min(5.0, max(1.0, self.cfg.republish_after_seconds / 3))
        while not self.stopping.wait(every):
            if not self.nc.is_connected:
                continue
            try:
                rows = self.db.query(CLAIM, {"after": self.cfg.republish_after_seconds, "limit": 500})
            except Exception as e:
                self.log.debug("republish: cannot read", error=str(e).strip()[:300])
                continue
            done: list[str] = []
            for rid, oid, customer, items, note in rows:
                try:
                    self.publish(oid, rid, {"customer": customer, "items": items, "note": note})
                    done.append(rid)
                except NatsError as e:
                    self.metrics.inc("publish_failures_total")
                    self.log.warn("republish: publish failed", request_id=rid, error=str(e))
                    break
            if done:
                self.metrics.inc("orders_republished_total", len(done))
                for rid in done:
                    self.to_mark.put(rid)
            if rows:
                self.log.info("republish: orders published again", claimed=len(rows), published=len(done))

    def readiness(self) -> tuple[bool, dict]:
        checks = {"postgres": self.db.ping(), "nats": self.nc.is_connected, "stream": False}
        if checks["nats"]:
            try:
                jetstream.stream_info(self.nc, self.cfg.stream)
                checks["stream"] = True
            except NatsError:
                pass
        return all(checks.values()), checks

    def get_order(self, order_id: str) -> tuple[int, dict]:
        try:
            rows = self.db.query(GET, (order_id,))
        except Exception as e:
            if is_unavailable(e):
                return 503, {"error": "database unavailable"}
            raise
        if not rows:
            return 404, {"error": "no such order", "orderId": order_id}
        rid, oid, state, customer, items, note, created, fulfilled = rows[0]
        return 200, {"orderId": oid, "requestId": rid, "state": state, "customer": customer, "items": items,
                     "note": note, "createdAt": created.isoformat(), "fulfilledAt": fulfilled and fulfilled.isoformat()}


class ApiHandler(Handler):
    app: App

    def get(self):
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            return self.reply(200, {"status": "ok"})
        if path == "/readyz":
            ok, checks = self.app.readiness()
            return self.reply(200 if ok else 503, {"ready": ok, "checks": checks})
        if path == "/metrics":
            return self.reply(200, self.app.metrics.render({"nats_connected": int(self.app.nc.is_connected)}))
        order_id = validate.order_id_from_path(path)
        if order_id is None:
            return self.reply(404, {"error": "not found"})
        if validate.check_order_id(order_id):
            return self.reply(400, {"error": "invalid request", "fields": validate.check_order_id(order_id)})
        self.reply(*self.app.get_order(order_id))

    def put(self):
        app = self.app
        order_id = validate.order_id_from_path(self.path)
        if order_id is None:
            return self.reply(404, {"error": "not found"}, close=True)
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return self.reply(411, {"error": "Content-Length required"}, close=True)
        if int(length) > validate.MAX_BODY:
            app.metrics.inc("orders_rejected_total")
            drained = int(length) <= 16 * validate.MAX_BODY  # read a body a little too large, so the client sees the answer
            if drained:
                self.rfile.read(int(length))
            return self.reply(413, {"error": f"body over {validate.MAX_BODY} bytes"}, close=not drained)
        body = self.rfile.read(int(length))
        status, answer, headers = self.handle_put(order_id, body)
        level = app.log.warn if status >= 500 else app.log.info if status >= 400 else app.log.debug
        level("PUT order", status=status, order_id=order_id, request_id=self.headers.get("X-Request-Id"))
        self.reply(status, answer, headers)

    def handle_put(self, order_id: str, body: bytes) -> tuple[int, dict, dict]:
        if not validate.is_json_content_type(self.headers.get("Content-Type")):
            self.app.metrics.inc("orders_rejected_total")
            return 415, {"error": "Content-Type must be application/json"}, {}
        errors = {**validate.check_order_id(order_id), **validate.check_request_id(self.headers.get("X-Request-Id"))}
        order, body_errors = validate.parse_order(body)
        errors.update(body_errors)
        if errors:
            self.app.metrics.inc("orders_rejected_total")
            return 400, {"error": "invalid request", "fields": errors}, {}
        try:
            return self.app.place(order_id, self.headers["X-Request-Id"], order)
        except Exception as e:
            self.app.log.error("place: unexpected error", error=repr(e)[:500])
            return 500, {"error": "internal error"}, {}


def main() -> None:
    cfg = load_or_exit("orders-api")
    log = Log("orders-api", cfg.log_level)
    app = App(cfg, log)
    ApiHandler.app = app
    app.nc.start()
    server = Server(cfg.http_port, ApiHandler, log).start()
    republisher = threading.Thread(target=app.republish_loop, name="republisher", daemon=True)
    republisher.start()
    marker = threading.Thread(target=app.mark_loop, name="marker", daemon=True)
    marker.start()
    log.info("orders-api: listening", port=cfg.http_port, subject=cfg.subject, stream=cfg.stream,
             republish_after_seconds=cfg.republish_after_seconds)
    sig = wait_for_signal()
    log.info("orders-api: stopping", signal=sig)
    server.stop()
    app.stopping.set()
    republisher.join(timeout=5)
    marker.join(timeout=5)
    app.nc.close()
    app.db.close()
    log.info("orders-api: stopped")


if __name__ == "__main__":
    main()
