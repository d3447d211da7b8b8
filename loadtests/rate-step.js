// One step of the workload benchmark: a constant arrival rate of record posts for a fixed time.
// Environment: BASE_URL, RATE (requests per second), DURATION (e.g. 20s), KEY_PREFIX, SUMMARY_FILE.
import exec from "k6/execution";
import { postRecord, requireReady } from "./lib/records.js";
import { sloThresholds } from "./lib/thresholds.js";

const rate = Number(__ENV.RATE);

export const options = {
  scenarios: {
    step: {
      executor: "constant-arrival-rate",
      rate,
      timeUnit: "1s",
      duration: __ENV.DURATION || "20s",
      // Enough VUs that the generator never drops iterations on its own: a VU per 100 ms of latency budget
      // up front, and room for a full second.
      preAllocatedVUs: Math.max(20, Math.ceil(rate / 10)),
      maxVUs: Math.max(100, rate),
    },
  },
  thresholds: sloThresholds(),
  summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
};

export function setup() {
  requireReady(__ENV.BASE_URL);
}

export default function () {
  postRecord(__ENV.BASE_URL, `${__ENV.KEY_PREFIX}-${exec.scenario.iterationInTest}`, exec.scenario.iterationInTest);
}

export function handleSummary(data) {
  return { [__ENV.SUMMARY_FILE]: JSON.stringify(data) };
}
