// SLO gates shared by every scenario: thresholds (not checks) decide k6's exit code (99 when one fails).
// Every threshold names a metric the scenario really emits; a threshold on a metric without samples is not
// evaluated at all (k6 #1346), so `checks` and the request metrics are always fed.

/**
 * The gateway's SLO. Defaults: p95 under 99 ms (the CP1 baseline's bound), p99 under 500 ms (room for the burst
 * a restarted NATS or worker releases on a shared 2-core machine), no failed request.
 * @param {{ p95Ms?: number, p99Ms?: number, maxFailedRate?: number }} slo
 */
export function sloThresholds(slo = {}) {
  const p95Ms = slo.p95Ms ?? 99;
  const p99Ms = slo.p99Ms ?? 500;
  const maxFailedRate = slo.maxFailedRate ?? 0;
  return {
    http_req_failed: [maxFailedRate === 0 ? "rate==0" : `rate<=${maxFailedRate}`],
    "http_req_duration{expected_response:true}": [`p(95)<${p95Ms}`, `p(99)<${p99Ms}`],
    checks: [maxFailedRate === 0 ? "rate==1" : `rate>=${1 - maxFailedRate}`],
  };
}
