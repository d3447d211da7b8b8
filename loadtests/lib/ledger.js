// The ledger: one JSON line per request, written through k6's console (the driver runs k6 with
// `--console-output <file> --log-format raw`, so each line is exactly what is logged here). The integrity checker
// reads it to know what was attempted and what was acknowledged; the report's timeline is computed from it.
// Fields: t = request start (ms since the epoch), k = idempotency key, s = HTTP status (0: no answer),
// d = duration in ms, e = k6's error code when there was no answer (1050 = timeout).
// LEDGER=off (the driver's benchmarks, where nobody reads it): no line at all.
const ledgerOff = __ENV.LEDGER === "off";

export function recordOutcome(key, started, res) {
  if (ledgerOff) return;
  const line = { t: started, k: key, s: res.status, d: Math.round(res.timings.duration * 10) / 10 };
  if (res.status === 0) line.e = res.error_code;
  console.log(JSON.stringify(line));
}
