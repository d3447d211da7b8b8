"""The end-to-end check's client and checker (run by e2e.sh; talks to 127.0.0.1 only).

  send  --port P --prefix K --count N [--rate R] [--concurrency C] [--retry-for S] --ledger F
        PUTs N orders with keys K-1..K-N (X-Request-Id = orderId = key), paced at R/s, each retried with the
        same key on a 503 or a connection error for up to S seconds. One JSON line per key in the ledger.
  retry --port P --ledger F --sample N     sends N keys of a ledger again and checks the same answer (201, same body)
  bad   --port P                           the 4xx answers (400 naming the field, 409, 413, 415)
  check --ledger F[,F] --oracle F          the integrity check against the oracle's rows (key|effect_count|state|suppressed)
"""
import argparse
import http.client
import json
import random
import sys
import threading
import time


def order_body(n: int) -> bytes:
    return json.dumps({"customer": f"c-{n}", "items": [{"sku": "a", "qty": 1 + n % 5}]}).encode()


class Conn:
    def __init__(self, port: int, timeout: float = 5.0):
        self.port, self.timeout, self.c = port, timeout, None

    def put(self, key: str, body: bytes, ctype: str = "application/json", rid: str | None = None, path: str | None = None):
        headers = {"Content-Type": ctype, "X-Request-Id": key if rid is None else rid}
        if rid == "":
            del headers["X-Request-Id"]
        return self.call("PUT", path or f"/api/orders/{key}", body, headers)

    def call(self, method, path, body=None, headers=None):
        try:
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.c.request(method, path, body, headers or {})
            r = self.c.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, data, dict(r.getheaders())
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return None, repr(e).encode(), {}

    def close(self):
        if self.c is not None:
            self.c.close()
        self.c = None


def cmd_send(a) -> int:
    out = open(a.ledger, "a", encoding="utf-8")
    lock = threading.Lock()
    numbers = range(1, a.count + 1)
    if a.only_failed_from:  # send again the keys of a ledger that were not acknowledged
        numbers = sorted(int(k.rsplit("-", 1)[1]) for k, r in read_ledgers(a.only_failed_from).items() if r["s"] != 201)
    next_i = iter(numbers)
    durations: list = []
    t0 = time.monotonic()
    counts: dict = {}

    def worker():
        conn = Conn(a.port)
        while True:
            with lock:
                i = next(next_i, None)
            if i is None:
                return
            if a.rate:
                delay = t0 + (i - 1) / a.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            key = f"{a.prefix}-{i}"
            start, statuses = time.monotonic(), []
            while True:
                status, data, headers = conn.put(key, order_body(i))
                statuses.append(status)
                if status is not None and status != 503:
                    break
                if time.monotonic() - start >= a.retry_for:
                    break
                time.sleep(min(float(headers.get("Retry-After", 0.5)), 1.0) * random.uniform(0.5, 1.0))
            rec = {"k": key, "s": status, "n": len(statuses), "first": statuses[0], "d": round((time.monotonic() - start) * 1000, 1)}
            if status == 201:
                rec["body"] = json.loads(data)
            elif status is None:
                rec["e"] = data.decode()[:120]
            with lock:
                out.write(json.dumps(rec) + "\n")
                counts[status] = counts.get(status, 0) + 1
                if status == 201 and len(statuses) == 1:
                    durations.append(rec["d"])
                if len(statuses) > 1:
                    counts["retried"] = counts.get("retried", 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.close()
    took = time.monotonic() - t0
    durations.sort()
    pct = lambda q: durations[min(len(durations) - 1, int(q * len(durations)))] if durations else None  # noqa: E731
    print(json.dumps({"sent": len(numbers), "seconds": round(took, 1), "per_second": round(len(numbers) / took, 1),
                      "final_status": {str(k): v for k, v in counts.items()}, "p50_ms": pct(0.5), "p95_ms": pct(0.95), "max_ms": pct(1.0)}))
    return 0


def read_ledgers(paths: str) -> dict:
    recs = {}
    for p in paths.split(","):
        with open(p, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                recs[r["k"]] = r  # a later line (a retry run) replaces an earlier one
    return recs


def cmd_retry(a) -> int:
    recs = [r for r in read_ledgers(a.ledger).values() if r["s"] == 201]
    sample = random.Random(7).sample(recs, min(a.sample, len(recs)))
    conn, bad = Conn(a.port), []
    for r in sample:
        n = int(r["k"].rsplit("-", 1)[1])
        status, data, _ = conn.put(r["k"], order_body(n))
        if status != 201 or json.loads(data) != r["body"]:
            bad.append({"k": r["k"], "status": status, "body": data.decode()[:200]})
    print(json.dumps({"retried": len(sample), "same_answer": len(sample) - len(bad), "different": bad[:5]}))
    return 1 if bad else 0


def cmd_bad(a) -> int:
    conn, fails = Conn(a.port), []

    def expect(name, got, status, field=None):
        s, data, _ = got
        body = json.loads(data) if s else {}
        ok = s == status and (field is None or field in body.get("fields", {}))
        if not ok:
            fails.append({"case": name, "status": s, "body": data.decode()[:300]})
        return body

    good = b'{"customer":"c","items":[{"sku":"a","qty":1}]}'
    expect("qty 0", conn.put("bad-1", b'{"customer":"c","items":[{"sku":"a","qty":0}]}'), 400, "items[0].qty")
    expect("no customer", conn.put("bad-2", b'{"items":[{"sku":"a","qty":1}]}'), 400, "customer")
    expect("51 items", conn.put("bad-3", json.dumps({"customer": "c", "items": [{"sku": "a", "qty": 1}] * 51}).encode()), 400, "items")
    expect("sku too long", conn.put("bad-4", json.dumps({"customer": "c", "items": [{"sku": "x" * 33, "qty": 1}]}).encode()), 400, "items[0].sku")
    expect("no X-Request-Id", conn.put("bad-5", good, rid=""), 400, "X-Request-Id")
    expect("not JSON", conn.put("bad-6", b"{", ), 400, "body")
    expect("text/plain", conn.put("bad-7", good, ctype="text/plain"), 415)
    expect("65 KiB", conn.put("bad-8", b'{"customer":"' + b"x" * (65 * 1024) + b'"}'), 413)
    expect("bad orderId", conn.put("bad-9", good, rid="bad-9", path="/api/orders/a%20b"), 400, "orderId")
    expect("first", conn.put("bad-10", good), 201)
    expect("same key, other order", conn.put("bad-10", good.replace(b'"c"', b'"d"')), 409)
    expect("same orderId, other key", conn.put("bad-10", good, rid="bad-10-other"), 409)
    expect("GET", conn.call("GET", "/api/orders/bad-10"), 200)
    expect("POST", conn.call("POST", "/api/orders/bad-10", good, {"Content-Type": "application/json"}), 405)
    print(json.dumps({"cases": 14, "failed": fails}))
    return 1 if fails else 0


def cmd_check(a) -> int:
    ledger = read_ledgers(a.ledger)
    prefixes = {k.rsplit("-", 1)[0] for k in ledger}
    oracle = {}
    with open(a.oracle, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                key, effects, state, suppressed = line.rstrip("\n").split("|")
                oracle[key] = (int(effects), state, int(suppressed))
    mine = {k: v for k, v in oracle.items() if k.rsplit("-", 1)[0] in prefixes}
    acked = [k for k, r in ledger.items() if r["s"] == 201]
    lost = [k for k in acked if mine.get(k, (0,))[0] == 0]
    dup = [k for k, v in mine.items() if v[0] > 1]
    unexpected = [k for k in mine if k not in ledger]
    rejected = [k for k, r in ledger.items() if r["s"] is not None and 400 <= r["s"] < 500 and k in mine]
    unknown = [k for k, r in ledger.items() if r["s"] != 201 and not (r["s"] and 400 <= r["s"] < 500)]
    unfinished = [k for k, v in mine.items() if v[1] != "fulfilled"]
    result = {
        "attempted": len(ledger), "acknowledged": len(acked), "rows": len(mine),
        "effects": sum(v[0] for v in mine.values()), "effect_count_1": sum(1 for v in mine.values() if v[0] == 1),
        "suppressed_redeliveries": sum(v[2] for v in mine.values()),
        "lost": lost[:10], "lost_n": len(lost), "duplicates": dup[:10], "duplicates_n": len(dup),
        "unexpected": unexpected[:10], "rejected_but_processed": rejected[:10],
        "unknown": len(unknown), "unknown_appeared": sum(1 for k in unknown if k in mine),
        "not_fulfilled": unfinished[:10], "not_fulfilled_n": len(unfinished),
    }
    ok = not (lost or unexpected or rejected or unfinished) and (bool(dup) == a.expect_duplicates)
    result["verdict"] = "ok" if ok else "FAILED"
    print(json.dumps(result))
    return 0 if ok else 1


def main() -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--prefix", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--rate", type=float, default=0)
    s.add_argument("--concurrency", type=int, default=16)
    s.add_argument("--retry-for", type=float, default=0)
    s.add_argument("--ledger", required=True)
    s.add_argument("--only-failed-from")
    r = sub.add_parser("retry")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--ledger", required=True)
    r.add_argument("--sample", type=int, default=100)
    b = sub.add_parser("bad")
    b.add_argument("--port", type=int, required=True)
    c = sub.add_parser("check")
    c.add_argument("--ledger", required=True)
    c.add_argument("--oracle", required=True)
    c.add_argument("--expect-duplicates", action="store_true")
    a = p.parse_args()
    return {"send": cmd_send, "retry": cmd_retry, "bad": cmd_bad, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
