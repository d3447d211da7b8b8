// SLO gates shared by every scenario: thresholds (not checks) decide k6's exit code (99 when one fails).
// Every threshold names a metric the scenario really emits; a threshold on a metric without samples is not
// evaluated at all (k6 #1346), so `checks` and the request metrics are always fed.

/** The gateway's SLO: p95 under 99 ms (the CP1 baseline's bound) and no failed request. */
export function sloThresholds(p95Ms = 99, p99Ms = 250) {
  return {
    http_req_failed: ["rate==0"],
    "http_req_duration{expected_response:true}": [`p(95)<${p95Ms}`, `p(99)<${p99Ms}`],
    checks: ["rate==1"],
  };
}
