// What one CP3 run found, in the shape report.json is written in. The HTML report and junit.xml are both
// rendered from this one object, so every figure in them is also in the JSON. The load step's types live with
// the load library (load/types.ts).
import type { LoadResult } from "../load/types";

export type { LoadResult, StageKept, ThresholdResult, TimelinePoint } from "../load/types";

export type Verdict = "ready" | "not-ready" | "error" | "interrupted";

export interface ProbeResult {
  name: string;
  /** What the probe measured, e.g. "HTTP 200" or "lag 12". */
  observed: string;
  tolerance: string;
  passed: boolean;
}

export interface FaultResult {
  kind: string;
  /** Container names (or proxy names for Toxiproxy faults) the fault was applied to. */
  targets: string[];
  parameters: Record<string, string | number | boolean>;
  /** Seconds since the load started. */
  startedAt: number;
  endedAt: number;
  /** "applied" with the measured effect, or "skipped" with the reason (a missing kernel feature, for example). */
  status: "applied" | "skipped" | "failed";
  /** What a probe saw while the fault was in place, e.g. "ping loss 21 %" or "connect refused". */
  effect: string;
  /** Whether the rollback was verified: no rule, qdisc, toxic, file or process left; container running, unpaused. */
  removed: boolean;
  /** What was found left behind, when `removed` is false. */
  leftover?: string;
}

export interface ExperimentResult {
  name: string;
  description: string;
  /** Seconds since the load started. */
  startedAt: number;
  endedAt: number;
  steadyStateBefore: ProbeResult[];
  steadyStateAfter: ProbeResult[];
  faults: FaultResult[];
  /** Seconds from the end of the last fault until the steady state held again; undefined when it never did. */
  recoverySeconds?: number;
  status: "passed" | "failed" | "skipped" | "error";
  /** Why it failed or was skipped, in one sentence. */
  reason?: string;
}

/** When a lost key was acknowledged relative to the reads that looked for it (Jepsen's split). */
export interface LostKey {
  key: string;
  acknowledgedAt: number;
  when: "before-first-read" | "between-reads" | "after-last-read";
  /** True when a read saw it processed and a later read did not (it vanished), false when never seen. */
  seenThenGone: boolean;
}

export interface UnknownKey {
  key: string;
  /** The client's outcome: a 5xx status or "timeout". */
  outcome: string;
  /** Whether the record nevertheless appeared (processed) in the final read. */
  appeared: boolean;
}

export interface IntegrityResult {
  attempted: number;
  acknowledged: number;
  processed: number;
  /** Acknowledged and never processed. */
  lost: LostKey[];
  /** Keys with more than one effect (a second record, or a second result, for one key). */
  duplicates: { key: string; effects: number }[];
  /** Processed but never attempted by the load. */
  unexpected: string[];
  /** Timeouts and 5xx: the client cannot know whether they were accepted. */
  unknown: UnknownKey[];
  /** The client was told no (4xx) and the record was processed anyway. */
  rejectedButProcessed?: string[];
  /** Records dead-lettered (poison), which are not losses but are listed. */
  dead: number;
  reads: number;
  passed: boolean;
}

export interface RunReport {
  runId: string;
  stack: string;
  verdict: Verdict;
  /** One line per reason the verdict is not "ready". */
  reasons: string[];
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  seed: number;
  profile: string;
  /** The chaos schedule: which experiment starts when (seconds since the load started). */
  schedule: { experiment: string; startAt: number }[];
  load?: LoadResult;
  experiments: ExperimentResult[];
  integrity?: IntegrityResult;
  /** Pinned tool versions (from toolchain/versions.json) and the engine's version. */
  versions: Record<string, string>;
  /** Each step of the run with its duration, in order. */
  steps: { name: string; seconds: number; ok: boolean }[];
}
