// What every scenario does per iteration: post one record under a key unique to this run, and write the
// outcome to the ledger. Environment: BASE_URL, KEY_PREFIX (unique per run), SUMMARY_FILE.
import exec from "k6/execution";
import { postRecord, requireReady } from "./records.js";

function required(name) {
  const value = __ENV[name];
  if (value === undefined || value === "") throw new Error(`environment variable ${name} is missing`);
  return value;
}

/** setup(): the health gate. A gateway that is not ready fails the run before any load is offered. */
export function gate() {
  requireReady(required("BASE_URL"));
}

export function postNext() {
  const n = exec.scenario.iterationInTest;
  postRecord(__ENV.BASE_URL, `${__ENV.KEY_PREFIX}-${n}`, n);
}

/** handleSummary(): the machine-readable summary the driver reads thresholds and figures from. */
export function writeSummary(data) {
  return { [required("SUMMARY_FILE")]: JSON.stringify(data) };
}
