// Posting records the way a client does: a unique Idempotency-Key per record, JSON payload, 202 expected.
// Every outcome goes to the ledger, whatever it is.
import http from "k6/http";
import { check } from "k6";
import { recordOutcome } from "./ledger.js";

export function postRecord(baseUrl, key, n) {
  const started = Date.now();
  const res = http.post(`${baseUrl}/v1/records`, JSON.stringify({ payload: { n, at: started } }), {
    headers: { "content-type": "application/json", "idempotency-key": key },
    tags: { name: "POST /v1/records" },
    timeout: "10s",
    responseType: "none",
  });
  recordOutcome(key, started, res);
  check(res, { "202 accepted": (r) => r.status === 202 });
  return res;
}

/** setup() gate: refuse to load a gateway that is not ready (k6 exits 107 instead of measuring a broken one). */
export function requireReady(baseUrl) {
  const res = http.get(`${baseUrl}/readyz`, { timeout: "5s" });
  if (res.status !== 200) throw new Error(`gateway ${baseUrl}/readyz answered ${res.status}: ${res.body}`);
}
