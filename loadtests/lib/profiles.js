// The run profiles: how load is offered, for how long, and which SLO gates it. The driver sets RATE and
// DURATION from its flags; each scenario script picks its profile by name.

const env = (name, fallback) => (__ENV[name] !== undefined && __ENV[name] !== "" ? __ENV[name] : fallback);

/** Enough VUs that the generator never drops iterations on its own: one per 100 ms of budget, room for a second. */
function vus(rate) {
  return { preAllocatedVUs: Math.max(10, Math.ceil(rate / 10)), maxVUs: Math.max(50, rate) };
}

function constant(rate, duration) {
  return { executor: "constant-arrival-rate", rate, timeUnit: "1s", duration, ...vus(rate) };
}

/** Six equal steps up to the top rate, each a short ramp then a hold, so the knee shows as a step. */
function steps(top, duration) {
  const seconds = parseDuration(duration);
  const stepSeconds = Math.max(2, Math.floor(seconds / 6));
  const stages = [];
  for (let i = 1; i <= 6; i++) {
    const target = Math.round((top * i) / 6);
    stages.push({ target, duration: `${Math.max(1, Math.floor(stepSeconds / 5))}s` });
    stages.push({ target, duration: `${stepSeconds - Math.max(1, Math.floor(stepSeconds / 5))}s` });
  }
  return { executor: "ramping-arrival-rate", startRate: Math.round(top / 12), timeUnit: "1s", stages, ...vus(top) };
}

export function parseDuration(text) {
  const m = /^(\d+)(s|m|h)$/.exec(text);
  if (!m) throw new Error(`DURATION is "${text}"; expected a number followed by s, m or h`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2]];
}

const PROFILES = {
  // A minute at a gentle rate: does everything work, end to end, under faults?
  smoke: { rate: 50, duration: "60s", scenario: constant, slo: {} },
  // The expected production rate for a while: are the SLOs kept?
  load: { rate: 300, duration: "5m", scenario: constant, slo: {} },
  // Rising to well past the expected rate: where is the knee? Latency gates are loose by design; losing or
  // failing requests is still not allowed beyond 5 %.
  stress: { rate: 1200, duration: "3m", scenario: steps, slo: { p95Ms: 2000, p99Ms: 5000, maxFailedRate: 0.05 } },
  // A moderate rate for hours (24 h and beyond): leaks, slow drifts, growing tables.
  soak: { rate: 100, duration: "1h", scenario: constant, slo: {} },
};

export function profileOptions(name, thresholds) {
  const p = PROFILES[name];
  if (!p) throw new Error(`profile "${name}" is unknown; expected one of ${Object.keys(PROFILES).join(", ")}`);
  const rate = Number(env("RATE", p.rate));
  if (!Number.isInteger(rate) || rate < 1) throw new Error(`RATE is "${__ENV.RATE}"; expected a whole number of requests per second, 1 or more`);
  const duration = env("DURATION", p.duration);
  parseDuration(duration);
  return {
    scenarios: { [name]: p.scenario(rate, duration) },
    thresholds: thresholds(p.slo),
    summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
    // The ledger is written through the console; nothing else may log there.
    discardResponseBodies: true,
  };
}
