// Posting records the way a client does: a unique Idempotency-Key per record, JSON payload, 202 expected.
import http from "k6/http";
import { check } from "k6";

export function postRecord(baseUrl, key, n) {
  const res = http.post(`${baseUrl}/v1/records`, JSON.stringify({ payload: { n, at: Date.now() } }), {
    headers: { "content-type": "application/json", "idempotency-key": key },
    tags: { name: "POST /v1/records" },
    timeout: "10s",
  });
  check(res, { "202 accepted": (r) => r.status === 202 });
  return res;
}

/** setup() gate: refuse to load a gateway that is not ready (k6 exits 100+ instead of measuring a broken one). */
export function requireReady(baseUrl) {
  const res = http.get(`${baseUrl}/readyz`, { timeout: "5s" });
  if (res.status !== 200) throw new Error(`gateway ${baseUrl}/readyz answered ${res.status}: ${res.body}`);
}
