// One plan for every load engine: where to send, what each request looks like, how the arrival rate moves over
// time, and the SLO that judges the result. The driver writes it as JSON; the default engine (toolchain/loadgen)
// and the k6 scripts (loadtests/) both read it, and the thresholds are evaluated from the ledger in TypeScript
// (load/slo.ts), so every engine is judged by the same code.

export const PROFILES = ["smoke", "load", "stress", "soak"] as const;
export type Profile = (typeof PROFILES)[number];

/** The SLO gates of a run. */
export interface Slo {
  /** p95 of the acknowledged requests' latency must stay under this. */
  readonly p95Ms: number;
  /** p99 of the acknowledged requests' latency must stay under this. */
  readonly p99Ms: number;
  /** Share of requests that may end without an acknowledgement (0: none may). */
  readonly maxFailedRate: number;
}

/** One request, as a template: `{{key}}`, `{{n}}` and `{{now}}` (ms since the epoch) are filled in per request. */
export interface RequestTemplate {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path under the base URL; the engine appends `k=<key>` to its query, which is how a result names its request. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Header that carries the request's unique key; absent: the key travels only in the URL. */
  readonly idempotencyHeader?: string;
  readonly body?: string;
}

/** The rate moves linearly from the previous stage's target (the first: `startRate`) to `target` over `seconds`. */
export interface Stage {
  readonly target: number;
  readonly seconds: number;
}

export interface LoadPlan {
  readonly baseUrl: string;
  readonly request: RequestTemplate;
  /** Keys are `<keyPrefix>-<n>`, n from 0 in the order requests are made. */
  readonly keyPrefix: string;
  readonly startRate: number;
  readonly stages: readonly Stage[];
  readonly timeoutSeconds: number;
  /** A path answering 200 when the system is ready; engines that gate (k6's setup()) use it. */
  readonly healthPath: string;
  readonly slo: Slo;
  /** Send each request a traceparent the run can find its trace by (lib/trace-ids.ts), one in this many sampled. @default none sent */
  readonly traceSampleEvery?: number;
}

interface ProfileSpec {
  /** Requests per second (stress: the top of the steps). */
  readonly rate: number;
  readonly seconds: number;
  readonly shape: "constant" | "steps";
  readonly slo: Slo;
  readonly purpose: string;
}

/** The gateway's SLO: p95 under 99 ms (the CP1 baseline's bound), p99 under 500 ms (room for the burst a restarted
 * NATS or worker releases on a shared 2-core machine), no failed request. */
const GATEWAY_SLO: Slo = { p95Ms: 99, p99Ms: 500, maxFailedRate: 0 };

export const PROFILE_SPECS: Readonly<Record<Profile, ProfileSpec>> = {
  smoke: { rate: 50, seconds: 60, shape: "constant", slo: GATEWAY_SLO, purpose: "a minute at a gentle rate: does everything work end to end, under faults?" },
  load: { rate: 300, seconds: 300, shape: "constant", slo: GATEWAY_SLO, purpose: "the expected production rate for a while: are the SLOs kept?" },
  // Latency gates are loose by design; failing requests is still allowed only up to 5 %.
  stress: { rate: 1200, seconds: 180, shape: "steps", slo: { p95Ms: 2000, p99Ms: 5000, maxFailedRate: 0.05 }, purpose: "six steps to well past the expected rate: where is the knee?" },
  soak: { rate: 100, seconds: 3600, shape: "constant", slo: GATEWAY_SLO, purpose: "a moderate rate for hours: leaks, slow drifts, growing tables" },
};

/** The reference workload's request: a record with a unique Idempotency-Key, accepted with 202. */
export const RECORDS_REQUEST: RequestTemplate = {
  method: "POST",
  path: "/v1/records",
  headers: { "content-type": "application/json" },
  idempotencyHeader: "idempotency-key",
  body: '{"payload":{"n":{{n}},"at":{{now}}}}',
};

/** Six equal steps up to `top`, each a short ramp (a fifth of the step, at least 1 s) then a hold. */
export function stepStages(top: number, seconds: number): { startRate: number; stages: Stage[] } {
  const stepSeconds = Math.max(2, Math.floor(seconds / 6));
  const ramp = Math.max(1, Math.floor(stepSeconds / 5));
  const stages: Stage[] = [];
  for (let i = 1; i <= 6; i++) {
    const target = Math.round((top * i) / 6);
    stages.push({ target, seconds: ramp }, { target, seconds: stepSeconds - ramp });
  }
  return { startRate: Math.round(top / 12), stages };
}

export function planFor(o: { profile: Profile; rate?: number; durationSeconds: number; baseUrl: string; keyPrefix: string; request?: RequestTemplate }): LoadPlan {
  const spec = PROFILE_SPECS[o.profile];
  const rate = o.rate ?? spec.rate;
  const shape = spec.shape === "steps" ? stepStages(rate, o.durationSeconds) : { startRate: rate, stages: [{ target: rate, seconds: o.durationSeconds }] };
  return { baseUrl: o.baseUrl, request: o.request ?? RECORDS_REQUEST, keyPrefix: o.keyPrefix, ...shape, timeoutSeconds: 10, healthPath: "/readyz", slo: spec.slo };
}

export const planSeconds = (plan: Pick<LoadPlan, "stages">): number => plan.stages.reduce((s, x) => s + x.seconds, 0);

/** Requests the plan schedules between `from` and `to` seconds after the start: the integral of the rate. */
export function plannedBetween(plan: Pick<LoadPlan, "startRate" | "stages">, from: number, to: number): number {
  let total = 0;
  let t0 = 0;
  let r0 = plan.startRate;
  for (const s of plan.stages) {
    const t1 = t0 + s.seconds;
    const a = Math.max(from, t0);
    const b = Math.min(to, t1);
    if (b > a) {
      const rate = (t: number) => r0 + ((s.target - r0) * (t - t0)) / s.seconds;
      total += ((rate(a) + rate(b)) / 2) * (b - a);
    }
    t0 = t1;
    r0 = s.target;
  }
  return total;
}
