// What every scenario does per iteration: one request from the plan's template under a key unique to the run
// (`<keyPrefix>-<n>`, in the idempotency header and in the URL's `k` parameter, as the default engine sends it),
// and its outcome in the ledger.
import crypto from "k6/crypto";
import http from "k6/http";
import exec from "k6/execution";
import { check } from "k6";
import { plan, summaryFile } from "./plan.js";
import { recordOutcome } from "./ledger.js";

const template = plan.request;
const separator = template.path.includes("?") ? "&" : "?";
// The traceparent the default engine sends (toolchain/loadgen/traceparent.go): the run finds each record's trace
// from its key. One request in traceSampleEvery is marked sampled; none is sent without it.
const traceHead = plan.traceSampleEvery ? crypto.sha256(plan.keyPrefix, "hex").slice(0, 16) : "";
const hex16 = (x) => x.toString(16).padStart(16, "0");
const traceparent = (n) => `00-${traceHead}${hex16(n)}-${hex16(n + 1)}-${n % plan.traceSampleEvery === 0 ? "01" : "00"}`;
const fill = (text, key, n) => text.replaceAll("{{key}}", key).replaceAll("{{n}}", String(n)).replaceAll("{{now}}", String(Date.now()));

/** setup(): the health gate. A system that is not ready fails the run before any load is offered. */
export function gate() {
  const res = http.get(`${plan.baseUrl}${plan.healthPath}`, { timeout: "5s" });
  if (res.status !== 200) throw new Error(`${plan.baseUrl}${plan.healthPath} answered ${res.status}: ${res.body}`);
}

export function sendNext() {
  const n = exec.scenario.iterationInTest;
  const key = `${plan.keyPrefix}-${n}`;
  const headers = { ...template.headers };
  if (template.idempotencyHeader) headers[template.idempotencyHeader] = key;
  if (traceHead) headers.traceparent = traceparent(n);
  const started = Date.now();
  const url = `${plan.baseUrl}${fill(template.path, encodeURIComponent(key), n)}${separator}k=${encodeURIComponent(key)}`;
  const res = http.request(template.method, url, template.body === undefined ? null : fill(template.body, key, n), {
    headers,
    tags: { name: `${template.method} ${template.path}` },
    timeout: `${plan.timeoutSeconds}s`,
    responseType: "none",
  });
  recordOutcome(key, started, res);
  check(res, { acknowledged: (r) => r.status >= 200 && r.status < 300 });
}

/** handleSummary(): the machine-readable summary the driver reads k6's own threshold verdict from. */
export function writeSummary(data) {
  return { [summaryFile]: JSON.stringify(data) };
}
