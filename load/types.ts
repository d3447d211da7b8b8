// What the load step found, in the shape report.json carries it. The reporting code imports these types.
import type { Slo, Stage } from "./plan";

/** One second of the load, computed from the ledger (one line per request). */
export interface TimelinePoint {
  /** Seconds since the load started. */
  t: number;
  /** Requests acknowledged (2xx) in this second. */
  acknowledged: number;
  /** Requests that ended in this second, whatever the outcome. */
  requests: number;
  /** Share of requests that ended without an acknowledgement (4xx, 5xx, timeouts): 0..1. */
  errorRate: number;
  /** 95th percentile latency of the requests that ended in this second, in ms (0 when there were none). */
  p95Ms: number;
}

export interface ThresholdResult {
  /** What is measured, e.g. "failed requests" or "latency p95" (for k6's own: its metric expression). */
  name: string;
  /** The gate, e.g. "p95 < 99 ms (acknowledged requests)". */
  condition: string;
  passed: boolean;
  /** The value the gate was checked against, unrounded. */
  observed?: number;
  /** What was observed, in words precise enough to explain a failure: "17 of 140,657 failed (0.012 %)". */
  detail?: string;
}

/** How closely one stage of the plan was kept: requests started in its window against those it scheduled. */
export interface StageKept {
  /** Seconds since the load started. */
  from: number;
  to: number;
  /** "ramp" when the rate changes during the stage, "hold" when it stays. */
  kind: "ramp" | "hold";
  /** The rate at the stage's end. */
  targetRps: number;
  planned: number;
  sent: number;
  /** (sent - planned) / planned, in percent. */
  deviationPct: number;
}

export interface EngineInfo {
  /** "loadgen" (the default, on vegeta's library) or "k6" (the user's own). */
  name: "loadgen" | "k6";
  version: string;
  path: string;
}

export interface LoadResult {
  profile: string;
  engine: EngineInfo;
  /** The engine's exit code, and what it means in that engine's own table. */
  engineExitCode: number;
  engineOutcome: string;
  /** When the load started, ms since the epoch: times in the report are seconds after it. */
  startedAtMs?: number;
  /** Whether the engine carried out the plan; "error" makes the run's verdict an error of the testbed. */
  engineStatus: "completed" | "interrupted" | "error";
  /** k6 only: the scenario script it ran. */
  script?: string;
  /** The plan's shape and its SLO. */
  plan: { startRate: number; stages: Stage[]; timeoutSeconds: number; slo: Slo };
  /** Seconds the load ran for. */
  durationSeconds: number;
  requests: number;
  acknowledged: number;
  rejected4xx: number;
  failed5xx: number;
  timeouts: number;
  achievedRps: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** The SLO gates, evaluated from the ledger (the same code for every engine). */
  thresholds: ThresholdResult[];
  /** k6's own threshold verdict, shown beside the ledger's; it does not decide the verdict. */
  engineThresholds?: ThresholdResult[];
  /** Each stage of the plan: what was planned against what was sent. */
  scheduleKept: StageKept[];
  /** The default engine: how late requests started against their scheduled time (coordinated omission shows here). */
  lagMs?: { p50: number; p99: number; max: number };
  timeline: TimelinePoint[];
  /** Stress profile: the highest rate held for 5 s with p95 under 99 ms and no error. */
  kneeRps?: number;
}
